"""Alert summaries in the reader's language, built from what the alert measured.

The edge writes ``summary`` in English (for logs and tools; the API keeps it as sent). The pages
and the notifications show :func:`summaries` instead: one line per alert type in Chinese and in
English, from the alert's ``measured``, ``threshold``, ``details`` and state. A type without a
line here, or an alert without a value its line needs, keeps the edge's summary in both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: Language codes of :func:`summaries` (those of the notification settings).
LANGS: tuple[str, str] = ("zh", "en")


@dataclass(frozen=True)
class AlertFacts:
    """What a summary line may use: the stored alert's fields."""

    type: str
    state: str
    measured: Mapping[str, Any]
    threshold: float | None
    details: Mapping[str, Any]
    summary: str


Line = Callable[[AlertFacts], tuple[str, str]]


def _duration(seconds: float) -> tuple[str, str]:
    s = max(0, round(float(seconds)))
    if s < 60:
        return f"{s} 秒", f"{s} s"
    if s < 3600:
        return f"{s // 60} 分 {s % 60} 秒", f"{s // 60} min {s % 60} s"
    return f"{s // 3600} 小时 {s % 3600 // 60} 分", f"{s // 3600} h {s % 3600 // 60} min"


def _pct(fraction: Any, digits: int = 1) -> str:
    return f"{float(fraction) * 100:.{digits}f}%"


def _encroachment(a: AlertFacts) -> tuple[str, str]:
    zh, en = _duration(a.measured["age_s"])
    area = _pct(a.measured["area"])
    return (
        f"线外物品已停放 {zh}，占画面 {area}",
        f"object outside the line for {en}, {area} of the view",
    )


def _congestion(a: AlertFacts) -> tuple[str, str]:
    d = _pct(a.measured["density"], 0)
    return f"入口人群占用 {d}", f"people cover {d} of the entrance"


def _lingering(a: AlertFacts) -> tuple[str, str]:
    zh, en = _duration(a.measured["stay_s"])
    return f"有人滞留 {zh}", f"a person has stayed {en}"


def _vehicle(a: AlertFacts) -> tuple[str, str]:
    area = _pct(a.measured["area"])
    return (
        f"车辆驶入步行街（占画面 {area}）",
        f"a vehicle in the pedestrian street ({area} of the view)",
    )


def _litter(a: AlertFacts) -> tuple[str, str]:
    share = _pct(a.measured["litter"], 2)
    return f"遗留垃圾覆盖区域的 {share}", f"rubbish covers {share} of the zone"


_TAMPER = {
    "covered": ("镜头被遮挡", "lens covered"),
    "defocused": ("画面失焦", "view out of focus"),
    "moved": ("摄像头被转动", "camera turned away"),
}


def _tamper(a: AlertFacts) -> tuple[str, str]:
    if a.state == "closed":
        return "画面已恢复", "view restored"
    return _TAMPER[a.details["subtype"]]


_STREAM = {
    "stalled": ("视频流中断", "stream stalled"),
    "frozen": ("画面冻结", "frozen picture"),
    "garbage": ("视频数据损坏", "garbled stream"),
}


def _camera_fault(a: AlertFacts) -> tuple[str, str]:
    faults = [_STREAM[f] for f in a.details["faults"]]
    if not faults or a.state == "closed":
        return "视频流已恢复", "stream restored"
    return "、".join(z for z, _ in faults), ", ".join(e for _, e in faults)


_PERIOD = {"day": ("昼间", "day"), "night": ("夜间", "night")}
_HINT = {
    "loudspeaker_loop": ("循环喇叭叫卖", "looped loudspeaker"),
    "impulsive": ("突发撞击声", "impulsive (bangs)"),
    "broadband": ("宽频噪声（人声、车辆）", "broadband (voices, traffic)"),
    "unknown": ("未知", "unknown"),
}


def _noise_tail(a: AlertFacts, limit: Any) -> tuple[str, str]:
    pz, pe = _PERIOD[a.details["period"]]
    hz, he = _HINT[a.details.get("source_hint", "unknown")]
    cls = a.details["zone_class"]
    return (
        f"超过{pz}限值 {float(limit):g} dB(A)（{cls} 类声环境功能区）；疑似声源：{hz}",
        f"over the {pe} limit {float(limit):g} dB(A) (class {cls}); likely source: {he}",
    )


def _noise(a: AlertFacts) -> tuple[str, str]:
    level = f"LAeq {float(a.measured['laeq_mean_db']):.1f} dB(A)"
    zh, en = _noise_tail(a, a.threshold if a.threshold is not None else a.details["limit_db"])
    return f"{level}，{zh}", f"{level} {en}"


def _impulsive(a: AlertFacts) -> tuple[str, str]:
    level = f"LAFmax {float(a.measured['lafmax_peak_db']):.1f} dB(A)"
    limit = a.threshold if a.threshold is not None else a.details["lafmax_limit_db"]
    zh, en = _noise_tail(a, limit)
    return f"{level}，{zh}", f"{level} {en}"


def _microphone(_a: AlertFacts) -> tuple[str, str]:
    return (
        "麦克风故障（过载削波或无信号），期间数据无效",
        "microphone fault (clipping or no signal): data invalid",
    )


def _park(a: AlertFacts) -> tuple[str, str]:
    people = f"{float(a.measured['occupancy']):.0f}"
    cap, ratio = int(a.details["capacity"]), _pct(a.measured["ratio"], 0)
    return (
        f"园内约 {people} 人，容量 {cap}（{ratio}）",
        f"about {people} people, capacity {cap} ({ratio})",
    )


_COUNTER = {
    "offline": ("计数器离线", "counter offline"),
    "stuck": ("计数器读数停滞", "counter stuck"),
    "implausible": ("计数器数据不合理", "counter readings implausible"),
}


def _counter(a: AlertFacts) -> tuple[str, str]:
    return _COUNTER[a.details["subtype"]]


def _carpark(a: AlertFacts) -> tuple[str, str]:
    used, total = int(a.measured["occupied"]), int(float(a.threshold or 0))
    return f"停车场已满（{used}/{total} 个车位）", f"car park full ({used}/{total} spaces)"


def _offline(a: AlertFacts) -> tuple[str, str]:
    if a.state == "closed":
        return "设备已恢复上报", "the device is reporting again"
    every = f"{float(a.details['expected_interval_s']):g}"
    return (
        f"设备无数据（应每 {every} 秒上报）",
        f"no data from the device (expected every {every} s)",
    )


LINES: dict[str, Line] = {
    "encroachment": _encroachment,
    "congestion": _congestion,
    "lingering": _lingering,
    "vehicle_intrusion": _vehicle,
    "litter": _litter,
    "camera_tamper": _tamper,
    "camera_fault": _camera_fault,
    "noise_exceedance": _noise,
    "noise_impulsive": _impulsive,
    "microphone_fault": _microphone,
    "park_capacity": _park,
    "counter_fault": _counter,
    "carpark_full": _carpark,
    "device_offline": _offline,
}


#: Camera zone types whose closing message measures the empty zone (a stall's age 0 s).
CLEARED_WHEN_CLOSED = frozenset(
    {"encroachment", "congestion", "lingering", "vehicle_intrusion", "litter"}
)


def summaries(alert: AlertFacts) -> dict[str, str]:
    """The alert's summary per language (:data:`LANGS`); the edge's summary where no line
    applies."""
    if alert.state == "closed" and alert.type in CLEARED_WHEN_CLOSED:
        return {"zh": "已解除", "en": "cleared"}
    line = LINES.get(alert.type)
    if line is not None:
        try:
            zh, en = line(alert)
        except (KeyError, TypeError, ValueError):
            pass  # a value the line needs is missing or not a number: the edge's words
        else:
            return {"zh": zh, "en": en}
    return {"zh": alert.summary, "en": alert.summary}
