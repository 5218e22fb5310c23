"""`whistle --help` and every subcommand's `--help` explain themselves."""

from __future__ import annotations

import argparse

import pytest

from whistle.cli import COMMAND_MODULES, build_parser, main


def _subparsers(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    found = [path]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _subparsers(sub, (*path, name))
    return found


ALL_COMMANDS = _subparsers(build_parser())


def test_every_command_module_is_present() -> None:
    top = {path[0] for path in ALL_COMMANDS if len(path) == 1}
    expected = {m.rsplit(".", 1)[1] for m in COMMAND_MODULES}
    assert top == expected


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda p: " ".join(p) or "whistle")
def test_help_explains_itself(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([*path, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: whistle")
    # a description or a help line for every subcommand, not just the usage line
    assert len(out.strip().splitlines()) > 3


def test_a_missing_command_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([])
    assert done.value.code == 2
    assert "COMMAND" in capsys.readouterr().err
