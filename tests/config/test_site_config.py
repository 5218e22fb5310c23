"""Site files: the shipped ones load, and every mistake is named by file, line and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from whistle.cli import main
from whistle.config.loader import ConfigError
from whistle.config.site import load_site, load_sites

SITES_DIR = Path(__file__).resolve().parents[2] / "config" / "sites"

GOOD = """\
id: test-market
name: 测试市场
kind: market
agents:
  - id: edge-1
    devices: [noise-01]
devices:
  - id: noise-01
    kind: microphone
    name: 噪声 1
    source: {kind: simulator, scenario: gumo_morning}
"""


def test_shipped_sites_load() -> None:
    sites = {s.id: s for s in load_sites(SITES_DIR)}
    gumo = sites["gumo"]
    kinds = [d.kind for d in gumo.devices]
    assert kinds.count("camera") == 17
    assert kinds.count("microphone") == 4
    served = {d for a in gumo.agents for d in a.devices}
    assert served == {d.id for d in gumo.devices}, "every device is served by an agent"


@pytest.mark.parametrize(
    ("change", "line", "expected"),
    [
        (("kind: market", "kind: bazaar"), 3, "kind: Input should be 'market' or 'park'"),
        (("name: 测试市场", "name: 测试市场\ncolour: red"), 3, "colour: Extra inputs"),
        (("id: noise-01\n", "id: Noise 01\n"), 8, "devices.0.id: String should match"),
        (
            ("source: {kind: simulator", "source: {kind: carrier-pigeon"),
            11,
            "devices.0.source.kind",
        ),
        (("    devices: [noise-01]", "    devices: [noise-09]"), 1, "unknown device 'noise-09'"),
        (("id: test-market\n", "id: test-market\ntimezone: Mars/Olympus\n"), 2, "time zone"),
    ],
)
def test_errors_name_file_line_and_key(
    tmp_path: Path, change: tuple[str, str], line: int, expected: str
) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(GOOD.replace(*change), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_site(path)
    text = str(err.value)
    assert f"{path}:" in text
    assert expected in text
    if line > 1:
        assert f"{path}:{line}:" in text


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("id: [unclosed\n", "not valid YAML"),
        ("", "the file is empty"),
        ("- just\n- a list\n", "Input should be a valid dictionary"),
    ],
)
def test_broken_files(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=expected):
        load_site(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_site(tmp_path / "nope.yaml")


def test_config_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOOD, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("kind: market", "kind: bazaar"), encoding="utf-8")
    assert main(["config", "check", str(good)]) == 0
    assert main(["config", "check", str(good), str(bad)]) == 2
    out = capsys.readouterr().out
    assert f"{bad}:3: kind:" in out
