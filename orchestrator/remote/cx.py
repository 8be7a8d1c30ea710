"""The CX Sales resources publishing uses, as plain data.

Paths follow payload-contract §2-§5; every key that goes into a path is
percent-encoded as one segment, so a number with "/", "#" or spaces cannot
address another resource. Child collections come back as plain lists
whatever the REST framework version (from version 3 on, ADF nests them as
collection objects with "items").
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


def flatten_stage(stage: dict[str, Any]) -> dict[str, Any]:
    """The stage item with each nested child collection as a plain list (in place; returned for chaining)."""
    number = stage.get("OrchestrationStageNumber", "a stage")
    for child in STAGE_CHILDREN:
        if child in stage:
            stage[child] = _items(stage[child], f"{child} of stage {number}")
    return stage


class CxSalesApi:
    """Orchestrations, their stages and the describe, over one CxClient."""

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

    def upsert_stage(self, orchestration_number: str, stage: dict[str, Any]) -> RemoteResponse:
        """POST one stage with its children, Upsert-Mode: true (safe to repeat: it updates by number).

        ``response.data`` is the stage item with its child collections as lists;
        ``response.status`` is 201 when created, 200 when updated.
        """
        response = self.client.request(
            "POST",
            f"{self._orchestration_path(orchestration_number)}/child/Stages",
            json_body=stage,
            headers={"Content-Type": ITEM_MEDIA_TYPE, "Upsert-Mode": "true"},
        )
        if isinstance(response.data, dict):
            flatten_stage(response.data)
        return response

    def delete_stage(self, orchestration_number: str, stage_number: str) -> bool:
        """DELETE one stage; False when it was already gone (404), so a repeated delete is harmless."""
        path = f"{self._orchestration_path(orchestration_number)}/child/Stages/{_segment(stage_number)}"
        try:
            self.client.request("DELETE", path)
        except RemoteError as error:
            if error.status == 404:
                return False
            raise
        return True

    def get_stage(self, orchestration_number: str, stage_number: str) -> dict[str, Any] | None:
        """One stage item with its children (lists), or None (404)."""
        path = f"{self._orchestration_path(orchestration_number)}/child/Stages/{_segment(stage_number)}"
        response = self._get_or_none(path, {"expand": "all", "onlyData": "true"})
        return flatten_stage(response.data) if response is not None and isinstance(response.data, dict) else None

    def list_stages(self, orchestration_number: str) -> list[dict[str, Any]] | None:
        """Every stage of the orchestration with children, in the remote's order (all pages); None (404)."""
        path = f"{self._orchestration_path(orchestration_number)}/child/Stages"
        stages: list[dict[str, Any]] = []
        while True:
            params = {"expand": "all", "onlyData": "true", "limit": str(self.page_size), "offset": str(len(stages))}
            response = self._get_or_none(path, params)
            if response is None:
                return None
            page = response.data if isinstance(response.data, dict) else {}
            items = [item for item in page.get("items") or [] if isinstance(item, dict)]
            stages.extend(flatten_stage(item) for item in items)
            if not page.get("hasMore") or not items:
                return stages

    def get_orchestration_tree(self, number: str) -> dict[str, Any] | None:
        """Header + "Stages": [stage items with nested children], all as lists, no links; None (404).

        One GET with expand=all&onlyData=true; when the remote pages the stages
        (hasMore), the rest come from the Stages collection.
        """
        response = self._get_or_none(self._orchestration_path(number), {"expand": "all", "onlyData": "true"})
        if response is None or not isinstance(response.data, dict):
            return None
        tree = response.data
        stages = tree.get("Stages")
        if isinstance(stages, dict) and stages.get("hasMore"):
            tree["Stages"] = self.list_stages(number) or []
        else:
            tree["Stages"] = [flatten_stage(stage) for stage in _items(stages, f"the stages of {number}")]
        return tree
