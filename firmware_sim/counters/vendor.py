"""The simulated counters' vendor format: what an "HC2" style gate counter pushes.

The edge's parser is :mod:`edge.parks.vendor`; this module only writes reports.

One HTTP ``POST /counts`` per report, body JSON (UTF-8)::

    {"serial": "HC2-00017", "fw": "2.4.1", "ts": "2026-05-16T06:30:10Z", "seq": 1234,
     "uptime_s": 86012, "in_total": 65012, "out_total": 64890, "period_s": 10}

- ``ts``: the device's own clock (UTC, whole seconds; may be skewed by minutes).
- ``seq``: report number since the counter booted (restarts at 0 after a reboot).
- ``uptime_s``: seconds since boot; ``ts - uptime_s`` identifies a boot.
- ``in_total``/``out_total``: people counted since boot (or since the registers were last
  cleared), unsigned 16-bit registers that wrap to 0 after 65535.
A counter that could not reach the server keeps its reports and sends them later, oldest first,
possibly as a JSON array of reports in one POST.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class VendorReport:
    serial: str
    ts: datetime
    seq: int
    uptime_s: float
    in_total: int
    out_total: int
    period_s: float = 10.0
    fw: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "fw": self.fw,
            "ts": self.ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "seq": self.seq,
            "uptime_s": int(self.uptime_s),
            "in_total": self.in_total,
            "out_total": self.out_total,
            "period_s": self.period_s,
        }
