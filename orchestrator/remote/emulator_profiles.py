"""Pod profiles: what one emulated CX Sales pod looks like, as plain configuration.

The emulator (emulator.py) is one program; a `PodProfile` decides the
points where public evidence cannot tell how Oracle's pod behaves
(fidelity-risks §0.8): attribute names, how siblings refer to each other,
where step tasks and associations live, how the describe spells lengths,
how LOBs travel, what an upsert does to children, the error bodies, what
`expand=all` expands and which extra header attributes are mandatory.

Two named profiles:

- ``documented``: the contract read as written (payload-contract.md);
- ``strict``: the pessimistic reading of a real pod (numeric id links, tasks
  and associations under their step, base64 LOBs, partial-update upserts,
  ADF framework-v4 errors and empty-bodied 500s, OrchestrationType/StatusCode).

`profile_named(name)` returns a fresh copy; the `renamed`, `with_codes` and
`with_header_attribute` methods return changed copies, so a test can tweak
one emulator without touching another.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

RESOURCES = ("orchestrations", "Stages", "StageObjectives", "Steps", "StepTasks", "StepObjectivesAssociations")
GRANDCHILDREN = ("StepTasks", "StepObjectivesAssociations")

# Contract link attribute -> the attribute a pod that links by numeric id uses instead.
ID_LINK_NAMES = {
    ("Steps", "SuccessStepNumber"): "SuccessStepId",
    ("Steps", "FailureStepNumber"): "FailureStepId",
    ("StepTasks", "OrchestrationStepNumber"): "OrchestrationStepId",
    ("StepObjectivesAssociations", "OrchestrationStepNumber"): "OrchestrationStepId",
    ("StepObjectivesAssociations", "StageObjectiveNumber"): "StageObjectiveId",
}


@dataclass(frozen=True)
class HeaderAttribute:
    """An orchestration header attribute the contract does not model (e.g. OrchestrationType)."""

    name: str
    mandatory: bool = True
    default: str | None = None  # the describe's defaultValue; the pod never applies it itself
    max_length: int = 30


@dataclass(frozen=True)
class ExtraAttribute:
    """An attribute the pod describes and accepts but the contract never sends."""

    name: str
    type: Literal["string", "integer", "boolean", "blob"]


@dataclass(frozen=True)
class PodProfile:
    """The configuration of one emulated pod. Fields are read-only; use the `with…` methods for a changed copy."""

    name: str
    # resource -> {contract attribute: pod attribute}; identity when absent.
    names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    links: Literal["numbers", "ids"] = "numbers"
    child_location: Literal["Stages", "Steps"] = "Stages"  # where StepTasks and StepObjectivesAssociations live
    lengths: Literal["precision", "maxLength"] = "precision"
    rich_describe: bool = False  # queryable, allowChanges, title, defaultValue on every attribute
    lob: Literal["text", "base64"] = "text"
    upsert_children: Literal["replace", "merge"] = "replace"
    errors: Literal["documented", "adf4"] = "documented"
    expand_all: Literal["deep", "one"] = "deep"
    header_attributes: tuple[HeaderAttribute, ...] = ()
    extra_attributes: Mapping[str, tuple[ExtraAttribute, ...]] = field(default_factory=dict)
    # "Resource.Attribute" -> {contract code: pod code}
    codes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    association_reupsert: bool = True  # False: POST of an existing association number is refused
    deep_create: bool = True  # False: StepTasks and associations are created only by their own POST
    echo: Literal["full", "listed"] = "full"  # listed: replies show only what the request listed
    describe_defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # contract names
    titles: Mapping[str, str] = field(default_factory=dict)  # attribute -> describe title (else derived)

    # -- structure ----------------------------------------------------------------------------

    def children(self, resource: str) -> tuple[str, ...]:
        """The child resources of `resource` on this pod."""
        if resource == "orchestrations":
            return ("Stages",)
        if resource == "Stages":
            if self.child_location == "Steps":
                return ("StageObjectives", "Steps")
            return ("StageObjectives", "Steps", *GRANDCHILDREN)
        if resource == "Steps" and self.child_location == "Steps":
            return GRANDCHILDREN
        return ()

    def parent(self, resource: str) -> str:
        """The resource whose child `resource` is ("" for orchestrations)."""
        if resource == "orchestrations":
            return ""
        if resource == "Stages":
            return "orchestrations"
        if resource in GRANDCHILDREN:
            return self.child_location
        return "Stages"

    # -- names and codes ---------------------------------------------------------------------

    def pod_name(self, resource: str, contract_name: str) -> str:
        """What this pod calls the contract attribute `contract_name` of `resource`."""
        renamed = self.names.get(resource, {})
        if contract_name in renamed:
            return renamed[contract_name]
        if self.links == "ids":
            return ID_LINK_NAMES.get((resource, contract_name), contract_name)
        return contract_name

    def code_map(self, resource: str, contract_name: str) -> Mapping[str, str]:
        """{contract code: pod code} for one attribute (empty: the contract's codes)."""
        return self.codes.get(f"{resource}.{contract_name}", {})

    def extras(self, resource: str) -> tuple[ExtraAttribute, ...]:
        """Attributes of `resource` the pod accepts that the contract does not know (header ones included)."""
        if resource == "orchestrations":
            return tuple(ExtraAttribute(a.name, "string") for a in self.header_attributes)
        return tuple(self.extra_attributes.get(resource, ()))

    # -- changed copies (what the fake server's knobs use) -----------------------------------

    def renamed(self, resource: str, contract_name: str, pod_name: str) -> PodProfile:
        """A copy where `resource`.`contract_name` is called `pod_name` (in the describe and in bodies)."""
        names = {r: dict(m) for r, m in self.names.items()}
        names.setdefault(resource, {})[contract_name] = pod_name
        return replace(self, names=names)

    def with_codes(self, resource: str, attribute: str, codes: Mapping[str, str]) -> PodProfile:
        """A copy whose `resource`.`attribute` (contract name) uses the pod codes {contract: pod}."""
        all_codes = {k: dict(v) for k, v in self.codes.items()}
        all_codes[f"{resource}.{attribute}"] = dict(codes)
        return replace(self, codes=all_codes)

    def with_header_attribute(self, name: str, *, mandatory: bool = True, default: str | None = None) -> PodProfile:
        """A copy declaring (or redefining) an extra header attribute; `default=None`: no defaultValue."""
        kept = tuple(a for a in self.header_attributes if a.name != name)
        return replace(self, header_attributes=(*kept, HeaderAttribute(name, mandatory, default)))


def documented() -> PodProfile:
    """The contract as written: numbers for links, four stage-level children, replace-listed upserts."""
    return PodProfile(name="documented")


def strict() -> PodProfile:
    """The pessimistic reading of a real pod (fidelity-risks §0 and §7)."""
    return PodProfile(
        name="strict",
        names={"Stages": {"LifecycleAttrValue": "LifecycleAttributeValue"}},
        links="ids",
        child_location="Steps",
        lengths="maxLength",
        rich_describe=True,
        lob="base64",
        upsert_children="merge",
        errors="adf4",
        expand_all="one",
        header_attributes=(
            HeaderAttribute("OrchestrationType", default="STANDARD"),
            HeaderAttribute("StatusCode", default="DRAFT"),
        ),
        extra_attributes={
            "Steps": (
                ExtraAttribute("PreStepCondition", "blob"),
                ExtraAttribute("StepTemplateId", "integer"),
                ExtraAttribute("EvaluateOnMarkcompleteFlag", "boolean"),
            )
        },
        association_reupsert=False,
        deep_create=False,
        echo="listed",
        describe_defaults={
            "Stages": {"ContainErrorsFlag": False},
            "StageObjectives": {"ObjectiveStatus": "NEW"},
            "Steps": {"EvaluateOnMarkcompleteFlag": False},
        },
        # The two titles Oracle's stage PATCH page shows (fidelity-risks §0.1); the rest are derived.
        titles={"StageName": "Stage Name", "StageDescription": "Objective Description"},
    )


PROFILES = {"documented": documented, "strict": strict}
DEFAULT_PROFILE = "documented"


def profile_named(name: str | PodProfile) -> PodProfile:
    """A fresh copy of the named profile (or of the given one). Raises ValueError for an unknown name."""
    if isinstance(name, PodProfile):
        return copy.deepcopy(name)
    try:
        return PROFILES[name]()
    except KeyError:
        raise ValueError(f"Unknown pod profile {name!r}; use one of {', '.join(PROFILES)}.") from None
