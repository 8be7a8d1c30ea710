"""The emulated CX Sales orchestration endpoints: pure request -> response logic, shaped by a pod profile.

`CxEmulator(store, profile="documented"|"strict").handle(method, path, query, headers, body)`
answers like the real service would for the resources publishing uses
(paths under /crmRestApi/resources/11.13.18.05; keys in paths are the public
numbers, percent-encoded):

| method | path | answer |
|---|---|---|
| GET | /orchestrations/describe | the profile's describe (emulator_describe.py) |
| GET, POST | /orchestrations | collection; create a header (Upsert-Mode updates) |
| GET | /orchestrations/{n} | the header; ``expand`` nests Stages and below |
| GET, POST | …/{n}/child/Stages | collection; create or (Upsert-Mode: true) update by number |
| GET, PATCH, DELETE | …/Stages/{s} | one stage; its own attributes; delete with everything under it |
| GET, POST | …/Stages/{s}/child/{Child} | a child collection (paged); create or upsert one item |
| GET, PATCH, DELETE | …/Stages/{s}/child/{Child}/{k} | one child item (an association cannot be PATCHed: 405) |
| … | …/child/Steps/{k}/child/{Grandchild}/{g} | the same, where the profile puts tasks and associations under steps |

What the pod holds is stored in its own shape (names, codes, LOBs, links,
nesting: emulator_profiles.py); every write is merged in that shape
(emulator_writes.py), read into contract form (emulator_codec.py) and
validated there (emulator_rules.py) before anything is saved. It assigns
numeric ids, who-columns, links with ``properties.changeIndicator`` and an
ETag. With REST-Framework-Version 3 or later nested children are collection
objects (``{"items": [...], "count": …}``), as ADF does; before 3 arrays.
It never checks credentials: the fake server and the sandbox decide that.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from . import emulator_rules as rules
from .emulator_children import ChildResources
from .emulator_codec import Codec
from .emulator_describe import build_describe, mandatory_problems, sent_problems
from .emulator_http import (
    COLLECTION_TYPE,
    DESCRIPTION_TYPE,
    ITEM_TYPE,
    Refusal,
    Replies,
    Reply,
    Request,
    expand_tree,
    indicator,
    json_reply,
    now,
    self_href,
)
from .emulator_profiles import DEFAULT_PROFILE, GRANDCHILDREN, PodProfile, profile_named
from .emulator_render import Chain, Renderer
from .emulator_rules import CHILDREN, IDS, KEYS, WHO_COLUMNS, Problem
from .emulator_writes import (
    Edit,
    assign_identity,
    deep_create_problems,
    fill_parent_links,
    patch_shape_problems,
    read_only_problems,
)
from .store import Store, StoredOrchestration, StoredStage
from .url_safety import REST_ROOT, SANDBOX_BASE_URL

ASSOCIATIONS = "StepObjectivesAssociations"


class CxEmulator(ChildResources):
    """Emulated CX Sales over a Store, shaped by `profile` (a name or a PodProfile, copied).

    `describe_override` rewrites the describe (and so what is accepted). The
    profile may be replaced at any time (`emulator.profile = …`); what is
    stored afterwards follows the new one.
    """

    def __init__(
        self, store: Store, *, base_url: str = SANDBOX_BASE_URL, profile: str | PodProfile = DEFAULT_PROFILE
    ) -> None:
        self.store = store
        self._base_url = base_url
        self.describe_override: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        self.profile = profile_named(profile)

    @property
    def base_url(self) -> str:
        """What every href starts with (the fake server sets its own once it has a port)."""
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self._base_url = value
        self.render.base_url = value

    @property
    def profile(self) -> PodProfile:
        return self._profile

    @profile.setter
    def profile(self, value: str | PodProfile) -> None:
        self._profile = profile_named(value)
        self.codec = Codec(self._profile)
        self.replies = Replies(self._profile)
        self.keys = self.codec.keys
        self.render = Renderer(self._profile, self.keys, self._base_url)
        self._describe = build_describe(self._profile)
        # (orchestration, stage) -> (the store's version of the stage, its child numbers): what _taken reads
        # from every other stage on each write, decoded once per version instead of once per write.
        self._child_numbers: dict[tuple[str, str], tuple[str, dict[str, list[Any]]]] = {}

    # -- entry point and public helpers -----------------------------------------------------

    def handle(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
    ) -> Reply:
        """Answer one request. `path` is the URL path as received (percent-encoded, REST root included)."""
        lowered = {k.lower(): v for k, v in headers.items()}
        if not path.startswith(REST_ROOT + "/"):
            return self.replies.error(404, f"No resource at {path[:200]}.", "404")
        parts = [unquote(p) for p in path[len(REST_ROOT) + 1 :].rstrip("/").split("/")]
        try:
            return self._route(Request(method.upper(), parts, dict(query), lowered, body))
        except Refusal as refusal:
            return refusal.reply

    def effective_describe(self) -> dict[str, Any]:
        """The describe this remote publishes: the profile's, possibly rewritten by `describe_override`."""
        document = copy.deepcopy(self._describe)
        return self.describe_override(document) if self.describe_override else document

    def _describe_read(self) -> dict[str, Any]:
        """The effective describe for reading only: without an override, the profile's own, not copied (every
        write consults it, and copying it cost more than the rest of the request)."""
        return self.effective_describe() if self.describe_override else self._describe

    def contract_view(self, orchestration_number: str) -> list[dict[str, Any]]:
        """The stages held for an orchestration, in display order, in contract form (see Codec.contract_stage)."""
        return [self.codec.contract_stage(s.document) for s in self.store.list_stages(orchestration_number)]

    def add_orchestration(self, number: str, **attributes: Any) -> StoredOrchestration:
        """Put a header straight into the store, with what this pod's header requires; `attributes` as stored."""
        contract = {
            "OrchestrationNumber": number,
            "OrchestrationName": f"Orchestration {number}",
            "ObjectCode": "Opportunity",
            "LifecycleAttributeName": "SalesStage",
        }
        values = {
            self.profile.pod_name("orchestrations", name): self.profile.code_map("orchestrations", name).get(v, v)
            for name, v in contract.items()
        }
        values.update({a.name: a.default for a in self.profile.header_attributes if a.default is not None})
        values.update(attributes)
        stored = StoredOrchestration(number, self.store.reserve_ids(1)[0], values, profile=self.profile.name)
        self.store.save_orchestration(stored)
        return stored

    # -- routing ----------------------------------------------------------------------------

    def _route(self, r: Request) -> Reply:
        p = r.parts
        if p[0] != "orchestrations":
            return self.replies.error(404, f"No resource at {'/'.join(p)[:200]}.", "404")
        if p == ["orchestrations", "describe"]:
            if r.method != "GET":
                return self._not_allowed(r)
            return json_reply(200, {"Resources": self.effective_describe()["Resources"]}, DESCRIPTION_TYPE)
        chain = self._chain(p)
        resource, key = chain[-1]
        kind = resource if resource in ("orchestrations", "Stages") else "child"
        handler: Callable[[Request, Chain], Reply] | None = {
            ("orchestrations", True, "GET"): self._list_orchestrations,
            ("orchestrations", True, "POST"): self._post_orchestration,
            ("orchestrations", False, "GET"): self._get_orchestration,
            ("Stages", True, "GET"): self._list_stages,
            ("Stages", True, "POST"): self._post_stage,
            ("Stages", False, "GET"): self._get_stage,
            ("Stages", False, "PATCH"): self._patch_stage,
            ("Stages", False, "DELETE"): self._delete_stage,
            ("child", True, "GET"): self._list_children,
            ("child", True, "POST"): self._post_child,
            ("child", False, "GET"): self._get_child,
            ("child", False, "PATCH"): self._patch_child,
            ("child", False, "DELETE"): self._delete_child,
        }.get((kind, key is None, r.method))
        if handler is None or (resource == ASSOCIATIONS and r.method == "PATCH"):
            return self._not_allowed(r, resource)
        return handler(r, chain)

    def _not_allowed(self, r: Request, resource: str = "") -> Reply:
        if resource == ASSOCIATIONS and r.method == "PATCH":
            detail = "Updating an association is not supported: delete it and create another."
        else:
            detail = f"Method {r.method} is not allowed on this resource."
        return self.replies.error(405, detail, "405")

    def _chain(self, parts: list[str]) -> Chain:
        chain: Chain = [("orchestrations", parts[1] if len(parts) > 1 else None)]
        rest = parts[2:]
        while rest:
            resource, key = chain[-1]
            if key is None or rest[0] != "child" or len(rest) < 2:
                raise Refusal(self.replies.error(404, f"No resource at {'/'.join(parts)[:200]}.", "404"))
            if rest[1] not in self.profile.children(resource):
                detail = f"No resource {rest[1][:60]} under {resource} on this pod."
                raise Refusal(self.replies.error(404, detail, "404"))
            chain.append((rest[1], rest[2] if len(rest) > 2 else None))
            rest = rest[3:]
        return chain

    # -- orchestrations ---------------------------------------------------------------------

    def _list_orchestrations(self, r: Request, chain: Chain) -> Reply:
        items = [self.render.render_header(o, r, {}, []) for o in self.store.list_orchestrations()]
        return json_reply(200, self.render.collection(items, r, f"{REST_ROOT}/orchestrations"), COLLECTION_TYPE)

    def _get_orchestration(self, r: Request, chain: Chain) -> Reply:
        found = self._orchestration(chain[0][1])
        tree = expand_tree(r.query.get("expand", ""), "orchestrations", self.profile, self.replies)
        item = self.render.render_header(
            found, r, tree, self.store.list_stages(found.number) if "Stages" in tree else []
        )
        return json_reply(200, item, ITEM_TYPE, etag=indicator(found.attributes))

    def _post_orchestration(self, r: Request, chain: Chain) -> Reply:
        self.replies.check_media_type(r)
        data = self.replies.json_object(r)
        node = rules.find_resource(self._describe_read(), "orchestrations")
        problems = self._body_problems(data, "orchestrations")
        number = data.get(self.keys["orchestrations"])
        with self.store.atomic():
            existing = self.store.get_orchestration(number) if isinstance(number, str) else None
            if existing is not None:
                self._same_profile(existing)
            base = existing.attributes if existing is not None and r.upsert else None
            mode = self.profile.upsert_children
            if base is None or mode == "replace":
                merged = {k: v for k, v in data.items() if v is not None or mode == "replace"}
            else:
                merged = {k: v for k, v in base.items() if k not in WHO_COLUMNS}
                merged.update(data)
                merged = {k: v for k, v in merged.items() if v is not None}
            problems += mandatory_problems(merged, node, place="resource orchestrations")
            self.replies.refuse(problems)
            canonical, problems = self.codec.header(merged)
            self.replies.refuse(problems)
            body = self.codec.for_schema(canonical, "orchestrations")
            self.replies.refuse(rules.schema_problems(body, header=True, naming=self.codec.naming))
            if existing is not None and not r.upsert:
                self.replies.refuse([Problem(f"Orchestration {number} already exists.", rules.CODE_DUPLICATE)])
            who = {"LastUpdatedBy": r.user, "LastUpdateDate": now()}
            if existing is not None:
                kept = {k: existing.attributes[k] for k in ("CreatedBy", "CreationDate") if k in existing.attributes}
                existing.attributes = {**merged, **kept, **who}
                stored, status = existing, 200
            else:
                who = {"CreatedBy": r.user, "CreationDate": who["LastUpdateDate"], **who}
                remote_id = self.store.reserve_ids(1)[0]
                stored = StoredOrchestration(number, remote_id, {**merged, **who}, profile=self.profile.name)
                status = 201
            self.store.save_orchestration(stored)
        item = self.render.render_header(stored, r, {}, [])
        return json_reply(status, item, ITEM_TYPE, etag=indicator(stored.attributes), location=self_href(item))

    # -- stages -----------------------------------------------------------------------------

    def _list_stages(self, r: Request, chain: Chain) -> Reply:
        found = self._orchestration(chain[0][1])
        tree = expand_tree(r.query.get("expand", ""), "Stages", self.profile, self.replies)
        items = [self.render.render_stage(s, r, tree) for s in self.store.list_stages(found.number)]
        return json_reply(200, self.render.collection(items, r, self.render.href(chain)), COLLECTION_TYPE)

    def _get_stage(self, r: Request, chain: Chain) -> Reply:
        stage = self._stage(self._orchestration(chain[0][1]), chain[1][1])
        tree = expand_tree(r.query.get("expand", ""), "Stages", self.profile, self.replies)
        return json_reply(200, self.render.render_stage(stage, r, tree), ITEM_TYPE, etag=stage.change_indicator)

    def _delete_stage(self, r: Request, chain: Chain) -> Reply:
        with self.store.atomic():
            found = self._orchestration(chain[0][1])
            if not self.store.delete_stage(found.number, str(chain[1][1])):
                return self.replies.error(
                    404, f"Stage {chain[1][1]} does not exist in orchestration {found.number}.", "404"
                )
        return 204, {}, b""

    def _post_stage(self, r: Request, chain: Chain) -> Reply:
        self.replies.check_media_type(r)
        data = self.replies.json_object(r)
        with self.store.atomic():
            header = self._orchestration(chain[0][1])
            self.replies.refuse(deep_create_problems(self.profile, data, "Stages"))
            problems = self._body_problems(data, "Stages")
            number = data.get(self.keys["Stages"])
            existing = self.store.get_stage(header.number, number) if isinstance(number, str) else None
            old = existing if r.upsert else None
            edit = self._edit()
            doc = edit.item("Stages", old.document if old else None, data, self.profile.upsert_children)
            duplicate = ""
            if existing is not None and not r.upsert:
                duplicate = f"Stage {number} already exists in orchestration {header.number}; send Upsert-Mode: true."
            stage = self._save(r, header, old, doc, edit, problems, duplicate=duplicate)
        item, tree = self.render.reply_shape("Stages", stage.document, data)
        rendered = self.render.render("Stages", item, self.render.stage_href(stage), r, tree, stage.change_indicator)
        status = 200 if old is not None else 201
        return json_reply(status, rendered, ITEM_TYPE, etag=stage.change_indicator, location=self_href(rendered))

    def _patch_stage(self, r: Request, chain: Chain) -> Reply:
        self.replies.check_media_type(r)
        data = self.replies.json_object(r)
        with self.store.atomic():
            header = self._orchestration(chain[0][1])
            stage = self._stage(header, chain[1][1])
            self.replies.refuse(patch_shape_problems(self.profile, self.keys, data, "Stages", stage.number))
            problems = self._body_problems(data, "Stages", stage.number)
            edit = self._edit()
            doc = edit.item("Stages", stage.document, data, "merge")
            saved = self._save(r, header, stage, doc, edit, problems)
        item, tree = self.render.reply_shape("Stages", saved.document, data)
        rendered = self.render.render("Stages", item, self.render.stage_href(saved), r, tree, saved.change_indicator)
        return json_reply(200, rendered, ITEM_TYPE, etag=saved.change_indicator)

    # -- the write pipeline -------------------------------------------------------------------

    def _body_problems(self, data: Mapping[str, Any], resource: str, number: str | None = None) -> list[Problem]:
        """What `data` sends that the describe of `resource` does not allow, or that is read-only.

        `number` (a PATCH's path key) names the item in messages when the body does not.
        """
        if number is not None:
            data = {self.keys[resource]: number, **data}
        node = rules.find_resource(self._describe_read(), resource)
        problems = sent_problems(data, node, resource, keys=self.keys)
        return problems + read_only_problems(self.profile, self.keys, data, resource)

    def _edit(self) -> Edit:
        return Edit(self.profile, self.keys)

    def _save(
        self,
        r: Request,
        header: StoredOrchestration,
        old: StoredStage | None,
        doc: dict[str, Any],
        edit: Edit,
        problems: list[Problem],
        *,
        duplicate: str = "",
    ) -> StoredStage:
        """Validate the new stage (metadata, then contract form, then references) and store it."""
        describe = self._describe_read()
        problems = problems + edit.problems
        for resource, item, index in edit.touched:
            nested = resource in GRANDCHILDREN and self.profile.child_location == "Steps"
            skip = [self.profile.pod_name(resource, "OrchestrationStepNumber")] if nested else []
            place = rules.where(resource, item, index, self.keys[resource])
            problems += mandatory_problems(item, rules.find_resource(describe, resource), place=place, skip=skip)
        problems += fill_parent_links(self.profile, self.keys, doc)
        self.replies.refuse(problems)
        canonical, problems = self.codec.stage(doc)
        self.replies.refuse(problems)
        naming = self.codec.naming
        self.replies.refuse(rules.schema_problems(self.codec.for_schema(canonical, "Stages"), naming=naming))
        if canonical.get("OrchestrationId") != header.remote_id:
            detail = (
                f"OrchestrationId {canonical.get('OrchestrationId')} is not the id of orchestration {header.number}."
            )
            self.replies.refuse([Problem(detail, rules.CODE_BAD_REFERENCE)])
        number = doc.get(self.keys["Stages"])
        self.replies.refuse(rules.reference_problems(canonical, self._taken(header, number), naming=naming))
        if duplicate:
            self.replies.refuse([Problem(duplicate, rules.CODE_DUPLICATE)])
        return self._store_stage(r, header, old, doc)

    def _store_stage(
        self, r: Request, header: StoredOrchestration, old: StoredStage | None, doc: dict[str, Any]
    ) -> StoredStage:
        document = assign_identity(
            self.profile,
            self.keys,
            doc,
            old.document if old is not None else None,
            user=r.user,
            now=now(),
            reserve=self.store.reserve_ids,
        )
        number = str(document[self.keys["Stages"]])
        stage = StoredStage(header.number, number, document[IDS["Stages"]], document, indicator(document))
        self.store.save_stage(stage)
        return stage

    def _taken(self, header: StoredOrchestration, number: Any) -> dict[str, dict[str, str]]:
        """Child numbers of the orchestration's other stages (alternate keys are unique per orchestration)."""
        taken: dict[str, dict[str, str]] = {name: {} for name in CHILDREN}
        for stage_number, version in self.store.stage_versions(header.number).items():
            if stage_number == number:
                continue
            numbers = self._stage_child_numbers(header.number, stage_number, version)
            for name in CHILDREN:
                for key in numbers[name]:
                    taken[name][key] = stage_number
        return taken

    def _stage_child_numbers(self, orchestration: str, stage_number: str, version: str) -> dict[str, list[Any]]:
        cached = self._child_numbers.get((orchestration, stage_number))
        if cached is not None and cached[0] == version:
            return cached[1]
        stage = self.store.get_stage(orchestration, stage_number)
        numbers: dict[str, list[Any]] = {name: [] for name in CHILDREN}
        if stage is not None:
            canonical, _ = self.codec.stage(stage.document)
            numbers = {name: [row.get(KEYS[name]) for row in canonical[name]] for name in CHILDREN}
        if len(self._child_numbers) > 50_000:  # a long-lived sandbox worker: start over rather than grow
            self._child_numbers.clear()
        self._child_numbers[(orchestration, stage_number)] = (version, numbers)
        return numbers

    # -- lookups ------------------------------------------------------------------------------

    def _orchestration(self, number: str | None) -> StoredOrchestration:
        found = self.store.get_orchestration(str(number))
        if found is None:
            raise Refusal(self.replies.error(404, f"Orchestration {number} does not exist.", "404"))
        self._same_profile(found)
        return found

    def _same_profile(self, found: StoredOrchestration) -> None:
        if found.profile != self.profile.name:
            detail = (
                f"The built-in sandbox holds {found.number} in the {found.profile} shape; "
                "reset the sandbox after changing SANDBOX_PROFILE."
            )
            raise Refusal(self.replies.error(409, detail, "409"))

    def _stage(self, header: StoredOrchestration, number: str | None) -> StoredStage:
        stage = self.store.get_stage(header.number, str(number))
        if stage is None:
            detail = f"Stage {number} does not exist in orchestration {header.number}."
            raise Refusal(self.replies.error(404, detail, "404"))
        return stage
