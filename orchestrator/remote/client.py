"""The one HTTP client for CX Sales: timeouts, bounded retries, one error type.

Every call goes through `CxClient.request`, which
- sends the standard headers (Accept, REST-Framework-Version, Authorization,
  Metadata-Context) with explicit (connect, read) timeouts and never follows
  redirects (a redirect could carry our credentials somewhere else);
- checks the destination again before each attempt (DNS may have changed) and,
  at connect time, checks the address the socket actually reached;
- retries what is safe to retry: timeouts, dropped connections, 429, 502, 503
  and 504, with exponential backoff and full jitter or the server's
  Retry-After (seconds or HTTP date, capped). GETs, upserts and deletes by
  key can be repeated without duplicating anything; a request that cannot
  (``idempotent=False``: creating an association) is retried only when the
  remote surely did not act on it (429, 503, no connection), and an
  *ambiguous* failure (read timeout, dropped reply, 502/504) is raised at once
  so the caller looks before it asks again;
- never retries other statuses. 500 is not retried either: CX Sales answers
  500 for deterministic failures too (a bad value deep in a stage), and
  hammering it does not help. It is raised with ``permanent=False`` because a
  later resume may succeed;
- reports every attempt, redacted, to ``on_exchange`` (the publish journal).

The built-in sandbox (``sandbox://builtin``) goes through this same code: a
transport adapter hands the request to the in-process emulator.
"""

from __future__ import annotations

import base64
import email.utils
import http.client
import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import requests

from ..redaction import Redactor
from .connections import Connection
from .errors import RemoteError, message_from_body, no_details_message, shorten
from .network_adapter import GuardedAdapter
from .url_safety import REST_ROOT, BaseURL, parse_base_url, resolve_checked

logger = logging.getLogger("orchestrator.remote")

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
BODY_LIMIT = 20_000
USER_AGENT = "Orchestrator/1.0 (+CX Sales orchestration designer)"


@dataclass
class Exchange:
    """One HTTP attempt, already redacted and truncated, for the publish journal."""

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


@dataclass
class RemoteResponse:
    """A successful reply: parsed JSON in ``data`` (None when the body is empty or not JSON)."""

    status: int
    headers: dict[str, str]
    data: Any
    text: str
    etag: str = ""


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


class CxClient:
    """HTTP to one connection. Not thread-safe: use one client per job (it holds one Session)."""

    system = "cx_sales"  # how logs name the remote system

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
        if connection.is_sandbox:
            from .sandbox_adapter import SandboxAdapter  # imports the ORM store lazily

            self._session.mount("sandbox://", SandboxAdapter())
        else:
            self._destination = parse_base_url(connection.base_url)
            adapter = GuardedAdapter(self._destination)
            self._session.mount("https://", adapter)
            self._session.mount("http://", adapter)

    def __enter__(self) -> CxClient:
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
        """Send `method` to REST_ROOT + `path` (already percent-encoded), retrying what is safe.

        Returns the reply for 2xx (and 304 to a conditional GET). Raises
        RemoteError: permanent for 4xx, redirects and unsafe destinations;
        not permanent for 500 (not retried) and when retries are exhausted.
        With ``idempotent=False`` an ambiguous failure is raised without a
        retry (``error.ambiguous`` is True).
        """
        if not path.startswith("/"):
            raise ValueError("path must start with '/'")
        method = method.upper()
        url = f"{self.connection.base_url}{REST_ROOT}{path}"
        if params:
            url += "?" + urlencode(params)
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
                if self.before_retry is not None:
                    self.before_retry()
        tries = f"{self.max_attempts} attempt{'s' if self.max_attempts != 1 else ''}"
        raise RemoteError(
            f"{error.message} (gave up after {tries})", status=error.status, kind=error.kind, ambiguous=error.ambiguous
        )

    def pause(self, attempt: int) -> None:
        """Wait the back-off of `attempt` (1, 2, …), for a caller that retries on its own terms."""
        self._sleep(self._delay(attempt, None))
        if self.before_retry is not None:
            self.before_retry()

    # -- internals ------------------------------------------------------------------------

    def _headers(self, extra: Mapping[str, str] | None, *, has_body: bool) -> dict[str, str]:
        conn = self.connection
        headers = {
            "Accept": "application/json",
            "REST-Framework-Version": conn.framework_version,
            "User-Agent": USER_AGENT,
        }
        if conn.auth_kind == "bearer":
            headers["Authorization"] = f"Bearer {conn.token}"
        elif conn.auth_kind == "basic":
            pair = f"{conn.username}:{conn.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        if conn.metadata_context:
            headers["Metadata-Context"] = f'sandbox="{conn.metadata_context}"'
        if has_body:
            headers["Content-Type"] = "application/json"
        headers.update(extra or {})
        return headers

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
        started = time.monotonic()
        status: int | None = None
        reply_headers: dict[str, str] = {}
        text = ""
        error: RemoteError | None = None
        wait: float | None = None
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
        message = message_from_body(text, lowered.get("content-type", "")) or no_details_message(status, reason)
        if status in RETRYABLE_STATUSES:
            retry_after = retry_after_seconds(lowered.get("retry-after"))
            # A gateway's 502/504 may hide a request the pod carried out; 429 and 503 say it did not.
            ambiguous = status in (502, 504)
            error = RemoteError(message, status=status, permanent=False, ambiguous=ambiguous)
            return error, self._delay(attempt, retry_after)
        # 500 may be a deterministic failure: not retried, but a later resume may work.
        return RemoteError(message, status=status, permanent=status < 500 or status in (501, 505)), None

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
        )
        level = logging.INFO if error is None else logging.WARNING
        logger.log(
            level,
            "%s %s -> %s in %.0f ms (attempt %d)%s",
            method,
            path,
            status if status is not None else "no reply",
            duration_ms,
            attempt,
            f": {exchange.error}" if exchange.error else "",
            extra={
                "event": "remote_exchange",
                "system": self.system,
                "connection": self.connection.name,
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
                "attempt": attempt,
                "error": exchange.error,
            },
        )
        if self.on_exchange is not None:
            # A failing journal must not be mistaken for a failed request: let it raise.
            self.on_exchange(exchange)
