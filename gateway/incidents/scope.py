"""Officers see the alerts whose incidents are routed to their department (replaces the API's
interim type mapping through ``service.alert_scope``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, select, true

from gateway.auth.deps import Principal
from gateway.incidents.lifecycle import CENTRE_DEPARTMENTS
from gateway.incidents.models import Incident, IncidentAlert

if TYPE_CHECKING:
    from gateway.db.models import Alert


class IncidentAlertScope:
    def officer_clause(self, principal: Principal) -> ColumnElement[bool]:
        from gateway.db.models import Alert

        if principal.department in CENTRE_DEPARTMENTS:
            return true()
        routed = (
            select(IncidentAlert.alert_id)
            .join(Incident, Incident.id == IncidentAlert.incident_id)
            .where(Incident.department == (principal.department or ""))
        )
        return Alert.alert_id.in_(routed)

    def officer_sees(self, principal: Principal, alert: Alert) -> bool:
        from sqlalchemy.orm import object_session

        if principal.department in CENTRE_DEPARTMENTS:
            return True
        session = object_session(alert)
        if session is None:
            return False
        department = session.scalar(
            select(Incident.department)
            .join(IncidentAlert, IncidentAlert.incident_id == Incident.id)
            .where(IncidentAlert.alert_id == alert.alert_id)
        )
        return department is not None and department == principal.department
