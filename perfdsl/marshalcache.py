"""A small, safe on-disk cache of derived plain data, stored with `marshal`.

Used for what perfdsl derives at start from its own data files: the parsed TOML of
profiles, units and the diagnostics catalogue, and the fast path's tables. Parsing TOML
costs ~25 ms and importing tomllib ~4 ms per cold start; loading marshal data is ~1 ms.

Safe by construction, not by trust:
- never pickle: marshal data cannot name a class or a function to call;
- the entry stores the exact source material it was derived from (the TOML text, the
  grammar text and versions), and is used only if that material is equal to the current
  one: a stale or colliding entry is a miss, whatever its file name;
- a CRC of the payload, the magic header and a recursive check that the value holds only
  dicts, lists, tuples, strings, numbers, booleans and None (no code objects, bytes or
  sets). Anything else, or any error while reading, is a miss and the entry is rewritten.
- written atomically (temporary file + rename); a cache folder that cannot be written
  only costs speed.

The folder is the user's cache dir (`$PERFDSL_CACHE_DIR`, else `$XDG_CACHE_HOME/perfdsl`,
else `~/.cache/perfdsl`); `PERFDSL_NO_CACHE=1` turns it off.
"""

from __future__ import annotations

import marshal
import os
import zlib
from pathlib import Path
from typing import Any

_MAGIC = b"perfdsl-marshal-1\n"
_PLAIN_ATOMS = (str, int, float, bool, type(None))


def cache_dir() -> Path | None:
    """The user's perfdsl cache folder (created if needed), or None if there is none."""
    if os.environ.get("PERFDSL_NO_CACHE"):
        return None
    own = os.environ.get("PERFDSL_CACHE_DIR")
    base = own or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    target = root if own else root / "perfdsl"
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return target


def _path(kind: str, material: str) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    raw = material.encode("utf-8", "surrogatepass")
    return folder / f"{kind}-{zlib.crc32(raw):08x}{len(raw):x}.marshal"


def load(kind: str, material: str) -> Any:
    """The data stored for exactly `material`, or None."""
    path = _path(kind, material)
    return None if path is None else read(path, material)


def store(kind: str, material: str, data: Any) -> None:
    path = _path(kind, material)
    if path is not None:
        write(path, material, data)


def write(path: Path, material: str, data: Any) -> None:
    """Write (material, data) as marshal with a CRC, atomically; never raises."""
    if not plain(data):
        return
    try:
        payload = marshal.dumps((material, data))
    except ValueError:
        return
    blob = _MAGIC + b"%08x\n" % zlib.crc32(payload) + payload
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(blob)
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass


def read(path: Path, material: str) -> Any:
    """What `write(path, material, data)` stored, or None if missing, stale, corrupt or not plain."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    if not blob.startswith(_MAGIC):
        return None
    head, sep, payload = blob[len(_MAGIC):].partition(b"\n")
    if not sep or head != b"%08x" % zlib.crc32(payload):
        return None
    try:
        value = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    if type(value) is not tuple or len(value) != 2 or value[0] != material or not plain(value[1]):
        return None
    return value[1]


def plain(obj: Any, depth: int = 0) -> bool:
    """Only dicts (str/int keys), lists, tuples, strings, numbers, booleans and None."""
    if depth > 16:
        return False
    if isinstance(obj, _PLAIN_ATOMS):
        return type(obj) in _PLAIN_ATOMS  # no str/int subclasses
    if type(obj) in (list, tuple):
        return all(plain(x, depth + 1) for x in obj)
    if type(obj) is dict:
        return all(type(k) in (str, int) and plain(v, depth + 1) for k, v in obj.items())
    return False


def load_toml(text: str, kind: str = "toml") -> dict[str, Any]:
    """`tomllib.loads(text)`, from the cache when this exact text was parsed before.

    Raises tomllib.TOMLDecodeError (a ValueError) like tomllib does; tomllib is only
    imported on a miss.
    """
    found = load(kind, text)
    if type(found) is dict:
        return found
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover  (Python < 3.11)
        import tomli as tomllib  # type: ignore[no-redef]

    data = tomllib.loads(text)
    store(kind, text, data)
    return data


def data_file(package_dir: str, name: str) -> str:
    """A data file shipped in perfdsl (e.g. ("data", "units.toml")), read as UTF-8 text.

    Read from the package folder directly; importlib.resources (and zipfile) only for
    zipped installs.
    """
    here = Path(__file__).resolve().parent
    folder = here / package_dir if package_dir != "grammar" else None
    if folder is None:
        import perfdsl.grammar as g

        folder = Path(g.__file__).resolve().parent if g.__file__ else None
    if folder is not None and (folder / name).is_file():
        return (folder / name).read_text(encoding="utf-8")
    from importlib import resources

    top, _sep, sub = package_dir.partition("/")
    pkg = "perfdsl.grammar" if top == "grammar" else f"perfdsl.{top}"
    where = resources.files(pkg)
    for part in [*sub.split("/"), name] if sub else [name]:
        where = where.joinpath(part)
    return where.read_text(encoding="utf-8")
