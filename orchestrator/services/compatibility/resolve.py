"""What a pod calls each contract attribute, and how to talk to it: the `Dialect`, resolved from its describe.

For every resource and every attribute of `remote.cx_fields`, the pod's name
is, in this order: the connection's override (``CX_FIELD_NAMES``), the
contract name if the describe lists it, else the first known alternative the
describe lists. What is left unresolved is *missing*, reported with the
closest names the describe offers. The describe also gives each attribute's
length (``maxLength`` or ``precision``, an integer or a numeric string), its
type (a binary LOB is sent base64), and the mandatory attributes we do not
cover (the header's take a default from the environment, else the
describe's ``defaultValue``).

The link strategy follows from the names: when the pod knows every link by
number and keeps step tasks and associations beside the steps (under
Stages), a stage goes in one upsert with its children nested (``nested``);
otherwise it goes by ids (``stepwise``): the stage with its objectives and
steps, then each link, task and association with the numeric ids the pod
gave. Pure: plain data in, plain data out, no HTTP and no queries.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ...remote.cx_fields import (
    ASSOCIATIONS,
    KEY_ATTRIBUTES,
    OBJECTIVES,
    ORCHESTRATIONS,
    RESOURCES,
    SERVER_MANAGED,
    STAGES,
    STEP_LEVEL_CAPABLE,
    STEPS,
    TASKS,
    Field,
    catalogue,
)

NESTED, STEPWISE = "nested", "stepwise"
STRATEGY_LABELS = {
    NESTED: "one request per stage (children nested, links by number)",
    STEPWISE: "by ids (the stage with its objectives and steps, then links, tasks and associations)",
}
_BINARY_TYPES = frozenset({"blob", "clob_base64", "binary", "byte", "bytes", "base64", "string (byte)"})
_BINARY_FORMATS = frozenset({"byte", "binary", "base64"})
_NUMERIC_TYPES = frozenset({"integer", "int", "long", "number", "decimal", "bigdecimal"})


@dataclass(frozen=True)
class Attribute:
    """One contract attribute as this pod knows it."""

    resource: str
    contract: str
    pod: str = ""  # "" = the pod has no such attribute
    source: str = ""  # "override" | "contract" | "alternative" | "" (missing)
    pod_type: str = ""
    length: int | None = None  # the pod's limit for strings; None when the describe gives none
    binary: bool = False  # a LOB the pod types as binary: sent base64
    mandatory: bool = False  # per the describe
    in_describe: bool = False  # False for an override the describe does not list
    link_kind: str = ""  # links: "number" | "id"
    codes: Mapping[str, str] = field(default_factory=dict)  # our code -> the pod's
    closest: tuple[str, ...] = ()  # when missing: the describe's nearest names

    @property
    def missing(self) -> bool:
        return not self.pod


@dataclass(frozen=True)
class ExtraAttribute:
    """A mandatory pod attribute the contract does not send, and what we send for it."""

    resource: str
    name: str
    value: Any = None
    source: str = ""  # "environment" | "describe" | "" (none: a publish that needs it is refused)

    @property
    def covered(self) -> bool:
        return bool(self.source)


@dataclass(frozen=True)
class ResourceDialect:
    resource: str
    present: bool
    location: str = ""  # step tasks and associations: "Stages" or "Steps"
    attributes: Mapping[str, Attribute] = field(default_factory=dict)  # by contract name
    extras: tuple[ExtraAttribute, ...] = ()
    pod_names: tuple[str, ...] = ()  # every attribute name the describe lists

    def pod(self, contract: str) -> str:
        """The pod's name for `contract` ("" when missing)."""
        attribute = self.attributes.get(contract)
        return attribute.pod if attribute else ""

    def contract_for(self) -> dict[str, str]:
        """pod name -> contract name (for reading the pod's items back)."""
        return {a.pod: a.contract for a in self.attributes.values() if a.pod}


@dataclass(frozen=True)
class Dialect:
    """Everything that decides how a draft is written to, and read from, one pod."""

    resources: Mapping[str, ResourceDialect]
    strategy: str
    header_defaults_unknown: tuple[str, ...] = ()  # CX_HEADER_DEFAULTS keys the pod does not list

    def __getitem__(self, resource: str) -> ResourceDialect:
        return self.resources[resource]

    def location(self, resource: str) -> str:
        """Where a stage's children of `resource` live: "Stages" or "Steps"."""
        return self.resources[resource].location or STAGES

    @property
    def strategy_label(self) -> str:
        return STRATEGY_LABELS[self.strategy]

    @property
    def fingerprint(self) -> str:
        """Changes when what we send for the same draft changes (names, codes, encodings, strategy, defaults)."""
        essentials = {
            "strategy": self.strategy,
            "resources": {
                name: {
                    "location": r.location,
                    "attributes": {
                        a.contract: [a.pod, a.link_kind, a.binary, dict(sorted(a.codes.items()))]
                        for a in r.attributes.values()
                    },
                    "extras": [[e.name, e.value] for e in r.extras if e.covered],
                }
                for name, r in sorted(self.resources.items())
            },
        }
        return hashlib.sha256(json.dumps(essentials, sort_keys=True, default=str).encode()).hexdigest()[:32]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- reading the describe ------------------------------------------------------------------------------------------


def _children(node: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    children = node.get("children") or {}
    if isinstance(children, list):  # ADF's list form: [{"name": …, "attributes": …}]
        return {c.get("name", ""): c for c in children if isinstance(c, dict)}
    return {k: v for k, v in children.items() if isinstance(v, dict)} if isinstance(children, dict) else {}


def _attribute_specs(node: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    if not node:
        return {}
    return {
        a["name"]: a for a in node.get("attributes") or [] if isinstance(a, dict) and isinstance(a.get("name"), str)
    }


def _as_length(value: Any) -> int | None:
    """A length from the describe: an integer or a numeric string ("100"); anything else is unknown."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip()) or None
    return None


def spec_length(spec: Mapping[str, Any]) -> int | None:
    """maxLength when given (ADF's string form included), else precision."""
    length = _as_length(spec.get("maxLength"))
    return length if length is not None else _as_length(spec.get("precision"))


def spec_is_binary(spec: Mapping[str, Any]) -> bool:
    """True when the describe types the attribute as binary (a LOB sent base64)."""
    kind = str(spec.get("type") or "").strip().lower()
    fmt = str(spec.get("format") or spec.get("contentEncoding") or "").strip().lower()
    return kind in _BINARY_TYPES or fmt in _BINARY_FORMATS


def _is_read_only(spec: Mapping[str, Any]) -> bool:
    allow = str(spec.get("allowChanges") or "").strip()
    return allow == "never" or (spec.get("updatable") is False and allow not in ("inCreate", "always"))


def describe_nodes(describe: Mapping[str, Any]) -> dict[str, tuple[dict[str, Any] | None, str]]:
    """{resource: (its describe node or None, location)}: where each resource sits in the describe."""
    root = (describe.get("Resources") or {}).get("orchestrations")
    root = root if isinstance(root, dict) else None
    stages = _children(root).get(STAGES) if root else None
    stage_children = _children(stages) if stages else {}
    steps = stage_children.get(STEPS)
    step_children = _children(steps) if steps else {}
    nodes: dict[str, tuple[dict[str, Any] | None, str]] = {
        ORCHESTRATIONS: (root, ""),
        STAGES: (stages, ""),
        OBJECTIVES: (stage_children.get(OBJECTIVES), STAGES),
        STEPS: (steps, STAGES),
    }
    for resource in STEP_LEVEL_CAPABLE:
        if resource in stage_children:
            nodes[resource] = (stage_children[resource], STAGES)
        elif resource in step_children:
            nodes[resource] = (step_children[resource], STEPS)
        else:
            nodes[resource] = (None, "")
    return nodes


_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def _tokens(name: str) -> set[str]:
    return {t.lower() for t in _CAMEL.findall(name)}


def _closest(name: str, candidates: list[str]) -> tuple[str, ...]:
    """Up to three names the pod might use for `name`: spelled alike or sharing words, best first.

    Only names no other contract attribute already takes are offered, so a
    missing ``StageName`` points at the pod's unclaimed ``StageTitleText``,
    not at ``StageDescription``.
    """
    words = _tokens(name)

    def score(candidate: str) -> float:
        alike = difflib.SequenceMatcher(None, name.lower(), candidate.lower()).ratio()
        shared = len(words & _tokens(candidate)) / max(len(words | _tokens(candidate)), 1)
        return alike + shared

    ranked = sorted(((score(c), c) for c in candidates), key=lambda pair: (-pair[0], pair[1]))
    return tuple(candidate for value, candidate in ranked[:3] if value >= 0.6)


def _link_kind(spec: Mapping[str, Any] | None, pod_name: str) -> str:
    kind = str((spec or {}).get("type") or "").strip().lower()
    if kind in _NUMERIC_TYPES:
        return "id"
    if kind:
        return "number"
    return "id" if pod_name.endswith("Id") else "number"


def _resolve_attribute(
    f: Field, specs: dict[str, dict[str, Any]], overrides: Mapping[str, str], codes: Mapping[str, Mapping[str, str]]
) -> Attribute:
    pod, source = "", ""
    if f.qualified in overrides:
        pod, source = overrides[f.qualified], "override"
    else:
        for position, candidate in enumerate(f.candidates):
            if candidate in specs:
                pod, source = candidate, "contract" if position == 0 else "alternative"
                break
    spec = specs.get(pod) if pod else None
    return Attribute(
        resource=f.resource,
        contract=f.name,
        pod=pod,
        source=source,
        pod_type=str((spec or {}).get("type") or ""),
        length=spec_length(spec) if spec else None,
        binary=f.kind == "lob" and spec is not None and spec_is_binary(spec),
        mandatory=bool((spec or {}).get("mandatory")),
        in_describe=spec is not None,
        link_kind=_link_kind(spec, pod) if f.kind == "link" and pod else "",
        codes=dict(codes.get(f.qualified, {})),
    )


def resolve_dialect(describe: Mapping[str, Any], connection) -> Dialect:
    """The dialect of the pod behind `connection`, from its describe and the connection's overrides."""
    nodes = describe_nodes(describe)
    overrides = getattr(connection, "field_names", {}) or {}
    codes = getattr(connection, "codes", {}) or {}
    header_defaults = dict(getattr(connection, "header_defaults", {}) or {})
    resources: dict[str, ResourceDialect] = {}
    unknown_defaults: tuple[str, ...] = ()
    for resource in RESOURCES:
        node, location = nodes[resource]
        specs = _attribute_specs(node)
        attributes = {name: _resolve_attribute(f, specs, overrides, codes) for name, f in catalogue()[resource].items()}
        covered = {a.pod for a in attributes.values() if a.pod}
        unclaimed = sorted(n for n in specs if n not in covered and n not in SERVER_MANAGED)
        attributes = {
            name: a if a.pod else replace(a, closest=_closest(name, unclaimed)) for name, a in attributes.items()
        }
        implied = set()
        if location == STEPS:
            # Created under their step: the pod fills the step reference from the path.
            implied = {a.pod for a in attributes.values() if a.contract == "OrchestrationStepNumber" and a.pod}
            implied |= {"OrchestrationStepId"}
        extras = []
        for name, spec in specs.items():
            if name in covered or name in SERVER_MANAGED or name in implied or _is_read_only(spec):
                continue
            from_env = resource == ORCHESTRATIONS and name in header_defaults
            if not spec.get("mandatory") and not from_env:
                continue
            if from_env:
                extras.append(ExtraAttribute(resource, name, header_defaults[name], "environment"))
            elif spec.get("defaultValue") not in (None, ""):
                extras.append(ExtraAttribute(resource, name, spec["defaultValue"], "describe"))
            else:
                extras.append(ExtraAttribute(resource, name))
        if resource == ORCHESTRATIONS:
            unknown_defaults = tuple(sorted(k for k in header_defaults if k not in specs))
        resources[resource] = ResourceDialect(
            resource=resource,
            present=node is not None,
            location=location,
            attributes=attributes,
            extras=tuple(extras),
            pod_names=tuple(sorted(specs)),
        )
    return Dialect(resources=resources, strategy=_strategy(resources), header_defaults_unknown=unknown_defaults)


_LINKS = (
    (STEPS, "SuccessStepNumber"),
    (STEPS, "FailureStepNumber"),
    (TASKS, "OrchestrationStepNumber"),
    (ASSOCIATIONS, "OrchestrationStepNumber"),
    (ASSOCIATIONS, "StageObjectiveNumber"),
)


def _strategy(resources: Mapping[str, ResourceDialect]) -> str:
    """nested when the pod links by number and keeps tasks and associations beside the steps; else stepwise."""
    if any(resources[r].location != STAGES for r in STEP_LEVEL_CAPABLE if resources[r].present):
        return STEPWISE
    for resource, name in _LINKS:
        attribute = resources[resource].attributes[name]
        if attribute.pod and attribute.link_kind == "id":
            return STEPWISE
    return NESTED


def key_attribute(resource: str) -> str:
    return KEY_ATTRIBUTES[resource]
