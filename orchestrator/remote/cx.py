"""The CX Sales resources publishing uses, as plain data.

Paths follow payload-contract §2-§5 and Oracle's child resources (stage
objectives and steps under a stage; step tasks and associations under the
stage or under their step); every key that goes into a path is
percent-encoded as one segment, so a number with "/", "#" or spaces cannot
address another resource. Child collections come back as plain lists
whatever the REST framework version (from version 3 on, ADF nests them as
collection objects with "items"); a nested collection a reply truncates
(hasMore) or leaves out is read from its own collection, page by page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .client import CxClient, RemoteResponse
from .errors import RemoteError

ITEM_MEDIA_TYPE = "application/vnd.oracle.adf.resourceitem+json"
DESCRIPTION_MEDIA_TYPE = "application/vnd.oracle.adf.description+json"
STAGE_CHILDREN = ("StageObjectives", "Steps", "StepTasks", "StepObjectivesAssociations")


def _segment(value: str) -> str:
    return quote(str(value), safe="")


def stage_path(orchestration_number: str, stage_number: str) -> str:
    return f"/orchestrations/{_segment(orchestration_number)}/child/Stages/{_segment(stage_number)}"


def child_path(orchestration_number: str, stage_number: str, resource: str, number: str = "", *, step: str = "") -> str:
    """A stage child's collection (or, with `number`, one item): under the stage, or under `step`."""
    path = stage_path(orchestration_number, stage_number)
    if step:
        path += f"/child/Steps/{_segment(step)}"
    path += f"/child/{resource}"
    return f"{path}/{_segment(number)}" if number else path


def stage_expand(step_children: tuple[str, ...] = ()) -> str:
    """The `expand` of a stage GET: every child, and the steps' own children named in ADF's dotted form."""
    direct = [name for name in STAGE_CHILDREN if name not in step_children]
    return ",".join([*direct, *(f"Steps.{name}" for name in step_children)])


def _items(value: Any, what: str) -> list[dict[str, Any]]:
    """A child collection as a list; refuses a truncated one rather than silently losing rows."""
    if isinstance(value, dict):
        if value.get("hasMore"):
            raise RemoteError(
                f"The remote returned only part of {what} (hasMore); refusing an incomplete copy.",
                permanent=True,
            )
        value = value.get("items")
    return [item for item in value or [] if isinstance(item, dict)]


def _complete(value: Any) -> bool:
    """True when a nested collection came back whole (a list, or a collection object without hasMore)."""
    return isinstance(value, list) or (isinstance(value, dict) and not value.get("hasMore"))


def flatten_stage(stage: dict[str, Any]) -> dict[str, Any]:
    """The stage item with each nested child collection as a plain list (in place; returned for chaining)."""
    number = stage.get("OrchestrationStageNumber", "a stage")
    for child in STAGE_CHILDREN:
        if child in stage:
            stage[child] = _items(stage[child], f"{child} of stage {number}")
    return stage


class CxSalesApi:
    """Orchestrations, their stages, their stages' children and the describe, over one CxClient.

    Where a method takes `step_children`, those child resources live under
    each step (``…/Steps/{n}/child/StepTasks``) instead of beside the steps:
    they are asked for with a dotted `expand` and, when a reply does not nest
    them (or only part of them), read from each step's own collection.
    """

    page_size = 100

    def __init__(self, client: CxClient) -> None:
        self.client = client

    @staticmethod
    def _orchestration_path(number: str) -> str:
        return f"/orchestrations/{_segment(number)}"

    def _get_or_none(self, path: str, params: dict[str, str] | None = None) -> RemoteResponse | None:
        try:
            return self.client.request("GET", path, params=params)
        except RemoteError as error:
            if error.status == 404:
                return None
            raise

    def get_orchestration(self, number: str) -> dict[str, Any] | None:
        """The orchestration header (with OrchestrationId), or None when it does not exist (404)."""
        response = self._get_or_none(self._orchestration_path(number))
        return response.data if response is not None and isinstance(response.data, dict) else None

    def create_orchestration(self, header: dict[str, Any]) -> dict[str, Any]:
        """POST /orchestrations; returns the created item (OrchestrationId included)."""
        response = self.client.request(
            "POST", "/orchestrations", json_body=header, headers={"Content-Type": ITEM_MEDIA_TYPE}
        )
        return response.data if isinstance(response.data, dict) else {}

    def describe(self) -> dict[str, Any]:
        """GET /orchestrations/describe: {"Resources": {"orchestrations": {...}}} (contract §5)."""
        response = self.client.request("GET", "/orchestrations/describe", headers={"Accept": DESCRIPTION_MEDIA_TYPE})
        if not isinstance(response.data, dict) or not isinstance(response.data.get("Resources"), dict):
            raise RemoteError("The describe reply has no Resources: not an ADF describe document.", permanent=True)
        return response.data

    def upsert_stage(
        self, orchestration_number: str, stage: dict[str, Any], *, idempotent: bool = True
    ) -> RemoteResponse:
        """POST one stage with its children, Upsert-Mode: true (it updates by number).

        ``response.data`` is the stage item with its child collections as lists
        (those the reply carries); ``response.status`` is 201 when created, 200
        when updated. A body carrying associations is not `idempotent`: a pod
        that refuses to update an association would refuse a blind repeat.
        """
        response = self.client.request(
            "POST",
            f"{self._orchestration_path(orchestration_number)}/child/Stages",
            json_body=stage,
            headers={"Content-Type": ITEM_MEDIA_TYPE, "Upsert-Mode": "true"},
            idempotent=idempotent,
        )
        if isinstance(response.data, dict):
            _flatten_whole(response.data)
        return response

    def delete_stage(self, orchestration_number: str, stage_number: str) -> bool:
        """DELETE one stage; False when it was already gone (404), so a repeated delete is harmless."""
        return self.delete_item(stage_path(orchestration_number, stage_number))

    # -- items below a stage -----------------------------------------------------------------------------------

    def post_item(self, path: str, body: dict[str, Any], *, upsert: bool, idempotent: bool = True) -> RemoteResponse:
        """POST `body` to the collection at `path` (Upsert-Mode when `upsert`)."""
        headers = {"Content-Type": ITEM_MEDIA_TYPE}
        if upsert:
            headers["Upsert-Mode"] = "true"
        return self.client.request("POST", path, json_body=body, headers=headers, idempotent=idempotent)

    def patch_item(self, path: str, body: dict[str, Any]) -> RemoteResponse:
        """PATCH the item at `path` with the listed attributes (null clears one)."""
        return self.client.request("PATCH", path, json_body=body, headers={"Content-Type": ITEM_MEDIA_TYPE})

    def delete_item(self, path: str) -> bool:
        """DELETE the item at `path`; False when it was already gone (404)."""
        try:
            self.client.request("DELETE", path)
        except RemoteError as error:
            if error.status == 404:
                return False
            raise
        return True

    def list_collection(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]] | None:
        """Every item of the collection at `path`, all pages; None when it does not exist (404)."""
        items: list[dict[str, Any]] = []
        while True:
            page_params = {**(params or {}), "limit": str(self.page_size), "offset": str(len(items))}
            response = self._get_or_none(path, page_params)
            if response is None:
                return None
            page = response.data if isinstance(response.data, dict) else {}
            found = [item for item in page.get("items") or [] if isinstance(item, dict)]
            items.extend(found)
            if not page.get("hasMore") or not found:
                return items

    def _completed(
        self, item: dict[str, Any], orchestration_number: str, step_children: tuple[str, ...]
    ) -> dict[str, Any]:
        """A stage item with every child collection whole, as lists (fetching what the reply left out)."""
        number = str(item.get("OrchestrationStageNumber", ""))
        for child in STAGE_CHILDREN:
            if child in step_children:
                continue
            value = item.get(child)
            if not _complete(value):
                value = self.list_collection(child_path(orchestration_number, number, child)) or []
            item[child] = _items(value, f"{child} of stage {number}")
        for step in item.get("Steps") or []:
            step_number = str(step.get("OrchestrationStepNumber", ""))
            for child in step_children:
                value = step.get(child)
                if not _complete(value):
                    value = self.list_collection(child_path(orchestration_number, number, child, step=step_number))
                step[child] = _items(value or [], f"{child} of step {step_number}")
        return item

    def get_stage(
        self, orchestration_number: str, stage_number: str, *, step_children: tuple[str, ...] = ()
    ) -> dict[str, Any] | None:
        """One stage item with all its children (lists, step-level ones inside their steps), or None (404)."""
        # Links stay in (no onlyData): they carry each item's change indicator.
        params = {"expand": stage_expand(step_children)}
        response = self._get_or_none(stage_path(orchestration_number, stage_number), params)
        if response is None or not isinstance(response.data, dict):
            return None
        return self._completed(response.data, orchestration_number, step_children)

    def get_stage_response(
        self, orchestration_number: str, stage_number: str, *, step_children: tuple[str, ...] = ()
    ) -> tuple[dict[str, Any] | None, str]:
        """(the stage as `get_stage` gives it, its ETag) — for callers that keep change indicators."""
        params = {"expand": stage_expand(step_children)}
        response = self._get_or_none(stage_path(orchestration_number, stage_number), params)
        if response is None or not isinstance(response.data, dict):
            return None, ""
        return self._completed(response.data, orchestration_number, step_children), response.etag

    def list_stages(
        self, orchestration_number: str, *, step_children: tuple[str, ...] = ()
    ) -> list[dict[str, Any]] | None:
        """Every stage of the orchestration with its children, in the remote's order (all pages); None (404)."""
        path = f"{self._orchestration_path(orchestration_number)}/child/Stages"
        stages = self.list_collection(path, {"expand": stage_expand(step_children)})
        if stages is None:
            return None
        return [self._completed(stage, orchestration_number, step_children) for stage in stages]

    def get_orchestration_tree(self, number: str, *, step_children: tuple[str, ...] = ()) -> dict[str, Any] | None:
        """Header + "Stages": [stage items with all their children, as lists]; None (404).

        The header, then the Stages collection with its children expanded
        (paged), so whatever a pod expands by default, nothing is left out.
        """
        header = self.get_orchestration(number)
        if header is None:
            return None
        tree = {k: v for k, v in header.items() if k != "links"}
        tree["Stages"] = self.list_stages(number, step_children=step_children) or []
        return tree


def _flatten_whole(item: dict[str, Any]) -> None:
    """Nested collections of a reply as lists, nested ones inside steps too (a reply is never paged further)."""
    for child in STAGE_CHILDREN:
        if child in item:
            item[child] = child_list(item[child])
    for step in item.get("Steps") or []:
        for child in ("StepTasks", "StepObjectivesAssociations"):
            if child in step:
                step[child] = child_list(step[child])


def child_list(value: Any) -> list[dict[str, Any]]:
    """A collection as a list: a plain array, or (framework ≥ 3) an object with `items`."""
    if isinstance(value, dict):
        value = value.get("items")
    return [item for item in value or [] if isinstance(item, dict)]
