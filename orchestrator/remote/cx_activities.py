"""CX Sales interactions (with interaction references) and phone calls (with transcript messages), as plain data.

| method | path | what |
|---|---|---|
| POST | ``/interactions`` | an interaction and, nested, its ``interactionReferences`` |
| GET | ``/interactions?q=OriginalSystemReference='…'`` | find ours again after a lost reply |
| DELETE | ``/interactions/{InteractionId}`` | 204 |
| POST | ``/phoneCalls`` (``Upsert-Mode: true``) | a call for an interaction, with ``TranscriptMessage`` children |
| DELETE | ``/phoneCalls/{CallId}`` | 204 |
| GET | ``/interactions/describe``, ``/phoneCalls/describe`` | the attributes the pod has |

An interaction has no public number we can choose, so a create is not
repeated after an ambiguous failure (``idempotent=False``): the caller looks
it up by the ``OriginalSystemReference`` it sent. A phone call carries our
own ``CallNumber`` and is sent with ``Upsert-Mode: true``, so repeating it
updates the call already made instead of adding a second one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .client import RemoteClient
from .cx import DESCRIPTION_MEDIA_TYPE
from .errors import RemoteError

INTERACTIONS = "/interactions"
PHONE_CALLS = "/phoneCalls"


def _int_id(data: Any, key: str, what: str) -> int:
    value = data.get(key) if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise RemoteError(f"CX Sales answered the {what} without a numeric {key}.", permanent=True)
    return int(value)


def _quoted(value: str) -> str:
    """A string literal of an ADF ``q`` expression."""
    return "'" + value.replace("'", "''") + "'"


class CxActivitiesApi:
    """Interactions and phone calls over one RemoteClient of a CX Sales connection."""

    def __init__(self, client: RemoteClient) -> None:
        if client.system.key != "cx_sales":
            raise ValueError(f"CxActivitiesApi needs a CX Sales connection, not {client.system.label}")
        self.client = client

    def described_attributes(self, resource: str, child: str) -> tuple[set[str], set[str]]:
        """(the attribute names of `resource`, those of its child collection `child`) from the pod's describe."""
        response = self.client.request("GET", f"/{resource}/describe", headers={"Accept": DESCRIPTION_MEDIA_TYPE})
        document = response.data if isinstance(response.data, dict) else {}
        resources = document.get("Resources") if isinstance(document.get("Resources"), dict) else None
        described = resources.get(resource) if resources else None
        if not isinstance(described, dict):
            raise RemoteError(f"The describe of {resource} names no {resource} resource.", permanent=True)

        def names(node: Any) -> set[str]:
            rows = node.get("attributes") if isinstance(node, dict) else None
            return {row["name"] for row in rows or [] if isinstance(row, dict) and isinstance(row.get("name"), str)}

        children = described.get("children") if isinstance(described.get("children"), dict) else {}
        return names(described), names(children.get(child))

    def create_interaction(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST an interaction; returns it (with ``InteractionId``). Not repeated after an ambiguous failure."""
        response = self.client.request("POST", INTERACTIONS, json_body=body, idempotent=False)
        _int_id(response.data, "InteractionId", "interaction")
        return response.data

    def find_interaction(self, reference: str) -> dict[str, Any] | None:
        """The interaction whose OriginalSystemReference is `reference`, or None."""
        response = self.client.request(
            "GET", INTERACTIONS, params={"q": f"OriginalSystemReference={_quoted(reference)}", "onlyData": "true"}
        )
        items = response.data.get("items") if isinstance(response.data, dict) else None
        found = [item for item in items or [] if isinstance(item, dict)]
        return found[0] if found else None

    def upsert_phone_call(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST a phone call with Upsert-Mode (its CallNumber is ours): repeating it changes nothing twice."""
        response = self.client.request("POST", PHONE_CALLS, json_body=body, headers={"Upsert-Mode": "true"})
        _int_id(response.data, "CallId", "phone call")
        return response.data

    def delete_interaction(self, interaction_id: int) -> bool:
        """DELETE an interaction; False when it was already gone (404)."""
        return self._delete(f"{INTERACTIONS}/{quote(str(int(interaction_id)))}")

    def delete_phone_call(self, call_id: int) -> bool:
        """DELETE a phone call; False when it was already gone (404)."""
        return self._delete(f"{PHONE_CALLS}/{quote(str(int(call_id)))}")

    def _delete(self, path: str) -> bool:
        try:
            self.client.request("DELETE", path)
        except RemoteError as error:
            if error.status == 404:
                return False
            raise
        return True
