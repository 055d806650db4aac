"""Cheap immutable records for the hot path: `Span` and the AST nodes.

A record is a tuple subclass with named read-only fields, written out by hand: no class
is generated at import (attrs `exec`s an `__init__`/`__eq__`/`__hash__` per class, about
0.5 ms each, and `typing.NamedTuple` `eval`s a `__new__`), and building one is a single
`tuple.__new__` (measured 0.25 µs against 0.5–1.5 µs for a frozen attrs class; see
docs/performance.md). What the attrs classes gave stays:

- immutable: fields are properties without setters, and there is no `__dict__`;
- equality and hashing by value, and only between records of the same class (a `Span`
  never equals a plain tuple or a record of another class with the same values);
- pickling by value (`__getnewargs__`), and `repr` like attrs (`Span(path='a', line=1, …)`);
- `_replace(**changes)` in place of `attrs.evolve`, `_fields` in place of `attrs.fields`.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any, TypeVar

R = TypeVar("R", bound="Record")

_tuple_eq = tuple.__eq__
_tuple_ne = tuple.__ne__


class Record(tuple):  # type: ignore[type-arg]
    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and _tuple_eq(self, other)  # type: ignore[arg-type]

    def __ne__(self, other: object) -> bool:
        return type(self) is not type(other) or _tuple_ne(self, other)  # type: ignore[arg-type]

    __hash__ = tuple.__hash__

    def __lt__(self, other: object) -> bool:  # attrs records had no order; keep it so
        return NotImplemented

    __gt__ = __le__ = __ge__ = __lt__

    def __getnewargs__(self) -> tuple[Any, ...]:
        return tuple(self)

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self, strict=True))
        return f"{type(self).__name__}({inner})"

    def _replace(self: R, **changes: Any) -> R:
        values = [changes.pop(name, value) for name, value in zip(self._fields, self, strict=True)]
        if changes:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(changes)}")
        return type(self)(*values)

    def _asdict(self) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=True))


def fields(*names: str) -> Any:
    """Read-only properties for `names`, to unpack into a record's class body."""
    return tuple(property(itemgetter(i), doc=name) for i, name in enumerate(names))
