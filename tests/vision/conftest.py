"""Shared helpers of the camera-detector tests."""

from __future__ import annotations

from pathlib import Path

import pytest

#: Real footage recorded by others (see its README); present on developer machines and in CI.
REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def real_dir() -> Path:
    if not REAL.is_dir():
        pytest.skip(
            f"real footage folder {REAL} is absent (it lives beside the project checkout, "
            "../shared/data/real); these tests check the detectors on real pixels"
        )
    return REAL
