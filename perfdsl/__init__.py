"""perfdsl: a language and compiler for Chinese budget performance-target declarations.

The package is a pipeline of small passes over one typed model:
parse (Lark LALR) -> AST -> resolve against a profile -> checks -> model -> backends.
Importing this package must stay cheap: heavy libraries are imported lazily by the
commands that need them.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
