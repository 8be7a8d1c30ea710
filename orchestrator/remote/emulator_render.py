"""How the emulated pod shows what it holds: items with links, nested children, collections.

Stored items are already in the pod's shape; rendering adds ``links`` (self
with ``properties.changeIndicator``, one per child collection), nests the
children the ``expand`` tree asks for — arrays before REST framework
version 3, collection objects from 3 on, as ADF does — and pages collections
(``items``, ``count``, ``hasMore``, ``limit``, ``offset``; default limit 25).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from .emulator_http import Request, as_int, expand_everything, indicator
from .emulator_profiles import PodProfile
from .store import StoredOrchestration, StoredStage
from .url_safety import REST_ROOT

Chain = list[tuple[str, str | None]]  # (resource, key) from the orchestration down; key None = a collection


class Renderer:
    """Renders items of one profile's pod; `base_url` prefixes every href."""

    def __init__(self, profile: PodProfile, keys: Mapping[str, str], base_url: str) -> None:
        self.profile, self.keys, self.base_url = profile, keys, base_url

    def href(self, chain: Chain) -> str:
        href = f"{REST_ROOT}/orchestrations"
        for position, (resource, number) in enumerate(chain):
            if position:
                href += f"/child/{resource}"
            if number is not None:
                href += f"/{quote(str(number), safe='')}"
        return href

    def stage_href(self, stage: StoredStage) -> str:
        return self.href([("orchestrations", stage.orchestration_number), ("Stages", stage.number)])

    def row_href(self, collection_href: str, resource: str, row: Mapping[str, Any]) -> str:
        return f"{collection_href}/{quote(str(row.get(self.keys[resource], '')), safe='')}"

    def reply_shape(self, resource: str, item: Mapping[str, Any], sent: Mapping[str, Any]) -> tuple[dict, dict]:
        """What a write answers: everything (echo "full"), or only what the request listed (echo "listed")."""
        children = self.profile.children(resource)
        if self.profile.echo == "full":
            return dict(item), expand_everything(resource, self.profile, deep=True)
        listed = [child for child in children if isinstance(sent.get(child), list)]
        shown = {k: v for k, v in item.items() if k not in children}
        for child in listed:
            numbers = {row.get(self.keys[child]) for row in sent[child] if isinstance(row, dict)}
            grandchildren = self.profile.children(child)
            shown[child] = [
                {k: v for k, v in row.items() if k not in grandchildren}
                for row in item.get(child) or []
                if row.get(self.keys[child]) in numbers
            ]
        return shown, {child: {} for child in listed}

    def render_header(
        self, found: StoredOrchestration, r: Request, tree: Mapping[str, Any], stages: list[StoredStage]
    ) -> dict[str, Any]:
        item: dict[str, Any] = {"OrchestrationId": found.remote_id, **found.attributes}
        chain: Chain = [("orchestrations", found.number)]
        stages_href = self.href([*chain, ("Stages", None)])
        if "Stages" in tree:
            stages = [self.render_stage(s, r, tree["Stages"]) for s in stages]
            item["Stages"] = self.nest(stages, r, stages_href)
        if not r.only_data:
            item["links"] = [
                self.link("self", self.href(chain), indicator(found.attributes)),
                self.link("child", stages_href, name="Stages", kind="collection"),
            ]
        return item

    def render_stage(self, stage: StoredStage, r: Request, tree: Mapping[str, Any]) -> dict[str, Any]:
        return self.render("Stages", stage.document, self.stage_href(stage), r, tree, stage.change_indicator)

    def render(
        self,
        resource: str,
        item: Mapping[str, Any],
        href: str,
        r: Request,
        tree: Mapping[str, Any],
        change_indicator: str = "",
    ) -> dict[str, Any]:
        children = self.profile.children(resource)
        out = {k: v for k, v in item.items() if k not in children}
        for child in children:
            if child in tree:
                rows = [
                    self.render(child, row, self.row_href(f"{href}/child/{child}", child, row), r, tree[child])
                    for row in item.get(child) or []
                ]
                out[child] = self.nest(rows, r, f"{href}/child/{child}")
        if not r.only_data:
            out["links"] = [self.link("self", href, change_indicator or indicator(item))] + [
                self.link("child", f"{href}/child/{child}", name=child, kind="collection") for child in children
            ]
        return out

    def nest(self, rows: list[dict[str, Any]], r: Request, href: str) -> Any:
        """Nested children: an array before framework version 3, a collection object from 3 on."""
        if r.framework_version < 3:
            return rows
        return self.collection(rows, r, href, paged=False)

    def collection(self, items: list[Any], r: Request, href: str, *, paged: bool = True) -> dict[str, Any]:
        offset = as_int(r.query.get("offset"), 0) if paged else 0
        limit = as_int(r.query.get("limit"), 25) if paged else max(len(items), 1)
        page = items[offset : offset + limit]
        result: dict[str, Any] = {
            "items": page,
            "count": len(page),
            "hasMore": offset + limit < len(items),
            "limit": limit,
            "offset": offset,
        }
        if not r.only_data:
            result["links"] = [self.link("self", href, kind="collection")]
        return result

    def link(self, rel: str, href: str, change: str = "", *, name: str = "", kind: str = "item") -> dict[str, Any]:
        link: dict[str, Any] = {"rel": rel, "href": self.base_url + href, "name": name or href.rsplit("/", 1)[-1]}
        link["kind"] = kind
        if change:
            link["properties"] = {"changeIndicator": change}
        return link
