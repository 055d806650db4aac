"""Parallel checking (-j N) gives exactly the sequential result, in the same order."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from perfdsl.api import UsageError, check_paths
from perfdsl.parallel import MIN_CHUNK, default_jobs, effective_jobs, guided_chunks

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "ningxian-2025"

BAD = """项目 坏项目 {
  模板: gansu-project
  产出.数量.人数 >= 多 人
  满意度.服务对象满意度.满意度 >= 50 %
}
"""


def _tree(tmp: Path, n: int) -> list[str]:
    """n small sets, some with errors, so diagnostics and their order are compared too."""
    src = sorted(EXAMPLE.glob("*.perf"))
    for i in range(n):
        d = tmp / f"set{i:02d}"
        d.mkdir()
        for f in src[: 1 + i % len(src)]:
            (d / f.name).write_bytes(f.read_bytes())
        if i % 3 == 0:
            (d / "99-坏.perf").write_text(BAD, encoding="utf-8")
    return [str(tmp)]


def _cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perfdsl", *args], capture_output=True, text=True,
                          cwd=ROOT, check=False)


def test_parallel_result_equals_sequential(tmp_path: Path) -> None:
    paths = _tree(tmp_path, 9)
    seq = check_paths(paths, jobs=1)
    par = check_paths(paths, jobs=2)
    assert [s.dset.root for s in par.sets] == [s.dset.root for s in seq.sets]
    assert par.diagnostics == seq.diagnostics
    assert [s.dset for s in par.sets] == [s.dset for s in seq.sets]
    assert list(par.sources) == list(seq.sources)
    assert any(d.severity == "error" for d in par.diagnostics)


def test_cli_output_identical_for_any_jobs(tmp_path: Path) -> None:
    paths = _tree(tmp_path, 9)
    outs = [_cli(["check", "-j", str(j), *paths]) for j in (1, 2, 3)]
    assert outs[0].returncode == 1
    assert outs[0].stdout and all(o.stdout == outs[0].stdout for o in outs)
    assert all(o.returncode == outs[0].returncode for o in outs)
    js = [_cli(["check", "-j", str(j), "--format", "json", *paths]).stdout for j in (1, 2)]
    assert js[0] == js[1]


def test_parallel_profiles_are_shared_objects(tmp_path: Path) -> None:
    paths = _tree(tmp_path, 9)
    par = check_paths(paths, jobs=2)
    profs = {id(d.profile) for s in par.sets for d in s.dset.declarations}
    ids = {d.profile.id for s in par.sets for d in s.dset.declarations}
    assert len(profs) == len(ids)  # one object per profile, not one copy per set


def test_results_are_picklable() -> None:
    res = check_paths([str(EXAMPLE)])
    again = pickle.loads(pickle.dumps(res))
    assert again.diagnostics == res.diagnostics
    assert again.sets[0].dset == res.sets[0].dset


def test_worker_usage_error_reaches_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import perfdsl.api as api

    paths = _tree(tmp_path, 9)
    real = api.compile_bytes

    def failing(path: str, data: bytes, dirs: tuple[str, ...] = ()) -> api.FileResult:
        if "set04" in path:
            raise UsageError(f"无法读取文件 {path}")
        return real(path, data, dirs)

    monkeypatch.setattr(api, "compile_bytes", failing)  # forked workers inherit the patch
    with pytest.raises(UsageError, match="set04"):
        check_paths(paths, jobs=2)


def test_small_inputs_stay_in_process() -> None:
    assert effective_jobs(8, [("a.perf", ["a.perf"], ())]) == 1
    assert effective_jobs(None, [("a", ["x"] * 50, ()), ("b", ["y"] * 50, ())]) == 1
    assert effective_jobs(2, [("a", ["x"] * 50, ()), ("b", ["y"] * 50, ())]) == 2
    assert default_jobs() >= 1


def test_jobs_option_in_help() -> None:
    for cmd in ("check", "build"):
        out = _cli([cmd, "-h"]).stdout
        assert "-j N, --jobs N" in out and "--cache" in out


def test_build_renders_in_workers_with_identical_bytes(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    paths = _tree(tmp_path / "in", 9)
    for i, dept in enumerate(sorted((tmp_path / "in").glob("set*/00-部门整体.perf"))):
        dept.write_text(dept.read_text(encoding="utf-8").replace("宁县社会保险局", f"宁县社会保险局{i}"), encoding="utf-8")
    outs = []
    for j in ("1", "2"):
        out = tmp_path / f"out{j}"
        res = _cli(["build", "-j", j, "--allow-errors", "--to", "json,docx,xlsx", "-o", str(out), *paths])
        assert res.returncode == 0, res.stderr
        outs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert len(outs[0]) == 27 and outs[0] == outs[1]


def test_check_workers_send_back_no_model(tmp_path: Path) -> None:
    """`perfdsl check` gets reports (diagnostics) and only the sources its excerpts need."""
    import pickle as pk

    from perfdsl.api import iter_check
    from perfdsl.parallel import SetReport

    paths = _tree(tmp_path, 9)
    full = list(iter_check(paths, jobs=2))
    slim = list(iter_check(paths, jobs=2, slim=True))
    assert [r.diagnostics for r, _s, _p in slim] == [s.diagnostics for s, _src in full]
    assert [p for _r, _s, p in slim] == [list(src) for _s, src in full]
    for (rep, sources, _p), (sres, _src) in zip(slim, full, strict=True):
        assert type(rep) is SetReport and rep.name == sres.dset.name and rep.has_errors == sres.has_errors
        assert set(sources) == {d.span.path for d in sres.diagnostics}
    assert len(pk.dumps(slim)) * 2 < len(pk.dumps([s for s, _src in full]))


@pytest.mark.parametrize("count", [0, 1, 4, 5, 6, 17, 64, 500, 2491])
@pytest.mark.parametrize("workers", [2, 3, 8])
def test_guided_chunks_cover_every_unit_once_in_order(count: int, workers: int) -> None:
    """The pieces sent to the workers: every unit once, in order; big pieces first, none
    smaller than MIN_CHUNK but the last; the last pieces small (the workers finish together)."""
    pieces = guided_chunks(count, workers)
    assert [i for a, b in pieces for i in range(a, b)] == list(range(count))
    sizes = [b - a for a, b in pieces]
    assert all(s >= MIN_CHUNK for s in sizes[:-1])
    assert sizes == sorted(sizes, reverse=True)
    if count >= 4 * workers * MIN_CHUNK:
        assert sizes[0] == count // (4 * workers) and sizes[-2] == MIN_CHUNK
    if count >= 500 and workers <= 3:  # far fewer round trips than small pieces throughout
        assert len(pieces) <= count // MIN_CHUNK * 2 // 5
