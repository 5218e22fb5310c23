"""Evidence blobs: right bytes and type, nosniff, only for those who may see the alert."""

from __future__ import annotations

import pytest

from tests.gateway.api.helpers import JPEG, World


@pytest.mark.parametrize("user", ["admin", "viewer", "mgr_gumo", "off_market"])
def test_allowed_roles_get_the_blob(world: World, user: str) -> None:
    r = world.get(f"/api/evidence/snap-1?alert_id={world.noise_alert}", user)
    assert r.status_code == 200
    assert r.content == JPEG
    assert r.headers["content-type"] == "image/jpeg"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in r.headers["content-security-policy"]


@pytest.mark.parametrize("user", ["mgr_park", "off_police", "off_sanitation"])
def test_others_are_refused_as_if_it_did_not_exist(world: World, user: str) -> None:
    r = world.get(f"/api/evidence/snap-1?alert_id={world.noise_alert}", user)
    assert r.status_code == 404
    assert r.json() == {"detail": "no evidence snap-1"}


def test_ambiguous_id_needs_the_alert(world: World) -> None:
    # two alerts have a "snap-1"; an admin sees both, a park manager only theirs
    r = world.get("/api/evidence/snap-1", "admin")
    assert r.status_code == 409
    assert "alert_id" in r.json()["detail"]
    r = world.get("/api/evidence/snap-1", "mgr_park")
    assert r.status_code == 200
    assert r.content == JPEG + b"park"


def test_unsafe_content_type_is_an_attachment(world: World) -> None:
    r = world.get(f"/api/evidence/page-1?alert_id={world.html_alert}", "mgr_gumo")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"].startswith("attachment")


def test_missing_blob_is_404(world: World) -> None:
    # referenced by the alert, never received
    r = world.get(f"/api/evidence/trace-1?alert_id={world.noise_alert}")
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/evidence/..%2F..%2Fetc%2Fpasswd", "evidence_id"),
        ("/api/evidence/UPPER", "evidence_id"),
        ("/api/evidence/snap-1?alert_id=123", "alert_id"),
    ],
)
def test_bad_ids_are_422(sqlite_world: World, url: str, field: str) -> None:
    r = sqlite_world.get(url)
    assert r.status_code in (404, 422)
    if r.status_code == 422:
        assert r.json()["detail"][0]["loc"][-1] == field
