"""SARIF 2.1.0 output of diagnostics, for code review tools (GitHub code scanning, …).

`format_sarif(diags, sources)` returns one run whose `tool.driver.rules` lists every code
of the catalogue with its Chinese title, explanation and fix. Each diagnostic becomes one
result: rule, level, message, physical location (columns in Unicode code points, as perfdsl
counts them), the indicator path as logical location, and a fingerprint built from the
rule, the file and the indicator path, never from line numbers, so moving lines does not
re-open a finding. Waived findings carry an in-source suppression with the waiver's reason.
Output is deterministic (same diagnostics → same bytes). It must not run checks itself.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from perfdsl import __version__
from perfdsl.diagnostics import Diagnostic, catalog
from perfdsl.source import SourceFile

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
PATH_SEP = " › "


def artifact_uri(path: str) -> str:
    """The file as a relative, percent-encoded URI when it lies under the working folder."""
    p = path
    if os.path.isabs(p):
        rel = os.path.relpath(p)
        if not rel.startswith(".."):
            p = rel
    return quote(PurePath(p).as_posix(), safe="/:")


def _region(line: int, col: int, end_line: int, end_col: int) -> dict[str, int]:
    region = {"startLine": line, "startColumn": max(col, 1)}
    if end_line >= line and end_line > 0:
        region["endLine"] = end_line
        if end_col > 0:
            region["endColumn"] = end_col
    return region


def fingerprint(d: Diagnostic) -> str:
    """Stable across line moves: rule + file + indicator path (message when there is no path)."""
    what = PATH_SEP.join(d.path) if d.path else d.message
    key = "\0".join((d.code, artifact_uri(d.span.path), what))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def rules() -> list[dict[str, Any]]:
    out = []
    for code, entry in catalog().items():
        out.append({
            "id": code,
            "name": entry.get("title", code),
            "shortDescription": {"text": entry.get("title", code)},
            "fullDescription": {"text": entry.get("explain", entry.get("title", code))},
            "help": {"text": f"{entry.get('fix', '')}\n示例：{entry.get('example', '')}".strip()},
            "defaultConfiguration": {"level": LEVELS.get(entry.get("severity", "error"), "error")},
        })
    return out


def result(d: Diagnostic, rule_index: dict[str, int]) -> dict[str, Any]:
    res: dict[str, Any] = {
        "ruleId": d.code,
        "level": LEVELS.get(d.severity, "error"),
        "message": {"text": d.message + (f"\n帮助：{d.help}" if d.help else "")},
    }
    if d.code in rule_index:
        res["ruleIndex"] = rule_index[d.code]
    loc: dict[str, Any] = {}
    if d.span.path:
        phys: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(d.span.path)}}
        if d.span.line > 0:
            phys["region"] = _region(d.span.line, d.span.col, d.span.end_line, d.span.end_col)
        loc["physicalLocation"] = phys
    if d.path:
        loc["logicalLocations"] = [{"fullyQualifiedName": PATH_SEP.join(d.path), "name": d.path[-1],
                                    "kind": "member"}]
    if loc:
        res["locations"] = [loc]
    res["partialFingerprints"] = {"perfdslFinding/v1": fingerprint(d)}
    if d.fix is not None and d.fix.span.line > 0:
        s = d.fix.span
        res["fixes"] = [{
            "description": {"text": d.fix.description or "修改为"},
            "artifactChanges": [{
                "artifactLocation": {"uri": artifact_uri(s.path or d.span.path)},
                "replacements": [{
                    "deletedRegion": _region(s.line, s.col, s.end_line, s.end_col),
                    "insertedContent": {"text": d.fix.replacement},
                }],
            }],
        }]
    if d.waived:
        res["suppressions"] = [{"kind": "inSource", "justification": d.waiver_reason or ""}]
    return res


def sarif_log(diags: Iterable[Diagnostic], sources: dict[str, SourceFile] | None = None) -> dict[str, Any]:
    rule_list = rules()
    index = {r["id"]: i for i, r in enumerate(rule_list)}
    results = [result(d, index) for d in diags]
    artifacts = sorted({artifact_uri(p) for p in (sources or {})})
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "perfdsl",
            "version": __version__,
            "semanticVersion": __version__,
            "language": "zh-CN",
            "rules": rule_list,
        }},
        "language": "zh-CN",
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if artifacts:
        run["artifacts"] = [{"location": {"uri": a}, "encoding": "utf-8"} for a in artifacts]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def format_sarif(diags: Iterable[Diagnostic], sources: dict[str, SourceFile] | None = None) -> str:
    return json.dumps(sarif_log(diags, sources), ensure_ascii=False, indent=2) + "\n"
