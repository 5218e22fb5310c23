"""Pure logic: state machine, routing rules and their YAML errors, SLA clock, DingTalk
signing, message size, percentiles, place matching."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.incidents.complaints import ComplaintInput, haversine_m, locate
from gateway.incidents.figures import percentile
from gateway.incidents.lifecycle import (
    Actor,
    PermissionDenied,
    State,
    TransitionError,
    allowed_transitions,
    can_see,
    check_permission,
    check_transition,
)
from gateway.incidents.routing import RoutingConfig, load_routing
from gateway.incidents.sla import sla_status
from gateway.notify.channels import dingtalk_sign
from gateway.notify.templates import MessageContext, render
from whistle.config.loader import ConfigError

REPO = Path(__file__).resolve().parents[3]
ROUTING = load_routing(REPO / "config" / "routing.yaml")


@pytest.mark.parametrize(
    ("current", "target", "ok"),
    [
        ("new", "dispatched", True),
        ("dispatched", "accepted", True),
        ("accepted", "on_site", True),
        ("on_site", "resolved", True),
        ("resolved", "verified", True),
        ("verified", "closed", True),
        ("resolved", "reopened", True),
        ("closed", "reopened", True),
        ("dispatched", "resolved", False),
        ("new", "verified", False),
        ("closed", "accepted", False),
        ("rejected", "accepted", False),
    ],
)
def test_transition_table(current: str, target: str, ok: bool) -> None:
    if ok:
        assert check_transition(State(current), target) is State(target)
    else:
        with pytest.raises(TransitionError) as err:
            check_transition(State(current), target)
        assert err.value.allowed == allowed_transitions(State(current))
        assert all(a in str(err.value) for a in err.value.allowed)


@pytest.mark.parametrize(
    ("reached", "next_allowed"),
    [((), "accepted"), (("accepted",), "on_site"), (("accepted", "on_site"), "resolved")],
)
def test_escalated_resumes_at_the_next_stage(reached: tuple[str, ...], next_allowed: str) -> None:
    allowed = allowed_transitions(State.ESCALATED, frozenset(State(s) for s in reached))
    assert next_allowed in allowed
    assert {"accepted", "on_site", "resolved"} & set(allowed) == {next_allowed}


def test_permissions_and_visibility() -> None:
    market = Actor("a", "officer", department="market_supervision")
    police = Actor("b", "officer", department="police")
    centre = Actor("c", "officer", department="street_centre")
    check_permission(market, State.ACCEPTED, "market_supervision")
    with pytest.raises(PermissionDenied):
        check_permission(police, State.ACCEPTED, "market_supervision")
    with pytest.raises(PermissionDenied):
        check_permission(market, State.CLOSED, "market_supervision")
    check_permission(centre, State.REJECTED, "market_supervision")
    assert can_see(market, "gumo", "market_supervision")
    assert not can_see(police, "gumo", "market_supervision")
    assert can_see(Actor("m", "manager", site="gumo"), "gumo", "police")
    assert not can_see(Actor("m", "manager", site="park"), "gumo", "police")
    assert not can_see(Actor("m", "manager"), "gumo", "police")


T = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)  # 05:00 in Weihai


@pytest.mark.parametrize(
    ("type_", "site", "hour_utc", "department"),
    [
        ("noise_exceedance", "gumo", 21, "market_supervision"),
        ("noise_impulsive", "haiyuan-park", 21, "city_enforcement"),
        ("encroachment", "gumo", 21, "city_enforcement"),
        ("vehicle_intrusion", "gumo", 21, "police"),
        ("congestion", "gumo", 21, "police"),
        ("lingering", "gumo", 15, "police"),  # 23:00 local: night rule
        ("lingering", "gumo", 0, "property_management"),  # 08:00 local
        ("litter", "gumo", 1, "sanitation"),
        ("camera_tamper", "gumo", 21, "property_management"),
        ("device_offline", "gumo", 21, "property_management"),
        ("park_capacity", "haiyuan-park", 6, "city_enforcement"),
        ("something_new", "gumo", 21, "street_centre"),
    ],
)
def test_routing_rules(type_: str, site: str, hour_utc: int, department: str) -> None:
    decision = ROUTING.route(type_, site, None, T.replace(hour=hour_utc))
    assert decision.department == department
    if site == "gumo":
        assert decision.grid == "huancui-gumo"


def test_routing_yaml_errors_name_file_line_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "routing.yaml"
    bad.write_text(
        "version: 1\nrules:\n  - name: x\n    types: [noise_exceedance]\n"
        "    department: fire_brigade\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_routing(bad)
    assert f"{bad}:3: rules.0" in str(err.value) and "fire_brigade" in str(err.value)
    bad.write_text("default_sla: {accept_min: 30, on_site_min: 10}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="accept_min <= on_site_min"):
        load_routing(bad)


def test_sla_clock_levels() -> None:
    targets = {"accepted": 600.0, "on_site": 1800.0, "resolved": 7200.0}
    status = sla_status(State.DISPATCHED, frozenset(), T, targets, T + timedelta(minutes=5), 1800)
    assert status is not None and status.level_needed == 0 and status.stage is State.ACCEPTED
    status = sla_status(State.DISPATCHED, frozenset(), T, targets, T + timedelta(minutes=11), 1800)
    assert status is not None and status.level_needed == 1
    status = sla_status(
        State.ACCEPTED, frozenset({State.ACCEPTED}), T, targets, T + timedelta(minutes=61), 1800
    )
    assert status is not None and (status.stage, status.level_needed) == (State.ON_SITE, 2)
    assert sla_status(State.RESOLVED, frozenset(), T, targets, T + timedelta(days=1), 1) is None


def test_dingtalk_signature_matches_the_documented_recipe() -> None:
    secret, ts = "SEC000", 1700000000000
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert urllib.parse.unquote_plus(dingtalk_sign(secret, ts)) == expected


def _message(**changes: Any) -> MessageContext:
    """A new noise incident's message context, with ``changes``."""
    base = MessageContext(
        event="incident_opened",
        incident_id=7,
        alert_type="noise_exceedance",
        site="gumo",
        zone="north",
        department="market_supervision",
        grid="huancui-gumo",
        severity="major",
        state="dispatched",
        at=T,
    )
    return replace(base, **changes)


def test_messages_stay_under_the_wecom_limit() -> None:
    ctx = _message(summary="噪" * 3000)
    title, body = render(ctx, "both", "Asia/Shanghai", markdown=True)
    assert "#7" in title and "市场监管" in body and "Market supervision" in body
    assert "05:00" in body  # local time
    assert len(body.encode()) <= 2048


def test_percentile_is_linear_type_7() -> None:
    values = [60.0, 120.0, 180.0, 240.0, 600.0]
    assert percentile(values, 50) == 180.0
    assert percentile(values, 90) == pytest.approx(456.0)  # numpy.percentile gives 456.0
    assert percentile([], 50) is None


def test_complaints_are_placed_by_address_then_coordinates() -> None:
    def place(**kw: object) -> tuple[str | None, str | None]:
        return locate(ROUTING, ComplaintInput(service_code="noise", requested_at=T, **kw))  # type: ignore[arg-type]

    assert place(address="古陌早市入口处喇叭") == ("gumo", "entrance")
    assert place(lat=37.5090, lon=122.1170) == ("gumo", None)
    assert place(lat=31.2, lon=121.4) == (None, None)
    # 0.001 degree of latitude is about 111 m
    assert haversine_m(37.5, 122.1, 37.501, 122.1) == pytest.approx(111.2, abs=0.5)


def test_default_routing_sends_everything_to_the_street_centre() -> None:
    assert RoutingConfig().route("noise_exceedance", "gumo", None, T).department == "street_centre"


@pytest.mark.parametrize(
    ("language", "summaries", "present", "absent"),
    [
        (
            "zh",
            {"zh": "有人滞留 2 分 0 秒", "en": "a person has stayed 2 min 0 s"},
            ["有人滞留"],
            ["stayed", "edge"],
        ),
        (
            "en",
            {"zh": "有人滞留 2 分 0 秒", "en": "a person has stayed 2 min 0 s"},
            ["stayed"],
            ["有人滞留", "edge"],
        ),
        # no line of its own (a complaint): the words as given, once
        ("both", {}, ["edge words"], []),
        ("both", {"zh": "edge words", "en": "edge words"}, ["edge words"], []),
    ],
)
def test_message_summary_is_in_the_message_language(
    language: str, summaries: dict[str, str], present: list[str], absent: list[str]
) -> None:
    ctx = _message(alert_type="lingering", summary="edge words", summaries=summaries)
    _title, body = render(ctx, language, "Asia/Shanghai", markdown=False)
    assert all(p in body for p in present) and not any(a in body for a in absent)
    assert body.count("edge words") <= 1
