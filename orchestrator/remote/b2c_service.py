"""Oracle B2C Service (Connect REST v1.4) tasks, as plain data.

| method | path | what |
|---|---|---|
| POST | ``/tasks`` | ``{"name", "dueTime", "notes", "salesSettings"}`` → 201, the task with its ``id`` |
| GET | ``/tasks?q=name like '%MARKER%'`` | ROQL: find a task by the unique marker in its name |
| DELETE | ``/tasks/{id}`` | 200/204 |

Every request goes through the one client with a B2C Service connection
(`systems.B2cServiceSystem`): Basic credentials, the
``OSvC-CREST-Application-Context`` header, ``osvc-crest-next-request-after``
honoured, OSC-CREST error bodies read into the RemoteError's ``details``.
A create is not repeated after an ambiguous failure: the caller looks the
task up by its marker first.
"""

from __future__ import annotations

from typing import Any

from .client import RemoteClient
from .errors import RemoteError

TASKS = "/tasks"


def _task_id(data: Any) -> int:
    value = data.get("id") if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RemoteError("B2C Service answered the task without an integer id.", permanent=True)
    return value


class B2cServiceApi:
    """Tasks over one RemoteClient of a B2C Service connection."""

    def __init__(self, client: RemoteClient) -> None:
        if client.system.key != "b2c_service":
            raise ValueError(f"B2cServiceApi needs a B2C Service connection, not {client.system.label}")
        self.client = client

    def create_task(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST a task; returns it (with ``id``). Not repeated after an ambiguous failure: look it up first."""
        response = self.client.request("POST", TASKS, json_body=body, idempotent=False)
        _task_id(response.data)
        return response.data

    def find_task(self, marker: str) -> dict[str, Any] | None:
        """The task whose name holds `marker` (ROQL ``name like '%marker%'``), or None."""
        if not marker.replace("-", "").isalnum():
            raise ValueError("a task marker is letters, digits and '-' only (it goes into a ROQL literal)")
        response = self.client.request("GET", TASKS, params={"q": f"name like '%{marker}%'"})
        items = response.data.get("items") if isinstance(response.data, dict) else None
        found = [item for item in items or [] if isinstance(item, dict) and isinstance(item.get("id"), int)]
        return found[0] if found else None

    def delete_task(self, task_id: int) -> bool:
        """DELETE a task; False when it was already gone (404)."""
        try:
            self.client.request("DELETE", f"{TASKS}/{int(task_id)}")
        except RemoteError as error:
            if error.status == 404:
                return False
            raise
        return True
