"""What the emulated CX Sales pod holds, and the in-memory implementation.

The emulator talks to a Store; two implement it: MemoryStore here (the fake
HTTP server in the tests, one per test) and the database store of the
built-in sandbox (sandbox_store.py). Stores hold plain dicts and copy them in
and out, so a caller can never change stored data by editing what it got.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

FIRST_ID = 300100000000001  # Oracle-looking ids, far from anything a test would type


@dataclass
class StoredOrchestration:
    """An orchestration header: its key, its numeric id and the other attributes (who-columns included).

    `profile` names the pod profile that wrote it (and its stages): their
    shape is that profile's, so another profile must not read them.
    """

    number: str
    remote_id: int
    attributes: dict[str, Any] = field(default_factory=dict)
    profile: str = "documented"


@dataclass
class StoredStage:
    """A stage item as the remote holds it, in its profile's shape: attributes, ids, who-columns, children, no links."""

    orchestration_number: str
    number: str
    remote_id: int
    document: dict[str, Any]
    change_indicator: str


class Store(Protocol):
    """Storage behind CxEmulator. `atomic()` wraps every request that reads then writes."""

    def atomic(self) -> AbstractContextManager[None]: ...

    def reserve_ids(self, count: int) -> list[int]: ...

    def get_orchestration(self, number: str) -> StoredOrchestration | None: ...

    def list_orchestrations(self) -> list[StoredOrchestration]: ...

    def save_orchestration(self, orchestration: StoredOrchestration) -> None: ...

    def list_stages(self, orchestration_number: str) -> list[StoredStage]: ...

    def stage_versions(self, orchestration_number: str) -> dict[str, str]:
        """{stage number: a token that changes whenever that stage is saved}, without reading the documents."""
        ...

    def get_stage(self, orchestration_number: str, number: str) -> StoredStage | None: ...

    def save_stage(self, stage: StoredStage) -> None: ...

    def delete_stage(self, orchestration_number: str, number: str) -> bool: ...

    def reset(self) -> None: ...


def _copied(stage: StoredStage | None) -> StoredStage | None:
    """A stage nobody else holds. Documents are JSON data, and an orjson round trip copies them about ten times
    faster than deepcopy (every write reads all the orchestration's stages); deepcopy stays for what orjson
    cannot take (an integer past 64 bits)."""
    if stage is None:
        return None
    try:
        return dataclasses.replace(stage, document=orjson.loads(orjson.dumps(stage.document)))
    except (orjson.JSONEncodeError, TypeError):
        return copy.deepcopy(stage)


def stage_order(stage: StoredStage) -> tuple[int, str]:
    """Stages list in display order, then by number (what a GET of the collection returns)."""
    sequence = stage.document.get("DisplaySequence")
    return (sequence if isinstance(sequence, int) else 0, stage.number)


class MemoryStore:
    """Thread-safe in-memory Store (the fake server handles requests on several threads)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget everything, ids included."""
        with self._lock:
            self._next_id = FIRST_ID
            self._orchestrations: dict[str, StoredOrchestration] = {}
            self._stages: dict[tuple[str, str], StoredStage] = {}
            self._versions: dict[tuple[str, str], int] = {}
            self._saves = 0

    @contextmanager
    def atomic(self) -> Iterator[None]:
        # The emulator validates before it writes, so mutual exclusion is all a request needs.
        with self._lock:
            yield

    def reserve_ids(self, count: int) -> list[int]:
        with self._lock:
            first, self._next_id = self._next_id, self._next_id + count
            return list(range(first, first + count))

    def get_orchestration(self, number: str) -> StoredOrchestration | None:
        with self._lock:
            found = self._orchestrations.get(number)
            return copy.deepcopy(found)

    def list_orchestrations(self) -> list[StoredOrchestration]:
        with self._lock:
            return [copy.deepcopy(o) for _, o in sorted(self._orchestrations.items())]

    def save_orchestration(self, orchestration: StoredOrchestration) -> None:
        with self._lock:
            self._orchestrations[orchestration.number] = copy.deepcopy(orchestration)

    def list_stages(self, orchestration_number: str) -> list[StoredStage]:
        with self._lock:
            stages = [_copied(s) for (o, _), s in self._stages.items() if o == orchestration_number]
        return sorted(stages, key=stage_order)

    def stage_versions(self, orchestration_number: str) -> dict[str, str]:
        with self._lock:
            return {n: str(v) for (o, n), v in self._versions.items() if o == orchestration_number}

    def get_stage(self, orchestration_number: str, number: str) -> StoredStage | None:
        with self._lock:
            return _copied(self._stages.get((orchestration_number, number)))

    def save_stage(self, stage: StoredStage) -> None:
        with self._lock:
            key = (stage.orchestration_number, stage.number)
            self._stages[key] = _copied(stage)
            self._saves += 1
            self._versions[key] = self._saves

    def delete_stage(self, orchestration_number: str, number: str) -> bool:
        with self._lock:
            self._versions.pop((orchestration_number, number), None)
            return self._stages.pop((orchestration_number, number), None) is not None

    # -- inspection helpers for tests -------------------------------------------------------

    def stage_documents(self, orchestration_number: str) -> list[dict[str, Any]]:
        """The stored stage items of an orchestration, in display order."""
        return [s.document for s in self.list_stages(orchestration_number)]

    def stage_numbers(self, orchestration_number: str) -> list[str]:
        """The stage numbers of an orchestration, in display order."""
        return [s.number for s in self.list_stages(orchestration_number)]
