"""Backends: emitters from the model to bytes (`render(dset, options) -> bytes`).

Backends never validate and never see syntax: they get a checked `DeclarationSet` and
the options, and return the file's bytes. Writing files (atomically) is the CLI's job.
Each backend module is imported only when it is used, so `perfdsl check` never loads
python-docx or XlsxWriter.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import attrs

BACKENDS: dict[str, str] = {
    "json": "perfdsl.backends.jsonout",
    "docx": "perfdsl.backends.docx",
    "xlsx": "perfdsl.backends.xlsx",
    "html": "perfdsl.backends.html",
}


@attrs.frozen
class RenderOptions:
    reference_docx: str | None = None  # DOCX: take styles/page setup from this file
    source_date_epoch: int | None = None  # fixed timestamp for reproducible archives
    compiler_version: str = ""
    # XLSX flat sheet for a target system: "native" (the profile's operators, native 区间)
    # or "fasp2" (预算管理一体化系统绩效模块: its operator symbols, no "-" in 指标值, so a
    # range becomes a ≥ lower row and a ≤ upper row).
    dialect: str = "native"


class BackendInputError(ValueError):
    """A file the user handed to a backend (e.g. --reference-docx) cannot be used.

    The one error a backend may raise on purpose: it is about the user's input, not the
    model, and the CLI reports it as a usage problem (exit 2).
    """


DIALECTS = ("native", "fasp2")


def get_backend(name: str) -> ModuleType:
    """The backend module for `name`; it has `EXTENSION` and `render(dset, options)`."""
    return importlib.import_module(BACKENDS[name])
