"""The attributes of an opportunity or a lead from the pod's ADF describe, as catalogue references (issue 11).

``GET …/opportunities/describe`` answers, on the pages and the one real body
we have (fidelity-risks §2), ``{"Resources": {"opportunities": {"title",
"attributes": [{"name", "type", "updatable", "title", "precision",
"maxLength", …}]}}}``; the describe of a single resource may also come with
the resource's node at the top (``{"attributes": […]}``). Both are read. A
length is ``precision`` (an integer) or ``maxLength`` (ADF prints it as a
string): either is taken.

A Field update changes an existing record, so only what can be changed is
kept: an attribute marked ``"updatable": false`` or with ``allowChanges``
"never" or "inCreate" is left out, as are the who-columns and the record's
own id, whatever the describe says of them. An attribute without a usable
name (empty, not an identifier, longer than the catalogue's id) is skipped
and counted, never guessed.
"""

from __future__ import annotations

import re
from typing import Any

from . import cx_fields
from .errors import RemoteError
from .references import Reference, ReferenceList

NAME_MAX = 40  # the catalogue's ref_id length (models.catalogue.REF_ID_MAX)
# An orchestration's ObjectCode → the REST resource of that object.
OBJECT_RESOURCES = {"Opportunity": "opportunities", "Lead": "leads"}
# Set by the pod on every write; never something a step sets.
POD_MANAGED = cx_fields.WHO_COLUMNS | {"ObjectVersionNumber"}
# Each record's own key: a Field update changes the record, never its id.
RECORD_IDS = {"opportunities": frozenset({"OptyId"}), "leads": frozenset({"LeadId"})}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_FIXED = frozenset({"never", "inCreate"})


def _node(document: Any, resource: str) -> dict[str, Any] | None:
    """The resource's node: under Resources → resource, else the document itself (never another resource's)."""
    if not isinstance(document, dict):
        return None
    resources = document.get("Resources")
    if isinstance(resources, dict):
        node = resources.get(resource)
        return node if isinstance(node, dict) else None
    return document if "attributes" in document else None


def _length(attribute: dict[str, Any]) -> int | None:
    for key in ("maxLength", "precision"):
        value = attribute.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and value > 0:
            return value
        if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
            return int(value)
    return None


def _changeable(attribute: dict[str, Any]) -> bool:
    updatable = attribute.get("updatable", True)
    if updatable is False or (isinstance(updatable, str) and updatable.strip().lower() == "false"):
        return False
    return attribute.get("allowChanges") not in _FIXED


def _detail(attribute: dict[str, Any], name: str) -> str:
    """'Win probability · number', 'Status · string (30)': the title (else the name) and the type."""
    title = attribute.get("title")
    title = title.strip() if isinstance(title, str) and title.strip() else name
    kind = attribute.get("type")
    kind = kind.strip() if isinstance(kind, str) and kind.strip() else "unknown type"
    length = _length(attribute) if kind == "string" else None
    return f"{title} · {kind}" + (f" ({length})" if length else "")


def attributes_of(document: Any, resource: str) -> ReferenceList:
    """The changeable attributes of `resource` in a describe document; RemoteError when it lists none at all."""
    node = _node(document, resource)
    rows = node.get("attributes") if node is not None else None
    if not isinstance(rows, list):
        raise RemoteError(f"CX Sales answered the describe of {resource} without an attribute list.", permanent=True)
    result = ReferenceList(items=[])
    seen: set[str] = set()
    left_out = POD_MANAGED | RECORD_IDS.get(resource, frozenset())
    for attribute in rows:
        name = attribute.get("name") if isinstance(attribute, dict) else None
        name = name.strip() if isinstance(name, str) else ""
        if not _NAME.match(name) or len(name) > NAME_MAX:
            result.skipped += 1
            continue
        if name in seen or name in left_out or not _changeable(attribute):
            continue  # a name listed twice keeps its first place
        seen.add(name)
        result.items.append(Reference(name, name, _detail(attribute, name), len(result.items) + 1))
    return result
