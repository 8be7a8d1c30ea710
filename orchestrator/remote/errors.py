"""The one error type of the remote layer.

Every failure that reaches a caller of `orchestrator.remote` is a RemoteError
(or one of its two configuration subclasses), so the publish service needs a
single `except` and decides what to do from `permanent`, `kind` and `status`
rather than from the class of some library exception.

Messages are plain text: templates escape them, so nothing here HTML-escapes.
They never carry credentials: the client scrubs remote bodies before it builds
an error from them, and configuration errors name variables, not values.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

ErrorKind = Literal["http", "timeout", "connection", "unsafe_url", "config"]

MESSAGE_LIMIT = 1000


def shorten(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Strip text and cut it to `limit` characters, marking the cut with an ellipsis."""
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def _detail_entries(data: Any) -> list[Any]:
    """The per-problem entries of an error body, whichever shape the remote used."""
    if isinstance(data, list):  # a bare list of problems
        return data
    entries: list[Any] = []
    for key in ("o:errorDetails", "errorDetails", "Error", "errors"):
        value = data.get(key)
        if isinstance(value, dict):
            value = [value]
        if isinstance(value, list):
            entries += value
    return entries


def _entry_text(entry: Any) -> str:
    """ "Detail (error 27023 at /Steps/0)" from one problem entry; "" when it says nothing."""
    if isinstance(entry, str):
        return entry.strip()
    if not isinstance(entry, dict):
        return ""
    text = next(
        (
            entry[k].strip()
            for k in ("detail", "message", "title")
            if isinstance(entry.get(k), str) and entry[k].strip()
        ),
        "",
    )
    code = entry.get("o:errorCode", entry.get("errorCode"))
    where = entry.get("o:errorPath", entry.get("errorPath"))
    tags = []
    if isinstance(code, str | int) and str(code).strip():
        tags.append(f"error {str(code).strip()[:40]}")
    if isinstance(where, str) and where.strip():
        tags.append(f"at {where.strip()[:200]}")
    if text and tags:
        return f"{text} ({' '.join(tags)})"
    return text


def message_from_body(text: str, content_type: str = "") -> str:
    """The human part of an error reply, whatever shape the remote used; "" for an empty body.

    ADF's JSON in its forms: a top-level ``detail`` (IoT, B2C Service, our
    emulator), the ``o:errorDetails`` array of framework version 4 (where
    ``status`` is a string), entries naming an ``o:errorCode`` and
    ``o:errorPath``, a bare list, or only a ``title``. Anything else is kept
    as text, HTML from a gateway reduced to its words. The result is plain
    text (templates escape it), stripped and truncated to MESSAGE_LIMIT.
    """
    text = (text or "").strip()
    if not text:
        return ""
    data: Any = None
    if text[:1] in "{[":
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            data = None
    if isinstance(data, dict | list):
        parts: list[str] = []
        head = (
            _entry_text({"detail": data.get("detail"), "o:errorCode": data.get("o:errorCode")})
            if isinstance(data, dict)
            else ""
        )
        for value in [head, *(_entry_text(entry) for entry in _detail_entries(data))]:
            bare = value.split(" (error ", 1)[0]
            if value and not any(p.split(" (error ", 1)[0] == bare for p in parts):
                parts.append(value)
        if not parts and isinstance(data, dict) and isinstance(data.get("title"), str) and data["title"].strip():
            parts.append(data["title"].strip())
        if parts:
            return shorten("; ".join(parts))
    if "html" in content_type.lower() or text.lower().startswith(("<!doctype", "<html")):
        # Proxies and load balancers answer with an HTML page: keep its words only.
        text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
        text = re.sub(r"<[^>]+>", " ", text)
    return shorten(re.sub(r"\s+", " ", text))


def no_details_message(status: int, reason: str = "", system_label: str = "CX Sales") -> str:
    """What to say when the remote answered an error with an empty body (ADF 12.2.1.4+ does for a 500)."""
    phrase = f" ({reason})" if reason else ""
    return f"{system_label} answered {status}{phrase} with no details."


def jsonapi_problems(text: str) -> list[dict[str, str]]:
    """The ``errors[]`` of a JSON:API error body as {id, title, detail, pointer}; [] when it is not one.

    Outreach spells the human text ``detail`` in its OpenAPI and ``details``
    in its own 415 example: both are read. ``source.pointer`` (e.g.
    ``/data/attributes/name``) says which attribute a validation error is
    about. Values are plain text, each cut to a sensible length.
    """
    text = (text or "").strip()
    if not text.startswith("{"):
        return []
    try:
        data = json.loads(text)
    except ValueError:
        return []
    errors = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(errors, list):
        return []
    problems = []
    for entry in errors:
        if not isinstance(entry, dict):
            continue
        source = entry.get("source") if isinstance(entry.get("source"), dict) else {}

        def text_of(value: Any, limit: int) -> str:
            return shorten(value, limit) if isinstance(value, str) else ""

        problem = {
            "id": text_of(entry.get("id"), 80),
            "title": text_of(entry.get("title"), 200),
            "detail": text_of(entry.get("detail"), 500) or text_of(entry.get("details"), 500),
            "pointer": text_of(source.get("pointer"), 200),
        }
        if any(problem.values()):
            problems.append(problem)
    return problems


class RemoteError(Exception):
    """A remote call failed; `permanent` says whether repeating it unchanged can help.

    - ``status``: the HTTP status, None when no response arrived (network, config).
    - ``permanent``: True when retrying or resuming without a change fails again
      (400/401/403/404/409/412 and other 4xx, redirects, unsafe URL, bad config).
    - ``kind``: "http" | "timeout" | "connection" | "unsafe_url" | "config".
    - ``ambiguous``: True when the request may have been carried out although
      no success came back (a timeout, a dropped connection, 502/504 from a
      gateway): before repeating a request that is not safe to repeat, look.
    - ``details``: the remote's problems one by one when its error body lists
      them in a known shape (JSON:API: ``{"id", "title", "detail", "pointer"}``).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        permanent: bool = False,
        kind: ErrorKind = "http",
        ambiguous: bool = False,
        details: tuple[dict[str, str], ...] = (),
    ) -> None:
        self.message = shorten(message) or "remote call failed"
        self.status = status
        self.permanent = permanent
        self.kind = kind
        self.ambiguous = ambiguous
        self.details = tuple(details)
        super().__init__(self.message)

    @property
    def auth_failed(self) -> bool:
        """True when the remote refused the credentials or the privileges (401/403)."""
        return self.status in (401, 403)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(kind={self.kind!r}, status={self.status!r}, "
            f"permanent={self.permanent!r}, message={self.message!r})"
        )


class ConnectionConfigError(RemoteError):
    """The connection settings are unusable (unknown name, bad URL, bad version…)."""

    def __init__(self, message: str, *, kind: ErrorKind = "config") -> None:
        super().__init__(message, status=None, permanent=True, kind=kind)


class UnsafeURLError(ConnectionConfigError):
    """The base URL (or the address it resolves to) is not a place we may send requests to."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind="unsafe_url")
