"""The emulated Outreach API v2 opportunity stages: pure request -> response logic over an OutreachStore.

`OutreachEmulator(store).handle(method, path, query, headers, body)` answers
like Outreach does, as far as its OpenAPI, its docs and real clients tell
(`fidelity-risks.md` §3 and §7.7):

| method | path | answer |
|---|---|---|
| GET | /api/v2/opportunityStages | a page: ``page[size]`` (50, at most 1,000), ``page[after]``, ``links.next`` |
| POST | /api/v2/opportunityStages | 201, the stage (integer id, createdAt, updatedAt), a Location |
| GET, PATCH, DELETE | …/opportunityStages/{id} | the stage; PATCH needs ``data.type``, ``data.id``; DELETE 204 |

- Every request must carry ``Content-Type: application/vnd.api+json``, else
  415 ``unsupportedMediaType`` (with ``details``, as Outreach's own example
  spells it).
- Bodies are validated against Outreach's schema
  (schemas/outreach-opportunity-stage.post.json); what fails is a 422
  ``validationError`` whose ``source.pointer`` names the attribute. The
  emulator is stricter than the schema in three places a real server also
  refuses: a read-only attribute (createdAt, updatedAt, relationships), an
  attribute the resource does not have, and a ``type`` other than
  ``opportunityStage`` (409, JSON:API's rule).
- Errors are JSON:API ``{"errors": [{"id", "title", "detail"}]}``; 404
  ``resourceNotFound``, 400 ``badRequest`` for a query it does not know.
- With a `RateLimiter` it sends ``X-RateLimit-Limit/Remaining/Reset`` (Reset
  as epoch seconds) on every reply and answers 429 ``rateLimitExceeded``
  once the budget is spent.

It never checks credentials (the fake server and the sandbox decide that)
and never reuses Orchestrator's own request building: it reads what it is sent.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from ..schema_check import SchemaCheck

Reply = tuple[int, dict[str, str], bytes]

API_ROOT = "/api/v2"
RESOURCE = "opportunityStages"
RESOURCE_TYPE = "opportunityStage"
MEDIA_TYPE = "application/vnd.api+json"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
ATTRIBUTES = ("color", "createdAt", "isClosed", "name", "order", "updatedAt")
READ_ONLY = frozenset({"createdAt", "updatedAt"})
QUERY_PARAMETERS = ("page[size]", "page[after]", "count")
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "outreach-opportunity-stage.post.json"
TITLES = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
}
SANDBOX_USER_ID = 1


@cache
def _validator() -> SchemaCheck:
    return SchemaCheck(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def error_reply(status: int, code: str, detail: str, *, pointer: str = "", plural: bool = False) -> Reply:
    """One JSON:API error. `plural` spells the text ``details`` (Outreach's 415 does)."""
    entry: dict[str, Any] = {
        "id": code,
        "title": TITLES.get(status, "Error"),
        ("details" if plural else "detail"): detail,
    }
    if pointer:
        entry["source"] = {"pointer": pointer}
    return json_reply(status, {"errors": [entry]})


def json_reply(status: int, document: Any, headers: Mapping[str, str] | None = None) -> Reply:
    return status, {"Content-Type": MEDIA_TYPE, **(headers or {})}, json.dumps(document, ensure_ascii=False).encode()


class Refusal(Exception):
    def __init__(self, reply: Reply) -> None:
        self.reply = reply


class RateLimiter:
    """Outreach's request budget: `limit` requests per `window` seconds, the same for every caller of the emulator.

    `two_counts` sends X-RateLimit-Remaining as two comma-separated values
    (the user's and a larger one), as tap-outreach saw Outreach do.
    """

    def __init__(
        self,
        limit: int = 10_000,
        window: float = 3600.0,
        *,
        two_counts: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit, self.window, self.two_counts, self._clock = limit, window, two_counts, clock
        self._lock = threading.Lock()
        self._started = clock()
        self._used = 0

    def take(self) -> tuple[bool, dict[str, str]]:
        """Count one request: (allowed, the X-RateLimit headers of its reply)."""
        with self._lock:
            now = self._clock()
            if now >= self._started + self.window:
                self._started, self._used = now, 0
            allowed = self._used < self.limit
            if allowed:
                self._used += 1
            remaining = self.limit - self._used
            reset = int(self._started + self.window + 0.999)
        shown = f"{remaining}, {remaining + self.limit}" if self.two_counts else str(remaining)
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": shown,
            "X-RateLimit-Reset": str(reset),
        }
        if not allowed:
            headers["Retry-After"] = str(max(1, int(reset - now + 0.999)))
        return allowed, headers


def _cursor(stage_id: int) -> str:
    return base64.urlsafe_b64encode(f"after:{stage_id}".encode()).decode().rstrip("=")


def _after(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    kind, _, value = text.partition(":")
    if kind != "after" or not value.isdigit():
        raise Refusal(error_reply(400, "badRequest", "page[after] is not a cursor this server handed out."))
    return int(value)


class OutreachEmulator:
    """Emulated Outreach opportunity stages over `store`; `base_url` starts every link it writes."""

    def __init__(
        self,
        store,
        *,
        base_url: str = "sandbox://builtin",
        max_page_size: int = MAX_PAGE_SIZE,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self.store = store
        self.base_url = base_url
        self.max_page_size = max_page_size
        self.rate_limiter = rate_limiter

    # -- entry point -----------------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
    ) -> Reply:
        """Answer one request; `path` as received (percent-encoded, /api/v2 included)."""
        limit_headers: dict[str, str] = {}
        if self.rate_limiter is not None:
            allowed, limit_headers = self.rate_limiter.take()
            if not allowed:
                status, reply_headers, content = error_reply(
                    429, "rateLimitExceeded", "You have exceeded the request rate limit; wait until X-RateLimit-Reset."
                )
                return status, {**reply_headers, **limit_headers}, content
        try:
            status, reply_headers, content = self._route(method.upper(), path, dict(query), headers, body)
        except Refusal as refusal:
            status, reply_headers, content = refusal.reply
        return status, {**reply_headers, **limit_headers}, content

    def _route(self, method: str, path: str, query: dict[str, str], headers: Mapping[str, str], body: bytes) -> Reply:
        lowered = {k.lower(): v for k, v in headers.items()}
        parts = (
            [unquote(p) for p in path.removeprefix(API_ROOT).strip("/").split("/")] if path.startswith(API_ROOT) else []
        )
        if not parts or parts[0] != RESOURCE or len(parts) > 2:
            return error_reply(404, "resourceNotFound", f"No resource at {path[:200]}.")
        media_type = lowered.get("content-type", "").strip().lower()
        if media_type != MEDIA_TYPE:
            shown = f"this one was {media_type[:80]}" if media_type else "this one had no Content-Type"
            return error_reply(415, "unsupportedMediaType", f"Requests must use {MEDIA_TYPE} ({shown}).", plural=True)
        if len(parts) == 1:
            if method == "GET":
                return self._list(query)
            if method == "POST":
                return self._create(body)
            return error_reply(405, "methodNotAllowed", f"{method} is not allowed on the collection.")
        if not parts[1].isdigit():
            return error_reply(404, "resourceNotFound", f"Opportunity stage ids are integers, not {parts[1][:40]!r}.")
        stage_id = int(parts[1])
        handler = {"GET": self._get, "PATCH": self._update, "DELETE": self._delete}.get(method)
        if handler is None:
            return error_reply(405, "methodNotAllowed", f"{method} is not allowed on an opportunity stage.")
        return handler(stage_id, body)

    # -- resource objects ------------------------------------------------------------------------------------

    def _url(self, suffix: str) -> str:
        return f"{self.base_url}{API_ROOT}/{suffix}"

    def resource(self, stage: Mapping[str, Any]) -> dict[str, Any]:
        """A stored stage as a JSON:API resource object."""
        stage_id = int(stage["id"])
        return {
            "type": RESOURCE_TYPE,
            "id": stage_id,
            "attributes": {name: stage.get(name) for name in ATTRIBUTES},
            "relationships": {
                "creator": {"data": {"type": "user", "id": SANDBOX_USER_ID}},
                "opportunities": {
                    "links": {"related": self._url(f"opportunities?filter%5BopportunityStage%5D%5Bid%5D={stage_id}")}
                },
            },
            "links": {"self": self._url(f"{RESOURCE}/{stage_id}")},
        }

    def _found(self, stage_id: int) -> dict[str, Any]:
        stage = self.store.get_stage(stage_id)
        if stage is None:
            raise Refusal(error_reply(404, "resourceNotFound", f"Could not find opportunityStage with id {stage_id}."))
        return stage

    # -- handlers --------------------------------------------------------------------------------------------

    def _list(self, query: dict[str, str]) -> Reply:
        unknown = sorted(set(query) - set(QUERY_PARAMETERS))
        if unknown:
            return error_reply(
                400,
                "badRequest",
                f"Unsupported query parameter {unknown[0][:60]}; this server knows {', '.join(QUERY_PARAMETERS)}.",
            )
        size_text = query.get("page[size]", str(DEFAULT_PAGE_SIZE))
        if not size_text.isdigit() or int(size_text) < 1:
            return error_reply(400, "badRequest", "page[size] must be a whole number from 1.")
        size = min(int(size_text), self.max_page_size)  # larger asks get the largest page there is
        stages = self.store.list_stages()
        total = len(stages)
        if query.get("page[after]"):
            after = _after(query["page[after]"])
            stages = [s for s in stages if int(s["id"]) > after]
        page, rest = stages[:size], stages[size:]
        links = {"first": self._url(f"{RESOURCE}?page%5Bsize%5D={size}")}
        if rest:
            links["next"] = self._url(
                f"{RESOURCE}?page%5Bafter%5D={quote(_cursor(int(page[-1]['id'])))}&page%5Bsize%5D={size}"
            )
        document: dict[str, Any] = {"data": [self.resource(s) for s in page], "links": links}
        if query.get("count", "true").lower() != "false":
            document["meta"] = {"count": total}
        return json_reply(200, document)

    def _get(self, stage_id: int, body: bytes) -> Reply:
        return json_reply(200, {"data": self.resource(self._found(stage_id))})

    def _create(self, body: bytes) -> Reply:
        data = self._document(body)
        if "id" in data:
            return error_reply(
                403,
                "clientGeneratedIdsUnsupported",
                "Opportunity stage ids are assigned by Outreach.",
                pointer="/data/id",
            )
        attributes = data.get("attributes") or {}
        with self.store.atomic():
            stamp = _now()
            stage = {"id": self.store.next_id(), **{name: attributes.get(name) for name in ATTRIBUTES}}
            stage.update(createdAt=stamp, updatedAt=stamp)
            self.store.save_stage(stage)
        location = self._url(f"{RESOURCE}/{stage['id']}")
        return json_reply(201, {"data": self.resource(stage)}, {"Location": location})

    def _update(self, stage_id: int, body: bytes) -> Reply:
        data = self._document(body)
        given = data.get("id")
        if given is None:
            return error_reply(422, "validationError", "data.id is required on an update.", pointer="/data/id")
        if isinstance(given, bool) or not isinstance(given, int):
            return error_reply(422, "validationError", "data.id must be an integer.", pointer="/data/id")
        if given != stage_id:
            return error_reply(409, "idMismatch", f"data.id {given} is not the stage addressed ({stage_id}).")
        with self.store.atomic():
            stage = self._found(stage_id)
            stage.update(data.get("attributes") or {})
            stage["updatedAt"] = _now()
            self.store.save_stage(stage)
        return json_reply(200, {"data": self.resource(stage)})

    def _delete(self, stage_id: int, body: bytes) -> Reply:
        with self.store.atomic():
            self._found(stage_id)
            self.store.delete_stage(stage_id)
        return 204, {}, b""

    # -- bodies ----------------------------------------------------------------------------------------------

    def _document(self, body: bytes) -> dict[str, Any]:
        """The request's ``data`` after the schema and the stricter rules; a Refusal otherwise."""
        try:
            document = json.loads(body.decode("utf-8")) if body else None
        except (ValueError, UnicodeDecodeError):
            document = None
        if not isinstance(document, dict):
            raise Refusal(error_reply(400, "badRequest", "The request body must be a JSON:API document (an object)."))
        for problem in sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path)):
            raise Refusal(error_reply(422, "validationError", _schema_message(problem), pointer=_pointer(problem)))
        data = document["data"]
        kind = data.get("type")
        if kind is None:
            raise Refusal(error_reply(422, "validationError", "data.type is required.", pointer="/data/type"))
        if kind != RESOURCE_TYPE:
            raise Refusal(
                error_reply(409, "typeMismatch", f"data.type must be {RESOURCE_TYPE}, not {str(kind)[:40]!r}.")
            )
        if "relationships" in data:
            raise Refusal(
                error_reply(
                    422,
                    "validationError",
                    "The relationships of an opportunity stage are read-only.",
                    pointer="/data/relationships",
                )
            )
        for name in data.get("attributes") or {}:
            if name in READ_ONLY:
                detail = f"{name} is read-only."
            elif name not in ATTRIBUTES:
                detail = f"{name[:60]} is not an attribute of an opportunity stage."
            else:
                continue
            raise Refusal(error_reply(422, "validationError", detail, pointer=f"/data/attributes/{name[:60]}"))
        return data


def _pointer(problem) -> str:
    path = [str(p) for p in problem.absolute_path]
    if problem.validator == "required" and isinstance(problem.instance, dict):
        missing = [name for name in problem.validator_value if name not in problem.instance]
        path += missing[:1]
    return "/" + "/".join(path) if path else ""


def _schema_message(problem) -> str:
    """The schema's complaint in words a reader of the error understands."""
    name = ".".join(str(p) for p in problem.absolute_path) or "the document"
    if problem.validator == "maxLength":
        return f"{name} is longer than {problem.validator_value} characters."
    if problem.validator == "type":
        wanted = problem.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        return f"{name} must be {wanted}."
    if problem.validator == "required":
        return f"{_pointer(problem).strip('/').replace('/', '.')} is required."
    return f"{name}: {problem.message[:200]}"
