"""What a catalogue read gives (issue 11): named things of the pod, and how many items could not be used."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    """One named thing of the pod: its id (as text), name, a second line and its place in the reply."""

    ref_id: str
    name: str
    detail: str = ""
    position: int = 0


@dataclass
class ReferenceList:
    """What one collection gave: the usable items and how many were skipped (no id or no name)."""

    items: list[Reference]
    skipped: int = 0
