"""`whistle edge` argument and config errors: clear message, exit status 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from whistle.cli import main


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["edge"], "--site and --agent"),
        (["edge", "--site", "x.yaml"], "--agent"),
        (["edge", "--site", "missing.yaml", "--agent", "a"], "cannot read config file"),
        (["edge", "--site", "config/sites/gumo.yaml", "--agent", "nobody"], "not in the site file"),
        (
            ["edge", "--site", "config/sites/gumo.yaml", "--agent", "a", "--broker", "http://x"],
            "bad option",
        ),
    ],
)
def test_bad_invocations_exit_2(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = Path(__file__).resolve().parents[2]
    argv = [a if not a.startswith("config/") else str(root / a) for a in argv]
    assert main([*argv, "--data-dir", str(tmp_path)] if len(argv) > 2 else argv) == 2
    assert expected in capsys.readouterr().err


def test_config_file_error_names_file_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "edge.yaml"
    path.write_text("agent: edge-1\nsite_file: s.yaml\nbroker:\n  url: mqtt://h:1\n  pasword: x\n")
    assert main(["edge", "--config", str(path)]) == 2
    assert f"{path}:5: broker.pasword" in capsys.readouterr().err
