"""Every error is JSON ``{"detail": ...}``; no request, however malformed, gives a bare 500.

- HTTP errors keep their status and message.
- Validation errors give 422 with ``detail`` a list of ``{loc, msg, type}`` (``loc`` names the
  field, e.g. ``["query", "limit"]``) and ``message`` one line naming every bad field. The
  offending input is not echoed back (it may be a password).
- A value the database refuses (``sqlalchemy.exc.DataError``: too long, out of range) is a 422;
  it is logged, since a route should have bounded the parameter.
- Anything else is a bug: it is logged with the request line and answered with a JSON 500
  ``{"detail": "internal error", "error_id": ...}`` whose id appears in the log.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

log = logging.getLogger(__name__)

_NO_BODY = frozenset({204, 304})


def _clean_errors(errors: Any) -> list[dict[str, Any]]:
    cleaned = []
    for err in errors:
        loc = [p if isinstance(p, int) else str(p) for p in err.get("loc", ())]
        cleaned.append({"loc": loc, "msg": str(err.get("msg", "")), "type": str(err.get("type"))})
    return cleaned


def validation_message(errors: list[dict[str, Any]]) -> str:
    parts = []
    for err in errors:
        where = ".".join(str(p) for p in err["loc"]) or "request"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = getattr(exc, "headers", None)
    if exc.status_code in _NO_BODY or exc.status_code < 200:
        return Response(status_code=exc.status_code, headers=headers)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _clean_errors(exc.errors())
    return JSONResponse({"detail": errors, "message": validation_message(errors)}, status_code=422)


async def _data_error(request: Request, exc: Exception) -> Response:
    """The database refused a value (too long, out of range): a client error that a route's
    validation should have caught first; answered as 422 and logged so the route gets fixed."""
    log.warning(
        "database refused a value on %s %s (route lacks a bound): %s",
        request.method,
        request.url.path,
        str(getattr(exc, "orig", exc)).splitlines()[0] if str(exc) else type(exc).__name__,
    )
    detail = [{"loc": ["request"], "msg": "a value is out of range or too long", "type": "data"}]
    return JSONResponse({"detail": detail, "message": detail[0]["msg"]}, status_code=422)


async def _internal_error(request: Request, exc: Exception) -> Response:
    error_id = uuid.uuid4().hex[:12]
    log.error(
        "internal error %s on %s %s",
        error_id,
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    recent = getattr(request.app.state, "internal_errors", None)
    if isinstance(recent, list):  # the last few ids, for tests and diagnostics
        recent.append(error_id)
        del recent[:-100]
    return JSONResponse({"detail": "internal error", "error_id": error_id}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(Exception, _internal_error)


def validation_error(location: str, field: str, message: str) -> RequestValidationError:
    """A 422 for a parameter found bad after parsing (e.g. a cursor that does not decode)."""
    return RequestValidationError(
        [{"loc": (location, field), "msg": message, "type": "value_error"}]
    )
