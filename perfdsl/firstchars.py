"""Which characters can start a match of a regex (for perfdsl.lineshapes' guards).

A shape's token needs a guard only against the earlier terminals of its lexer that can
start with a character the token itself can start with. `first(regex)` over-approximates
the set of first characters (lookaheads ignored; anything not understood counts as "any
character"), so `may_share_first` never says "disjoint" for two terminals that could both
match at one place. Read from the regex's parse (`re._parser`); no terminal is named here.
"""

from __future__ import annotations

import re
import sys
from typing import Any

_ANY = "[\\s\\S]"
_LITERAL = "\0"  # marks a single character (not regex text) in a list of first characters


def first(regex: str) -> tuple[list[str], bool]:
    """(character classes, as regex text, one of which the first character matches; nullable)."""
    try:
        from re import _parser as sre_parse  # type: ignore[attr-defined]
    except ImportError:  # Python 3.10
        import sre_parse  # type: ignore[no-redef]
    try:
        return _first_seq(list(sre_parse.parse(regex)), sre_parse)
    except Exception:
        return [_ANY], True


def _first_seq(items: list[Any], sp: Any) -> tuple[list[str], bool]:
    out: list[str] = []
    for op, av in items:
        classes, nullable = _first_item(str(op), av, sp)
        out += classes
        if not nullable:
            return out, False
    return out, True


_CATEGORIES = {"CATEGORY_SPACE": "\\s", "CATEGORY_NOT_SPACE": "\\S", "CATEGORY_DIGIT": "\\d",
               "CATEGORY_NOT_DIGIT": "\\D", "CATEGORY_WORD": "\\w", "CATEGORY_NOT_WORD": "\\W"}


def _class_text(items: list[Any]) -> str:
    parts, negate = [], False
    for op, av in items:
        op = str(op)
        if op == "NEGATE":
            negate = True
        elif op == "LITERAL":
            parts.append(re.escape(chr(av)))
        elif op == "RANGE":
            parts.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
        elif op == "CATEGORY" and str(av) in _CATEGORIES:
            parts.append(_CATEGORIES[str(av)])
        else:
            raise ValueError(op)
    return ("[^" if negate else "[") + "".join(parts) + "]"


def _first_item(op: str, av: Any, sp: Any) -> tuple[list[str], bool]:
    if op == "LITERAL":
        return [_LITERAL + chr(av)], False
    if op == "NOT_LITERAL":
        return [f"[^{re.escape(chr(av))}]"], False
    if op == "IN":
        return [_class_text(av)], False
    if op == "ANY":
        return [_ANY], False
    if op == "BRANCH":
        out: list[str] = []
        nullable = False
        for seq in av[1]:
            classes, n = _first_seq(list(seq), sp)
            out += classes
            nullable = nullable or n
        return out, nullable
    if op == "SUBPATTERN":
        if av[1] or av[2]:  # flags (e.g. (?i:…)): not understood here
            return [_ANY], True
        return _first_seq(list(av[3]), sp)
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        classes, nullable = _first_seq(list(av[2]), sp)
        return classes, nullable or av[0] == 0
    if op == "ATOMIC_GROUP":
        return _first_seq(list(av), sp)
    if op in ("ASSERT", "ASSERT_NOT", "AT"):
        return [], True  # zero width: ignoring what it demands only over-approximates
    return [_ANY], True


def every_char() -> list[str]:
    """Every code point but the surrogates, in 17 strings of up to 65,536 (built without a
    str per character: a million small strings would be ~80 MB at once)."""
    from array import array

    out = []
    for plane in range(0x11):
        codes = array("I", (c for c in range(plane << 16, (plane + 1) << 16) if not 0xD800 <= c < 0xE000))
        out.append(codes.tobytes().decode("utf-32-le" if sys.byteorder == "little" else "utf-32-be"))
    return out


def may_share_first(a: tuple[list[str], bool], b: tuple[list[str], bool], every: Any) -> bool:
    """Whether some character can start a match of both (or either may match empty)."""
    if a[1] or b[1] or not a[0] or not b[0]:
        return True
    lits_a = {x[1] for x in a[0] if x[:1] == _LITERAL}
    lits_b = {x[1] for x in b[0] if x[:1] == _LITERAL}
    cls_a = [x for x in a[0] if x[:1] != _LITERAL]
    cls_b = [x for x in b[0] if x[:1] != _LITERAL]
    if lits_a & lits_b:
        return True
    for lits, classes in ((lits_a, cls_b), (lits_b, cls_a)):
        if classes and lits and re.compile("|".join(classes)).search("".join(sorted(lits))):
            return True
    if cls_a and cls_b:
        both = re.compile(f"(?=(?:{'|'.join(cls_a)}))(?:{'|'.join(cls_b)})")
        return any(both.search(plane) for plane in every())
    return False
