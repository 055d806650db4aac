"""The benchmark corpus is valid, deterministic, and `benchmarks/run.py --quick` runs."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from perfdsl.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _corpus_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "benchmarks" / "corpus.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_generated_sets_are_valid_and_shaped(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    corpus = _corpus_module()
    stats = corpus.generate(tmp_path / "c", n=12, seed=3)
    assert stats["sets"] == 12
    folders = sorted((tmp_path / "c").iterdir())
    assert len(folders) == 12
    for folder in folders:
        files = sorted(f.name for f in folder.glob("*.perf"))
        assert files[0] == "00-部门整体.perf"
        assert 3 <= len(files) <= 7  # department + 2–6 projects
    code = main(["check", "-j", "1", "--format", "json", str(tmp_path / "c")])
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out[:3]
    assert out == [] or all(d["severity"] != "error" for d in out)
    # Each project has 10–60 indicators, and the budget grid adds up (no PD-M codes at all).
    from perfdsl.api import check_paths

    res = check_paths([str(tmp_path / "c")])
    assert not [d for d in res.diagnostics if d.code.startswith("PD-M")]
    for s in res.sets:
        projects = s.dset.projects
        assert 2 <= len(projects) <= 6
        assert all(10 <= len(p.indicators) <= 60 for p in projects)
        assert {p.profile.id for p in projects} <= {"gansu-project", "mof2021"}


def test_generator_is_deterministic(tmp_path: Path) -> None:
    corpus = _corpus_module()
    corpus.generate(tmp_path / "a", n=3, seed=7)
    corpus.generate(tmp_path / "b", n=3, seed=7)
    a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*.perf")}
    b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*.perf")}
    assert a == b and a


def test_json_twin_matches_the_json_backend(tmp_path: Path) -> None:
    corpus = _corpus_module()
    corpus.generate(tmp_path / "c", n=2, seed=1)
    corpus.write_json(tmp_path / "c", tmp_path / "j")
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((tmp_path / "j").iterdir())]
    assert len(docs) == 2
    assert all(d["format"] == "perfdsl" and d["declarations"][0]["kind"] == "department" for d in docs)


def test_run_quick_executes(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--n", "4", "--build-sets", "2",
         "--corpus-dir", str(tmp_path / "corpus"), "--results-dir", str(tmp_path / "results")],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = list((tmp_path / "results").glob("*.json"))
    assert len(results) == 1
    data = json.loads(results[0].read_text(encoding="utf-8"))
    figs = data["figures"]
    assert "error" not in figs["check"], figs["check"]
    assert figs["check"]["ratio"] > 0 and figs["cold"]["ratio"] > 0
    assert "json_s" in figs["build"]
    assert "check 语料" in proc.stdout
