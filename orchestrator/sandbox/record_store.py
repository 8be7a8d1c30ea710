"""What the emulated CX Sales activities and B2C Service tasks hold: records per resource, integer ids.

A record is a plain dict (the resource's attributes as the emulator keeps
them); its id is given beside it. Stores copy dicts in and out. The fake
servers of the tests use `MemoryRecordStore`; the built-in sandbox keeps its
records in the database (`DbRecordStore`, rows of `SandboxRecord`).

Resources are named ``<system>.<resource>``: ``cx_sales.interactions``,
``cx_sales.phoneCalls``, ``b2c_service.tasks``.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

# Where each resource's ids start: CX Sales hands out 15-digit ids, B2C Service small integers.
FIRST_IDS = {"cx_sales.interactions": 300100500000001, "cx_sales.phoneCalls": 300100600000001}


class RecordStore(Protocol):
    """Storage behind the activity and task emulators. `atomic()` wraps every request that reads then writes."""

    def atomic(self) -> AbstractContextManager[None]: ...

    def next_id(self, resource: str) -> int: ...

    def list(self, resource: str) -> list[tuple[int, dict[str, Any]]]: ...

    def get(self, resource: str, record_id: int) -> dict[str, Any] | None: ...

    def save(self, resource: str, record_id: int, record: dict[str, Any]) -> None: ...

    def delete(self, resource: str, record_id: int) -> bool: ...

    def reset(self) -> None: ...


class MemoryRecordStore:
    """Thread-safe in-memory store (the fake servers answer on several threads)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._records: dict[str, dict[int, dict[str, Any]]] = {}
            self._next: dict[str, int] = {}

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._lock:
            yield

    def next_id(self, resource: str) -> int:
        with self._lock:
            value = self._next.get(resource, FIRST_IDS.get(resource, 1))
            self._next[resource] = value + 1
            return value

    def list(self, resource: str) -> list[tuple[int, dict[str, Any]]]:
        with self._lock:
            records = self._records.get(resource, {})
            return [(key, copy.deepcopy(records[key])) for key in sorted(records)]

    def get(self, resource: str, record_id: int) -> dict[str, Any] | None:
        with self._lock:
            return copy.deepcopy(self._records.get(resource, {}).get(record_id))

    def save(self, resource: str, record_id: int, record: dict[str, Any]) -> None:
        with self._lock:
            self._records.setdefault(resource, {})[record_id] = copy.deepcopy(record)

    def delete(self, resource: str, record_id: int) -> bool:
        with self._lock:
            return self._records.get(resource, {}).pop(record_id, None) is not None

    def count(self, resource: str) -> int:
        with self._lock:
            return len(self._records.get(resource, {}))
