"""The content-hash file cache: reused when nothing changed, never stale, never fatal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from perfdsl import cache
from perfdsl.api import check_paths

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "ningxian-2025"


@pytest.fixture()
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PERFDSL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PERFDSL_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("PERFDSL_NO_CACHE", raising=False)
    d = tmp_path / "set"
    d.mkdir()
    for f in EXAMPLE.glob("*.perf"):
        (d / f.name).write_bytes(f.read_bytes())
    return d


def _fc() -> cache.FileCache:
    return cache.FileCache(persistent=True)


def _check(d: Path, fc: cache.FileCache):  # type: ignore[no-untyped-def]
    from perfdsl.api import check_set

    files = sorted(str(p) for p in d.glob("*.perf"))
    return check_set(str(d), files, (), fc)


def test_second_run_hits_disk_and_gives_same_result(work: Path) -> None:
    first = _fc()
    r1 = _check(work, first)
    assert first.misses == 5 and first.disk_hits == 0
    second = _fc()
    r2 = _check(work, second)
    assert second.disk_hits == 5 and second.misses == 0
    assert r1[0].diagnostics == r2[0].diagnostics and r1[0].dset == r2[0].dset
    assert r1[1] == r2[1]
    # Profiles come back as the loaded objects, not private copies.
    assert r2[0].dset.declarations[0].profile is r1[0].dset.declarations[0].profile


def test_within_one_run_a_file_is_compiled_once(work: Path) -> None:
    fc = cache.FileCache(persistent=False)
    _check(work, fc)
    _check(work, fc)
    assert fc.misses == 5 and fc.hits == 5


def test_edited_file_is_recompiled(work: Path) -> None:
    _check(work, _fc())
    f = work / "01-企业职工养老保险县级财政补助资金.perf"
    text = f.read_text(encoding="utf-8")
    assert ">= 93 %" in text
    f.write_text(text.replace(">= 93 %", ">= 50 %"), encoding="utf-8")
    fc = _fc()
    sres, _ = _check(work, fc)
    assert fc.misses == 1 and fc.disk_hits == 4
    assert any(d.code == "PD-P002" for d in sres.diagnostics)


def test_key_covers_path_profiles_and_compiler(work: Path, tmp_path: Path) -> None:
    data = b"x"
    base = cache.file_key("a.perf", data, ())
    assert cache.file_key("b.perf", data, ()) != base
    assert cache.file_key("a.perf", b"y", ()) != base
    prof = tmp_path / "profiles"
    prof.mkdir()
    k1 = cache.file_key("a.perf", data, (str(prof),))
    (prof / "mine.toml").write_text('id = "mine"\nextends = "gansu-project"\n', encoding="utf-8")
    cache.profiles_fingerprint.cache_clear()
    k2 = cache.file_key("a.perf", data, (str(prof),))
    assert k1 != k2 and k1 != base
    cache.code_fingerprint.cache_clear()
    import perfdsl

    old = perfdsl.__version__
    try:
        perfdsl.__version__ = "999"
        cache.__version__ = "999"  # type: ignore[attr-defined]
        cache.code_fingerprint.cache_clear()
        assert cache.file_key("a.perf", data, ()) != base
    finally:
        perfdsl.__version__ = old
        cache.__version__ = old  # type: ignore[attr-defined]
        cache.code_fingerprint.cache_clear()


def test_corrupt_entry_is_a_miss(work: Path) -> None:
    _check(work, _fc())
    entries = list((work.parent / "cache" / "files").rglob("*.pickle"))
    assert len(entries) == 5
    for e in entries:
        e.write_bytes(b"not a pickle")
    fc = _fc()
    sres, _ = _check(work, fc)
    assert fc.misses == 5
    assert not sres.has_errors


def test_unwritable_cache_only_costs_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a dir")
    monkeypatch.setenv("PERFDSL_CACHE_DIR", str(blocker / "sub"))
    res = check_paths([str(EXAMPLE)], use_cache=True)
    assert not res.has_errors


def test_cli_cache_option_same_output(work: Path) -> None:
    env = {"PERFDSL_CACHE_DIR": str(work.parent / "cache"), "PERFDSL_STATE_DIR": str(work.parent / "state"),
           "PATH": "/usr/bin:/bin"}
    runs = [subprocess.run([sys.executable, "-m", "perfdsl", "check", "--cache", str(work)],
                           capture_output=True, text=True, env=env, cwd=ROOT, check=False) for _ in range(2)]
    plain = subprocess.run([sys.executable, "-m", "perfdsl", "check", "--no-cache", str(work)],
                           capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert runs[0].stdout == runs[1].stdout == plain.stdout
    assert any((work.parent / "cache" / "files").rglob("*.pickle"))


def test_check_does_not_import_heavy_libraries(work: Path) -> None:
    code = (
        "import sys\n"
        "from perfdsl.cli import main\n"
        f"main(['check', {str(work)!r}])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('docx', 'openpyxl', 'xlsxwriter', 'jinja2', 'pygls', 'lxml'))\n"
        "sys.stderr.write('HEAVY=' + ','.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert "HEAVY=" in proc.stderr
    assert proc.stderr.split("HEAVY=")[-1] == ""


# --- Untrusted cache folders (issue 17.7) ----------------------------------------------------


class _Evil:
    """Unpickling this runs `open(marker, "w")`: what a hostile cache writer would plant."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (self.marker, "w"))


def _plant(work: Path, payload: bytes) -> list[Path]:
    """Write `payload` at the cache entry of every example file, as an attacker could."""
    planted = []
    for f in sorted(work.glob("*.perf")):
        key = cache.file_key(str(f), f.read_bytes(), ())
        entry = work.parent / "cache" / "files" / key[:2] / f"{key}.pickle"
        entry.parent.mkdir(parents=True, exist_ok=True)
        entry.write_bytes(payload)
        planted.append(entry)
    return planted


def test_planted_pickle_is_never_executed(work: Path) -> None:
    import pickle

    marker = work.parent / "pwned"
    _plant(work, pickle.dumps(_Evil(str(marker))))
    plain = check_paths([str(work)])
    fc = _fc()
    sres, _ = _check(work, fc)
    assert not marker.exists(), "a cache entry ran code"
    assert fc.disk_hits == 0 and fc.misses == 5 and fc.rejected == 5
    assert sres.diagnostics == plain.sets[0].diagnostics


def test_planted_pickle_via_cli_is_never_executed(work: Path) -> None:
    import pickle

    marker = work.parent / "pwned-cli"
    _plant(work, pickle.dumps(_Evil(str(marker))))
    env = {"PERFDSL_CACHE_DIR": str(work.parent / "cache"), "PERFDSL_STATE_DIR": str(work.parent / "state"),
           "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "perfdsl", "check", "--cache", "-j1", str(work)],
                          capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()


def test_entry_replayed_under_another_key_is_a_miss(work: Path) -> None:
    """A valid signed entry copied to another file's key must not be believed."""
    _check(work, _fc())
    entries = sorted((work.parent / "cache" / "files").rglob("*.pickle"))
    data = [e.read_bytes() for e in entries]
    for e, d in zip(entries, data[1:] + data[:1], strict=True):
        e.write_bytes(d)
    fc = _fc()
    _check(work, fc)
    assert fc.disk_hits == 0 and fc.rejected == 5


def test_key_lives_outside_the_cache_and_is_private(work: Path) -> None:
    import stat

    _check(work, _fc())
    key = work.parent / "state" / "cache-key"
    st = key.stat()
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_size == 32
    assert not list((work.parent / "cache").rglob("*key*"))
    for e in (work.parent / "cache" / "files").rglob("*.pickle"):
        assert e.read_bytes().startswith(cache.MAGIC)


@pytest.mark.parametrize("how", ["readable-by-others", "symlink", "inside-cache", "folder-writable-by-others"])
def test_unsafe_key_disables_the_disk_cache(how: str, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = work.parent / "state"
    state.mkdir(mode=0o700)
    if how == "readable-by-others":
        (state / "cache-key").write_bytes(b"k" * 32)
        (state / "cache-key").chmod(0o644)
    elif how == "symlink":
        (work.parent / "elsewhere").write_bytes(b"k" * 32)
        (work.parent / "elsewhere").chmod(0o600)
        (state / "cache-key").symlink_to(work.parent / "elsewhere")
    elif how == "inside-cache":
        monkeypatch.setenv("PERFDSL_STATE_DIR", str(work.parent / "cache" / "state"))
    else:
        state.chmod(0o777)
    first = _fc()
    assert first.folder is None
    sres, _ = _check(work, first)
    assert not sres.has_errors
    second = _fc()
    _check(work, second)
    assert second.disk_hits == 0
    assert not list((work.parent / "cache").rglob("*.pickle"))
