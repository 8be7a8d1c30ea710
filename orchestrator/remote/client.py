"""The one HTTP client for every remote system: timeouts, bounded retries, one error type.

Every call goes through `RemoteClient.request` (`CxClient` is the same class,
the name CX Sales code has always used), which
- sends the system's standard headers (`systems.RemoteSystem.headers`: for
  CX Sales Accept, REST-Framework-Version, Authorization, Metadata-Context;
  for Outreach the JSON:API media type and a Bearer token) with explicit
  (connect, read) timeouts and never follows redirects (a redirect could
  carry our credentials somewhere else);
- checks the destination again before each attempt (DNS may have changed) and,
  at connect time, checks the address the socket actually reached;
- retries what is safe to retry: timeouts, dropped connections, 429, 502, 503
  and 504, with exponential backoff and full jitter or the wait the server
  asked for (Retry-After in seconds or as an HTTP date; Outreach's
  X-RateLimit-Reset epoch on a 429), capped. GETs, upserts and deletes by
  key can be repeated without duplicating anything; a request that cannot
  (``idempotent=False``: creating an association, an Outreach stage) is
  retried only when the remote surely did not act on it (429, 503, no
  connection), and an *ambiguous* failure (read timeout, dropped reply,
  502/504) is raised at once so the caller looks before it asks again;
- slows down before a limit is hit: when a reply says the rate-limit budget
  is spent (Outreach: X-RateLimit-Remaining 0), the next request waits for
  the reset (capped like Retry-After);
- never retries other statuses. 500 is not retried either: CX Sales answers
  500 for deterministic failures too (a bad value deep in a stage), and
  hammering it does not help. It is raised with ``permanent=False`` because a
  later resume may succeed;
- reports every attempt, redacted, to ``on_exchange`` (the journal).

The built-in sandbox (``sandbox://builtin``) goes through this same code: a
transport adapter hands the request to the in-process emulator of the system.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from ..redaction import SCRUBBED, Redactor
from .connections import Connection
from .errors import RemoteError, shorten
from .network_adapter import GuardedAdapter
from .systems import USER_AGENT, retry_after_seconds
from .url_safety import BaseURL, parse_base_url, resolve_checked

__all__ = [
    "USER_AGENT",
    "CxClient",
    "Exchange",
    "RemoteClient",
    "RemoteResponse",
    "retry_after_seconds",
]

logger = logging.getLogger("orchestrator.remote")

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
BODY_LIMIT = 20_000


@dataclass
class Exchange:
    """One HTTP attempt, already redacted and truncated, for the journal."""

    method: str
    path: str
    url: str
    status: int | None
    duration_ms: float
    attempt: int
    request_headers: dict[str, str]
    request_body: str
    response_headers: dict[str, str]
    response_body: str
    error: str = ""
    system: str = "cx_sales"  # systems.SYSTEMS key of the remote


@dataclass
class RemoteResponse:
    """A successful reply: parsed JSON in ``data`` (None when the body is empty or not JSON)."""

    status: int
    headers: dict[str, str]
    data: Any
    text: str
    etag: str = ""


def _network_reason(exc: BaseException) -> str:
    """A short, credential-free reason for a failure that produced no HTTP reply."""
    text = str(exc)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the reply was cut off"
    if "RemoteDisconnected" in text or "Connection aborted" in text or isinstance(exc, http.client.HTTPException):
        return "the remote closed the connection without a reply"
    if "Connection refused" in text:
        return "connection refused"
    if "Connection reset" in text:
        return "connection reset by the remote"
    if "NameResolutionError" in text or "Name or service not known" in text:
        return "could not resolve the host"
    return shorten(text, 300)


class RemoteClient:
    """HTTP to one connection of any system. Not thread-safe: use one client per job (it holds one Session)."""

    def __init__(
        self,
        connection: Connection,
        *,
        on_exchange: Callable[[Exchange], None] | None = None,
        before_retry: Callable[[], None] | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 20.0,
        retry_after_cap: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.connection = connection
        self.system = connection.remote_system
        self.on_exchange = on_exchange
        # Called after the wait and before each repeated attempt: a publish re-checks that the run is
        # still its own, so a worker that slept through a long Retry-After cannot write over a resume.
        self.before_retry = before_retry
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.retry_after_cap = retry_after_cap
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        # Every credential form (the environment's and this connection's), worked out once: a publish
        # scrubs a few dozen texts per request.
        self._redact = Redactor(connection.secrets())
        self._session = requests.Session()
        # No proxies, netrc or CA bundles from the environment: the address rules
        # must see the real destination, and netrc could replace our Authorization.
        self._session.trust_env = False
        self._session.adapters.clear()
        self._destination: BaseURL | None = None
        self._hold_until = 0.0  # monotonic time before which no request goes out (a spent rate limit)
        if connection.is_sandbox:
            from .sandbox_adapter import SandboxAdapter  # imports the ORM store lazily

            self._session.mount("sandbox://", SandboxAdapter())
        else:
            api_root = self.system.api_root if self.system.base_url_has_root else ""
            self._destination = parse_base_url(connection.base_url, api_root=api_root)
            adapter = GuardedAdapter(self._destination)
            self._session.mount("https://", adapter)
            self._session.mount("http://", adapter)

    def __enter__(self) -> RemoteClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    # -- public -----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> RemoteResponse:
        """Send `method` to the system's API root + `path` (already percent-encoded), retrying what is safe.

        `path` may carry its own query (a ``links.next`` taken apart by the
        caller); `params` are appended to it.

        Returns the reply for 2xx (and 304 to a conditional GET). Raises
        RemoteError: permanent for 4xx, redirects and unsafe destinations;
        not permanent for 500 (not retried) and when retries are exhausted.
        With ``idempotent=False`` an ambiguous failure is raised without a
        retry (``error.ambiguous`` is True).
        """
        if not path.startswith("/"):
            raise ValueError("path must start with '/'")
        method = method.upper()
        url = f"{self.connection.api_url}{path}"
        if params:
            url += ("&" if "?" in path else "?") + urlencode(params)
        body = None if json_body is None else json.dumps(json_body, ensure_ascii=False).encode("utf-8")
        send_headers = self._headers(headers, has_body=body is not None)
        for attempt in range(1, self.max_attempts + 1):
            outcome = self._attempt(method, path, url, send_headers, body, attempt)
            if isinstance(outcome, RemoteResponse):
                return outcome
            error, wait = outcome
            if wait is None or (error.ambiguous and not idempotent):
                raise error
            if attempt < self.max_attempts:
                self._sleep(wait)
                if self._hold_until - time.monotonic() <= wait:
                    self._hold_until = 0.0  # that wait covered the rate-limit pause too
                if self.before_retry is not None:
                    self.before_retry()
        tries = f"{self.max_attempts} attempt{'s' if self.max_attempts != 1 else ''}"
        raise RemoteError(
            f"{error.message} (gave up after {tries})",
            status=error.status,
            kind=error.kind,
            ambiguous=error.ambiguous,
            details=error.details,
        )

    def pause(self, attempt: int) -> None:
        """Wait the back-off of `attempt` (1, 2, …), for a caller that retries on its own terms."""
        self._sleep(self._delay(attempt, None))
        if self.before_retry is not None:
            self.before_retry()

    # -- internals ------------------------------------------------------------------------

    def _headers(self, extra: Mapping[str, str] | None, *, has_body: bool) -> dict[str, str]:
        headers = self.system.headers(self.connection, has_body=has_body)
        headers.update(extra or {})
        return headers

    def _pace(self) -> None:
        """Wait out a spent rate limit before the next request goes out."""
        wait = self._hold_until - time.monotonic()
        self._hold_until = 0.0
        if wait > 0:
            self._sleep(min(wait, self.retry_after_cap))

    def _scrub(self, text: str) -> str:
        """Environment secrets and this connection's own, which may not be in the environment."""
        return self._redact(text)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap)
        return self._rng.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))

    def _attempt(
        self, method: str, path: str, url: str, headers: dict[str, str], body: bytes | None, attempt: int
    ) -> RemoteResponse | tuple[RemoteError, float | None]:
        """One try: the response, or the error and the seconds to wait before the next try (None: stop)."""
        status: int | None = None
        reply_headers: dict[str, str] = {}
        text = ""
        error: RemoteError | None = None
        wait: float | None = None
        self._pace()
        started = time.monotonic()
        try:
            if self._destination is not None:
                resolve_checked(self._destination)  # DNS may have changed since the settings were read
            reply = self._session.request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=(self.connect_timeout, self.read_timeout),
                allow_redirects=False,
            )
            status, reply_headers = reply.status_code, dict(reply.headers)
            text = reply.content.decode(reply.encoding or "utf-8", errors="replace")
        except RemoteError as exc:  # unsafe destination (permanent) or failed DNS lookup (retryable)
            error = exc
        except requests.exceptions.ConnectTimeout:
            error = RemoteError(f"connect timeout after {self.connect_timeout} s", kind="timeout")
        except requests.exceptions.ReadTimeout:
            # The request went out: the remote may have acted on it.
            error = RemoteError(f"read timeout after {self.read_timeout} s", kind="timeout", ambiguous=True)
        except requests.exceptions.SSLError as exc:
            # Certificate problems do not fix themselves between two attempts.
            error = RemoteError(f"TLS failed: {shorten(str(exc), 300)}", kind="connection", permanent=True)
        except (
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            http.client.HTTPException,
            ConnectionError,
        ) as exc:
            reason = _network_reason(exc)
            # Refused or unresolved: nothing was sent. Anything else may have reached the remote.
            sent = reason not in ("connection refused", "could not resolve the host")
            error = RemoteError(reason, kind="connection", ambiguous=sent)
        except requests.exceptions.RequestException as exc:
            error = RemoteError(f"request failed: {shorten(str(exc), 300)}", kind="connection", permanent=True)
        if status is not None:
            pause = self.system.pause_before_next({k.lower(): v for k, v in reply_headers.items()})
            if pause > 0:
                self._hold_until = time.monotonic() + min(pause, self.retry_after_cap)
        if error is None and status is not None:
            error, wait = self._judge(status, reply_headers, text, attempt)
        elif error is not None and not error.permanent:
            wait = self._delay(attempt, None)
        if error is not None:
            # A remote may echo our request (credentials included) in its error text.
            error.message = self._scrub(error.message)
            error.args = (error.message,)
        self._record(method, path, url, status, started, attempt, headers, body, reply_headers, text, error)
        if error is None and status is not None:
            return self._success(status, reply_headers, text)
        return error or RemoteError("no reply", kind="connection"), wait

    def _judge(
        self, status: int, headers: dict[str, str], text: str, attempt: int
    ) -> tuple[RemoteError | None, float | None]:
        """None for a success; else the error and how long to wait before retrying (None: do not)."""
        if 200 <= status < 300 or status == 304:
            return None, None
        lowered = {k.lower(): v for k, v in headers.items()}
        if 300 <= status < 400:
            where = shorten(lowered.get("location", ""), 200)
            return RemoteError(
                f"The remote answered HTTP {status} (redirect to {where or 'nowhere'}); redirects are not "
                "followed: check the connection's base URL.",
                status=status,
                permanent=True,
            ), None
        reason = http.client.responses.get(status, "")
        message, details = self.system.error(status, reason, text, lowered.get("content-type", ""))
        if status in RETRYABLE_STATUSES:
            retry_after = self.system.retry_wait(status, lowered)
            # A gateway's 502/504 may hide a request the pod carried out; 429 and 503 say it did not.
            ambiguous = status in (502, 504)
            error = RemoteError(message, status=status, permanent=False, ambiguous=ambiguous, details=details)
            return error, self._delay(attempt, retry_after)
        # 500 may be a deterministic failure: not retried, but a later resume may work.
        permanent = status < 500 or status in (501, 505)
        return RemoteError(message, status=status, permanent=permanent, details=details), None

    def _success(self, status: int, headers: dict[str, str], text: str) -> RemoteResponse:
        data = None
        if text.strip():
            try:
                data = json.loads(text)
            except (ValueError, RecursionError):  # a hostile remote may nest without end
                data = None
        lowered = {k.lower(): v for k, v in headers.items()}
        return RemoteResponse(status=status, headers=headers, data=data, text=text, etag=lowered.get("etag", ""))

    def _record(
        self,
        method: str,
        path: str,
        url: str,
        status: int | None,
        started: float,
        attempt: int,
        headers: dict[str, str],
        body: bytes | None,
        reply_headers: dict[str, str],
        text: str,
        error: RemoteError | None,
    ) -> None:
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        # One pass over each text, with every credential form at once (Redactor); the journal stores these as they are.
        exchange = Exchange(
            method=method,
            path=self._scrub(path),
            url=self._scrub(url),
            status=status,
            duration_ms=duration_ms,
            attempt=attempt,
            request_headers=self._redact.headers(headers),
            request_body=shorten(self._scrub(body.decode("utf-8", errors="replace")), BODY_LIMIT) if body else "",
            response_headers=self._redact.headers(reply_headers),
            response_body=shorten(self._scrub(text), BODY_LIMIT),
            error=error.message if error else "",
            system=self.system.key,
        )
        level = logging.INFO if error is None else logging.WARNING
        logger.log(
            level,
            "%s %s -> %s in %.0f ms (attempt %d)%s",
            method,
            exchange.path,
            status if status is not None else "no reply",
            duration_ms,
            attempt,
            f": {exchange.error}" if exchange.error else "",
            extra={
                # Every argument is scrubbed already (this connection's secrets too): the filter need not look again.
                SCRUBBED: True,
                "event": "remote_exchange",
                "system": self.system.key,
                "connection": self.connection.name,
                "method": method,
                "path": exchange.path,
                "status": status,
                "duration_ms": duration_ms,
                "attempt": attempt,
                "error": exchange.error,
            },
        )
        if self.on_exchange is not None:
            # A failing journal must not be mistaken for a failed request: let it raise.
            self.on_exchange(exchange)


# The name the CX Sales code (and its tests) have always used: the same client.
CxClient = RemoteClient
