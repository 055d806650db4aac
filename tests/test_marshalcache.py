"""Parsed TOML (profiles, units, diagnostics) is cached as checked marshal data, never pickle.

A cache entry is used only for exactly the text it was parsed from; anything stale,
corrupt, tampered or not plain data is ignored and the text parsed again.
"""

from __future__ import annotations

import marshal
import zlib
from pathlib import Path

import pytest
import tomllib

from perfdsl import marshalcache

TOML = 'id = "x"\nname = "模板"\n[fields]\nrequired = ["a", "b"]\nratio = 0.5\nflag = true\n'


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PERFDSL_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.delenv("PERFDSL_NO_CACHE", raising=False)
    return tmp_path / "c"


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("toml-*.marshal"))


def test_same_result_as_tomllib_and_cached(cache_dir: Path) -> None:
    first = marshalcache.load_toml(TOML)
    assert first == tomllib.loads(TOML)
    assert len(_entries(cache_dir)) == 1
    again = marshalcache.load_toml(TOML)
    assert again == first and again is not first


def test_an_entry_is_used_only_for_its_exact_text(cache_dir: Path) -> None:
    marshalcache.load_toml(TOML)
    entry = _entries(cache_dir)[0]
    # Put another text's data under this file name: a collision or a stale entry is a miss.
    marshalcache.write(entry, "other text", {"id": "wrong"})
    assert marshalcache.load_toml(TOML) == tomllib.loads(TOML)


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "code", "pickle"])
def test_a_damaged_entry_is_ignored_and_rewritten(cache_dir: Path, damage: str) -> None:
    marshalcache.load_toml(TOML)
    entry = _entries(cache_dir)[0]
    blob = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(blob[:-3])
    elif damage == "flip":
        entry.write_bytes(blob[:-3] + bytes([blob[-3] ^ 1]) + blob[-2:])
    elif damage == "garbage":
        entry.write_bytes(b"\x00" * 40)
    else:
        value: object = compile("1", "x", "eval") if damage == "code" else b"\x80\x04K\x01."
        payload = marshal.dumps((TOML, {"id": value}))
        entry.write_bytes(b"perfdsl-marshal-1\n" + b"%08x\n" % zlib.crc32(payload) + payload)
    assert marshalcache.load_toml(TOML) == tomllib.loads(TOML)
    assert marshalcache.read(entry, TOML) == tomllib.loads(TOML)  # rewritten


def test_values_marshal_cannot_keep_are_simply_not_cached(cache_dir: Path) -> None:
    text = "when = 2025-01-01\n"
    assert marshalcache.load_toml(text) == tomllib.loads(text)
    assert _entries(cache_dir) == []


def test_no_cache_and_unwritable_folders_only_cost_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERFDSL_NO_CACHE", "1")
    assert marshalcache.load_toml(TOML) == tomllib.loads(TOML)
    monkeypatch.delenv("PERFDSL_NO_CACHE")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("PERFDSL_CACHE_DIR", str(blocker / "sub"))
    assert marshalcache.load_toml(TOML) == tomllib.loads(TOML)


def test_bad_toml_still_raises_like_tomllib(cache_dir: Path) -> None:
    with pytest.raises(tomllib.TOMLDecodeError):
        marshalcache.load_toml("x = = 1\n")
