"""A one-file `perfdsl check` imports only what it needs (cold start, issue 15).

Run as a user would (a fresh interpreter), twice: the first run may derive and cache the
fast path's tables and the parsed TOML; the second must then import neither Lark nor
attrs, tomllib, importlib.resources, the crash-report, JSON, pickle, diff or other
subcommands' modules, nor any backend library.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONE = ROOT / "examples" / "ningxian-2025" / "02-企业厂长经理生活费.perf"

NOT_IMPORTED = (
    "lark", "attr", "attrs", "tomllib", "importlib.resources", "zipfile", "subprocess", "tempfile", "traceback",
    "pickle", "json", "hashlib", "shutil", "difflib", "inspect", "multiprocessing", "concurrent.futures",
    "docx", "openpyxl", "xlsxwriter", "jinja2", "lxml", "pygls",
    "perfdsl.cache", "perfdsl.sarif", "perfdsl.semdiff", "perfdsl.formatter", "perfdsl.syntax_errors",
    "perfdsl.backends", "perfdsl.commands.build_cmd", "perfdsl.commands.diff_cmd", "perfdsl.commands.fmt_cmd",
    "perfdsl.commands.import_cmd", "perfdsl.commands.lsp_cmd",
)

CODE = """
import sys
from perfdsl.cli import main
rc = main(sys.argv[1:])
sys.stdout.flush()
print()
print(repr((rc, sorted(sys.modules))))
"""


def _run(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    env = {"PERFDSL_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", CODE, *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, check=False)
    rc, modules = ast.literal_eval(proc.stdout.strip().splitlines()[-1])
    return rc, set(modules)


def test_one_file_check_imports_nothing_heavy(tmp_path: Path) -> None:
    _run(tmp_path, "check", str(ONE))  # derives and caches
    rc, modules = _run(tmp_path, "check", str(ONE))
    assert rc == 0
    loaded = sorted(m for m in NOT_IMPORTED if m in modules)
    assert loaded == []
    assert "perfdsl.fastpath" in modules and "perfdsl.commands.check_cmd" in modules


def test_the_guard_is_not_vacuous(tmp_path: Path) -> None:
    """The same probe sees the modules a run really uses (JSON output, a syntax error)."""
    broken = tmp_path / "坏.perf"
    broken.write_text("项目 坏 {\n  产出.数量.人数 >= 多 人\n}\n", encoding="utf-8")
    rc, modules = _run(tmp_path, "check", "--format", "json", str(broken))
    assert rc == 1
    assert {"json", "lark", "perfdsl.syntax_errors"} <= modules
