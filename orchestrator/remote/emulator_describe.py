"""The describe document of an emulated pod: built from the contract and a profile, edited by knobs, checked against.

`build_describe(profile)` derives every resource's attributes from the
contract's JSON Schemas, named as the profile names them (renames, links by
id), with lengths as ``precision`` (an integer) or ``maxLength`` (a string, as
ADF prints it), LOBs as ``blob`` where the pod encodes them, the profile's
extra attributes, and — for a rich describe — ``queryable``, ``allowChanges``,
``title`` and ``defaultValue``. The children sit where the profile puts them
(StepTasks and StepObjectivesAssociations under Stages or under Steps).

`sent_problems` and `mandatory_problems` are the first checks of every write:
they read only the describe, so a test that rewrites it (remove an attribute,
shorten one) changes what the pod accepts.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from . import emulator_rules as rules
from .emulator_profiles import GRANDCHILDREN, PodProfile
from .emulator_rules import Problem, find_resource

_TYPES = {"string": "string", "integer": "integer", "boolean": "boolean", "number": "number"}
_CREATE_ONLY = frozenset({"OrchestrationId"})


def _title(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)


class _Attributes:
    """Builds the attribute list of one resource for one profile."""

    def __init__(self, profile: PodProfile, resource: str) -> None:
        self.profile, self.resource = profile, resource
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        name: str,
        kind: str,
        *,
        updatable: bool = True,
        mandatory: bool = False,
        length: int | None = None,
        changes: str = "always",
        default: Any = None,
        contract_name: str = "",
    ) -> None:
        attribute: dict[str, Any] = {"name": name, "type": kind, "updatable": updatable, "mandatory": mandatory}
        if length is not None and self.profile.lengths == "precision":
            attribute["precision"] = length
        profile = self.profile
        if profile.rich_describe:
            attribute["queryable"] = kind != "blob"
            attribute["allowChanges"] = changes
            attribute["title"] = profile.titles.get(contract_name or name, _title(name))
            if default is None:
                default = profile.describe_defaults.get(self.resource, {}).get(contract_name or name)
        if length is not None and profile.lengths == "maxLength":
            attribute["maxLength"] = str(length)
        if default is not None:
            attribute["defaultValue"] = default
        self.rows.append(attribute)


def _attributes(profile: PodProfile, resource: str) -> list[dict[str, Any]]:
    schema = rules.resource_schema(resource)
    required = set(schema.get("required", ()))
    rows = _Attributes(profile, resource)
    rows.add(rules.IDS[resource], "integer", updatable=False, changes="never")
    lobs = rules.lob_attributes(resource)
    nested = resource in GRANDCHILDREN and profile.child_location == "Steps"
    for name in rules.contract_attributes(resource):
        prop = schema["properties"][name]
        pod_name = profile.pod_name(resource, name)
        kind, length = _TYPES.get(prop.get("type", "string"), "string"), prop.get("maxLength")
        if (resource, name) in rules.LINKS and profile.links == "ids":
            kind, length = "integer", None
        if name in lobs and profile.lob == "base64":
            kind, length = "blob", None
        creating_only = (
            name in _CREATE_ONLY
            or name == rules.KEYS[resource]
            or resource == "StepObjectivesAssociations"  # "Update … Not Supported"
            or (nested and name == "OrchestrationStepNumber")
        )
        rows.add(
            pod_name,
            kind,
            updatable=name not in _CREATE_ONLY,
            mandatory=name in required,
            length=length,
            changes="inCreate" if creating_only else "always",
            contract_name=name,
        )
    for extra in profile.extras(resource):
        header = next((a for a in profile.header_attributes if a.name == extra.name), None)
        if header is not None:
            rows.add(
                header.name, "string", mandatory=header.mandatory, length=header.max_length, default=header.default
            )
        else:
            rows.add(extra.name, extra.type)
    for name in rules.WHO_COLUMNS:
        if name.endswith("Date"):
            rows.add(name, "datetime", updatable=False, changes="never")
        else:
            rows.add(name, "string", updatable=False, length=64, changes="never")
    return rows.rows


def _node(profile: PodProfile, resource: str) -> dict[str, Any]:
    node: dict[str, Any] = {"attributes": _attributes(profile, resource)}
    children = profile.children(resource)
    if children:
        node["children"] = {child: _node(profile, child) for child in children}
    return node


def build_describe(profile: PodProfile) -> dict[str, Any]:
    """The describe document of a pod with this profile (payload-contract §5 shape, a fresh copy)."""
    return {"Resources": {"orchestrations": _node(profile, "orchestrations")}}


def pod_keys(profile: PodProfile) -> dict[str, str]:
    """Resource -> the name of its key attribute on this pod."""
    return {resource: profile.pod_name(resource, key) for resource, key in rules.KEYS.items()}


# -- knobs: edited copies ------------------------------------------------------------------------


def drop_attribute(document: Mapping[str, Any], resource: str, name: str) -> dict[str, Any]:
    """A copy of `document` whose `resource` lacks attribute `name` (simulates an older remote)."""
    result = copy.deepcopy(dict(document))
    node = find_resource(result, resource)
    node["attributes"] = [a for a in node["attributes"] if a["name"] != name]
    return result


def set_length(document: Mapping[str, Any], resource: str, name: str, length: int) -> dict[str, Any]:
    """A copy of `document` where attribute `name` of `resource` holds at most `length` characters.

    Spelled the way the describe already spells lengths: ``maxLength`` (a
    string) when the attribute has one, else ``precision``.
    """
    result = copy.deepcopy(dict(document))
    for attribute in find_resource(result, resource)["attributes"]:
        if attribute["name"] == name:
            if "maxLength" in attribute:
                attribute["maxLength"] = str(length)
            else:
                attribute["precision"] = length
    return result


def attribute_length(attribute: Mapping[str, Any]) -> int | None:
    """The length limit of a describe attribute: `precision` (int) or `maxLength` (a string on ADF)."""
    for key in ("precision", "maxLength"):
        value = attribute.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
    return None


# -- checks against the describe ---------------------------------------------------------------


def sent_problems(
    body: Any, node: Mapping[str, Any], resource: str, *, keys: Mapping[str, str], index: int | None = None
) -> list[Problem]:
    """Unknown attributes and values longer than the describe allows, in what was sent (nested children too).

    `keys` maps each resource to its key attribute as the pod names it.
    """
    return list(_sent_problems(body, node, resource, keys, index))


def _sent_problems(
    item: Any, node: Mapping[str, Any], resource: str, keys: Mapping[str, str], index: int | None
) -> Iterable[Problem]:
    if not isinstance(item, dict):
        return
    place = rules.where(resource, item, index, keys.get(resource))
    attributes = {a["name"]: a for a in node.get("attributes", [])}
    children = node.get("children", {})
    for name, value in item.items():
        if name in children:
            if isinstance(value, list):
                for i, child in enumerate(value):
                    yield from _sent_problems(child, children[name], name, keys, i)
        elif name not in attributes:
            yield Problem(f"Attribute {name} is not recognized for {place}.", rules.CODE_UNKNOWN_ATTRIBUTE)
        elif isinstance(value, str) and len(value) > (limit := attribute_length(attributes[name]) or len(value)):
            yield Problem(
                f"The value of attribute {name} is too long for {place}: {len(value)} characters, at most {limit}.",
                rules.CODE_TOO_LONG,
            )


def mandatory_problems(
    item: Mapping[str, Any], node: Mapping[str, Any], *, place: str, skip: Iterable[str] = ()
) -> list[Problem]:
    """Mandatory attributes (per the describe) that `item` lacks or holds empty."""
    skipped = set(skip)
    return [
        Problem(f"Attribute {a['name']} is required for {place}.", rules.CODE_REQUIRED)
        for a in node.get("attributes", [])
        if a.get("mandatory") and a["name"] not in skipped and item.get(a["name"]) in (None, "")
    ]
