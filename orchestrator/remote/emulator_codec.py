"""From the pod's shape to the contract's: how the emulator reads what it holds and receives.

The emulator stores and renders items the way its profile's pod would (pod
attribute names and codes, LOBs as the pod keeps them, links by id, step
tasks under their step). Every rule, though, is written once, against the
contract (emulator_rules.py). `Codec` bridges the two: it reads a stage in
pod form into *contract form* — contract names and codes, LOBs decoded,
links as numbers, StepTasks and StepObjectivesAssociations as stage-level
arrays carrying OrchestrationStepNumber — keeping ids, who-columns and the
profile's extra attributes beside them, and reporting what it cannot read
(a bad code, a LOB that is not base64 JSON, an id of the wrong type).

A link by id that names no item is kept as `rules.Unresolved` so the
reference checks (after the schema) can refuse it.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from collections.abc import Mapping
from typing import Any

from . import emulator_rules as rules
from .emulator_profiles import GRANDCHILDREN, RESOURCES, PodProfile
from .emulator_rules import CHILDREN, IDS, KEYS, WHO_COLUMNS, Problem, Unresolved


def _json_type(value: Any) -> str:
    return rules._json_type(value)


def decode_lob(value: Any) -> str | None:
    """The JSON text inside a base64 LOB value, or None when it is not base64 of UTF-8 JSON text."""
    if not isinstance(value, str):
        return None
    try:
        text = base64.b64decode(value, validate=True).decode("utf-8")
        json.loads(text)
    except (binascii.Error, ValueError, RecursionError):
        return None
    return text


def encode_lob(text: str) -> str:
    """How a base64 pod expects a LOB: base64 of the UTF-8 text."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


class Codec:
    """Reads items of one profile's pod into contract form."""

    def __init__(self, profile: PodProfile) -> None:
        self.profile = profile
        self.keys = {resource: profile.pod_name(resource, key) for resource, key in KEYS.items()}
        self._inverse = {
            resource: {profile.pod_name(resource, name): name for name in rules.contract_attributes(resource)}
            for resource in RESOURCES
        }

    def naming(self, resource: str, contract_name: str) -> str:
        """The pod's name of a contract attribute (for messages)."""
        return self.profile.pod_name(resource, contract_name)

    # -- reading ------------------------------------------------------------------------------

    def id_maps(self, doc: Mapping[str, Any]) -> dict[str, dict[Any, Any]]:
        """{"Steps": {id: number}, "StageObjectives": {id: number}} of a stage in pod form (stored items only)."""
        maps: dict[str, dict[Any, Any]] = {}
        for resource in ("Steps", "StageObjectives"):
            maps[resource] = {
                row[IDS[resource]]: row.get(self.keys[resource])
                for row in _rows(doc, resource)
                if row.get(IDS[resource]) is not None
            }
        return maps

    def stage(
        self, doc: Mapping[str, Any], *, known: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, Any], list[Problem]]:
        """A stage in contract form, and what could not be read.

        Ids are resolved against `known` (another version of the stage, e.g.
        the one before a delete) when given, else against `doc` itself.
        """
        ids = self.id_maps(known if known is not None else doc)
        problems: list[Problem] = []
        out = self._item("Stages", doc, ids, problems, None)
        for child in ("StageObjectives", "Steps"):
            out[child] = [self._item(child, row, ids, problems, i) for i, row in enumerate(_rows(doc, child))]
        for child in GRANDCHILDREN:
            if self.profile.child_location == "Stages":
                out[child] = [self._item(child, row, ids, problems, i) for i, row in enumerate(_rows(doc, child))]
                continue
            out[child] = [
                self._item(child, row, ids, problems, i, parent=step.get(self.keys["Steps"]))
                for step in _rows(doc, "Steps")
                for i, row in enumerate(_rows(step, child))
            ]
        return out, problems

    def header(self, attributes: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
        """An orchestration header in contract form, and what could not be read."""
        problems: list[Problem] = []
        return self._item("orchestrations", attributes, {}, problems, None), problems

    def _item(
        self,
        resource: str,
        row: Mapping[str, Any],
        ids: Mapping[str, Mapping[Any, Any]],
        problems: list[Problem],
        index: int | None,
        *,
        parent: Any = None,
    ) -> dict[str, Any]:
        profile = self.profile
        inverse = self._inverse[resource]
        extras = {extra.name: extra for extra in profile.extras(resource)}
        lobs = rules.lob_attributes(resource)
        children = set(profile.children(resource)) if resource != "orchestrations" else set()
        place = rules.where(resource, row, index, self.keys[resource])
        out: dict[str, Any] = {}
        for name, value in row.items():
            if name in children:
                continue
            contract = inverse.get(name)
            if name == IDS[resource] or name in WHO_COLUMNS or contract is None:
                if name in extras:
                    self._check_extra(extras[name].type, name, value, place, problems)
                out[name] = value  # ids, who-columns, extras; anything else the schema refuses by name
            elif parent is not None and contract == "OrchestrationStepNumber":
                continue  # a nested item belongs to the step it sits under
            elif (resource, contract) in rules.LINKS and profile.links == "ids":
                out[contract] = self._resolve(
                    name, value, ids.get(rules.LINKS[resource, contract], {}), place, problems
                )
            else:
                value = self._code(resource, contract, name, value, place, problems)
                if contract in lobs and profile.lob == "base64" and value is not None:
                    decoded = decode_lob(value)
                    if decoded is None:
                        problems.append(_not_base64(name, place))
                    value = decoded if decoded is not None else value
                out[contract] = value
        if parent is not None:
            out["OrchestrationStepNumber"] = parent
        return out

    def _resolve(self, name: str, value: Any, ids: Mapping[Any, Any], place: str, problems: list[Problem]) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            detail = f"Attribute {name} of {place} must be of type integer, not {_json_type(value)}."
            problems.append(Problem(detail, rules.CODE_INVALID_VALUE))
            return Unresolved(name, value)
        return ids[value] if value in ids else Unresolved(name, value)

    def _code(self, resource: str, contract: str, name: str, value: Any, place: str, problems: list[Problem]) -> Any:
        codes = self.profile.code_map(resource, contract)
        if not codes or not isinstance(value, str):
            return value
        reverse = {pod: code for code, pod in codes.items()}
        if value in reverse:
            return reverse[value]
        if value in codes:  # a contract code this pod spells differently
            allowed = ", ".join(codes.get(c, c) for c in rules.enum_values(resource, contract)) or ", ".join(reverse)
            detail = f"Value {json.dumps(value)} of attribute {name} is not valid for {place}; use {allowed}."
            problems.append(Problem(detail, rules.CODE_INVALID_VALUE))
        return value

    def _check_extra(self, kind: str, name: str, value: Any, place: str, problems: list[Problem]) -> None:
        if value is None:
            return
        if kind == "blob":
            if decode_lob(value) is None:
                problems.append(_not_base64(name, place))
            return
        expected = {"integer": int, "boolean": bool, "string": str}[kind]
        if isinstance(value, bool) != (expected is bool) or not isinstance(value, expected):
            detail = f"Attribute {name} of {place} must be of type {kind}, not {_json_type(value)}."
            problems.append(Problem(detail, rules.CODE_INVALID_VALUE))

    # -- what the contract checks see -------------------------------------------------------------

    def for_schema(self, item: Mapping[str, Any], resource: str) -> dict[str, Any]:
        """A contract-form stage (or header) as the contract schema sees it.

        Ids, who-columns and the profile's extra attributes are set aside; a
        link that names nothing stands in as a placeholder, so rules that only
        ask whether it is there (FailureStepNumber needs SuccessCriteria) still hold.
        """
        drop = {IDS[resource], *WHO_COLUMNS, *(extra.name for extra in self.profile.extras(resource))}
        out = {k: (str(v) if isinstance(v, Unresolved) else v) for k, v in item.items() if k not in drop}
        if resource == "Stages":
            for child in CHILDREN:
                out[child] = [self.for_schema(row, child) for row in item.get(child, [])]
        return out

    def contract_stage(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        """A stored stage exactly as the contract would send it: no ids, who-columns or extras, children sorted."""
        canonical, _ = self.stage(doc)
        out = {
            k: canonical[k] for k in rules.contract_attributes("Stages") if k in canonical and k != "OrchestrationId"
        }
        for child in CHILDREN:
            rows = [{k: row[k] for k in rules.contract_attributes(child) if k in row} for row in canonical[child]]
            out[child] = sorted(rows, key=lambda row, key=KEYS[child]: str(row.get(key, "")))
        return copy.deepcopy(out)


def _rows(doc: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    rows = doc.get(name)
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def _not_base64(name: str, place: str) -> Problem:
    return Problem(f"Attribute {name} of {place} must be base64 of UTF-8 JSON text.", rules.CODE_INVALID_VALUE)
