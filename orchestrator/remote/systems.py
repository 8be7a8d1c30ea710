"""The registry of remote systems: what differs between CX Sales, Outreach and B2C Service.

One HTTP client (`client.RemoteClient`) talks to every system; a
`RemoteSystem` tells it what is particular to one:

- where the API lives (``api_root``) and whether the operator's base URL
  already names it (Outreach: ``https://api.outreach.io/api/v2``) or the
  client adds it (CX Sales: ``https://pod`` + ``/crmRestApi/resources/11.13.18.05``);
- the media type of its bodies and the headers every request carries;
- how it says "slow down": ``Retry-After`` everywhere, plus Outreach's
  ``X-RateLimit-Reset`` (epoch seconds) on a 429 and ``X-RateLimit-Remaining``
  reaching 0 (a value that may hold two comma-separated counts);
- how its error bodies read (ADF's shapes, JSON:API ``errors[]``, B2C Service's
  ``type``/``title``/``status``/``detail``/``o:errorCode``);
- B2C Service's ``osvc-crest-next-request-after`` (milliseconds to wait before
  the next call), honoured on every reply like a spent rate limit.

Connections are read per system from the environment (`connections.py`,
variables ``<PREFIX>_BASE_URL`` …); the built-in sandbox serves every system
at ``sandbox://builtin`` under its own ``api_root``.

Adding a system is adding a subclass here, its connection reader in
`connections.py` and its resources module (`cx.py`, `outreach.py`, …).
"""

from __future__ import annotations

import base64
import email.utils
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .errors import jsonapi_problems, message_from_body, no_details_message, shorten
from .url_safety import REST_ROOT, SANDBOX_BASE_URL

if TYPE_CHECKING:
    from .connections import Connection

__all__ = [
    "B2C_SERVICE",
    "CX_SALES",
    "OUTREACH",
    "SYSTEMS",
    "RemoteSystem",
    "rate_limit_remaining",
    "retry_after_seconds",
    "system_named",
]

USER_AGENT = "Orchestrator/1.0 (+CX Sales orchestration designer)"
# An epoch timestamp, not a number of seconds: anything after 2001-09-09.
_EPOCH_FLOOR = 1_000_000_000


def rate_limit_remaining(value: str | None) -> int | None:
    """The smallest count in an X-RateLimit-Remaining header ("9999, 19988" → 9999); None when absent or unreadable.

    Outreach has been seen to send two counts (per user and per app); the
    smaller is the one that runs out first.
    """
    counts = []
    for part in (value or "").split(","):
        part = part.strip()
        if part.isdigit():
            counts.append(int(part))
    return min(counts) if counts else None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), None if absent/invalid."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def authorization(connection: Connection) -> dict[str, str]:
    """The Authorization header of a connection's credentials ({} when it has none)."""
    if connection.auth_kind == "bearer":
        return {"Authorization": f"Bearer {connection.token}"}
    if connection.auth_kind == "basic":
        pair = f"{connection.username}:{connection.password}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
    return {}


def _epoch_wait(value: str | None, now: float) -> float | None:
    """Seconds until an epoch timestamp header (0 when it has passed); None when absent or not a timestamp."""
    value = (value or "").strip()
    if not value.isdigit() or int(value) < _EPOCH_FLOOR:
        return None
    return max(0.0, int(value) - now)


class RemoteSystem:
    """One kind of remote. Subclasses set the class attributes and override the hooks they need."""

    key = ""  # stored with runs and journal entries: "cx_sales", "outreach"
    label = ""  # in sentences: "CX Sales"
    env_prefix = ""  # CX_BASE_URL, OUTREACH_CONNECTIONS …
    api_root = ""  # where the resources are, below the host
    base_url_has_root = False  # True: the operator's base URL ends with api_root
    media_type = "application/json"
    # Send Content-Type on every request, not only those with a body (Outreach answers 415 otherwise).
    content_type_always = False

    def api_url(self, base_url: str) -> str:
        """What every request path is appended to, for a connection with this base URL."""
        if self.base_url_has_root and base_url != SANDBOX_BASE_URL:
            return base_url
        return base_url + self.api_root

    def headers(self, connection: Connection, *, has_body: bool) -> dict[str, str]:
        """The headers of every request to this system: Accept, User-Agent, Authorization, Content-Type."""
        headers = {"Accept": self.media_type, "User-Agent": USER_AGENT, **authorization(connection)}
        if has_body or self.content_type_always:
            headers["Content-Type"] = self.media_type
        return headers

    def error(self, status: int, reason: str, text: str, content_type: str) -> tuple[str, tuple[dict[str, str], ...]]:
        """(a one-line message, the per-problem details) of an error reply."""
        message = message_from_body(text, content_type) or no_details_message(status, reason, self.label)
        return message, ()

    def retry_wait(self, status: int, headers: Mapping[str, str], now: float | None = None) -> float | None:
        """How long the remote asked us to wait before retrying a 429/503 (None: it did not say)."""
        return retry_after_seconds(headers.get("retry-after"))

    def pause_before_next(self, headers: Mapping[str, str], now: float | None = None) -> float:
        """Seconds to hold the next request after this reply (0: none); for rate limits about to run out."""
        return 0.0

    def __repr__(self) -> str:
        return f"<RemoteSystem {self.key}>"


class CxSalesSystem(RemoteSystem):
    """Oracle CX Sales (ADF REST): the REST root is added to a host-only base URL."""

    key = "cx_sales"
    label = "CX Sales"
    env_prefix = "CX"
    api_root = REST_ROOT

    def headers(self, connection: Connection, *, has_body: bool) -> dict[str, str]:
        # The framework version is pinned on every call; the order is the one the journal has always shown.
        headers = {
            "Accept": "application/json",
            "REST-Framework-Version": connection.framework_version,
            "User-Agent": USER_AGENT,
            **authorization(connection),
        }
        if connection.metadata_context:
            headers["Metadata-Context"] = f'sandbox="{connection.metadata_context}"'
        if has_body:
            headers["Content-Type"] = "application/json"
        return headers


class OutreachSystem(RemoteSystem):
    """Outreach API v2 (JSON:API): Bearer tokens, application/vnd.api+json, X-RateLimit-* headers."""

    key = "outreach"
    label = "Outreach"
    env_prefix = "OUTREACH"
    api_root = "/api/v2"
    base_url_has_root = True
    media_type = "application/vnd.api+json"
    content_type_always = True

    def error(self, status: int, reason: str, text: str, content_type: str) -> tuple[str, tuple[dict[str, str], ...]]:
        problems = jsonapi_problems(text)
        if not problems:
            return super().error(status, reason, text, content_type)
        parts: list[str] = []
        for problem in problems:
            words = problem["detail"] or problem["title"] or problem["id"]
            where = problem["pointer"].removeprefix("/data/attributes/") if problem["pointer"] else ""
            line = f"{where}: {words}" if where and words else words or where
            if line and line not in parts:
                parts.append(line)
        return shorten("; ".join(parts)) or no_details_message(status, reason, self.label), tuple(problems)

    def retry_wait(self, status: int, headers: Mapping[str, str], now: float | None = None) -> float | None:
        now = time.time() if now is None else now
        if status == 429:
            reset = _epoch_wait(headers.get("x-ratelimit-reset"), now)
            if reset is not None:
                return reset
        # Outreach's maintenance 503 may carry Retry-After as a timestamp.
        stamp = _epoch_wait(headers.get("retry-after"), now)
        return stamp if stamp is not None else super().retry_wait(status, headers, now)

    def pause_before_next(self, headers: Mapping[str, str], now: float | None = None) -> float:
        if rate_limit_remaining(headers.get("x-ratelimit-remaining")) != 0:
            return 0.0
        now = time.time() if now is None else now
        reset = _epoch_wait(headers.get("x-ratelimit-reset"), now)
        if reset is None:
            # The budget is spent and the reply does not say until when: a short breather, then let a 429 tell us.
            return 1.0
        return reset


B2C_API_ROOT = "/services/rest/connect/v1.4"
B2C_NEXT_REQUEST_AFTER = "osvc-crest-next-request-after"


def next_request_after_seconds(value: str | None) -> float | None:
    """Seconds from B2C Service's ``osvc-crest-next-request-after`` (milliseconds); None when absent or unreadable."""
    value = (value or "").strip()
    if not value.isdigit():
        return None
    return int(value) / 1000.0


class B2cServiceSystem(RemoteSystem):
    """Oracle B2C Service Connect REST v1.4: Basic credentials, the Application-Context header, OSC-CREST errors.

    The operator's base URL names the API root (``https://site/services/rest/connect/v1.4``).
    Every request carries ``OSvC-CREST-Application-Context`` (required from
    v1.4, at most 40 characters; the connection's ``app_context``). A reply's
    ``osvc-crest-next-request-after`` holds the next request that many
    milliseconds, and is the wait before retrying a 429/503 when no
    Retry-After says otherwise.
    """

    key = "b2c_service"
    label = "B2C Service"
    env_prefix = "B2C"
    api_root = B2C_API_ROOT
    base_url_has_root = True

    def headers(self, connection: Connection, *, has_body: bool) -> dict[str, str]:
        headers = super().headers(connection, has_body=has_body)
        headers["OSvC-CREST-Application-Context"] = connection.app_context
        return headers

    def error(self, status: int, reason: str, text: str, content_type: str) -> tuple[str, tuple[dict[str, str], ...]]:
        message, _ = super().error(status, reason, text, content_type)
        details: tuple[dict[str, str], ...] = ()
        try:
            data = json.loads(text) if text.strip().startswith("{") else None
        except (ValueError, RecursionError):
            data = None
        if isinstance(data, dict):
            entry = {
                key: shorten(str(data[key]), 300)
                for key in ("type", "title", "status", "detail", "o:errorCode")
                if data.get(key) not in (None, "")
            }
            if entry:
                details = (entry,)
        return message, details

    def retry_wait(self, status: int, headers: Mapping[str, str], now: float | None = None) -> float | None:
        asked = super().retry_wait(status, headers, now)
        return asked if asked is not None else next_request_after_seconds(headers.get(B2C_NEXT_REQUEST_AFTER))

    def pause_before_next(self, headers: Mapping[str, str], now: float | None = None) -> float:
        return next_request_after_seconds(headers.get(B2C_NEXT_REQUEST_AFTER)) or 0.0


CX_SALES = CxSalesSystem()
OUTREACH = OutreachSystem()
B2C_SERVICE = B2cServiceSystem()
SYSTEMS: dict[str, RemoteSystem] = {system.key: system for system in (CX_SALES, OUTREACH, B2C_SERVICE)}


def system_named(key: str) -> RemoteSystem:
    """The system registered as `key`; KeyError names the known ones."""
    try:
        return SYSTEMS[key]
    except KeyError:
        raise KeyError(f"unknown remote system {key!r}; known: {', '.join(SYSTEMS)}") from None
