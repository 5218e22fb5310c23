"""Message texts in Chinese with English, for robots and webhooks.

WeCom limits content to 2048 bytes of UTF-8; :func:`clip_utf8` cuts on a character boundary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from gateway.incidents.routing import DEPARTMENTS

#: WeCom robot content limit in bytes of UTF-8.
MAX_CONTENT_BYTES = 2048

TYPE_NAMES: dict[str, tuple[str, str]] = {
    "noise_exceedance": ("噪声超标", "Noise over the limit"),
    "noise_impulsive": ("突发噪声", "Impulsive noise"),
    "encroachment": ("占道经营", "Stalls outside the line"),
    "vehicle_intrusion": ("车辆闯入", "Vehicle in the pedestrian street"),
    "congestion": ("入口拥堵", "Congestion"),
    "lingering": ("违规滞留", "Lingering in a restricted spot"),
    "litter": ("垃圾未清", "Litter left on the street"),
    "camera_tamper": ("摄像头遮挡/移位", "Camera tampered"),
    "camera_fault": ("摄像头故障", "Camera fault"),
    "device_offline": ("设备离线", "Device offline"),
    "park_capacity": ("公园人流超限", "Park over capacity"),
    "carpark_full": ("停车场满位", "Car park full"),
}

STATE_NAMES: dict[str, tuple[str, str]] = {
    "new": ("新建", "new"),
    "dispatched": ("已派单", "dispatched"),
    "accepted": ("已接单", "accepted"),
    "on_site": ("已到场", "on site"),
    "resolved": ("已处置", "resolved"),
    "verified": ("已核验", "verified"),
    "closed": ("已办结", "closed"),
    "reopened": ("已重启", "reopened"),
    "escalated": ("已吹哨升级", "escalated"),
    "rejected": ("已退回", "rejected"),
}

SEVERITY_NAMES = {
    "info": ("提示", "info"),
    "warning": ("一般", "warning"),
    "major": ("较重", "major"),
    "critical": ("紧急", "critical"),
}

EVENT_TITLES: dict[str, tuple[str, str]] = {
    "incident_opened": ("新事件", "New incident"),
    "incident_transition": ("事件进展", "Incident update"),
    "incident_escalated": ("吹哨:超时升级", "Whistle blown: SLA missed"),
    "incident_reopened": ("事件重启", "Incident reopened"),
    "incident_verified": ("传感器核验通过", "Verified by the sensors"),
    "grid_miss": ("网格应发现未发现", "Missed by the grid"),
}


@dataclass(frozen=True)
class MessageContext:
    """What a message says about one event; built by the incident engine."""

    event: str
    incident_id: int | None
    alert_type: str
    site: str
    zone: str | None
    department: str
    grid: str | None
    severity: str
    state: str
    at: datetime
    summary: str = ""
    #: The summary per language (``zh``, ``en``; gateway.alert_text); empty: ``summary``.
    summaries: Mapping[str, str] = field(default_factory=dict)
    note: str = ""
    escalation_level: int = 0
    deadline: datetime | None = None
    link: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _name(table: dict[str, tuple[str, str]], key: str, lang: int) -> str:
    return table.get(key, (key, key))[lang]


def render(ctx: MessageContext, language: str, tz: str, markdown: bool) -> tuple[str, str]:
    """(title, body) of a message in ``language`` (zh, en or both)."""
    local = ctx.at.astimezone(ZoneInfo(tz))
    langs = {"zh": [0], "en": [1], "both": [0, 1]}[language]
    # one line per language where the two differ; else the words as given, once
    per_lang = ctx.summaries if len(set(ctx.summaries.values())) > 1 else {}
    titles = [_name(EVENT_TITLES, ctx.event, i) for i in langs]
    title = " / ".join(titles)
    if ctx.incident_id is not None:
        title += f" #{ctx.incident_id}"
    lines: list[str] = []
    for i in langs:
        zh = i == 0
        where = f"{ctx.site}" + (f" / {ctx.zone}" if ctx.zone else "")
        rows = [
            ("类型" if zh else "Type", _name(TYPE_NAMES, ctx.alert_type, i)),
            ("地点" if zh else "Where", where),
            ("责任部门" if zh else "Department", _name(DEPARTMENTS, ctx.department, i)),
            ("网格" if zh else "Grid", ctx.grid or "-"),
            ("级别" if zh else "Severity", _name(SEVERITY_NAMES, ctx.severity, i)),
            ("状态" if zh else "State", _name(STATE_NAMES, ctx.state, i)),
            ("时间" if zh else "Time", local.strftime("%Y-%m-%d %H:%M")),
        ]
        if ctx.escalation_level:
            centre = "street_centre" if ctx.escalation_level == 1 else "district_centre"
            rows.append(("升级至" if zh else "Escalated to", _name(DEPARTMENTS, centre, i)))
        if ctx.deadline is not None:
            rows.append(
                (
                    "时限" if zh else "Deadline",
                    ctx.deadline.astimezone(ZoneInfo(tz)).strftime("%H:%M"),
                )
            )
        for k, v in ctx.extra.items():
            rows.append((k, v))
        if markdown:
            lines.append(f"**{titles[langs.index(i)]}**")
            lines += [f"> {k}: {v}" for k, v in rows]
        else:
            lines.append(titles[langs.index(i)])
            lines += [f"{k}: {v}" for k, v in rows]
        said = per_lang.get("zh" if zh else "en")
        if said:
            lines.append(said)  # in this block's language
        lines.append("")
    if not per_lang and ctx.summary:
        lines.append(ctx.summary)  # the words as given (a complaint's), once
    if ctx.note:
        lines.append(f"备注 / Note: {ctx.note}")
    if ctx.link:
        lines.append(f"[查看 / Open]({ctx.link})" if markdown else ctx.link)
    body = "\n".join(lines).strip()
    return title, clip_utf8(body, MAX_CONTENT_BYTES - 200)


def clip_utf8(text: str, max_bytes: int) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text
    return raw[: max_bytes - 3].decode("utf-8", errors="ignore") + "..."
