"""The emulated CX Sales reference data: activity templates, a sales method's stages, two describes (read only).

| method | path | answer |
|---|---|---|
| GET | /activityTemplates[?limit=&offset=] | ``{"items", "count", "hasMore", "limit", "offset", "links"}`` |
| GET | /crmBusinessUnits/{BU}/child/salesMethods/{SalesMethodId}/child/SalesStage | the same, for the stages |
| GET | /opportunities/describe, /leads/describe | ``{"Resources": {name: {"title", "attributes"}}}`` |
| any other method | any of these paths | 405 |

ADF collections page as the conventions describe them: ``limit`` (default
25, at most 500 here: our reading), ``offset``, ``hasMore`` and a ``next``
link while more remain. An item of activityTemplates carries ``TemplateId``
(the documented path key) and, in our reading, ``TemplateName`` and
``Description``; a sales stage carries ``StgId`` and ``Name`` (the names the
Sales Method SOAP service documents) and ``PhaseCd``. The `template_fields`
and `stage_fields` knobs rename them, as a pod with the other reading would
answer. A sales method other than the configured one is a 404, as is an
unknown business unit. Credentials are not checked here.

A describe lists each attribute as the one real opportunities describe we
have does (fidelity-risks §2): ``name``, ``type``, ``updatable``,
``mandatory``, ``queryable``, ``allowChanges``, ``title`` and, for a string,
its length as ``maxLength`` in ADF's string form. The `describe_nested` knob
puts the resource's node at the top instead of under ``Resources``, and
`describe_lengths` = "precision" gives the length as an integer, as the
other readings of the references have it.

The data is the demo pod's (`orchestrator.demo`); tests replace it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from .. import demo
from ..remote.emulator_http import DESCRIPTION_TYPE
from ..remote.url_safety import REST_ROOT

Reply = tuple[int, dict[str, str], bytes]

TEMPLATES = "/activityTemplates"
_STAGES = re.compile(r"^/crmBusinessUnits/([^/]+)/child/salesMethods/([^/]+)/child/SalesStage/?$")
_DESCRIBE = re.compile(r"^/(opportunities|leads)/describe/?$")
TITLES = {"opportunities": ("Opportunity", "Opportunities"), "leads": ("Lead", "Leads")}
COLLECTION_MEDIA_TYPE = "application/vnd.oracle.adf.resourcecollection+json"
DEFAULT_LIMIT, MAX_LIMIT = 25, 500


def _error(status: int, detail: str) -> Reply:
    titles = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
    body = {"title": titles.get(status, "Error"), "status": str(status), "detail": detail}
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


class CxCatalogueEmulator:
    """Activity templates and one sales method's stages, paged like any ADF collection; two describes."""

    def __init__(self, *, base_url: str = "sandbox://builtin") -> None:
        self.base_url = base_url
        self.business_unit_id = demo.DEMO_BUSINESS_UNIT_ID
        self.sales_method_id = demo.DEMO_SALES_METHOD_ID
        # (id, name, detail) rows; a test may replace them.
        self.templates: list[tuple[int, str, str]] = list(demo.DEMO_ACTIVITY_TEMPLATES)
        self.stages: list[tuple[int, str, str]] = list(demo.DEMO_SALES_STAGES)
        # The attribute names the items carry: (id, name, detail).
        self.template_fields = ("TemplateId", "TemplateName", "Description")
        self.stage_fields = ("StgId", "Name", "PhaseCd")
        # (name, title, type, length, updatable) per described resource; a test may replace them.
        self.attributes: dict[str, list[tuple[str, str, str, int | None, bool]]] = {
            "opportunities": list(demo.DEMO_OPPORTUNITY_ATTRIBUTES),
            "leads": list(demo.DEMO_LEAD_ATTRIBUTES),
        }
        self.describe_nested = True  # {"Resources": {name: node}}; False: the node itself
        self.describe_lengths = "maxLength"  # or "precision" (an integer)

    @staticmethod
    def handles(path: str) -> bool:
        """True for the paths this emulator answers (below the REST root)."""
        if not path.startswith(REST_ROOT):
            return False
        rest = path.removeprefix(REST_ROOT)
        return rest.rstrip("/") == TEMPLATES or bool(_STAGES.match(rest) or _DESCRIBE.match(rest))

    def handle(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
    ) -> Reply:
        rest = path.removeprefix(REST_ROOT)
        if method.upper() != "GET":
            return _error(405, f"{method.upper()} is not supported here: the catalogue is read only.")
        if rest.rstrip("/") == TEMPLATES:
            return self._page(path, query, self.templates, self.template_fields, position=False)
        if described := _DESCRIBE.match(rest):
            return self._describe(described.group(1))
        match = _STAGES.match(rest)
        if match is None:
            return _error(404, f"Nothing at {path[:200]}.")
        if match.group(1) != self.business_unit_id:
            return _error(404, f"No business unit {match.group(1)[:20]}.")
        if match.group(2) != self.sales_method_id:
            return _error(404, f"No sales method {match.group(2)[:20]} in business unit {match.group(1)[:20]}.")
        return self._page(path, query, self.stages, self.stage_fields, position=True)

    def describe(self, resource: str) -> dict[str, Any]:
        """The describe document of `resource`, shaped by the knobs."""
        rows: list[dict[str, Any]] = []
        for name, title, kind, length, updatable in self.attributes.get(resource, []):
            row: dict[str, Any] = {
                "name": name,
                "type": kind,
                "updatable": updatable,
                "mandatory": name == "Name",
                "queryable": True,
                "allowChanges": "always" if updatable else "never",
                "title": title,
            }
            if length is not None:
                row[self.describe_lengths] = str(length) if self.describe_lengths == "maxLength" else length
            rows.append(row)
        singular, plural = TITLES[resource]
        node = {"discrColumnType": False, "title": singular, "titlePlural": plural, "attributes": rows}
        return {"Resources": {resource: node}} if self.describe_nested else node

    def _describe(self, resource: str) -> Reply:
        document = json.dumps(self.describe(resource), ensure_ascii=False).encode()
        return 200, {"Content-Type": DESCRIPTION_TYPE}, document

    def _page(
        self, path: str, query: Mapping[str, str], rows: list[tuple[int, str, str]], fields: tuple, *, position: bool
    ) -> Reply:
        try:
            limit = int(query.get("limit", DEFAULT_LIMIT))
            offset = int(query.get("offset", 0))
        except ValueError:
            return _error(400, "limit and offset must be integers.")
        if limit < 1 or offset < 0:
            return _error(400, "limit must be at least 1 and offset at least 0.")
        limit = min(limit, MAX_LIMIT)
        chosen = rows[offset : offset + limit]
        id_field, name_field, detail_field = fields
        items: list[dict[str, Any]] = []
        for place, (ref, name, detail) in enumerate(chosen, start=offset + 1):
            item: dict[str, Any] = {id_field: ref, name_field: name, detail_field: detail}
            if position:
                item["StgOrder"] = place
            item["links"] = [{"rel": "self", "href": f"{self.base_url}{path.rstrip('/')}/{ref}", "name": "item"}]
            items.append(item)
        has_more = offset + len(chosen) < len(rows)
        document: dict[str, Any] = {
            "items": items,
            "count": len(items),
            "hasMore": has_more,
            "limit": limit,
            "offset": offset,
            "links": [{"rel": "self", "href": f"{self.base_url}{path}", "name": path.rsplit("/", 1)[-1]}],
        }
        if has_more:
            following = urlencode({"limit": limit, "offset": offset + len(chosen)})
            document["links"].append({"rel": "next", "href": f"{self.base_url}{path}?{following}", "name": "next"})
        return 200, {"Content-Type": COLLECTION_MEDIA_TYPE}, json.dumps(document, ensure_ascii=False).encode()
