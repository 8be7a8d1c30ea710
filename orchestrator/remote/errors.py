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


def message_from_body(text: str, content_type: str = "") -> str:
    """The human part of an error reply: ADF's JSON fields when present, else the text.

    Takes ``detail``, then the ``o:errorDetails[].detail`` entries (joined with
    "; "), and falls back to ``title``; a body that is not such JSON is kept as
    text (HTML tags dropped, whitespace collapsed). Returns "" for an empty
    body. The result is plain text, stripped and truncated to MESSAGE_LIMIT.
    """
    text = (text or "").strip()
    if not text:
        return ""
    data: Any = None
    if text[:1] in "{[":
        try:
            data = json.loads(text)
        except ValueError:
            data = None
    if isinstance(data, dict):
        parts: list[str] = []
        for value in [data.get("detail")] + [
            item.get("detail") for item in data.get("o:errorDetails") or [] if isinstance(item, dict)
        ]:
            if isinstance(value, str) and value.strip() and value.strip() not in parts:
                parts.append(value.strip())
        if not parts and isinstance(data.get("title"), str) and data["title"].strip():
            parts.append(data["title"].strip())
        if parts:
            return shorten("; ".join(parts))
    if "html" in content_type.lower() or text.lower().startswith(("<!doctype", "<html")):
        # Proxies and load balancers answer with an HTML page: keep its words only.
        text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
        text = re.sub(r"<[^>]+>", " ", text)
    return shorten(re.sub(r"\s+", " ", text))


class RemoteError(Exception):
    """A remote call failed; `permanent` says whether repeating it unchanged can help.

    - ``status``: the HTTP status, None when no response arrived (network, config).
    - ``permanent``: True when retrying or resuming without a change fails again
      (400/401/403/404/409/412 and other 4xx, redirects, unsafe URL, bad config).
    - ``kind``: "http" | "timeout" | "connection" | "unsafe_url" | "config".
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        permanent: bool = False,
        kind: ErrorKind = "http",
    ) -> None:
        self.message = shorten(message) or "remote call failed"
        self.status = status
        self.permanent = permanent
        self.kind = kind
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
