"""Outreach's opportunity stages (API v2, JSON:API), as plain data.

| method | path | what |
|---|---|---|
| GET | ``/opportunityStages?page[size]=N`` | one page; ``links.next`` (a full URL) names the next |
| POST | ``/opportunityStages`` | ``{"data": {"type": "opportunityStage", "attributes": {…}}}`` → 201 |
| PATCH | ``/opportunityStages/{id}`` | the attributes sent (``data.type``, integer ``data.id`` required) |
| DELETE | ``/opportunityStages/{id}`` | 204 |

Every request goes through the one client (`client.RemoteClient` with an
Outreach connection), which sends ``application/vnd.api+json``, the Bearer
token, waits out 429s until ``X-RateLimit-Reset`` and reads JSON:API error
bodies (``errors[].detail``/``details`` and ``source.pointer``) into the
RemoteError's ``details``.

A ``links.next`` comes from the remote, so it is followed only when it points
below the connection's own API root: a reply cannot send our token elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .client import RemoteClient
from .errors import RemoteError

RESOURCE = "opportunityStages"
RESOURCE_TYPE = "opportunityStage"
# Outreach serves at most 1,000 items per page; ask for that many so a sync needs as few reads as possible.
LARGE_PAGE = 1000
MAX_PAGES = 200  # 200,000 stages: far beyond any real list; a loop of links.next stops here
WRITABLE = ("name", "order", "color", "isClosed")


@dataclass(frozen=True)
class OpportunityStage:
    """One opportunity stage as Outreach holds it (attributes may be null)."""

    id: int
    name: str | None
    order: int | None
    color: str | None
    is_closed: bool | None
    created_at: str | None = None
    updated_at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "order": self.order,
            "color": self.color,
            "isClosed": self.is_closed,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }


@dataclass(frozen=True)
class StagePage:
    """One page of stages and the path of the next one ("" on the last page)."""

    stages: list[OpportunityStage]
    next_path: str


def _stage(item: Any) -> OpportunityStage:
    """A resource object of the collection or of a single reply; RemoteError when it is not one."""
    if not isinstance(item, dict):
        raise RemoteError("Outreach answered an opportunity stage that is not a JSON:API resource object.")
    raw_id = item.get("id")
    # Outreach's ids are integers; a JSON:API server may send them as strings.
    if isinstance(raw_id, bool) or not (isinstance(raw_id, int) or (isinstance(raw_id, str) and raw_id.isdigit())):
        raise RemoteError(f"Outreach answered an opportunity stage without an integer id ({str(raw_id)[:40]!r}).")
    attributes = item.get("attributes") if isinstance(item.get("attributes"), dict) else {}

    def text(name: str) -> str | None:
        value = attributes.get(name)
        return value if isinstance(value, str) else None

    order = attributes.get("order")
    closed = attributes.get("isClosed")
    return OpportunityStage(
        id=int(raw_id),
        name=text("name"),
        order=order if isinstance(order, int) and not isinstance(order, bool) else None,
        color=text("color"),
        is_closed=closed if isinstance(closed, bool) else None,
        created_at=text("createdAt"),
        updated_at=text("updatedAt"),
    )


def stage_body(attributes: Mapping[str, Any], stage_id: int | None = None) -> dict[str, Any]:
    """The JSON:API document of a create (no id) or an update (with the integer id, as PATCH requires)."""
    unknown = set(attributes) - set(WRITABLE)
    if unknown:
        raise ValueError(f"not writable attributes of an opportunity stage: {sorted(unknown)}")
    data: dict[str, Any] = {"type": RESOURCE_TYPE}
    if stage_id is not None:
        data["id"] = stage_id
    data["attributes"] = dict(attributes)
    return {"data": data}


class OutreachApi:
    """Opportunity stages over one RemoteClient of an Outreach connection."""

    def __init__(self, client: RemoteClient) -> None:
        if client.system.key != "outreach":
            raise ValueError(f"OutreachApi needs an Outreach connection, not {client.system.label}")
        self.client = client

    # -- reads -----------------------------------------------------------------------------------------------

    def stage_page(self, path: str = "", *, page_size: int = LARGE_PAGE) -> StagePage:
        """The first page (or the page at `path`, a ``next_path`` of an earlier one)."""
        if path:
            response = self.client.request("GET", path)
        else:
            response = self.client.request("GET", f"/{RESOURCE}", params={"page[size]": str(page_size)})
        document = response.data if isinstance(response.data, dict) else None
        if document is None or not isinstance(document.get("data"), list):
            raise RemoteError("Outreach answered the list of opportunity stages without a data array.", permanent=True)
        links = document.get("links") if isinstance(document.get("links"), dict) else {}
        return StagePage([_stage(item) for item in document["data"]], self._next_path(links.get("next")))

    def list_stages(self, *, page_size: int = LARGE_PAGE) -> list[OpportunityStage]:
        """Every opportunity stage, following ``links.next`` page by page."""
        stages: list[OpportunityStage] = []
        seen: set[str] = set()
        page = self.stage_page(page_size=page_size)
        for _ in range(MAX_PAGES):
            stages.extend(page.stages)
            if not page.next_path:
                return stages
            if page.next_path in seen:
                raise RemoteError("Outreach's links.next points at a page already read; the list would never end.")
            seen.add(page.next_path)
            page = self.stage_page(page.next_path)
        raise RemoteError(f"Outreach's list of opportunity stages is longer than {MAX_PAGES} pages; refusing it.")

    def _next_path(self, link: Any) -> str:
        """The path (with its query) below the API root of a ``links.next``; "" when there is none."""
        if link in (None, ""):
            return ""
        root = urlsplit(self.client.connection.api_url)
        if not isinstance(link, str):
            raise RemoteError("Outreach's links.next is not a URL.", permanent=True)
        try:
            target = urlsplit(link)
        except ValueError:
            raise RemoteError("Outreach's links.next is not a valid URL.", permanent=True) from None
        same_origin = (target.scheme, target.netloc.lower()) == (root.scheme, root.netloc.lower())
        if not same_origin or not target.path.startswith(root.path + "/") or target.fragment or "\\" in link:
            # Never follow a link off the connection: it would carry the token with it.
            raise RemoteError(
                f"Outreach's links.next leaves the connection's API ({link[:120]}); it is not followed.",
                permanent=True,
            )
        path = target.path[len(root.path) :]
        return f"{path}?{target.query}" if target.query else path

    # -- writes ----------------------------------------------------------------------------------------------

    def create_stage(self, attributes: Mapping[str, Any]) -> OpportunityStage:
        """POST one stage (not repeated after an ambiguous failure: the caller looks first)."""
        response = self.client.request("POST", f"/{RESOURCE}", json_body=stage_body(attributes), idempotent=False)
        return _stage((response.data or {}).get("data") if isinstance(response.data, dict) else None)

    def update_stage(self, stage_id: int, attributes: Mapping[str, Any]) -> OpportunityStage:
        """PATCH the given attributes of stage `stage_id` (the others stay as they are)."""
        response = self.client.request(
            "PATCH", f"/{RESOURCE}/{int(stage_id)}", json_body=stage_body(attributes, stage_id)
        )
        return _stage((response.data or {}).get("data") if isinstance(response.data, dict) else None)

    def delete_stage(self, stage_id: int) -> bool:
        """DELETE stage `stage_id`; False when it was already gone (404), so a repeat is harmless."""
        try:
            self.client.request("DELETE", f"/{RESOURCE}/{int(stage_id)}")
        except RemoteError as error:
            if error.status == 404:
                return False
            raise
        return True
