"""Bounded fuzzing campaign: mutated and generated inputs through every command.

Inputs: character- and byte-level mutations of examples/ningxian-2025/*.perf, grammar-aware
generated declarations (tests/strategies.py), arbitrary text and bytes. Every run must end
with exit code 0, 1 or 2 and show no traceback, Lark internals or anonymous terminal names
(exit 3 counts as a failure here). Derandomized, so CI sees the same cases every time; total
time is kept under about a minute. `make fuzz` (benchmarks/fuzz.py) runs the long campaign.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import (
    INPUT_COMMANDS,
    byte_mutations,
    char_mutations,
    command_argvs,
    command_available,
    documents,
    run_cli,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_FILES = sorted((ROOT / "examples" / "ningxian-2025").glob("*.perf"))
TEXT_SEEDS = tuple(p.read_text(encoding="utf-8") for p in EXAMPLE_FILES)
BYTE_SEEDS = tuple(p.read_bytes() for p in EXAMPLE_FILES)
PROJECT = EXAMPLE_FILES[1]
FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


@pytest.fixture(autouse=True)
def _crash_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERFDSL_CRASH_DIR", str(tmp_path_factory.mktemp("crash")))


def _campaign(data: bytes, folder: Path, commands: tuple[str, ...]) -> None:
    """Run `data` as a .perf file through `commands`; fail on the first bad run."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.rglob("*"):
        if old.is_file():
            old.unlink()
    path = folder / "fuzz.perf"
    for command in commands:
        if not command_available(command):
            continue
        path.write_bytes(data)
        for argv in command_argvs(command, str(path), str(folder), str(PROJECT)):
            run = run_cli(argv)
            assert not run.problems(), run.describe()


def _text(s: str) -> bytes:
    return s.encode("utf-8", errors="surrogatepass")


@settings(FUZZ, max_examples=100)
@given(char_mutations(TEXT_SEEDS))
def test_char_mutations_check_build(tmp_path: Path, text: str) -> None:
    _campaign(_text(text), tmp_path / "w", ("check", "build"))


@settings(FUZZ, max_examples=60)
@given(byte_mutations(BYTE_SEEDS))
def test_byte_mutations_check_build(tmp_path: Path, data: bytes) -> None:
    _campaign(data, tmp_path / "w", ("check", "build"))


@pytest.mark.parametrize("command", [c for c in INPUT_COMMANDS if c not in ("check", "build")])
def test_mutations_other_commands(command: str, tmp_path: Path) -> None:
    if not command_available(command):
        pytest.skip(f"perfdsl {command} 尚未实现")

    @settings(FUZZ, max_examples=60)
    @given(char_mutations(TEXT_SEEDS))
    def prop(text: str) -> None:
        _campaign(_text(text), tmp_path / "w", (command,))

    prop()


@settings(FUZZ, max_examples=15)
@given(documents())
def test_generated_documents_every_command(tmp_path: Path, gen) -> None:  # type: ignore[no-untyped-def]
    _campaign(gen.text.encode("utf-8"), tmp_path / "w", INPUT_COMMANDS)


@settings(FUZZ, max_examples=80)
@given(st.one_of(st.text(max_size=300), st.text(alphabet=st.characters(min_codepoint=0x3000, max_codepoint=0x9FFF),
                                                 max_size=300)))
def test_arbitrary_text_check(tmp_path: Path, text: str) -> None:
    _campaign(_text(text), tmp_path / "w", ("check",))


@settings(FUZZ, max_examples=60)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_check(tmp_path: Path, data: bytes) -> None:
    _campaign(data, tmp_path / "w", ("check",))


def test_campaign_really_fails_on_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The oracle is not vacuous: an injected crash is caught by `_campaign`."""
    def boom(*_a: object, **_k: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr("perfdsl.api.iter_check", boom)
    with pytest.raises(AssertionError, match="退出码 3"):
        _campaign(BYTE_SEEDS[0], tmp_path / "w", ("check",))
    assert os.environ["PERFDSL_CRASH_DIR"]
