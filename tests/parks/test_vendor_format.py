"""The counters' vendor JSON: what the simulator writes the edge reads; bad fields are named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from edge.parks.vendor import VendorFormatError, parse_body
from firmware_sim.counters.vendor import VendorReport


def test_round_trip() -> None:
    rep = VendorReport(
        "HC2-1", datetime(2026, 5, 16, 6, 30, 10, tzinfo=UTC), 7, 86012.0, 65012, 64890
    )
    parsed = parse_body([rep.to_json(), rep.to_json()])
    assert len(parsed) == 2
    assert parsed[0].serial == "HC2-1"
    r = parsed[0].reading
    assert (r.seq, r.uptime_s, r.in_total, r.out_total) == (7, 86012.0, 65012, 64890)
    assert r.ts_s == rep.ts.timestamp()


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"serial": ""}, "serial"),
        ({"ts": "yesterday"}, "ts"),
        ({"seq": -1}, "seq"),
        ({"in_total": "12"}, "in_total"),
        ({"out_total": None}, "out_total"),
        ({"uptime_s": True}, "uptime_s"),
        ({"period_s": 0}, "period_s"),
    ],
)
def test_bad_field_is_named(patch: dict[str, object], field: str) -> None:
    body = {
        "serial": "A",
        "ts": "2026-05-16T06:30:10Z",
        "seq": 1,
        "uptime_s": 5,
        "in_total": 1,
        "out_total": 1,
        **patch,
    }
    with pytest.raises(VendorFormatError, match=field):
        parse_body(body)
