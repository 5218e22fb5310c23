"""Evidence blobs (snapshots, level traces), served only to those who may see the alert."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi import Path as PathParam
from fastapi.responses import Response
from sqlalchemy import select

from gateway.api.config import ApiConfig
from gateway.api.params import WireIdStr
from gateway.auth.deps import CurrentPrincipal, DbSession
from gateway.auth.roles import ADMIN, VIEWER
from gateway.auth.scope import can_see_alert, scope_of
from gateway.db.models import Alert, Evidence

router = APIRouter(prefix="/api/evidence", tags=["alerts"])

#: Content types served as themselves; anything else (say text/html from a misbehaving agent)
#: goes out as an octet-stream attachment so a browser never renders it on our origin.
INLINE_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "application/json",
        "text/csv",
        "audio/wav",
        "audio/x-wav",
        "application/octet-stream",
    }
)


def _blob_path(evidence_dir: Path, relative: str) -> Path | None:
    root = evidence_dir.resolve()
    path = (root / relative).resolve()
    return path if path.is_relative_to(root) else None


@router.get(
    "/{evidence_id}",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}, "application/octet-stream": {}}},
        404: {"description": "No such evidence, not visible, or its blob expired"},
        409: {"description": "The id names evidence of several alerts: add alert_id"},
    },
)
def get_evidence(
    request: Request,
    evidence_id: Annotated[WireIdStr, PathParam()],
    principal: CurrentPrincipal,
    session: DbSession,
    alert_id: Annotated[uuid.UUID | None, Query(description="the alert it belongs to")] = None,
) -> Response:
    """The blob itself, with its content type and ``X-Content-Type-Options: nosniff``."""
    query = select(Evidence).where(Evidence.evidence_id == evidence_id)
    if alert_id is not None:
        query = query.where(Evidence.alert_id == str(alert_id))
    scope = scope_of(request.app.state.service)
    visible = []
    for row in session.scalars(query.order_by(Evidence.received_at.desc()).limit(20)):
        alert = session.get(Alert, row.alert_id)
        if alert is None:
            allowed = principal.role in (ADMIN, VIEWER)
        else:
            allowed = can_see_alert(principal, alert, scope)
        if allowed:
            visible.append(row)
    if not visible:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no evidence {evidence_id}")
    if len(visible) > 1:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"evidence {evidence_id} belongs to several alerts; add ?alert_id=",
        )
    row = visible[0]
    config: ApiConfig = request.app.state.api_config
    path = _blob_path(config.evidence_dir, row.path)
    try:
        data = path.read_bytes() if path is not None else None
    except OSError:
        data = None
    if data is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"evidence {evidence_id} is no longer held")
    content_type = row.content_type.split(";", 1)[0].strip().lower()
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, max-age=3600",
        "ETag": f'"{row.sha256}"',
    }
    if content_type not in INLINE_TYPES:
        content_type = "application/octet-stream"
        headers["Content-Disposition"] = f'attachment; filename="{evidence_id}"'
    return Response(content=data, media_type=content_type, headers=headers)
