"""`perfdsl build`: generate DOCX, XLSX, JSON and HTML for each declaration set.

With `--to html` and several sets, an index.html listing the pages is written beside them."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from perfdsl.commands.common import (
    add_parallel_options,
    add_profile_dir,
    local_profiles,
    locked_folder,
    name_problems,
    output_name,
    write_atomic,
)

if TYPE_CHECKING:
    from perfdsl.api import SetResult
    from perfdsl.backends import RenderOptions

# The zip format stores dates from 1980-01-01 to 2107-12-31 (DOS date fields).
ZIP_FIRST_EPOCH = 315532800  # 1980-01-01T00:00:00Z
ZIP_LAST_EPOCH = 4354819198  # 2107-12-31T23:59:58Z (two-second resolution)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("build", help="生成 Word、Excel、JSON、网页",
                       description="检查并为每个声明集生成输出文件。有错误时不生成，除非指定 --allow-errors。")
    p.add_argument("paths", nargs="+", metavar="路径", help=".perf 文件或文件夹")
    p.add_argument("--to", default="json", metavar="格式",
                   help="输出格式，逗号分隔：docx、xlsx、json、html（默认 json）")
    p.add_argument("-o", "--output", default="out", metavar="目录", help="输出文件夹（默认 out）")
    p.add_argument("--allow-errors", action="store_true", help="即使有错误也生成输出")
    p.add_argument("--split", action="store_true", help="每张表单独生成一个文件")
    p.add_argument("--reference-docx", metavar="文件", help="从这个 Word 文件取样式、页面设置、页眉页脚")
    from perfdsl.backends import DIALECTS

    p.add_argument("--dialect", choices=DIALECTS, default="native",
                   help="Excel 指标清单的写法：native（按模板，默认）；fasp2（预算管理一体化系统绩效模块的导入格式："
                        "其运算符，指标值不含“-”，区间拆成 ≥下限、≤上限 两行）")
    add_profile_dir(p)
    add_parallel_options(p)


def run(args: argparse.Namespace) -> int:
    """Check and render set by set (in workers with -j: only bytes come back), then write."""
    from functools import partial

    from perfdsl import report
    from perfdsl.api import UsageError, units_for
    from perfdsl.backends import BACKENDS, RenderOptions
    from perfdsl.diagnostics import Diagnostic
    from perfdsl.parallel import build_sets
    from perfdsl.profiles import ProfileError
    from perfdsl.source import SourceFile

    formats = [f.strip().lower() for f in args.to.split(",") if f.strip()]
    unknown = [f for f in formats if f not in BACKENDS]
    if unknown or not formats:
        sys.stderr.write(f"perfdsl：不支持的输出格式：{'、'.join(unknown) or '（空）'}；可用：{'、'.join(BACKENDS)}\n")
        return 2
    if args.reference_docx and not Path(args.reference_docx).is_file():
        sys.stderr.write(f"perfdsl：找不到参考 Word 文件：{args.reference_docx}\n")
        return 2
    # The workers render, so the options exist before the check; their warnings are
    # still shown where they always were: after the findings, and only if we go on.
    epoch, epoch_warnings = _source_date_epoch(os.environ.get("SOURCE_DATE_EPOCH"))
    options = RenderOptions(
        reference_docx=args.reference_docx,
        source_date_epoch=epoch,
        compiler_version=_version(),
        dialect=args.dialect,
    )
    render = partial(render_set, formats=tuple(formats), split=args.split, options=options,
                     allow_errors=args.allow_errors)
    if _jobs(args.jobs) > 1:  # forked workers inherit what the parent imported: a backend's
        _preload(formats)     # libraries are imported once here, not once in every worker
    diags: list[Diagnostic] = []
    sources: dict[str, SourceFile] = {}
    has_errors = False
    rendered: list[list[tuple[str, str, bytes]] | str] = []
    summaries: list[dict[str, object]] = []  # per set, for the HTML index
    try:
        units = units_for(args.paths, tuple(args.profile_dir), local_profiles(args))
        for rep, srcs, _paths, (outputs, summary) in build_sets(units, render, jobs=_jobs(args.jobs),
                                                                 use_cache=args.cache):
            diags.extend(rep.diagnostics)
            sources.update(srcs)
            has_errors = has_errors or rep.has_errors
            rendered.append(outputs)
            summaries.append(summary)
    except (UsageError, ProfileError) as exc:
        sys.stderr.write(f"perfdsl：{exc}\n")
        return 2
    sys.stderr.write(report.format_all_text(diags, sources))
    if has_errors and not args.allow_errors:
        sys.stderr.write("存在错误，未生成任何输出（如确需输出，请加 --allow-errors）。\n")
        return 1
    for warning in epoch_warnings:
        sys.stderr.write(warning)
    out = Path(args.output)
    written: list[Path] = []
    # Everything is rendered before anything is written: a failure leaves earlier outputs untouched.
    pending: list[tuple[Path, bytes]] = []
    for outputs in rendered:
        if isinstance(outputs, str):  # e.g. a broken --reference-docx
            sys.stderr.write(f"perfdsl：{outputs}\n")
            return 2
        pending.extend((out / output_name(name, ext), data) for name, ext, data in outputs)
    if "html" in formats and len(summaries) > 1:
        pending.append(_html_index(summaries, pending, out, options))
    # Every name is checked before anything is written: a clash or an over-long name
    # found half-way would leave a mix of old and new files.
    problems = name_problems([p for p, _ in pending])
    if problems:
        for msg in dict.fromkeys(problems):
            sys.stderr.write(f"perfdsl：{msg}\n")
        sys.stderr.write("perfdsl：未写入任何文件。请修改标题，或分开构建到不同的文件夹。\n")
        return 2

    def waiting() -> None:
        sys.stderr.write(f"perfdsl：另一个 perfdsl 正在写入 {out}，等待它完成……\n")
        sys.stderr.flush()

    try:
        with locked_folder(out, waiting):  # two builds to one folder write one after the other
            for path, data in pending:
                write_atomic(path, data)
                written.append(path)
    except OSError as exc:
        where = exc.filename or out
        sys.stderr.write(f"perfdsl：无法写入 {where}：{exc.strerror or exc}\n")
        return 2
    for p in written:
        sys.stdout.write(f"已生成 {p}\n")
    return 0


def _html_index(summaries: list[dict[str, object]], pending: list[tuple[Path, bytes]], out: Path,
                options: object) -> tuple[Path, bytes]:
    """index.html for several sets built as HTML: one row per page, in build order."""
    from perfdsl.backends import html

    pages = [p for p, _ in pending if p.suffix == html.EXTENSION]
    entries = [dict(summary, href=page.name) for summary, page in zip(summaries, pages, strict=False)]
    return out / "index.html", html.render_index(entries, options)


def source_date_epoch(text: str | None) -> int | None:
    """$SOURCE_DATE_EPOCH as a timestamp the zip format can hold, warning when clamped."""
    value, warnings = _source_date_epoch(text)
    for warning in warnings:
        sys.stderr.write(warning)
    return value


def _source_date_epoch(text: str | None) -> tuple[int | None, list[str]]:
    if text is None or not text.strip():
        return None, []
    try:
        value = int(text.strip())
    except ValueError:
        return None, [f"perfdsl：警告：SOURCE_DATE_EPOCH=“{text}”不是整数秒数，已忽略。\n"]
    clamped = min(max(value, ZIP_FIRST_EPOCH), ZIP_LAST_EPOCH)
    if clamped != value:
        when = "1980-01-01" if clamped == ZIP_FIRST_EPOCH else "2107-12-31"
        return clamped, [f"perfdsl：警告：SOURCE_DATE_EPOCH={value} 超出 Word/Excel 文件（zip 格式）"
                         f"能记录的日期范围（1980 至 2107 年），已按 {when} 处理。\n"]
    return clamped, []


def render_set(sres: SetResult, *, formats: tuple[str, ...], split: bool, options: RenderOptions,
               allow_errors: bool) -> tuple[list[tuple[str, str, bytes]] | str, dict[str, object]]:
    """One set's outputs as (name, extension, bytes) or a backend's input error message,
    and the set's summary for the HTML index (name, declarations, indicators).

    Runs where the set was checked (a -j worker), so only bytes travel back. A set with
    errors is not rendered unless `allow_errors` (nothing is written then anyway).
    """
    dset = sres.dset
    summary: dict[str, object] = {"name": dset.name, "declarations": len(dset.declarations),
                                  "indicators": sum(len(d.indicators) for d in dset.declarations)}
    if sres.has_errors and not allow_errors:
        return [], summary
    return _render(sres, formats, split, options), summary


def _render(sres: SetResult, formats: tuple[str, ...], split: bool,
            options: RenderOptions) -> list[tuple[str, str, bytes]] | str:
    from perfdsl.backends import BackendInputError, get_backend
    from perfdsl.backends.common import set_file_name, split_name
    from perfdsl.model import DeclarationSet

    dset = sres.dset
    base = set_file_name(dset)
    units: list[tuple[str, DeclarationSet]] = [(base, dset)]
    if split:
        units = [(split_name(base, d.title, d.kind), DeclarationSet(dset.name, (d,), dset.root))
                 for d in dset.declarations]
    out: list[tuple[str, str, bytes]] = []
    for fmt in formats:
        backend = get_backend(fmt)
        for name, unit in units:
            if fmt == "json":
                from perfdsl.report import diagnostic_json

                findings = [_finding(diagnostic_json(d)) for d in sres.diagnostics]
                data = backend.render(unit, options, findings=findings)
            else:
                try:
                    data = backend.render(unit, options)
                except BackendInputError as exc:
                    return str(exc)
            out.append((name, backend.EXTENSION, data))
    return out


def _preload(formats: list[str]) -> None:
    """Import the libraries of the backends for `formats` that offer a `preload()`."""
    from perfdsl.backends import get_backend

    for fmt in formats:
        preload = getattr(get_backend(fmt), "preload", None)
        if preload is not None:
            preload()


def _finding(d: dict[str, object]) -> dict[str, object]:
    keep = ("code", "severity", "message", "file", "line", "column", "indicator_path", "waived", "waiver_reason")
    return {k: d[k] for k in keep}


def _version() -> str:
    from perfdsl import __version__

    return __version__


def _jobs(requested: int | None) -> int:
    from perfdsl.parallel import default_jobs

    return default_jobs() if requested is None or requested < 1 else requested
