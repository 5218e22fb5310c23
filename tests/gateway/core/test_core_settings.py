"""Settings precedence (defaults < YAML < env < flags) and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.settings import Settings, SettingsError


def test_yaml_then_env_then_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "gw.yaml"
    path.write_text("broker_url: mqtt://broker:1883\nhttp_port: 9000\nshared_group: g1\n")
    monkeypatch.setenv("WHISTLE_HTTP_PORT", "9100")
    settings = Settings.load(path, shared_group=None, data_dir=tmp_path)
    assert (settings.broker_url, settings.http_port, settings.shared_group) == (
        "mqtt://broker:1883",
        9100,
        "g1",
    )
    assert settings.database_url == f"sqlite:///{(tmp_path / 'whistle.db').resolve()}"
    assert Settings.load(path, http_port=9200).http_port == 9200


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("broker_url: http://x\n", "broker_url"),
        ("bogus_key: 1\n", "bogus_key"),
        ("- a list\n", "mapping"),
    ],
)
def test_bad_settings_name_the_file_and_key(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "gw.yaml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=needle) as info:
        Settings.load(path)
    assert str(path) in str(info.value)


def test_demo_needs_a_password_and_production_needs_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("WHISTLE_SECRET_KEY", "WHISTLE_ADMIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SettingsError, match="demo-password"):
        Settings(demo=True).check_production()
    Settings(demo=True, demo_password="x").check_production()
    with pytest.raises(SettingsError, match="secret_key"):
        Settings(admin_password="a").check_production()
    Settings(admin_password="a", secret_key="k").check_production()
