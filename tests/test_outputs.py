"""Written files look like ordinary files: normal permissions, and fmt keeps a source's mode."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from conftest import EXAMPLE, ROOT, run_cli


def test_build_outputs_get_normal_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        res = run_cli("build", str(ROOT / "examples" / "mof2021-demo"), "--to", "json,docx,xlsx", "-o", str(tmp_path))
    finally:
        os.umask(old)
    assert res.code == 0, res.text
    modes = {p.suffix: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == {".json": 0o644, ".docx": 0o644, ".xlsx": 0o644}


def test_fmt_keeps_the_source_mode(tmp_path: Path) -> None:
    src = tmp_path / "a.perf"
    shutil.copy(EXAMPLE / "02-企业厂长经理生活费.perf", src)
    src.write_text(src.read_text(encoding="utf-8").replace("500-1940 元", "500-1940元"), encoding="utf-8")
    src.chmod(0o640)
    assert run_cli("fmt", str(src)).code == 0
    assert "500-1940 元" in src.read_text(encoding="utf-8")
    assert stat.S_IMODE(src.stat().st_mode) == 0o640


def test_a_folder_without_declarations_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "空").mkdir()
    res = run_cli("check", str(tmp_path / "空"))
    assert res.code == 2
    assert "没有 .perf 文件" in res.err


def test_check_output_does_not_depend_on_hash_seed(tmp_path: Path) -> None:
    # Several findings share one place (three PD-H001 on one group line): their order must not
    # come from set() iteration, which changes with Python's string hash seed.
    import subprocess
    import sys

    src = tmp_path / "a.perf"
    src.write_text(
        "部门整体 测试局 {\n  模板: gansu-dept\n  产出 {\n    数量.甲 >= 1 个\n    质量.乙 = 100 %\n"
        "    时效.丙 定性 及时\n    成本.丁 <= 1 万元\n  }\n}\n", encoding="utf-8")
    outs = set()
    for seed in ("1", "2", "3", "4", "5"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run([sys.executable, "-m", "perfdsl", "check", str(src)], capture_output=True,
                              env=env, cwd=tmp_path, timeout=60)
        outs.add(proc.stdout)
    assert len(outs) == 1
