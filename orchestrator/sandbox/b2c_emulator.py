"""The emulated B2C Service Connect REST v1.4 tasks: pure request -> response logic over a RecordStore.

As Oracle's pages and public clients describe it (seed 004,
related-endpoints §C, fidelity-risks §4):

| method | path | answer |
|---|---|---|
| POST | /services/rest/connect/v1.4/tasks | 201, the task (``id``, ``lookupName``, …) and a Location |
| POST + ``X-HTTP-Method-Override: PATCH`` | …/tasks/{id} | 200, the fields sent changed |
| GET | …/tasks[?q=ROQL] | ``{"items": [{"id", "lookupName", "links"}], "hasMore"}`` |
| GET, DELETE | …/tasks/{id} | the task; 200 with no body |

- The ROQL of ``q=`` is ``name like '…'`` (``%`` wildcards) or ``name = '…'``.
- Every request needs ``OSvC-CREST-Application-Context`` (at most 40
  characters), as v1.4 requires.
- Bodies are checked against schemas/b2c-task.post.json, then: ``name``
  is required on a create (the page's note), a string of at most 80
  characters (our reading: Connect's Task.Name); ``dueTime`` is ISO 8601;
  ``salesSettings.opportunity`` and other references carry only ``id`` or
  ``lookupName``; ``notes[].text`` at most 349,525 characters.
- Errors are Connect REST's ``{"type", "title", "status", "detail",
  "instance", "o:errorCode"}`` (``OSC-CREST-00010`` no POST data, ``…00011``
  bad JSON, ``…00012`` create failed, ``…00002`` unsupported method,
  ``…00013`` unknown resource, ``…00009`` delete failed).
- With `next_request_after_ms` every reply carries
  ``osvc-crest-next-request-after`` (the QoS header clients must honour).

Credentials are not checked here (the fake server and the sandbox decide).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ..remote.systems import B2C_API_ROOT
from ..schema_check import SchemaCheck

Reply = tuple[int, dict[str, str], bytes]

API_ROOT = B2C_API_ROOT
RESOURCE = "b2c_service.tasks"
APP_CONTEXT_HEADER = "osvc-crest-application-context"
APP_CONTEXT_MAX = 40
NAME_MAX = 80
NOTE_MAX = 349_525
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "b2c-task.post.json"
_ROQL = re.compile(r"^\s*name\s+(like|=)\s+'((?:[^']|'')*)'\s*$", re.IGNORECASE)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
TITLES = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
NOT_STARTED = {
    "status": {"id": 16, "lookupName": "Not Started"},
    "statusType": {"id": 14, "lookupName": "Not Complete"},
}


@cache
def _validator() -> SchemaCheck:
    return SchemaCheck(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Refusal(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        self.status, self.code, self.detail = status, code, detail


class B2cEmulator:
    """Emulated B2C Service tasks over `store`; `base_url` starts every link it writes."""

    def __init__(self, store, *, base_url: str = "sandbox://builtin", next_request_after_ms: int | None = None) -> None:
        self.store = store
        self.base_url = base_url
        self.next_request_after_ms = next_request_after_ms

    @staticmethod
    def handles(path: str) -> bool:
        return path == API_ROOT or path.startswith(API_ROOT + "/")

    def handle(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
    ) -> Reply:
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            status, document, extra = self._route(method.upper(), path, dict(query), lowered, body)
        except Refusal as refusal:
            status, extra = refusal.status, {}
            document = {
                "type": f"{self.base_url}/services/rest/connect/exceptions/{refusal.code}",
                "title": TITLES.get(refusal.status, "Error"),
                "status": refusal.status,
                "detail": refusal.detail,
                "instance": f"{self.base_url}{path}",
                "o:errorCode": refusal.code,
            }
        reply_headers = {**extra}
        if self.next_request_after_ms is not None:
            reply_headers["osvc-crest-next-request-after"] = str(self.next_request_after_ms)
        if document is None:
            return status, reply_headers, b""
        reply_headers["Content-Type"] = "application/json"
        return status, reply_headers, json.dumps(document, ensure_ascii=False).encode()

    def _route(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        context = headers.get(APP_CONTEXT_HEADER, "").strip()
        if not context:
            raise Refusal(400, "OSC-CREST-00003", "The OSvC-CREST-Application-Context header is required from v1.4.")
        if len(context) > APP_CONTEXT_MAX:
            raise Refusal(
                400, "OSC-CREST-00003", f"OSvC-CREST-Application-Context is longer than {APP_CONTEXT_MAX} characters."
            )
        parts = [unquote(p) for p in path.removeprefix(API_ROOT).strip("/").split("/")]
        if not parts or parts[0] != "tasks" or len(parts) > 2:
            raise Refusal(404, "OSC-CREST-00013", f"Unknown resource in the URI: {path[:200]}.")
        if method == "POST" and headers.get("x-http-method-override", "").upper() == "PATCH":
            method = "PATCH"
        if len(parts) == 1:
            if method == "GET":
                return self._list(query)
            if method == "POST":
                return self._create(body)
            raise Refusal(405, "OSC-CREST-00002", f"Unsupported method for request: {method}")
        if not parts[1].isdigit():
            raise Refusal(404, "OSC-CREST-00005", f"Task ids are integers, not {parts[1][:40]!r}.")
        task_id = int(parts[1])
        if method == "GET":
            return 200, self._resource(task_id, self._found(task_id)), {}
        if method == "PATCH":
            return self._update(task_id, body)
        if method == "DELETE":
            with self.store.atomic():
                self._found(task_id, code="OSC-CREST-00009")
                self.store.delete(RESOURCE, task_id)
            return 200, None, {}
        raise Refusal(405, "OSC-CREST-00002", f"Unsupported method for request: {method}")

    # -- resources ------------------------------------------------------------------------------------------

    def _href(self, task_id: int) -> str:
        return f"{self.base_url}{API_ROOT}/tasks/{task_id}"

    def _resource(self, task_id: int, task: dict[str, Any]) -> dict[str, Any]:
        href = self._href(task_id)
        return {
            "id": task_id,
            "lookupName": task.get("name"),
            **task,
            "links": [{"rel": "self", "href": href}, {"rel": "canonical", "href": href}],
        }

    def _found(self, task_id: int, *, code: str = "OSC-CREST-00005") -> dict[str, Any]:
        task = self.store.get(RESOURCE, task_id)
        if task is None:
            raise Refusal(404, code, f"Task {task_id} does not exist.")
        return task

    def _list(self, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        tasks = self.store.list(RESOURCE)
        if query.get("q"):
            match = _ROQL.match(query["q"])
            if match is None:
                raise Refusal(400, "OSC-CREST-00007", "This emulator understands q=name like '…' or name = '…' only.")
            operator, value = match.group(1).lower(), match.group(2).replace("''", "'")
            if operator == "=":
                tasks = [(tid, t) for tid, t in tasks if t.get("name") == value]
            else:
                pattern = re.compile(
                    "^" + ".*".join(re.escape(part) for part in value.split("%")) + "$", re.IGNORECASE | re.DOTALL
                )
                tasks = [(tid, t) for tid, t in tasks if pattern.match(str(t.get("name") or ""))]
        items = [
            {"id": tid, "lookupName": t.get("name"), "links": [{"rel": "canonical", "href": self._href(tid)}]}
            for tid, t in tasks
        ]
        return (
            200,
            {"items": items, "hasMore": False, "links": [{"rel": "self", "href": f"{self.base_url}{API_ROOT}/tasks"}]},
            {},
        )

    # -- writes ---------------------------------------------------------------------------------------------

    def _body(self, body: bytes) -> dict[str, Any]:
        if not body.strip():
            raise Refusal(400, "OSC-CREST-00010", "No POST data: the request has no body.")
        try:
            data = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise Refusal(400, "OSC-CREST-00011", "Bad JSON syntax in the request body.") from None
        if not isinstance(data, dict):
            raise Refusal(400, "OSC-CREST-00011", "The request body must be a JSON object.")
        for problem in _validator().iter_errors(data):
            where = ".".join(str(p) for p in problem.absolute_path) or "the body"
            raise Refusal(400, "OSC-CREST-00012", f"{where}: {problem.message[:200]}")
        if "id" in data:
            raise Refusal(400, "OSC-CREST-00012", "id is read-only.")
        name = data.get("name")
        if name is not None and (not isinstance(name, str) or len(name) > NAME_MAX):
            raise Refusal(400, "OSC-CREST-00012", f"name must be a string of at most {NAME_MAX} characters.")
        due = data.get("dueTime")
        if due is not None and (not isinstance(due, str) or not _ISO.match(due)):
            raise Refusal(
                400, "OSC-CREST-00012", "dueTime must be an ISO 8601 date and time, e.g. 2026-01-05T12:00:00Z."
            )
        for key in ("salesSettings", "serviceSettings"):
            for field, reference in (data.get(key) or {}).items():
                if reference is not None and (
                    not isinstance(reference, dict) or len(set(reference) & {"id", "lookupName"}) != 1
                ):
                    raise Refusal(400, "OSC-CREST-00012", f"{key}.{field}: give only id or lookupName of the resource.")
        for position, note in enumerate(data.get("notes") or [], start=1):
            text = note.get("text")
            if text is not None and (not isinstance(text, str) or len(text) > NOTE_MAX):
                raise Refusal(400, "OSC-CREST-00012", f"notes[{position}].text must be at most {NOTE_MAX} characters.")
        return data

    def _create(self, body: bytes) -> tuple[int, Any, dict[str, str]]:
        data = self._body(body)
        if not (data.get("name") or "").strip():
            raise Refusal(400, "OSC-CREST-00012", "The name field is required for tasks.")
        stamp = _now()
        with self.store.atomic():
            task_id = self.store.next_id(RESOURCE)
            notes = [
                {**note, "id": position, "createdTime": stamp}
                for position, note in enumerate(data.get("notes") or [], 1)
            ]
            task = {
                "createdTime": stamp,
                "updatedTime": stamp,
                "dueTime": None,
                "statusWithType": NOT_STARTED,
                **{k: v for k, v in data.items() if k != "notes"},
                "notes": notes,
            }
            self.store.save(RESOURCE, task_id, task)
        return 201, self._resource(task_id, task), {"Location": self._href(task_id)}

    def _update(self, task_id: int, body: bytes) -> tuple[int, Any, dict[str, str]]:
        data = self._body(body)
        with self.store.atomic():
            task = self._found(task_id)
            task.update({k: v for k, v in data.items() if k != "notes"})
            task["updatedTime"] = _now()
            self.store.save(RESOURCE, task_id, task)
        return 200, self._resource(task_id, task), {}
