"""What the emulated Outreach holds: its opportunity stages. The store protocol and the in-memory store.

The fake server of the tests keeps its stages here; the built-in sandbox keeps
them in the database (`outreach_db.DbOutreachStore`, the only ORM code of
the Outreach emulation).

A stored stage is a plain dict of the resource's attributes plus its integer
``id``: ``{"id", "name", "order", "color", "isClosed", "createdAt", "updatedAt"}``.
Stores copy dicts in and out, so a caller never changes stored data by
editing what it got; `list_stages` answers in id order (the order of the
emulator's pages).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol


class OutreachStore(Protocol):
    """Storage behind OutreachEmulator. `atomic()` wraps every request that reads then writes."""

    def atomic(self) -> AbstractContextManager[None]: ...

    def next_id(self) -> int: ...

    def list_stages(self) -> list[dict[str, Any]]: ...

    def get_stage(self, stage_id: int) -> dict[str, Any] | None: ...

    def save_stage(self, stage: dict[str, Any]) -> None: ...

    def delete_stage(self, stage_id: int) -> bool: ...

    def reset(self) -> None: ...


class MemoryOutreachStore:
    """Thread-safe in-memory store (the fake server answers on several threads)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget every stage; ids start at 1 again."""
        with self._lock:
            self._next = 1
            self._stages: dict[int, dict[str, Any]] = {}

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._lock:
            yield

    def next_id(self) -> int:
        with self._lock:
            value, self._next = self._next, self._next + 1
            return value

    def list_stages(self) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(self._stages[key]) for key in sorted(self._stages)]

    def get_stage(self, stage_id: int) -> dict[str, Any] | None:
        with self._lock:
            return copy.deepcopy(self._stages.get(stage_id))

    def save_stage(self, stage: dict[str, Any]) -> None:
        with self._lock:
            self._stages[int(stage["id"])] = copy.deepcopy(stage)

    def delete_stage(self, stage_id: int) -> bool:
        with self._lock:
            return self._stages.pop(stage_id, None) is not None
