"""Untrusted folders, shared outputs, terminals, pipes, signals and names (issues 17, 16.4, 14.11).

Each test drives a public surface (the CLI in-process, the installed `perfdsl` command in
a subprocess, or `perfdsl.api`) and failed before its fix. docs/reliability.md section 4
lists the limits these tests guard.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import projects, run_cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "ningxian-2025"
PROJECT = EXAMPLES / "01-企业职工养老保险县级财政补助资金.perf"
PROJECT_TITLE = "企业职工养老保险县级财政补助资金"
PERFDSL = Path(sys.executable).parent / "perfdsl"
L001 = ROOT / "tests" / "fixtures" / "diagnostics" / "PD-L001"


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("PERFDSL_STATE_DIR", str(state))
    monkeypatch.setenv("PERFDSL_CRASH_DIR", str(tmp_path_factory.mktemp("crash")))
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.delenv("PERFDSL_NO_LOCAL_PROFILES", raising=False)
    return state


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERFDSL_") and k != "SOURCE_DATE_EPOCH"}
    env.update(extra)
    return env


def _project(title: str) -> str:
    text = PROJECT.read_text(encoding="utf-8")
    assert f"项目 {PROJECT_TITLE} {{" in text
    return text.replace(f"项目 {PROJECT_TITLE} {{", f"项目 {title} {{", 1)


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def _no_temps(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


# --- 17.8 The crash report ------------------------------------------------------------------


def _boom(*_a: object, **_k: object) -> object:
    raise RuntimeError("injected")


def test_crash_report_never_follows_a_planted_symlink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The old name was perfdsl-crash-<time>-<pid>.txt: plant links at every such name."""
    folder = tmp_path / "shared-tmp"
    folder.mkdir()
    victim = _write(tmp_path / "victim.txt", "重要文件\n")
    now = time.time()
    for dt in range(-2, 30):
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now + dt))
        (folder / f"perfdsl-crash-{stamp}-{os.getpid()}.txt").symlink_to(victim)
    monkeypatch.setenv("PERFDSL_CRASH_DIR", str(folder))
    monkeypatch.setattr("perfdsl.api.iter_check", _boom)
    run = run_cli(["check", str(PROJECT)])
    assert run.code == 3
    assert victim.read_text(encoding="utf-8") == "重要文件\n"
    reports = [p for p in folder.iterdir() if not p.is_symlink()]
    assert len(reports) == 1 and str(reports[0]) in run.err
    assert stat.S_IMODE(reports[0].stat().st_mode) == 0o600
    assert "injected" in reports[0].read_text(encoding="utf-8")


def test_crash_report_goes_to_the_user_state_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    _private_dirs: Path) -> None:
    monkeypatch.delenv("PERFDSL_CRASH_DIR")
    monkeypatch.setattr("perfdsl.api.iter_check", _boom)
    run = run_cli(["check", str(PROJECT)])
    assert run.code == 3
    (report,) = (_private_dirs / "crash").glob("perfdsl-crash-*.txt")
    assert str(report) in run.err
    assert len(report.stem.rsplit("-", 1)[1]) >= 16  # random, not the pid
    assert stat.S_IMODE((_private_dirs / "crash").stat().st_mode) == 0o700


# --- 17.9 Output modes --------------------------------------------------------------------------


def test_output_replacing_a_setuid_symlink_target_is_plain(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = _write(tmp_path / "elsewhere.bin", b"victim")
    target.chmod(0o4755)
    (out / f"{PROJECT.stem}.json").symlink_to(target)
    run = run_cli(["build", str(PROJECT), "-o", str(out)])
    assert run.code == 0, run.err
    made = out / f"{PROJECT.stem}.json"
    assert not made.is_symlink()
    mode = stat.S_IMODE(made.stat().st_mode)
    assert not mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX)
    assert not mode & 0o111, oct(mode)  # the target's execute bits are not copied either
    assert target.read_bytes() == b"victim"


@pytest.mark.parametrize("special", [0o4755, 0o2755, 0o1755, 0o6775])
def test_rewritten_output_drops_special_bits(special: int, tmp_path: Path) -> None:
    out = tmp_path / "out"
    made = _write(out / f"{PROJECT.stem}.json", b"old")
    made.chmod(special)
    assert run_cli(["build", str(PROJECT), "-o", str(out)]).code == 0
    assert stat.S_IMODE(made.stat().st_mode) == special & 0o777


# --- 17.6 Profiles that shadow built-in ones --------------------------------------------------


def _shadowed_set(tmp_path: Path) -> Path:
    folder = tmp_path / "submission"
    _write(folder / "profiles" / "gansu-project.toml", (L001 / "profiles" / "gansu-project.toml").read_bytes())
    _write(folder / "a.perf", (L001 / "fail.perf").read_bytes())
    return folder


def test_shadowing_profile_is_announced_and_can_be_refused(tmp_path: Path) -> None:
    folder = _shadowed_set(tmp_path)
    plain = run_cli(["check", str(folder)])
    assert plain.code == 0  # the local profile relaxed the rules …
    assert "PD-L001" in plain.out and "profiles/gansu-project.toml" in plain.out  # … and says so
    quiet = run_cli(["check", "-q", str(folder)])
    assert "PD-L001" in quiet.out
    for fmt in ("json", "gnu", "sarif"):
        assert "PD-L001" in run_cli(["check", "--format", fmt, str(folder)]).out
    refused = run_cli(["check", "--no-local-profiles", str(folder)])
    assert refused.code == 1 and "PD-R001" in refused.out and "PD-L001" not in refused.out
    built = run_cli(["build", "--no-local-profiles", str(folder), "-o", str(tmp_path / "out")])
    assert built.code == 1 and not (tmp_path / "out").exists()


def test_profiles_command_marks_a_shadowing_profile(tmp_path: Path) -> None:
    folder = _shadowed_set(tmp_path)
    run = run_cli(["profiles", "--profile-dir", str(folder / "profiles")])
    (line,) = [x for x in run.out.splitlines() if x.startswith("gansu-project\t")]
    assert "覆盖" in line and "PD-L001" in line
    assert all("覆盖" not in x for x in run.out.splitlines() if not x.startswith("gansu-project\t"))


def test_no_local_profiles_environment_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _shadowed_set(tmp_path)
    monkeypatch.setenv("PERFDSL_NO_LOCAL_PROFILES", "1")
    run = run_cli(["check", str(folder)])
    assert run.code == 1 and "PD-L001" not in run.out
    from perfdsl.api import check_paths

    assert check_paths([str(folder)]).has_errors
    assert not check_paths([str(folder)], local_profiles=True).has_errors


def test_shadowing_cannot_be_waived(tmp_path: Path) -> None:
    folder = _shadowed_set(tmp_path)
    text = (folder / "a.perf").read_text(encoding="utf-8")
    (folder / "a.perf").write_text(text.replace("项目 测试项目 {", '#[allow(PD-L001, 理由 = "无")]\n项目 测试项目 {'),
                                   encoding="utf-8")
    run = run_cli(["check", str(folder)])
    assert "警告[PD-L001]" in run.out and "PD-W003" in run.out


def test_profile_with_its_own_id_is_not_announced(tmp_path: Path) -> None:
    folder = tmp_path / "own"
    _write(folder / "profiles" / "mine.toml", 'id = "本单位-项目"\nextends = "mof2021"\n')
    _write(folder / "a.perf", (L001 / "pass.perf").read_text(encoding="utf-8").replace("mof2021", "本单位-项目"))
    run = run_cli(["check", str(folder)])
    assert run.code == 0 and "PD-L001" not in run.out


# --- 17.10 fmt and links ------------------------------------------------------------------------

UNFORMATTED = _project(PROJECT_TITLE).replace(">= 2600 人", ">=2600人")


def test_fmt_formats_the_symlink_target_and_keeps_the_link(tmp_path: Path) -> None:
    real = _write(tmp_path / "real" / "a.perf", UNFORMATTED)
    link = tmp_path / "work" / "a.perf"
    link.parent.mkdir()
    link.symlink_to(real)
    run = run_cli(["fmt", str(link)])
    assert run.code == 0, run.err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert ">= 2600 人" in real.read_text(encoding="utf-8")
    assert run_cli(["fmt", "--check", str(link)]).code == 0


def test_fmt_keeps_hard_links(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.perf", UNFORMATTED)
    b = tmp_path / "b.perf"
    os.link(a, b)
    run = run_cli(["fmt", str(a)])
    assert run.code == 1
    assert "硬链接" in run.err
    assert a.stat().st_ino == b.stat().st_ino and a.stat().st_nlink == 2
    assert a.read_text(encoding="utf-8") == UNFORMATTED


def test_fmt_respects_read_only_files(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.perf", UNFORMATTED)
    a.chmod(0o444)
    run = run_cli(["fmt", str(a)])
    assert run.code == 1 and "只读" in run.err
    assert a.read_text(encoding="utf-8") == UNFORMATTED
    assert stat.S_IMODE(a.stat().st_mode) == 0o444
    assert run_cli(["fmt", "--check", str(a)]).code == 1  # still reported as needing formatting


# --- 17.11 Two builds to one folder -------------------------------------------------------------


def test_second_build_waits_for_the_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a first build would hold it while writing
    proc = subprocess.Popen([str(PERFDSL), "build", str(PROJECT), "-o", str(out), "-j1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), text=True)
    try:
        assert proc.stderr is not None
        seen = ""
        while "等待" not in seen:
            line = proc.stderr.readline()
            assert line, seen
            seen += line
        assert list(out.iterdir()) == []  # nothing written while the other build holds the folder
    finally:
        os.close(fd)
    _out, err_text = proc.communicate(timeout=120)
    assert proc.returncode == 0, err_text
    assert (out / f"{PROJECT.stem}.json").exists()


def test_concurrent_builds_leave_one_whole_set(tmp_path: Path) -> None:
    """Two builds of different sources to one -o: the files all come from one of them."""
    sources = []
    for tag in ("甲", "乙"):  # same set name, so the same output names; a marker inside
        folder = tmp_path / tag
        for f in EXAMPLES.glob("*.perf"):
            _write(folder / f.name, f.read_text(encoding="utf-8").replace("享受待遇人数", f"享受待遇人数{tag}"))
        sources.append(folder)
    out = tmp_path / "out"
    for _round in range(2):
        procs = [subprocess.Popen([str(PERFDSL), "build", str(s), "-o", str(out), "--split", "--to", "json,xlsx",
                                   "--allow-errors", "-j1"], env=_env(), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for s in sources]
        assert [p.wait(timeout=300) for p in procs] == [0, 0]
        tags = set()
        for j in out.glob("*.json"):
            text = j.read_text(encoding="utf-8")
            tags |= {t for t in ("甲", "乙") if f"享受待遇人数{t}" in text}
        assert len(tags) == 1, f"outputs mix both builds: {tags}"
        assert not _no_temps(out)


# --- 16.4 Signals ---------------------------------------------------------------------------------


def _old_and_new_outputs(tmp_path: Path) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """A build folder filled with an older build, and what the new build writes."""
    old_src = tmp_path / "old-src"
    for f in EXAMPLES.glob("*.perf"):
        _write(old_src / f.name, f.read_text(encoding="utf-8").replace("享受待遇人数", "享受待遇人数旧"))
    env = _env(SOURCE_DATE_EPOCH="1700000000")
    args = ["--split", "--to", "json,docx,xlsx", "--allow-errors", "-j1"]
    new_dir, out = tmp_path / "new", tmp_path / "out"
    subprocess.run([str(PERFDSL), "build", str(EXAMPLES), "-o", str(new_dir), *args], env=env, check=True,
                   capture_output=True)
    subprocess.run([str(PERFDSL), "build", str(old_src), "-o", str(out), *args], env=env, check=True,
                   capture_output=True)
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    new = {p.name: p.read_bytes() for p in new_dir.iterdir()}
    assert set(old) == set(new) and old != new
    return out, old, new


def _kill_when(proc: subprocess.Popen[bytes], sig: int, folder: Path, delay: float | None) -> None:
    """Send `sig` after `delay` seconds, or (delay None) as soon as a temporary file appears."""
    deadline = time.monotonic() + 60
    if delay is not None:
        time.sleep(delay)
    else:
        while time.monotonic() < deadline and proc.poll() is None:
            if any(p.name.endswith(".tmp") for p in folder.iterdir()):
                break
            time.sleep(0.0005)
    if proc.poll() is None:
        proc.send_signal(sig)
    proc.wait(timeout=120)


SIGNALS = [signal.SIGTERM, signal.SIGHUP, signal.SIGINT]


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_build_killed_leaves_no_temp_and_whole_files(sig: int, tmp_path: Path) -> None:
    out, old, new = _old_and_new_outputs(tmp_path)
    rng = random.Random(f"build-{sig}")
    env = _env(SOURCE_DATE_EPOCH="1700000000")
    # First kill as soon as a temporary file exists (inside the write phase), then at random moments.
    for delay in [None, *(rng.uniform(0.2, 2.5) for _ in range(2))]:
        proc = subprocess.Popen([str(PERFDSL), "build", str(EXAMPLES), "-o", str(out), "--split",
                                 "--to", "json,docx,xlsx", "--allow-errors", "-j1"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _kill_when(proc, sig, out, delay)
        assert proc.returncode in (0, 128 + sig, 130, -sig), proc.stderr.read() if proc.stderr else ""
        assert not _no_temps(out), f"{signal.Signals(sig).name} after {delay}: {_no_temps(out)}"
        for p in out.iterdir():
            assert p.read_bytes() in (old[p.name], new[p.name]), f"{p.name} is neither old nor new"
        if proc.stderr:
            err = proc.stderr.read().decode("utf-8")
            if proc.returncode != -sig:  # -sig: killed while Python was still starting up
                assert "Traceback" not in err
            proc.stderr.close()


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_fmt_killed_leaves_no_temp_and_whole_files(sig: int, tmp_path: Path) -> None:
    rng = random.Random(f"fmt-{sig}")
    src = tmp_path / "src"
    for i in range(40):
        _write(src / f"{i:02d}.perf", _project(f"项目{i:02d}").replace(">= 2600 人", ">=2600人") + "\n" * 3)
    old = {p.name: p.read_bytes() for p in src.iterdir()}
    scratch = tmp_path / "scratch"
    subprocess.run(["cp", "-r", str(src), str(scratch)], check=True)
    subprocess.run([str(PERFDSL), "fmt", str(scratch)], env=_env(), check=True, capture_output=True)
    new = {p.name: p.read_bytes() for p in scratch.iterdir()}
    assert all(old[n] != new[n] for n in old)
    for delay in [None, *(rng.uniform(0.2, 2.0) for _ in range(2))]:
        for p in src.iterdir():
            p.write_bytes(old[p.name])
        proc = subprocess.Popen([str(PERFDSL), "fmt", str(src)], env=_env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        _kill_when(proc, sig, src, delay)
        assert proc.returncode in (0, 128 + sig, 130, -sig)
        assert not _no_temps(src), f"{signal.Signals(sig).name} after {delay}"
        assert sorted(p.name for p in src.iterdir()) == sorted(old)
        for p in src.iterdir():
            assert p.read_bytes() in (old[p.name], new[p.name])


# --- 17.12 Terminal escapes ------------------------------------------------------------------------

ESC_TITLE = "\x1b[2J\x1b[H假的标题\x1b[31m\x9b2J\u202e反向"


def _raw_controls(text: str) -> list[str]:
    return sorted({c for c in text if (unicodedata.category(c) == "Cc" and c not in "\n\t")
                   or "\u202a" <= c <= "\u202e"})


def test_check_escapes_control_characters(tmp_path: Path) -> None:
    bad = _write(tmp_path / "t.perf", _project(ESC_TITLE).replace("享受待遇人数 >= 2600 人", f"享受{ESC_TITLE} >= abc 人"))
    for fmt in ("text", "gnu"):
        run = run_cli(["check", "--format", fmt, str(bad)])
        assert run.code == 1
        assert _raw_controls(run.out + run.err) == [], fmt
        assert "\\u001b" in run.out
    js = run_cli(["check", "--format", "json", str(bad)])
    json.loads(js.out)  # still valid JSON


def test_carets_stay_aligned_after_escaping(tmp_path: Path) -> None:
    bad = _write(tmp_path / "t.perf", _project("标题").replace("享受待遇人数 >= 2600 人", "享受\x1b待遇人数 >= abc 人"))
    run = run_cli(["check", str(bad)])
    lines = run.out.splitlines()
    i = next(n for n, line in enumerate(lines) if "\\u001b" in line and " | " in line)
    shown, carets = lines[i].split(" | ", 1)[1], lines[i + 1].split(" | ", 1)[1]
    start = len(carets) - len(carets.lstrip(" "))
    # the carets sit under `abc`, counting display columns (CJK = 2)
    from perfdsl.source import display_width

    prefix_width = display_width(shown[: shown.index("abc")])
    assert start == prefix_width, (shown, carets)


def test_output_names_never_carry_control_characters(tmp_path: Path) -> None:
    src = _write(tmp_path / "t.perf", _project(ESC_TITLE))
    run = run_cli(["build", "--split", "--allow-errors", str(src), "-o", str(tmp_path / "out")])
    assert run.code == 0, run.err
    names = [p.name for p in (tmp_path / "out").iterdir()]
    assert names and all(_raw_controls(n) == [] for n in names), names


def test_terminal_output_is_escaped(tmp_path: Path) -> None:
    """On a terminal, every line perfdsl prints (here: fmt's file names) is escaped."""
    import pty

    name = "坏\x1b]0;标题\x07\x1b[2J名.perf"
    _write(tmp_path / name, UNFORMATTED)
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(PERFDSL), "fmt", str(tmp_path)], stdout=slave, stderr=slave, env=_env())
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    shown = b"".join(chunks).decode("utf-8")
    assert "已整理" in shown
    assert "\x1b" not in shown and "\x07" not in shown, repr(shown)


# --- 17.13 Broken pipes ------------------------------------------------------------------------------


def test_check_into_a_closed_pipe_keeps_the_exit_code(tmp_path: Path) -> None:
    body = "".join(f"  产出.数量.指标{i} >= abc 人\n" for i in range(3000))
    bad = _write(tmp_path / "many.perf", _project("很多错误").replace("}\n", body + "}\n", 1))
    proc = subprocess.Popen([str(PERFDSL), "check", str(bad)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=_env())
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()  # `| head -1`
    proc.stdout.close()
    err = proc.stderr.read().decode("utf-8")
    assert proc.wait(timeout=120) == 1, err
    assert first and "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err


# --- 17.14 / 17.15 Output names -------------------------------------------------------------------


def _split_set(folder: Path, titles: list[str]) -> Path:
    for i, t in enumerate(titles):
        _write(folder / f"{i:02d}.perf", _project(t))
    return folder


def test_long_chinese_titles_fit_the_byte_limit(tmp_path: Path) -> None:
    titles = ["社" * 80 + "甲", "社" * 80 + "乙", "保" * 90]
    src = _split_set(tmp_path / "长标题单位", titles)
    out = tmp_path / "out"
    run = run_cli(["build", "--split", "--allow-errors", "--to", "json,docx,xlsx", str(src), "-o", str(out)])
    assert run.code == 0, run.err
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 9  # three projects × three formats, none lost to a clash
    from perfdsl.commands.common import OUTPUT_NAME_MAX_BYTES

    assert all(len(n.encode()) <= OUTPUT_NAME_MAX_BYTES for n in names)
    assert OUTPUT_NAME_MAX_BYTES + len(".") + len(".12345678.tmp") <= 255
    for p in out.glob("*.json"):
        assert json.loads(p.read_text(encoding="utf-8"))


def test_fmt_writes_a_file_with_a_name_of_255_bytes(tmp_path: Path) -> None:
    name = "社" * 83 + ".perf"  # 249 + 5 = 254 bytes: the temporary file name must be shortened
    assert len(name.encode()) <= 255
    f = _write(tmp_path / name, UNFORMATTED)
    run = run_cli(["fmt", str(f)])
    assert run.code == 0, run.err
    assert ">= 2600 人" in f.read_text(encoding="utf-8")
    assert not _no_temps(tmp_path)


@pytest.mark.parametrize(("pair", "said"), [
    (("ABC", "abc"), "Windows"),
    ((unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")), "Windows"),
    (("同名", "同名"), "同名文件"),
], ids=["case", "nfc-nfd", "same"])
def test_names_that_collide_on_windows_or_macos_are_reported(pair: tuple[str, str], said: str,
                                                            tmp_path: Path) -> None:
    src = _split_set(tmp_path / "单位", list(pair))
    out = tmp_path / "out"
    run = run_cli(["build", "--split", "--allow-errors", str(src), "-o", str(out)])
    assert run.code == 2
    assert said in run.err and "未写入任何文件" in run.err
    assert not out.exists() or not list(out.iterdir())


# --- 17.16 SOURCE_DATE_EPOCH ---------------------------------------------------------------------


@pytest.mark.parametrize(("epoch", "year"), [("4354819200", 2107), ("99999999999", 2107), ("0", 1980),
                                             ("-86400", 1980)])
def test_source_date_epoch_is_clamped_to_the_zip_range(epoch: str, year: int, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    run = run_cli(["build", str(PROJECT), "--to", "docx,xlsx", "-o", str(tmp_path / "out")])
    assert run.code == 0, run.err
    assert "SOURCE_DATE_EPOCH" in run.err and "警告" in run.err
    for p in (tmp_path / "out").iterdir():
        with zipfile.ZipFile(p) as z:
            if p.suffix == ".docx":  # the xlsx writer keeps 1980 in the zip; its date is in core.xml
                assert {i.date_time[0] for i in z.infolist()} == {year}
            assert f"<dcterms:created xsi:type=\"dcterms:W3CDTF\">{year}-" in z.read("docProps/core.xml").decode()


def test_source_date_epoch_in_range_is_silent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    run = run_cli(["build", str(PROJECT), "--to", "docx", "-o", str(tmp_path / "out")])
    assert run.code == 0 and "SOURCE_DATE_EPOCH" not in run.err


# --- 17.18 fmt keeps the JSON identical --------------------------------------------------------------


def _json_of(path: Path, out: Path) -> dict[str, object]:
    run = run_cli(["build", str(path), "--allow-errors", "-o", str(out)])
    assert run.code == 0, run.err
    (made,) = out.glob("*.json")
    data = json.loads(made.read_text(encoding="utf-8"))
    for f in data.get("findings", []) if isinstance(data, dict) else []:
        f.pop("line", None)
        f.pop("column", None)  # fmt may move lines; the findings themselves must stay
    return data  # type: ignore[no-any-return]


def test_fmt_full_width_units_keep_the_json(tmp_path: Path) -> None:
    text = _project("单位测试").replace(">= 93 %", ">= 93 ％") + ""
    text = text.replace("}\n", "  成本.经济成本.人均补助标准 = 3.84 万元／人．年\n  产出.质量.发放率 = 100 ％\n}\n", 1)
    f = _write(tmp_path / "u.perf", text)
    original = _write(tmp_path / "orig" / "u.perf", text)
    before = _json_of(f, tmp_path / "a")
    assert run_cli(["fmt", str(f)]).code == 0
    assert f.read_text(encoding="utf-8") != text  # fmt did rewrite the units
    diff = run_cli(["diff", str(original), str(f)])
    assert diff.code == 0 and "单位" not in diff.out, diff.out
    assert _json_of(f, tmp_path / "b") == before
    units = {i["target"].get("unit") for d in before["declarations"] for i in d["indicators"]}  # type: ignore[index, union-attr]
    assert "万元/人.年" in units and "％" not in units


_FULL = st.sampled_from([("%", "％"), ("万元/人.年", "万元／人．年"), ("万元/人.年", "万元/人．年")])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(gen=projects(), swaps=st.lists(_FULL, max_size=3), data=st.data())
def test_property_json_of_fmt_equals_json(gen, swaps, data, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """JSON(fmt(x)) == JSON(x), with units written in full-width forms too."""
    lines = gen.text.splitlines(keepends=True)
    for half, full in swaps:
        idx = [i for i, line in enumerate(lines) if f" {half}" in line and line.startswith("  ") and "." in line]
        if idx:
            i = data.draw(st.sampled_from(idx))
            lines[i] = lines[i].replace(f" {half}", f" {full}", 1)
    case = tmp_path / f"case{data.draw(st.integers(0, 10**9))}"
    f = _write(case / "x.perf", "".join(lines))
    before = _json_of(f, case / "a")
    run = run_cli(["fmt", str(f)])
    assert run.code in (0, 1), run.err
    assert _json_of(f, case / "b") == before


# --- 14.11 check -q with waived findings -------------------------------------------------------------


def test_quiet_check_counts_waived_findings() -> None:
    run = run_cli(["check", "-q", str(EXAMPLES)])
    assert run.code == 0
    assert "1 条已豁免" in run.out and "没有发现问题" not in run.out
    assert "已豁免[" not in run.out  # -q does not list them, it counts them


def test_sighup_ignored_by_nohup_stays_ignored(tmp_path: Path) -> None:
    out, _old, new = _old_and_new_outputs(tmp_path)

    def ignore_hup() -> None:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # what nohup does before exec

    proc = subprocess.Popen([str(PERFDSL), "build", str(EXAMPLES), "-o", str(out), "--split",
                             "--to", "json,docx,xlsx", "--allow-errors", "-j1"],
                            env=_env(SOURCE_DATE_EPOCH="1700000000"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, preexec_fn=ignore_hup)
    _kill_when(proc, signal.SIGHUP, out, None)
    assert proc.returncode == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == new
