"""The HTTP side of the emulated pod: requests as the emulator reads them, replies and error bodies.

Error bodies follow the profile's `errors`:

- ``documented``: ``{"title", "status": 400, "detail", "o:errorCode"}`` as
  ``application/json``, with ``o:errorDetails`` when there are several problems;
- ``adf4`` (ADF REST framework version 4): ``application/vnd.oracle.adf.error+json``,
  ``{"title", "status": "400", "o:errorDetails": [{"detail", "o:errorCode"}, …]}``:
  the status a string, the details always an array, no top-level detail.
  What a database would refuse (a foreign key, a row still referenced) is a
  500 with an empty body, as ADF 12.2.1.4 answers it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from .emulator_profiles import PodProfile
from .emulator_rules import CODE_BAD_JSON, CODE_BAD_QUERY, Problem

Reply = tuple[int, dict[str, str], bytes]

ITEM_TYPE = "application/vnd.oracle.adf.resourceitem+json"
COLLECTION_TYPE = "application/vnd.oracle.adf.resourcecollection+json"
DESCRIPTION_TYPE = "application/vnd.oracle.adf.description+json"
ERROR_TYPE = "application/vnd.oracle.adf.error+json"
ACCEPTED_BODY_TYPES = frozenset({ITEM_TYPE, "application/json"})
TITLES = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
}
_BAD_REQUEST_TYPE = "http://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.1"


class Refusal(Exception):
    """Raised anywhere in a handler to answer `reply` instead."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply


class Request:
    """One request as the emulator needs it."""

    def __init__(self, method: str, parts: list[str], query: dict[str, str], headers: dict[str, str], body: bytes):
        self.method, self.parts, self.query, self.headers, self.body = method, parts, query, headers, body
        self.upsert = headers.get("upsert-mode", "").strip().lower() == "true"
        self.only_data = query.get("onlyData", "").lower() == "true"
        self.framework_version = as_int(headers.get("rest-framework-version"), 1)  # the server default is 1

    @property
    def user(self) -> str:
        """CreatedBy/LastUpdatedBy: the Basic user name when there is one."""
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                return base64.b64decode(auth[6:]).decode("utf-8").split(":", 1)[0] or "SANDBOX_USER"
            except (ValueError, UnicodeDecodeError, RecursionError):
                return "SANDBOX_USER"
        return "SANDBOX_USER"

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


class Replies:
    """Builds the replies of one profile's pod."""

    def __init__(self, profile: PodProfile) -> None:
        self.profile = profile

    def error(self, status: int, detail: str, code: str) -> Reply:
        """One problem that is not a validation failure (404, 405, 409, 415)."""
        if self.profile.errors == "adf4":
            return self._adf4(status, [Problem(detail, code)])
        body = {"title": TITLES.get(status, "Error"), "status": status, "detail": detail, "o:errorCode": code}
        return json_reply(status, body, "application/json")

    def refuse(self, problems: Sequence[Problem]) -> None:
        """Raise the refusal of `problems` (nothing when there are none)."""
        if not problems:
            return
        if self.profile.errors == "adf4":
            plain = [p for p in problems if not p.integrity]
            if not plain:
                raise Refusal((500, {}, b""))  # ADF 12.2.1.4+: a 500 carries no details
            raise Refusal(self._adf4(400, plain))
        body: dict[str, Any] = {
            "type": _BAD_REQUEST_TYPE,
            "title": "Bad Request",
            "status": 400,
            "detail": problems[0].detail,
            "o:errorCode": problems[0].code,
        }
        if len(problems) > 1:
            body["o:errorDetails"] = [{"detail": p.detail, "o:errorCode": p.code} for p in problems]
        raise Refusal(json_reply(400, body, "application/json"))

    def _adf4(self, status: int, problems: Sequence[Problem]) -> Reply:
        body = {
            "title": TITLES.get(status, "Error"),
            "status": str(status),
            "o:errorDetails": [{"detail": p.detail, "o:errorCode": p.code} for p in problems],
        }
        return json_reply(status, body, ERROR_TYPE)

    def json_object(self, r: Request) -> dict[str, Any]:
        """The body as a JSON object, or a refusal."""
        try:
            data = json.loads(r.body.decode("utf-8")) if r.body else None
        except (ValueError, UnicodeDecodeError, RecursionError):
            data = None
        if not isinstance(data, dict):
            self.refuse([Problem("The request body must be a JSON object.", CODE_BAD_JSON)])
        return data  # type: ignore[return-value]

    def check_media_type(self, r: Request) -> None:
        if r.media_type not in ACCEPTED_BODY_TYPES:
            detail = f"Content-Type {r.media_type or '(none)'} is not supported; use {ITEM_TYPE}."
            raise Refusal(self.error(415, detail, "415"))


def expand_tree(value: str, resource: str, profile: PodProfile, replies: Replies) -> dict[str, Any]:
    """The ``expand`` parameter as {child: {grandchild: …}} below `resource`.

    ``all`` expands every level (profile ``expand_all="deep"``) or one level
    (``"one"``); a comma list of dotted paths expands each step of each path
    (``Steps.StepTasks`` expands Steps and their StepTasks). A name that is not
    a child at its place is refused (400).
    """
    tree: dict[str, Any] = {}
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        if part == "all":
            _merge(tree, expand_everything(resource, profile, deep=profile.expand_all == "deep"))
            continue
        node, here = tree, resource
        for name in part.split("."):
            if name not in profile.children(here):
                detail = f"The expand value {part} is not valid: {name} is not a child of {here}."
                replies.refuse([Problem(detail, CODE_BAD_QUERY)])
            node, here = node.setdefault(name, {}), name
    return tree


def expand_everything(resource: str, profile: PodProfile, *, deep: bool) -> dict[str, Any]:
    """The expand tree of every child of `resource`: all levels (`deep`) or one."""
    return {child: expand_everything(child, profile, deep=True) if deep else {} for child in profile.children(resource)}


def _merge(into: dict[str, Any], other: Mapping[str, Any]) -> None:
    for name, sub in other.items():
        _merge(into.setdefault(name, {}), sub)


def json_reply(status: int, data: Any, content_type: str, *, etag: str = "", location: str = "") -> Reply:
    headers = {"Content-Type": content_type}
    if etag:
        headers["ETag"] = f'"{etag}"'
    if location and status == 201:
        headers["Location"] = location
    return status, headers, json.dumps(data, ensure_ascii=False).encode("utf-8")


def self_href(item: Mapping[str, Any]) -> str:
    return next((link["href"] for link in item.get("links", []) if link.get("rel") == "self"), "")


def indicator(document: Mapping[str, Any]) -> str:
    """An opaque change indicator: the same document gives the same value."""
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(canonical).hexdigest()[:32]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def as_int(value: str | None, default: int) -> int:
    try:
        return max(0, int(value)) if value not in (None, "") else default
    except ValueError:
        return default
