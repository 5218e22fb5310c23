"""Notification config (``notify_file`` in the gateway settings): channels and who gets what.

A channel is one robot or webhook: a WeCom group robot, a DingTalk custom robot (signed with
HMAC-SHA256) or a generic JSON webhook. A rule sends events of some kinds, for some sites and
departments, at or above a severity, to one channel; quiet hours defer what is not urgent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from whistle.config.common import Identifier, TimeWindow, TimeZoneName
from whistle.config.loader import StrictModel, load_yaml_model

SEVERITY_ORDER = {"info": 0, "warning": 1, "major": 2, "critical": 3}

EventName = Literal[
    "incident_opened",
    "incident_transition",
    "incident_escalated",
    "incident_reopened",
    "incident_verified",
    "grid_miss",
]

#: Events the incident engine emits.
EVENTS: tuple[EventName, ...] = (
    "incident_opened",
    "incident_transition",
    "incident_escalated",
    "incident_reopened",
    "incident_verified",
    "grid_miss",
)

Severity = Literal["info", "warning", "major", "critical"]


class Channel(StrictModel):
    id: Identifier
    kind: Literal["wecom", "dingtalk", "webhook"]
    #: Full robot URL (WeCom: .../cgi-bin/webhook/send?key=KEY; DingTalk:
    #: .../robot/send?access_token=T) or the webhook URL.
    url: str = Field(pattern=r"^https?://")
    #: DingTalk signing secret ("SEC..."); for a webhook, the HMAC key of X-Whistle-Signature.
    secret: str | None = None
    #: Robots allow about 20 messages a minute (DingTalk then throttles for 10 minutes).
    rate_per_min: Annotated[int, Field(gt=0, le=600)] = 20
    #: "markdown" or "text" for robots.
    format: Literal["text", "markdown"] = "markdown"
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 5.0


class Rule(StrictModel):
    channel: Identifier
    events: list[EventName] = Field(default_factory=lambda: list(EVENTS))
    #: Empty: any. ``departments`` matches the routed department, or the centre an escalation
    #: goes to.
    sites: list[Identifier] = Field(default_factory=list)
    departments: list[Identifier] = Field(default_factory=list)
    grids: list[Identifier] = Field(default_factory=list)
    min_severity: Severity = "info"
    #: Who reads this channel (documentation, and the audience shown in the message).
    audience: Literal["officers", "managers", "centre", "grid", "everyone"] = "everyone"
    mention_mobiles: list[Annotated[str, Field(pattern=r"^\+?[0-9]{5,20}$")]] = Field(
        default_factory=list
    )


class QuietHours(StrictModel):
    window: TimeWindow
    #: Messages at or above this severity are sent even in quiet hours.
    bypass_severity: Severity = "critical"


class Retry(StrictModel):
    max_attempts: Annotated[int, Field(ge=1, le=50)] = 8
    base_s: Annotated[float, Field(gt=0)] = 10.0
    max_backoff_s: Annotated[float, Field(gt=0)] = 3600.0


class NotifyConfig(StrictModel):
    version: Literal[1] = 1
    timezone: TimeZoneName = "Asia/Shanghai"
    language: Literal["zh", "en", "both"] = "both"
    #: Base URL of the gateway's pages, for links in messages.
    public_url: str = ""
    channels: list[Channel] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    quiet_hours: QuietHours | None = None
    retry: Retry = Field(default_factory=Retry)

    @model_validator(mode="after")
    def _consistent(self) -> NotifyConfig:
        ids = [c.id for c in self.channels]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"channel ids used twice: {', '.join(dupes)}")
        for i, rule in enumerate(self.rules):
            if rule.channel not in ids:
                raise ValueError(f"rules.{i} names unknown channel {rule.channel!r}")
        return self

    def channel(self, channel_id: str) -> Channel | None:
        for c in self.channels:
            if c.id == channel_id:
                return c
        return None


def load_notify(path: Path | str) -> NotifyConfig:
    return load_yaml_model(path, NotifyConfig)
