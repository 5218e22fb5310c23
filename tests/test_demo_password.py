"""`whistle demo` run again over the same data prints the password its users still have."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from whistle.demo import PASSWORD_FILE, Demo, DemoOptions


def test_demo_password_is_generated_once_per_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = Demo(DemoOptions(data_dir=data)).password
    again = Demo(DemoOptions(data_dir=data)).password
    assert again == first
    assert stat.S_IMODE((data / PASSWORD_FILE).stat().st_mode) == 0o600
    assert Demo(DemoOptions(data_dir=tmp_path / "other")).password != first
    assert Demo(DemoOptions(data_dir=data, demo_password="given")).password == "given"


def test_an_empty_password_file_is_refused_by_name(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / PASSWORD_FILE).write_text("\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"demo-password is empty"):
        Demo(DemoOptions(data_dir=data))
    assert Demo(DemoOptions(data_dir=data, demo_password="given")).password == "given"
