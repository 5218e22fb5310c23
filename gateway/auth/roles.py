"""The roles and the department ids the gateway knows (shared with incidents routing)."""

from __future__ import annotations

from typing import Final

ADMIN: Final = "admin"
MANAGER: Final = "manager"  # sees one site
OFFICER: Final = "officer"  # sees what is routed to one department
VIEWER: Final = "viewer"  # sees everything, changes nothing
ROLES: Final = (ADMIN, MANAGER, OFFICER, VIEWER)

#: Department ids (GATEWAY.md): the ones that "report" when a centre blows the whistle.
DEPARTMENTS: Final = (
    "city_enforcement",  # 城管执法
    "market_supervision",  # 市场监管
    "police",  # 公安
    "property_management",  # 物业
    "sanitation",  # 环卫
    "street_centre",
    "district_centre",
)
