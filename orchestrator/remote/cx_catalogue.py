"""CX Sales reference data for the catalogue (issue 11): templates, a sales method's stages, attributes, as plain data.

| method | path | what |
|---|---|---|
| GET | ``/activityTemplates`` | every activity template (paged: ``limit``, ``offset``, ``hasMore``) |
| GET | ``/crmBusinessUnits/{id}/child/salesMethods/{SalesMethodId}/child/SalesStage`` | the method's stages |
| GET | ``/opportunities/describe``, ``/leads/describe`` | the attributes of an orchestration's object |

Oracle's pages document ``TemplateId`` as the template's key; the name
attribute is not shown on the pages we have, so both readings are taken:
``TemplateName`` or ``Name`` (the description: ``Description`` or
``TemplateDescription``). A sales stage's key is ``StgId`` in the Sales
Method service's documentation, ``StageId`` or ``SalesStageId`` in other
readings; its name is ``Name`` (or ``StageName``), its order ``StgOrder``
(or ``DisplayOrder``; else the order of the reply). An item without a usable
id or name is skipped and counted, never guessed. A collection that keeps
answering ``hasMore`` is cut off after MAX_ITEMS and reported as an error,
not stored half.

The attributes come from the ADF describe of the object's resource (see
cx_attributes.py for the readings it accepts and what it leaves out).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .client import RemoteClient
from .cx import DESCRIPTION_MEDIA_TYPE
from .cx_attributes import attributes_of
from .errors import RemoteError
from .references import Reference, ReferenceList

ACTIVITY_TEMPLATES = "/activityTemplates"
PAGE_SIZE = 200
MAX_ITEMS = 20_000  # far beyond any real pod; a loop that never ends is a broken remote

_TEMPLATE_ID = ("TemplateId", "ActivityTemplateId")
_TEMPLATE_NAME = ("TemplateName", "Name")
_TEMPLATE_DETAIL = ("Description", "TemplateDescription", "ActivityTypeCode")
_STAGE_ID = ("StgId", "StageId", "SalesStageId")
_STAGE_NAME = ("Name", "StageName")
_STAGE_ORDER = ("StgOrder", "DisplayOrder", "StageOrder")
_STAGE_DETAIL = ("PhaseCd", "DescriptionText")


def sales_stages_path(business_unit_id: str, sales_method_id: str) -> str:
    return (
        f"/crmBusinessUnits/{quote(business_unit_id, safe='')}/child/salesMethods/"
        f"{quote(sales_method_id, safe='')}/child/SalesStage"
    )


def _first(item: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = item.get(name)
        if value not in (None, ""):
            return value
    return None


def _id_text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    text = str(value).strip()
    return text if text.isdigit() and len(text) <= 18 else ""


class CxCatalogueApi:
    """Reads the reference collections over one RemoteClient of a CX Sales connection."""

    def __init__(self, client: RemoteClient, *, page_size: int = PAGE_SIZE) -> None:
        if client.system.key != "cx_sales":
            raise ValueError(f"CxCatalogueApi needs a CX Sales connection, not {client.system.label}")
        self.client = client
        self.page_size = page_size

    def _all(self, path: str, what: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            params = {"limit": str(self.page_size), "offset": str(len(items)), "onlyData": "true"}
            response = self.client.request("GET", path, params=params)
            page = response.data if isinstance(response.data, dict) else None
            if page is None or not isinstance(page.get("items"), list):
                raise RemoteError(f"CX Sales answered {what} without an items list.", permanent=True)
            found = [item for item in page["items"] if isinstance(item, dict)]
            items.extend(found)
            if not page.get("hasMore"):
                return items
            if not found:
                raise RemoteError(f"CX Sales said more {what} follow (hasMore) but sent none.", permanent=True)
            if len(items) >= MAX_ITEMS:
                raise RemoteError(f"CX Sales sent more than {MAX_ITEMS} {what}; nothing was stored.", permanent=True)

    def object_attributes(self, resource: str) -> ReferenceList:
        """The attributes a Field update may set on `resource` ("opportunities", "leads"), from its describe."""
        response = self.client.request(
            "GET", f"/{quote(resource, safe='')}/describe", headers={"Accept": DESCRIPTION_MEDIA_TYPE}
        )
        return attributes_of(response.data, resource)

    def activity_templates(self) -> ReferenceList:
        """Every activity template the pod has, in its order."""
        result = ReferenceList(items=[])
        for position, item in enumerate(self._all(ACTIVITY_TEMPLATES, "activity templates"), start=1):
            ref_id, name = _id_text(_first(item, _TEMPLATE_ID)), _first(item, _TEMPLATE_NAME)
            if not ref_id or not isinstance(name, str) or not name.strip():
                result.skipped += 1
                continue
            detail = _first(item, _TEMPLATE_DETAIL)
            result.items.append(Reference(ref_id, name.strip(), str(detail or "").strip(), position))
        return result

    def sales_stages(self, business_unit_id: str, sales_method_id: str) -> ReferenceList:
        """The sales stages of one sales method, in their order (StgOrder when given, else the reply's)."""
        path = sales_stages_path(business_unit_id, sales_method_id)
        result = ReferenceList(items=[])
        for position, item in enumerate(self._all(path, "sales stages"), start=1):
            ref_id, name = _id_text(_first(item, _STAGE_ID)), _first(item, _STAGE_NAME)
            if not ref_id or not isinstance(name, str) or not name.strip():
                result.skipped += 1
                continue
            order = _first(item, _STAGE_ORDER)
            place = order if isinstance(order, int) and not isinstance(order, bool) and order >= 0 else position
            detail = _first(item, _STAGE_DETAIL)
            result.items.append(Reference(ref_id, name.strip(), str(detail or "").strip(), place))
        result.items.sort(key=lambda ref: ref.position)
        return result
