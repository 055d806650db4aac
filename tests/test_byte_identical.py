"""Performance work must not change a single output byte.

The hashes in tests/golden/outputs/sha256.json were taken from main's own code, not this
branch's, before the fast path, the cheap records and the slim workers (issue 15, main
c83e5f9); main c1bbf73 and f5b3614 gave the same hashes. Main 0c05447 (DOCX and XLSX
rendered from the profiles' layout data) changed the DOCX/XLSX bytes on purpose: the hashes
were re-taken from main c21d737's own code, which this branch matches byte for byte.
The check-report hashes were re-taken when the eight real-form examples joined examples/
(they are checked too); the seed's outputs did not change.
The SARIF report is hashed without its rule list and rule indexes, which follow the
diagnostics catalogue (a new code added elsewhere must not look like a change made here). Regenerate only on purpose, and only
after checking that main's code gives the same bytes:
`PERFDSL_REGEN=1 .venv/bin/pytest tests/test_byte_identical.py`.
"""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from conftest import ROOT, run_cli

HASHES = ROOT / "tests" / "golden" / "outputs" / "sha256.json"

# (name, CLI arguments); paths are relative to the repository root, as a user types them.
RUNS: list[tuple[str, list[str]]] = [
    ("ningxian", ["build", "examples/ningxian-2025", "--to", "docx,xlsx,json"]),
    ("ningxian-split", ["build", "examples/ningxian-2025", "--to", "docx,xlsx,json", "--split"]),
    ("ningxian-fasp2", ["build", "examples/ningxian-2025", "--to", "xlsx", "--dialect", "fasp2"]),
    ("mof2021", ["build", "examples/mof2021-demo", "--to", "docx,xlsx,json"]),
]
CHECKS: list[tuple[str, list[str]]] = [
    ("check-text", ["check", "examples"]),
    ("check-json", ["check", "examples", "--format", "json"]),
    ("check-sarif", ["check", "examples", "--format", "sarif"]),
]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_digest(name: str, out: str) -> str:
    """The report's hash; SARIF without its rule list, which lists every code in the catalogue
    (a new diagnostic code elsewhere must not look like a change made here)."""
    if name == "check-sarif":
        log = json.loads(out)
        for run in log["runs"]:
            run["tool"]["driver"].pop("rules", None)
            for res in run.get("results", []):
                res.pop("ruleIndex", None)
        out = json.dumps(log, ensure_ascii=False, indent=2) + "\n"
    return _digest(out.encode("utf-8"))


@pytest.fixture(scope="module")
def produced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out: dict[str, str] = {}
    for jobs in ("1", "2"):
        for name, args in RUNS:
            folder = tmp_path_factory.mktemp(f"{name}-{jobs}")
            res = run_cli(*args, "-o", str(folder), "-j", jobs, cwd=ROOT)
            assert res.code == 0, res.text
            for f in sorted(folder.iterdir()):
                key = f"{name}/{f.name}"
                digest = _digest(f.read_bytes())
                assert out.setdefault(key, digest) == digest, f"{key} differs between -j 1 and -j {jobs}"
        for name, args in CHECKS:
            res = run_cli(*args, "-j", jobs, cwd=ROOT)
            assert res.code == 0, res.text
            digest = _check_digest(name, res.out)
            assert out.setdefault(name, digest) == digest, f"{name} differs between -j 1 and -j {jobs}"
    return out


def test_outputs_are_byte_identical_to_the_committed_hashes(produced: dict[str, str]) -> None:
    if os.environ.get("PERFDSL_REGEN"):
        HASHES.write_text(json.dumps(produced, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(HASHES.read_text(encoding="utf-8"))
    assert produced == expected
