"""Structured logs: one JSON object per line in production (``DJANGO_LOG_FORMAT=json``), never a secret.

- `JsonFormatter` writes ``{"time", "level", "logger", "message", …}`` plus the
  structured fields a record carries (``extra=``) and those bound to the
  current context with `bound(...)` — a publish binds its run id and the
  stage it is writing, so every remote exchange logged meanwhile says which
  run and stage it belongs to.
- `RequestLogMiddleware` logs one line per request: method, path, status,
  duration and the user's id (never a name or a session).

Every string that goes out passes through `redaction.redact`, fields
included: a path or a remote's message may carry a credential.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from .redaction import redact

# Structured fields a record may carry; anything else in `extra` is not ours to print.
FIELDS = (
    "event",
    "method",
    "path",
    "status",
    "duration_ms",
    "user_id",
    "system",
    "connection",
    "run_id",
    "stage",
    "attempt",
    "error",
)
_context: ContextVar[dict[str, Any]] = ContextVar("orchestrator_log_context", default={})  # noqa: B039 - never mutated

request_logger = logging.getLogger("orchestrator.requests")


@contextlib.contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Add `fields` to every record logged inside the block (nested blocks add to the outer ones)."""
    token = _context.set({**_context.get(), **{k: v for k, v in fields.items() if v not in (None, "")}})
    try:
        yield
    finally:
        _context.reset(token)


def _clean(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the structured fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name, value in _context.get().items():
            line.setdefault(name, _clean(value))
        for name in FIELDS:
            if hasattr(record, name):
                line[name] = _clean(getattr(record, name))
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


class RequestLogMiddleware:
    """One log line per request: method, path, status, duration, user id (JSON logs only; see settings)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        request_logger.info(
            "%s %s -> %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "event": "request",
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": user.pk if getattr(user, "is_authenticated", False) else None,
            },
        )
        return response
