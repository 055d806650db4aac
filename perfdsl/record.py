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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__attrs_attrs__" not in cls.__dict__ and cls.__dict__.get("_fields") and "FieldInfo" in globals():
            # So that attrs.evolve/fields/asdict, still used elsewhere, work on these too.
            cls.__attrs_attrs__ = _Fields(FieldInfo(n, n, True, True) for n in cls._fields)

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


# --- `@frozen`: attrs-style declarations, built as records ------------------------------

_MISSING: Any = object()


class _FieldSpec:
    __slots__ = ("default", "eq", "factory", "init")

    def __init__(self, default: Any, factory: Any, init: bool, eq: bool) -> None:
        self.default, self.factory, self.init, self.eq = default, factory, init, eq


def field(*, default: Any = _MISSING, factory: Any = None, init: bool = True, eq: bool = True,
          repr: bool = True) -> Any:
    """Like `attrs.field` for `@frozen` classes: a default, a factory, or a field set after init.

    A field with `init=False` is not part of the value: it is kept outside the tuple, is
    not compared, hashed or shown, and is set in `__attrs_post_init__` (with
    `object.__setattr__`, as with attrs).
    """
    if not init and eq:
        eq = False
    return _FieldSpec(default, factory, init, eq)


def evolve(inst: R, **changes: Any) -> R:
    """`attrs.evolve` for records."""
    return inst._replace(**changes)


class _Fields(tuple):  # type: ignore[type-arg]
    """A tuple of FieldInfo that, like attrs', also gives a field by name (`fields(C).x`)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        for f in self:
            if f.name == name:
                return f
        raise AttributeError(name)


class FieldInfo(Record):
    """What `attrs.fields()` gives for a `@frozen` class, as far as `attrs.evolve`,
    `attrs.fields` and `attrs.asdict` read it (name, alias, init, eq): code elsewhere that
    still calls those on these classes keeps working."""

    __slots__ = ()
    _fields = ("name", "alias", "init", "eq")
    name, alias, init, eq = fields(*_fields)

    def __new__(cls, name: str, alias: str, init: bool, eq: bool) -> FieldInfo:
        return tuple.__new__(cls, (name, alias, init, eq))


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise AttributeError(f"{type(self).__name__} is immutable (cannot set {name!r})")


def frozen(cls: type) -> Any:
    """Turn an attrs-style class (annotated fields, defaults, methods) into a `Record`.

    Replaces `@attrs.frozen` where import time matters (issue 15): `attrs` itself costs
    ~20 ms to import and each attrs class ~0.5 ms to generate; this writes one small
    `__new__` per class (~0.05 ms). Same behaviour for callers: keyword or positional
    construction with defaults, immutable, equality/hash by value (same class only), no
    ordering, repr, pickling, `__attrs_post_init__`, `evolve`.
    """
    own = cls.__dict__
    params: list[str] = []
    names: list[str] = []
    extra: list[str] = []
    env: dict[str, Any] = {"_tuple_new": tuple.__new__}
    body: list[str] = []
    for name, ann in own.get("__annotations__", {}).items():
        if str(ann).startswith(("ClassVar", "typing.ClassVar")):
            continue
        value = own.get(name, _MISSING)
        spec = value if isinstance(value, _FieldSpec) else _FieldSpec(value, None, True, True)
        if not spec.init:
            extra.append(name)
            continue
        if not spec.eq:
            raise TypeError(f"{cls.__name__}.{name}: eq=False is only supported with init=False")
        arg = name.lstrip("_") or name
        if spec.factory is not None:
            env[f"_f_{arg}"] = spec.factory
            params.append(f"{arg}=_MISSING")
            body.append(f"    if {arg} is _MISSING: {arg} = _f_{arg}()")
        elif spec.default is not _MISSING:
            env[f"_d_{arg}"] = spec.default
            params.append(f"{arg}=_d_{arg}")
        else:
            if any("=" in p for p in params):
                raise TypeError(f"{cls.__name__}.{name}: a field without default after one with a default")
            params.append(arg)
        names.append(arg)
    env["_MISSING"] = _MISSING
    post = "__attrs_post_init__" in own
    src = [f"def __new__(_cls, {', '.join(params)}):", *body,
           f"    self = _tuple_new(_cls, ({', '.join(names)}{',' if len(names) == 1 else ''}))"]
    if post:
        src.append("    self.__attrs_post_init__()")
    src.append("    return self")
    exec("\n".join(src), env)
    ns: dict[str, Any] = {k: v for k, v in own.items()
                          if k not in ("__dict__", "__weakref__") and not isinstance(v, _FieldSpec)}
    for name in [*names, *extra]:
        ns.pop(name, None)
    tuple_fields = [n for n in own.get("__annotations__", {}) if (n.lstrip("_") or n) in names]
    ns["_fields"] = tuple(tuple_fields)
    for i, name in enumerate(tuple_fields):
        ns[name] = property(itemgetter(i), doc=name)
    ns["__new__"] = env["__new__"]
    ns["__attrs_attrs__"] = _Fields(
        FieldInfo(n, n.lstrip("_") or n, n not in extra, n not in extra)
        for n in own.get("__annotations__", {}) if n in tuple_fields or n in extra)
    if extra:  # values kept beside the tuple (attrs init=False): a __dict__, but no setting
        ns["__setattr__"] = _frozen_setattr
        ns["__delattr__"] = _frozen_setattr
    else:
        ns["__slots__"] = ()
    new_cls = type(cls.__name__, (Record,), ns)
    new_cls.__new__.__qualname__ = f"{cls.__qualname__}.__new__"
    return new_cls
