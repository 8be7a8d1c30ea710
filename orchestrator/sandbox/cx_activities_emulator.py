"""The emulated CX Sales interactions and phone calls: pure request -> response logic over a RecordStore.

As Oracle's pages describe them (seeds 001 and 003, related-endpoints §A and §B,
fidelity-risks §5); what the pages do not say is marked as our reading:

| method | path | answer |
|---|---|---|
| POST | /interactions | 201, the interaction (``InteractionId``) with its ``interactionReferences`` |
| GET | /interactions[?q=Attr='value'] | ``{"items", "count", "hasMore", "limit", "offset"}`` |
| GET, DELETE | /interactions/{InteractionId} | the item; 204 |
| POST | /phoneCalls (``Upsert-Mode: true`` upserts by ``CallNumber``) | 201 (200 on an upsert that found the call) |
| GET | /phoneCalls[?q=…] | a collection as above |
| GET, DELETE | /phoneCalls/{CallId} | the item (with ``TranscriptMessage``); 204 |
| GET | /interactions/describe, /phoneCalls/describe | ``{"Resources": {name: {"attributes", "children"}}}`` |

Bodies are checked against schemas/interaction.post.json and
schemas/phone-call.post.json, then the rules the pages state: an
interaction reference's ``ObjectTypeCd`` is one of the documented codes
(``MOO_OPTY`` for opportunities) with an integer ``ObjectId``;
``DirectionCd`` is ``ORA_SVC_INBOUND`` or ``ORA_SVC_OUTBOUND``; a phone call
names an ``InteractionId`` that exists; ``CallNumber`` and ``MessageNumber``
hold at most 30 characters, ``MessageContent`` is base64 (Oracle types it
``string (byte)``). Errors are ADF's ``{"title", "status", "detail"}`` (400,
404, 405). Who-columns and links are added as the seed's example shows.
The describe lists the attributes Oracle's pages show (names, types,
lengths); `hidden` (``{"interactions.OriginalSystemReference", …}``) leaves
some out, as a pod that lacks them would, and then refuses them in a body.
Credentials are not checked here (the fake server and the sandbox decide).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ..remote.url_safety import REST_ROOT
from ..schema_check import SchemaCheck

Reply = tuple[int, dict[str, str], bytes]

INTERACTIONS, PHONE_CALLS = "interactions", "phoneCalls"
RESOURCES = {INTERACTIONS: "cx_sales.interactions", PHONE_CALLS: "cx_sales.phoneCalls"}
REFERENCE_OBJECT_TYPES = ("ZMM_ACTIVITIES", "MOO_OPTY", "SVC_WORK_ORDERS", "SVC_SERVICE_REQUESTS", "MKL_LM_LEADS")
DIRECTIONS = ("ORA_SVC_INBOUND", "ORA_SVC_OUTBOUND")
ITEM_MEDIA_TYPE = "application/vnd.oracle.adf.resourceitem+json"
COLLECTION_MEDIA_TYPE = "application/vnd.oracle.adf.resourcecollection+json"
SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
SANDBOX_USER = "SANDBOX.USER"
_Q = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*=\s*'((?:[^']|'')*)'\s*$")
# Lengths the pages state (our reading where marked in the module docstring).
LENGTHS = {
    INTERACTIONS: {"Description": 1000, "DirectionCd": 30, "ChannelTypeCd": 30, "OriginalSystemReference": 255},
    PHONE_CALLS: {"CallNumber": 30, "PhoneNumber": 30, "ExternalSystemCallId": 255},
}
# (name, type, maxLength) of what the pages show, per resource and child collection.
DESCRIBED = {
    INTERACTIONS: [
        ("InteractionId", "integer", None),
        ("AccountPartyId", "integer", None),
        ("AgentHTTPSessionId", "string", 100),
        ("ChannelTypeCd", "string", 30),
        ("Description", "string", 1000),
        ("DirectionCd", "string", 30),
        ("OriginalSystemReference", "string", 255),
        ("StartTime", "datetime", None),
        ("StatusCd", "string", 30),
    ],
    "interactions.interactionReferences": [
        ("InteractionId", "integer", None),
        ("InteractionNumber", "string", 30),
        ("ObjectId", "integer", None),
        ("ObjectTypeCd", "string", 30),
        ("ReferenceId", "integer", None),
    ],
    PHONE_CALLS: [
        ("CallId", "integer", None),
        ("CallDetailsURL", "string", 1000),
        ("CallNumber", "string", 30),
        ("DeletedFlag", "boolean", None),
        ("ExternalSystemCallId", "string", 255),
        ("InteractionId", "integer", None),
        ("LeftMessageFlag", "boolean", None),
        ("PhoneNumber", "string", 30),
        ("TranscriptURL", "string", 1000),
    ],
    "phoneCalls.TranscriptMessage": [
        ("CallId", "integer", None),
        ("MessageContent", "blob", None),
        ("MessageId", "integer", None),
        ("MessageNumber", "string", 30),
        ("MessageTypeCd", "string", 30),
        ("RoleCd", "string", 30),
        ("VisibilityCd", "string", 30),
    ],
}
CHILDREN = {INTERACTIONS: "interactionReferences", PHONE_CALLS: "TranscriptMessage"}
MESSAGE_LENGTHS = {
    "MessageNumber": 30,
    "MessageTypeCd": 30,
    "RoleCd": 30,
    "VisibilityCd": 30,
    "PostedByDisplayName": 64,
}


@cache
def _validator(name: str) -> SchemaCheck:
    return SchemaCheck(json.loads((SCHEMAS / name).read_text(encoding="utf-8")))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def adf_error(status: int, detail: str) -> Reply:
    titles = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
    body = {"title": titles.get(status, "Error"), "status": str(status), "detail": detail}
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


class Refusal(Exception):
    def __init__(self, reply: Reply) -> None:
        self.reply = reply


def _refuse(detail: str, status: int = 400) -> Refusal:
    return Refusal(adf_error(status, detail))


class CxActivitiesEmulator:
    """Emulated interactions and phone calls over `store`; `base_url` starts every link it writes."""

    def __init__(self, store, *, base_url: str = "sandbox://builtin") -> None:
        self.store = store
        self.base_url = base_url
        self.hidden: set[str] = set()  # "interactions.OriginalSystemReference": not on this pod

    @staticmethod
    def handles(path: str) -> bool:
        """True for the paths this emulator answers (below the REST root)."""
        rest = path.removeprefix(REST_ROOT)
        return path.startswith(REST_ROOT) and rest.strip("/").split("/")[0] in RESOURCES

    def handle(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
    ) -> Reply:
        try:
            return self._route(method.upper(), path, dict(query), {k.lower(): v for k, v in headers.items()}, body)
        except Refusal as refusal:
            return refusal.reply

    def _route(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Reply:
        parts = [unquote(p) for p in path.removeprefix(REST_ROOT).strip("/").split("/")]
        name = parts[0]
        if len(parts) == 1:
            if method == "GET":
                return self._list(name, query)
            if method == "POST":
                if name == INTERACTIONS:
                    return self._create_interaction(body)
                return self._create_phone_call(body, upsert=headers.get("upsert-mode", "").lower() == "true")
            return adf_error(405, f"{method} is not supported on {name}.")
        if parts[1:] == ["describe"] and method == "GET":
            return self._describe(name)
        if len(parts) != 2 or not parts[1].isdigit():
            return adf_error(404, f"No {name} item at {path[:200]}.")
        record_id = int(parts[1])
        if method == "GET":
            return self._item_reply(200, name, record_id, self._found(name, record_id))
        if method == "DELETE":
            with self.store.atomic():
                self._found(name, record_id)
                self.store.delete(RESOURCES[name], record_id)
            return 204, {}, b""
        return adf_error(405, f"{method} is not supported on a {name} item here.")

    # -- reading --------------------------------------------------------------------------------------------

    def _found(self, name: str, record_id: int) -> dict[str, Any]:
        record = self.store.get(RESOURCES[name], record_id)
        if record is None:
            raise _refuse(f"The {name} item {record_id} does not exist.", 404)
        return record

    def _links(self, name: str, record_id: int) -> list[dict[str, str]]:
        href = f"{self.base_url}{REST_ROOT}/{name}/{record_id}"
        return [
            {"rel": "self", "href": href, "name": name, "kind": "item"},
            {"rel": "canonical", "href": href, "name": name, "kind": "item"},
        ]

    def _item(self, name: str, record_id: int, record: dict[str, Any]) -> dict[str, Any]:
        return {**record, "links": self._links(name, record_id)}

    def _item_reply(self, status: int, name: str, record_id: int, record: dict[str, Any]) -> Reply:
        document = json.dumps(self._item(name, record_id, record), ensure_ascii=False).encode()
        return status, {"Content-Type": ITEM_MEDIA_TYPE}, document

    def _list(self, name: str, query: dict[str, str]) -> Reply:
        records = self.store.list(RESOURCES[name])
        if query.get("q"):
            match = _Q.match(query["q"])
            if match is None:
                return adf_error(400, "This emulator understands q=Attribute='value' only.")
            attribute, value = match.group(1), match.group(2).replace("''", "'")
            records = [(rid, r) for rid, r in records if str(r.get(attribute, "")) == value]
        items = [self._item(name, rid, r) for rid, r in records]
        document = {"items": items, "count": len(items), "hasMore": False, "limit": 25, "offset": 0}
        return 200, {"Content-Type": COLLECTION_MEDIA_TYPE}, json.dumps(document, ensure_ascii=False).encode()

    def describe(self, name: str) -> dict[str, Any]:
        """The describe document of `name`, without the `hidden` attributes."""

        def rows(key: str) -> list[dict[str, Any]]:
            shown = []
            for attribute, kind, length in DESCRIBED[key]:
                if f"{key}.{attribute}" in self.hidden:
                    continue
                row: dict[str, Any] = {"name": attribute, "type": kind, "updatable": attribute not in ("CallNumber",)}
                if length:
                    row["maxLength"] = str(length)
                shown.append(row)
            return shown

        child = CHILDREN[name]
        return {
            "Resources": {
                name: {
                    "discrColumnType": False,
                    "title": name,
                    "attributes": rows(name),
                    "children": {child: {"attributes": rows(f"{name}.{child}")}},
                }
            }
        }

    def _describe(self, name: str) -> Reply:
        document = json.dumps(self.describe(name)).encode()
        return 200, {"Content-Type": "application/vnd.oracle.adf.description+json"}, document

    def _refuse_hidden(self, key: str, data: dict[str, Any]) -> None:
        for attribute in data:
            if f"{key}.{attribute}" in self.hidden:
                raise _refuse(f"The attribute {attribute} is not defined on {key}.")

    # -- writing --------------------------------------------------------------------------------------------

    def _body(self, body: bytes, schema: str, name: str) -> dict[str, Any]:
        try:
            data = json.loads(body.decode("utf-8")) if body else None
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            raise _refuse(f"The body of a {name} create must be a JSON object.")
        for problem in _validator(schema).iter_errors(data):
            where = ".".join(str(p) for p in problem.absolute_path) or "the body"
            raise _refuse(f"{where}: {problem.message[:200]}")
        for attribute, limit in LENGTHS[name].items():
            value = data.get(attribute)
            if isinstance(value, str) and len(value) > limit:
                raise _refuse(f"{attribute} is longer than {limit} characters.")
        return data

    def _create_interaction(self, body: bytes) -> Reply:
        data = self._body(body, "interaction.post.json", INTERACTIONS)
        self._refuse_hidden(INTERACTIONS, data)
        for reference in data.get("interactionReferences") or []:
            self._refuse_hidden(f"{INTERACTIONS}.interactionReferences", reference)
        direction = data.get("DirectionCd", "ORA_SVC_INBOUND")
        if direction not in DIRECTIONS:
            raise _refuse(f"DirectionCd {str(direction)[:40]!r} is not one of {', '.join(DIRECTIONS)}.")
        references = []
        for position, reference in enumerate(data.get("interactionReferences") or [], start=1):
            kind, object_id = reference.get("ObjectTypeCd"), reference.get("ObjectId")
            if kind not in REFERENCE_OBJECT_TYPES:
                raise _refuse(
                    f"interactionReferences[{position}].ObjectTypeCd {str(kind)[:40]!r} is not a value of the lookup "
                    f"ORA_SVC_IM_REF_OBJECT_TYPE_CD ({', '.join(REFERENCE_OBJECT_TYPES)})."
                )
            if isinstance(object_id, bool) or not isinstance(object_id, int) or object_id < 1:
                raise _refuse(f"interactionReferences[{position}].ObjectId must be a positive integer.")
            references.append(reference)
        stamp = _now()
        with self.store.atomic():
            interaction_id = self.store.next_id(RESOURCES[INTERACTIONS])
            record = {
                key: value for key, value in data.items() if key not in ("interactionReferences", "InteractionId")
            }
            record.update(
                InteractionId=interaction_id,
                DirectionCd=direction,
                StatusCd="ORA_SVC_OPEN",
                StartTime=stamp,
                CreatedBy=SANDBOX_USER,
                CreationDate=stamp,
                LastUpdatedBy=SANDBOX_USER,
                LastUpdateDate=stamp,
                interactionReferences=[
                    {
                        "InteractionId": interaction_id,
                        "ObjectTypeCd": reference["ObjectTypeCd"],
                        "ObjectId": reference["ObjectId"],
                        "ReferenceId": interaction_id * 10 + position,
                        "CreatedBy": SANDBOX_USER,
                        "CreationDate": stamp,
                    }
                    for position, reference in enumerate(references, start=1)
                ],
            )
            self.store.save(RESOURCES[INTERACTIONS], interaction_id, record)
        return self._item_reply(201, INTERACTIONS, interaction_id, record)

    def _create_phone_call(self, body: bytes, *, upsert: bool) -> Reply:
        data = self._body(body, "phone-call.post.json", PHONE_CALLS)
        self._refuse_hidden(PHONE_CALLS, data)
        for message in data.get("TranscriptMessage") or []:
            self._refuse_hidden(f"{PHONE_CALLS}.TranscriptMessage", message)
        interaction_id = data.get("InteractionId")
        if interaction_id is None:
            raise _refuse("InteractionId is required.")
        if isinstance(interaction_id, bool) or not isinstance(interaction_id, int):
            raise _refuse("InteractionId must be an integer.")
        messages = []
        for position, message in enumerate(data.get("TranscriptMessage") or [], start=1):
            for attribute, limit in MESSAGE_LENGTHS.items():
                value = message.get(attribute)
                if isinstance(value, str) and len(value) > limit:
                    raise _refuse(f"TranscriptMessage[{position}].{attribute} is longer than {limit} characters.")
            content = message.get("MessageContent")
            if content is not None:
                try:
                    base64.b64decode(str(content), validate=True)
                except (binascii.Error, ValueError):
                    raise _refuse(f"TranscriptMessage[{position}].MessageContent is not base64.") from None
            messages.append(message)
        stamp = _now()
        with self.store.atomic():
            if self.store.get(RESOURCES[INTERACTIONS], interaction_id) is None:
                raise _refuse(f"InteractionId {interaction_id} does not name an interaction.")
            number = data.get("CallNumber")
            existing = next(
                (
                    (rid, r)
                    for rid, r in self.store.list(RESOURCES[PHONE_CALLS])
                    if number and r.get("CallNumber") == number
                ),
                None,
            )
            if existing is not None and not upsert:
                raise _refuse(f"A phone call numbered {number} already exists.")
            call_id = existing[0] if existing else self.store.next_id(RESOURCES[PHONE_CALLS])
            record = {key: value for key, value in data.items() if key not in ("TranscriptMessage", "CallId")}
            record.update(
                CallId=call_id,
                CallNumber=number or f"CDRM_{call_id}",
                CreatedBy=SANDBOX_USER,
                CreationDate=(existing[1].get("CreationDate") if existing else None) or stamp,
                LastUpdatedBy=SANDBOX_USER,
                LastUpdateDate=stamp,
                TranscriptMessage=[
                    {
                        **message,
                        "CallId": call_id,
                        "InteractionId": interaction_id,
                        "MessageId": call_id * 100 + position,
                        "MessageNumber": message.get("MessageNumber") or f"MSG_{call_id}_{position}",
                        "CreatedBy": SANDBOX_USER,
                        "CreationDate": stamp,
                    }
                    for position, message in enumerate(messages, start=1)
                ],
            )
            self.store.save(RESOURCES[PHONE_CALLS], call_id, record)
        return self._item_reply(200 if existing else 201, PHONE_CALLS, call_id, record)
