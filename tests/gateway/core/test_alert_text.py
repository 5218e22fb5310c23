"""Alert summaries in Chinese and English from what the alert measured (gateway.alert_text)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.alert_text import LINES, AlertFacts, summaries

NOISE = {"period": "night", "zone_class": "2", "source_hint": "loudspeaker_loop"}


def facts(
    type: str,
    measured: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    *,
    state: str = "opened",
    threshold: float | None = None,
) -> AlertFacts:
    return AlertFacts(type, state, measured or {}, threshold, details or {}, "edge words")


@pytest.mark.parametrize(
    ("alert", "zh", "en"),
    [
        (
            facts("encroachment", {"age_s": 250.4, "area": 0.0123}),
            "线外物品已停放 4 分 10 秒，占画面 1.2%",
            "object outside the line for 4 min 10 s, 1.2% of the view",
        ),
        (
            facts("congestion", {"density": 0.184}),
            "入口人群占用 18%",
            "people cover 18% of the entrance",
        ),
        (
            facts("lingering", {"stay_s": 75.0}),
            "有人滞留 1 分 15 秒",
            "a person has stayed 1 min 15 s",
        ),
        (
            facts("vehicle_intrusion", {"area": 0.031}),
            "车辆驶入步行街（占画面 3.1%）",
            "a vehicle in the pedestrian street (3.1% of the view)",
        ),
        (
            facts("litter", {"litter": 0.0041}),
            "遗留垃圾覆盖区域的 0.41%",
            "rubbish covers 0.41% of the zone",
        ),
        (facts("camera_tamper", details={"subtype": "covered"}), "镜头被遮挡", "lens covered"),
        (
            facts("camera_tamper", details={"subtype": ""}, state="closed"),
            "画面已恢复",
            "view restored",
        ),
        (
            facts("camera_fault", details={"faults": ["stalled", "frozen"]}),
            "视频流中断、画面冻结",
            "stream stalled, frozen picture",
        ),
        (
            facts("noise_exceedance", {"laeq_mean_db": 63.44}, NOISE, threshold=50.0),
            "LAeq 63.4 dB(A)，超过夜间限值 50 dB(A)（2 类声环境功能区）；疑似声源：循环喇叭叫卖",
            "LAeq 63.4 dB(A) over the night limit 50 dB(A) (class 2); "
            "likely source: looped loudspeaker",
        ),
        (
            facts("noise_impulsive", {"lafmax_peak_db": 81.0}, NOISE, threshold=65.0),
            "LAFmax 81.0 dB(A)，超过夜间限值 65 dB(A)（2 类声环境功能区）；疑似声源：循环喇叭叫卖",
            "LAFmax 81.0 dB(A) over the night limit 65 dB(A) (class 2); "
            "likely source: looped loudspeaker",
        ),
        (
            facts("park_capacity", {"occupancy": 1234.4, "ratio": 0.823}, {"capacity": 1500}),
            "园内约 1234 人，容量 1500（82%）",
            "about 1234 people, capacity 1500 (82%)",
        ),
        (facts("counter_fault", details={"subtype": "stuck"}), "计数器读数停滞", "counter stuck"),
        (
            facts("carpark_full", {"occupied": 40.0, "free": 0.0}, threshold=40.0),
            "停车场已满（40/40 个车位）",
            "car park full (40/40 spaces)",
        ),
        (
            facts("device_offline", details={"expected_interval_s": 60.0}),
            "设备无数据（应每 60 秒上报）",
            "no data from the device (expected every 60 s)",
        ),
        (
            facts("device_offline", details={"expected_interval_s": 60.0}, state="closed"),
            "设备已恢复上报",
            "the device is reporting again",
        ),
        # a camera zone's closing message measures the empty zone
        (facts("encroachment", {"age_s": 0.0}, state="closed"), "已解除", "cleared"),
    ],
)
def test_each_type_reads_in_both_languages(alert: AlertFacts, zh: str, en: str) -> None:
    assert summaries(alert) == {"zh": zh, "en": en}


@pytest.mark.parametrize(
    "alert",
    [
        facts("complaint"),  # no line for the type: the caller's own words
        facts("encroachment", {"area": 0.01}),  # a value the line needs is missing
        facts("lingering", {"stay_s": "long"}),  # not a number
        facts("camera_tamper", details={"subtype": "sprayed"}),  # a subtype it does not know
        facts("noise_exceedance", {"laeq_mean_db": 60.0}, {"period": "night"}, threshold=50.0),
    ],
)
def test_without_what_a_line_needs_the_edge_words_stand(alert: AlertFacts) -> None:
    assert summaries(alert) == {"zh": "edge words", "en": "edge words"}


def test_every_edge_alert_type_has_a_line() -> None:
    from edge.vision.session import EPISODE_TYPES
    from gateway.notify.templates import TYPE_NAMES

    types = {t for t, _ in EPISODE_TYPES.values()} | set(TYPE_NAMES)
    assert types <= set(LINES)
