"""The emulated CX Sales orchestration endpoints: pure request -> response logic.

`CxEmulator(store).handle(method, path, query, headers, body)` answers like
the real service would for the resources publishing uses (paths under
/crmRestApi/resources/11.13.18.05):

| method | path | answer |
|---|---|---|
| GET | /orchestrations/describe | §5 describe (children included) |
| GET, POST | /orchestrations | collection; create a header (Upsert-Mode updates) |
| GET | /orchestrations/{n} | the header; ``expand=all`` nests Stages and children |
| GET, POST | /orchestrations/{n}/child/Stages | collection; create or (Upsert-Mode: true) update by number |
| GET, DELETE | /orchestrations/{n}/child/Stages/{s} | one stage; delete (204, 404 when missing) |

It assigns numeric ids, who-columns, links with ``properties.changeIndicator``
and an ETag. An upsert keeps the ids of children whose numbers it sees again
and drops the children the new document no longer lists. With
REST-Framework-Version 3 or later nested children are collection objects
(``{"items": [...], "count": …}``), as ADF does; before 3 they are arrays.
It never checks credentials: the fake server and the sandbox decide that.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote

from . import emulator_rules as rules
from .store import Store, StoredOrchestration, StoredStage
from .url_safety import REST_ROOT, SANDBOX_BASE_URL

Reply = tuple[int, dict[str, str], bytes]

ITEM_TYPE = "application/vnd.oracle.adf.resourceitem+json"
COLLECTION_TYPE = "application/vnd.oracle.adf.resourcecollection+json"
DESCRIPTION_TYPE = "application/vnd.oracle.adf.description+json"
ACCEPTED_BODY_TYPES = frozenset({ITEM_TYPE, "application/json"})
_TITLES = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 415: "Unsupported Media Type"}


class CxEmulator:
    """Emulated CX Sales over a Store. `describe_override` rewrites the describe (and what is accepted)."""

    def __init__(self, store: Store, *, base_url: str = SANDBOX_BASE_URL) -> None:
        self.store = store
        self.base_url = base_url
        self.describe_override: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    # -- entry point ------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
    ) -> Reply:
        """Answer one request. `path` is the URL path as received (percent-encoded, REST root included)."""
        method = method.upper()
        lowered = {k.lower(): v for k, v in headers.items()}
        if not path.startswith(REST_ROOT + "/"):
            return _error(404, f"No resource at {path[:200]}.", "404")
        parts = [unquote(p) for p in path[len(REST_ROOT) + 1 :].rstrip("/").split("/")]
        ctx = _Request(method, parts, dict(query), lowered, body)
        try:
            return self._route(ctx)
        except _Refusal as refusal:
            return refusal.reply

    def effective_describe(self) -> dict[str, Any]:
        """The describe this remote publishes: the contract's, possibly rewritten by `describe_override`."""
        document = rules.describe()
        return self.describe_override(document) if self.describe_override else document

    # -- routing ----------------------------------------------------------------------------

    def _route(self, r: _Request) -> Reply:
        p = r.parts
        if p[0] != "orchestrations" or len(p) not in (1, 2, 4, 5) or (len(p) >= 4 and p[2:4] != ["child", "Stages"]):
            return _error(404, f"No resource at {'/'.join(p)[:200]}.", "404")
        routes: dict[tuple[int, str], Callable[[_Request], Reply]] = {
            (1, "GET"): self._list_orchestrations,
            (1, "POST"): self._post_orchestration,
            (2, "GET"): self._get_orchestration,
            (4, "GET"): self._list_stages,
            (4, "POST"): self._post_stage,
            (5, "GET"): self._get_stage,
            (5, "DELETE"): self._delete_stage,
        }
        if len(p) == 2 and p[1] == "describe" and r.method == "GET":
            return _json(200, {"Resources": self.effective_describe()["Resources"]}, DESCRIPTION_TYPE)
        handler = routes.get((len(p), r.method))
        if handler is None:
            return _error(405, f"Method {r.method} is not allowed on this resource.", "405")
        return handler(r)

    # -- orchestrations ---------------------------------------------------------------------

    def _list_orchestrations(self, r: _Request) -> Reply:
        items = [self._render_header(o, r, expand=False) for o in self.store.list_orchestrations()]
        return _json(200, self._collection(items, r, f"{REST_ROOT}/orchestrations"), COLLECTION_TYPE)

    def _get_orchestration(self, r: _Request) -> Reply:
        found = self._orchestration(r.parts[1])
        expand = bool({"all", "Stages"} & set(r.query.get("expand", "").split(",")))
        return _json(200, self._render_header(found, r, expand=expand), ITEM_TYPE, etag=_indicator(found.attributes))

    def _post_orchestration(self, r: _Request) -> Reply:
        data = r.json_object()
        node = rules.find_resource(self.effective_describe(), "orchestrations")
        _refuse_if(rules.metadata_problems(data, node, "orchestrations") or rules.schema_problems(data, header=True))
        with self.store.atomic():
            number = data["OrchestrationNumber"]
            existing = self.store.get_orchestration(number)
            now, user = _now(), r.user
            if existing is not None and not r.upsert:
                _refuse_if([rules.Problem(f"Orchestration {number} already exists.", rules.CODE_DUPLICATE)])
            if existing is not None:
                kept = {k: existing.attributes[k] for k in ("CreatedBy", "CreationDate") if k in existing.attributes}
                existing.attributes = {**data, **kept, "LastUpdatedBy": user, "LastUpdateDate": now}
                stored, status = existing, 200
            else:
                who = {"CreatedBy": user, "CreationDate": now, "LastUpdatedBy": user, "LastUpdateDate": now}
                stored, status = StoredOrchestration(number, self.store.reserve_ids(1)[0], {**data, **who}), 201
            self.store.save_orchestration(stored)
        item = self._render_header(stored, r, expand=False)
        return _json(status, item, ITEM_TYPE, etag=_indicator(stored.attributes), location=_self_href(item))

    # -- stages -----------------------------------------------------------------------------

    def _list_stages(self, r: _Request) -> Reply:
        found = self._orchestration(r.parts[1])
        expand = bool(r.query.get("expand"))
        items = [self._render_stage(s, r, expand=expand) for s in self.store.list_stages(found.number)]
        return _json(200, self._collection(items, r, self._stages_path(found.number)), COLLECTION_TYPE)

    def _get_stage(self, r: _Request) -> Reply:
        found = self._orchestration(r.parts[1])
        stage = self.store.get_stage(found.number, r.parts[4])
        if stage is None:
            return _error(404, f"Stage {r.parts[4]} does not exist in orchestration {found.number}.", "404")
        item = self._render_stage(stage, r, expand=bool(r.query.get("expand")))
        return _json(200, item, ITEM_TYPE, etag=stage.change_indicator)

    def _delete_stage(self, r: _Request) -> Reply:
        with self.store.atomic():
            found = self._orchestration(r.parts[1])
            if not self.store.delete_stage(found.number, r.parts[4]):
                return _error(404, f"Stage {r.parts[4]} does not exist in orchestration {found.number}.", "404")
        return 204, {}, b""

    def _post_stage(self, r: _Request) -> Reply:
        media_type = r.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type not in ACCEPTED_BODY_TYPES:
            return _error(415, f"Content-Type {media_type or '(none)'} is not supported; use {ITEM_TYPE}.", "415")
        data = r.json_object()
        with self.store.atomic():
            header = self._orchestration(r.parts[1])
            node = rules.find_resource(self.effective_describe(), "Stages")
            _refuse_if(rules.metadata_problems(data, node, "Stages") or rules.schema_problems(data))
            if data["OrchestrationId"] != header.remote_id:
                detail = f"OrchestrationId {data['OrchestrationId']} is not the id of orchestration {header.number}."
                _refuse_if([rules.Problem(detail, rules.CODE_BAD_REFERENCE)])
            number = data[rules.STAGE_KEY]
            others = [s for s in self.store.list_stages(header.number) if s.number != number]
            taken = {
                name: {child[key]: s.number for s in others for child in s.document.get(name, [])}
                for name, key in rules.KEYS.items()
                if name != "Stages"
            }
            _refuse_if(rules.reference_problems(data, taken))
            existing = self.store.get_stage(header.number, number)
            if existing is not None and not r.upsert:
                detail = f"Stage {number} already exists in orchestration {header.number}; send Upsert-Mode: true."
                _refuse_if([rules.Problem(detail, rules.CODE_DUPLICATE)])
            document = self._merge_stage(data, existing.document if existing else None, r.user)
            stage = StoredStage(header.number, number, document["OrchestrationStageId"], document, _indicator(document))
            self.store.save_stage(stage)
        item = self._render_stage(stage, r, expand=True)
        status = 200 if existing is not None else 201
        return _json(status, item, ITEM_TYPE, etag=stage.change_indicator, location=_self_href(item))

    def _merge_stage(self, data: dict[str, Any], old: dict[str, Any] | None, user: str) -> dict[str, Any]:
        """The stored document: ids and creation who-columns kept for numbers seen before.

        Last-update columns change only where something changed, so an
        identical re-send leaves the document (and its change indicator) as it was.
        """
        children = rules.stage_children()
        old = old or {}
        olds = {name: {c[rules.KEYS[name]]: c for c in old.get(name, [])} for name in children}
        fresh = sum(1 for n in children for c in data.get(n, []) if c[rules.KEYS[n]] not in olds[n])
        ids = iter(self.store.reserve_ids(fresh + (0 if old else 1)))
        now = _now()

        def merged(attributes: dict[str, Any], previous: dict[str, Any] | None, id_name: str, same: bool) -> dict:
            if previous is None:
                who = {"CreatedBy": user, "CreationDate": now, "LastUpdatedBy": user, "LastUpdateDate": now}
                return {id_name: next(ids), **attributes, **who}
            return {
                id_name: previous[id_name],
                **attributes,
                "CreatedBy": previous["CreatedBy"],
                "CreationDate": previous["CreationDate"],
                "LastUpdatedBy": previous["LastUpdatedBy"] if same else user,
                "LastUpdateDate": previous["LastUpdateDate"] if same else now,
            }

        def own(item: dict[str, Any], id_name: str) -> dict[str, Any]:
            skip = {id_name, *rules.WHO_COLUMNS, *children}
            return {k: v for k, v in item.items() if k not in skip}

        nested = {}
        for name in children:
            rows = []
            for row in data.get(name, []):
                previous = olds[name].get(row[rules.KEYS[name]])
                same = previous is not None and own(previous, rules.IDS[name]) == row
                rows.append(merged(row, previous, rules.IDS[name], same))
            nested[name] = rows
        plain = {k: v for k, v in data.items() if k not in children}
        stage_id = rules.IDS["Stages"]
        same = bool(old) and own(old, stage_id) == plain and all(nested[n] == old.get(n, []) for n in children)
        return {**merged(plain, old or None, stage_id, same), **nested}

    # -- rendering --------------------------------------------------------------------------

    def _orchestration(self, number: str) -> StoredOrchestration:
        found = self.store.get_orchestration(number)
        if found is None:
            raise _Refusal(_error(404, f"Orchestration {number} does not exist.", "404"))
        return found

    def _stages_path(self, number: str) -> str:
        return f"{REST_ROOT}/orchestrations/{quote(number, safe='')}/child/Stages"

    def _render_header(self, found: StoredOrchestration, r: _Request, *, expand: bool) -> dict[str, Any]:
        item: dict[str, Any] = {"OrchestrationId": found.remote_id, **found.attributes}
        href = f"{REST_ROOT}/orchestrations/{quote(found.number, safe='')}"
        if expand:
            stages = [self._render_stage(s, r, expand=True) for s in self.store.list_stages(found.number)]
            item["Stages"] = self._nest(stages, r, self._stages_path(found.number))
        if not r.only_data:
            item["links"] = [
                self._link("self", href, _indicator(found.attributes)),
                self._link("child", self._stages_path(found.number), name="Stages", kind="collection"),
            ]
        return item

    def _render_stage(self, stage: StoredStage, r: _Request, *, expand: bool) -> dict[str, Any]:
        href = f"{self._stages_path(stage.orchestration_number)}/{quote(stage.number, safe='')}"
        children = rules.stage_children()
        item = {k: v for k, v in stage.document.items() if k not in children}
        for name in children:
            if expand:
                rows = []
                for row in stage.document.get(name, []):
                    row_href = f"{href}/child/{name}/{quote(str(row[rules.KEYS[name]]), safe='')}"
                    links = [self._link("self", row_href, _indicator(row))]
                    rows.append(row if r.only_data else {**row, "links": links})
                item[name] = self._nest(rows, r, f"{href}/child/{name}")
        if not r.only_data:
            item["links"] = [self._link("self", href, stage.change_indicator)] + [
                self._link("child", f"{href}/child/{name}", name=name, kind="collection") for name in children
            ]
        return item

    def _nest(self, rows: list[dict[str, Any]], r: _Request, href: str) -> Any:
        """Nested children: an array before framework version 3, a collection object from 3 on."""
        if r.framework_version < 3:
            return rows
        return self._collection(rows, r, href, paged=False)

    def _collection(self, items: list[Any], r: _Request, href: str, *, paged: bool = True) -> dict[str, Any]:
        offset = _int(r.query.get("offset"), 0) if paged else 0
        limit = _int(r.query.get("limit"), 25) if paged else max(len(items), 1)
        page = items[offset : offset + limit]
        result: dict[str, Any] = {
            "items": page,
            "count": len(page),
            "hasMore": offset + limit < len(items),
            "limit": limit,
            "offset": offset,
        }
        if not r.only_data:
            result["links"] = [self._link("self", href, kind="collection")]
        return result

    def _link(self, rel: str, href: str, indicator: str = "", *, name: str = "", kind: str = "item") -> dict[str, Any]:
        link: dict[str, Any] = {"rel": rel, "href": self.base_url + href, "name": name or href.rsplit("/", 1)[-1]}
        link["kind"] = kind
        if indicator:
            link["properties"] = {"changeIndicator": indicator}
        return link


class _Request:
    """One request as the emulator needs it."""

    def __init__(self, method: str, parts: list[str], query: dict[str, str], headers: dict[str, str], body: bytes):
        self.method, self.parts, self.query, self.headers, self.body = method, parts, query, headers, body
        self.upsert = headers.get("upsert-mode", "").strip().lower() == "true"
        self.only_data = query.get("onlyData", "").lower() == "true"
        self.framework_version = _int(headers.get("rest-framework-version"), 1)  # the server default is 1

    @property
    def user(self) -> str:
        """CreatedBy/LastUpdatedBy: the Basic user name when there is one."""
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                return base64.b64decode(auth[6:]).decode("utf-8").split(":", 1)[0] or "SANDBOX_USER"
            except (ValueError, UnicodeDecodeError):
                return "SANDBOX_USER"
        return "SANDBOX_USER"

    def json_object(self) -> dict[str, Any]:
        try:
            data = json.loads(self.body.decode("utf-8")) if self.body else None
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            raise _Refusal(_error(400, "The request body must be a JSON object.", rules.CODE_BAD_JSON))
        return data


class _Refusal(Exception):
    def __init__(self, reply: Reply) -> None:
        self.reply = reply


def _refuse_if(problems: list[rules.Problem]) -> None:
    if not problems:
        return
    body: dict[str, Any] = {
        "type": "http://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.1",
        "title": "Bad Request",
        "status": 400,
        "detail": problems[0].detail,
        "o:errorCode": problems[0].code,
    }
    if len(problems) > 1:
        body["o:errorDetails"] = [{"detail": p.detail, "o:errorCode": p.code} for p in problems]
    raise _Refusal(_json(400, body, "application/json"))


def _error(status: int, detail: str, code: str) -> Reply:
    body = {"title": _TITLES.get(status, "Error"), "status": status, "detail": detail, "o:errorCode": code}
    return _json(status, body, "application/json")


def _json(status: int, data: Any, content_type: str, *, etag: str = "", location: str = "") -> Reply:
    headers = {"Content-Type": content_type}
    if etag:
        headers["ETag"] = f'"{etag}"'
    if location and status == 201:
        headers["Location"] = location
    return status, headers, json.dumps(data, ensure_ascii=False).encode("utf-8")


def _self_href(item: Mapping[str, Any]) -> str:
    return next((link["href"] for link in item.get("links", []) if link.get("rel") == "self"), "")


def _indicator(document: Mapping[str, Any]) -> str:
    """An opaque change indicator: the same document gives the same value."""
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(canonical).hexdigest()[:32]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _int(value: str | None, default: int) -> int:
    try:
        return max(0, int(value)) if value not in (None, "") else default
    except ValueError:
        return default
