"""``GET /api/stream``: Server-Sent Events of alerts, device changes and incidents.

Read from the Event table (so every gateway instance serves every event). Each SSE event has
``id`` = Event.id, ``event`` = its kind (alert, device, incident) and ``data`` = JSON
``{id, kind, subject, data, created_at}``. A reconnecting EventSource sends ``Last-Event-ID``
and resumes after it without loss or repeats; ``?last_event_id=`` does the same for clients
that cannot set headers. Without either the stream starts with new events only. Keep-alive
comments (``: ping``) go out every 15 s when idle.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from gateway.api.config import ApiConfig
from gateway.api.errors import validation_error
from gateway.api.events import latest_event_id, read_events
from gateway.api.hub import watcher_for
from gateway.auth.deps import CurrentPrincipal
from gateway.auth.scope import scope_of

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["stream"])

#: Reconnection delay suggested to EventSource clients, milliseconds.
RETRY_MS = 3000
MAX_EVENT_ID = 2**63 - 1


def resume_after(
    request: Request,
    principal: CurrentPrincipal,
    last_event_id_header: Annotated[
        str | None, Header(alias="last-event-id", max_length=32)
    ] = None,
    last_event_id: Annotated[
        int | None, Query(ge=0, le=MAX_EVENT_ID, description="resume after this event id")
    ] = None,
) -> int:
    """The event id to continue after: Last-Event-ID, else ?last_event_id=, else the newest
    (checked before the response starts, so a bad value is a 422, not a broken stream)."""
    if last_event_id_header is not None and last_event_id_header.strip():
        try:
            value = int(last_event_id_header.strip())
        except ValueError:
            raise validation_error("header", "last-event-id", "not an event id") from None
        if not 0 <= value <= MAX_EVENT_ID:
            raise validation_error("header", "last-event-id", "not an event id")
        return value
    if last_event_id is not None:
        return last_event_id
    with request.app.state.service.store.session() as session:
        return latest_event_id(session)


@router.get("/stream", response_class=EventSourceResponse)
async def stream(
    request: Request,
    principal: CurrentPrincipal,
    after: Annotated[int, Depends(resume_after)],
) -> AsyncIterator[ServerSentEvent]:
    """Live events the caller may see, as ``text/event-stream``."""
    service = request.app.state.service
    config: ApiConfig = request.app.state.api_config
    store = service.store
    cursor = after

    def poll(after_id: int) -> tuple[list[ServerSentEvent], int]:
        with store.session() as session:
            items, next_id = read_events(session, principal, scope_of(service), after_id)
        events = [
            ServerSentEvent(
                id=str(item.id),
                event=item.kind,
                data={
                    "id": item.id,
                    "kind": item.kind,
                    "subject": item.subject,
                    "data": item.data,
                    "created_at": item.created_at.isoformat(),
                },
            )
            for item in items
        ]
        return events, next_id

    def read_latest() -> int:
        with store.session() as session:
            return latest_event_id(session)

    watcher = watcher_for(request.app.state, read_latest, config.stream_poll_s)
    yield ServerSentEvent(comment="whistle event stream", retry=RETRY_MS)
    latest = MAX_EVENT_ID  # unknown yet: read once at the start
    while True:
        if await request.is_disconnected():
            return
        if latest > cursor:
            try:
                events, next_id = await run_in_threadpool(poll, cursor)
            except Exception:
                # the database went away: end the stream; EventSource reconnects after
                # RETRY_MS with Last-Event-ID, so nothing is lost
                log.exception("event stream poll failed after id %d", cursor)
                return
            for event in events:
                yield event
            if next_id != cursor:
                cursor = next_id
                continue  # there may be more (a batch is bounded)
        # idle, or waiting for an id still in flight: until the watcher sees more
        latest = await watcher.next_tick()
        if latest < 0:
            latest = MAX_EVENT_ID  # the watcher could not read: ask the log directly
