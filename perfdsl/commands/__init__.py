"""Subcommands of the CLI, one module each (`<name>_cmd.py`), loaded by perfdsl.cli."""
