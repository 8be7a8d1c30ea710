"""Check a publish against the remote's own metadata before the first write (payload-contract §5).

Several attribute names of the contract are inferred from database columns,
and a pod may be configured with shorter lengths or extra mandatory fields.
`GET …/orchestrations/describe` says what the remote really accepts; this
module compares every attribute a publish will send with it and reports:

- an attribute the remote does not know (or a child collection it does not have),
- a value longer than the attribute's `precision`,
- a `mandatory` attribute the payload lacks (server-assigned ones excepted).

Problems are grouped per resource and attribute, so a name that is too long
in forty steps gives one line with a count, not forty.

The describe is cached in `RemoteDescribe` per connection name, base URL,
REST framework version and Metadata-Context, for `CX_DESCRIBE_CACHE_SECONDS`
(default one hour). A cached describe that refuses is re-read once before
the refusal stands, and the publish run drops the cache when the remote
refuses a stage, since both may mean the remote's metadata changed.
"""

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from ..models import RemoteDescribe

DEFAULT_CACHE_SECONDS = 3600

# Read-only attributes the remote assigns itself (contract §3): a describe may
# mark them mandatory, but a create request never carries them.
SERVER_ASSIGNED = frozenset(
    {
        "OrchestrationId",
        "OrchestrationStageId",
        "StageObjectiveId",
        "OrchestrationStepId",
        "StepTasksId",
        "StepObjectiveAssocId",
        "CreatedBy",
        "CreationDate",
        "LastUpdatedBy",
        "LastUpdateDate",
        "LastUpdateLogin",
        "ObjectVersionNumber",
    }
)

STAGE_CHILDREN = ("StageObjectives", "Steps", "StepTasks", "StepObjectivesAssociations")
# The key attribute naming each item of a resource in messages.
ITEM_KEYS = {
    "orchestrations": "OrchestrationNumber",
    "Stages": "OrchestrationStageNumber",
    "StageObjectives": "StageObjectiveNumber",
    "Steps": "OrchestrationStepNumber",
    "StepTasks": "StepTasksNumber",
    "StepObjectivesAssociations": "StepObjectiveAssocNumber",
}


@dataclass(frozen=True)
class DescribeProblem:
    """One mismatch between what we would send and what the remote says it accepts."""

    kind: str  # "unknown_attribute" | "unknown_child" | "too_long" | "missing_mandatory" | "no_resource"
    resource: str  # e.g. "orchestrations.Stages.Steps"
    attribute: str
    message: str
    count: int = 1
    first_item: str = ""  # number of the first item concerned

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _children(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    children = resource.get("children") or {}
    if isinstance(children, list):  # tolerate ADF's list form: [{"name": …, "attributes": …}]
        return {child.get("name", ""): child for child in children if isinstance(child, dict)}
    return children if isinstance(children, dict) else {}


def _attributes(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in resource.get("attributes") or [] if isinstance(a, dict) and a.get("name")}


class _Collector:
    def __init__(self) -> None:
        self.groups: dict[tuple[str, str, str], dict[str, Any]] = {}

    def add(self, kind: str, resource: str, attribute: str, item: str, **extra: Any) -> None:
        group = self.groups.setdefault((kind, resource, attribute), {"count": 0, "first_item": item, **extra})
        group["count"] += 1
        if "length" in extra:
            group["length"] = max(group["length"], extra["length"])

    def problems(self) -> list[DescribeProblem]:
        out = []
        for (kind, resource, attribute), g in self.groups.items():
            count, first = g["count"], g["first_item"]
            where = f"{resource}.{attribute}"
            if kind == "unknown_attribute":
                message = f"{where}: the remote does not know this attribute (sent by {count} item(s), first {first})."
            elif kind == "unknown_child":
                message = f"{resource}: the remote has no child collection {attribute}."
            elif kind == "too_long":
                message = (
                    f"{where}: {count} value(s) longer than the remote allows ({g['precision']} characters; "
                    f"longest {g['length']}, first in {first})."
                )
            elif kind == "missing_mandatory":
                message = f"{where}: the remote requires this attribute, but {count} item(s) lack it (first {first})."
            else:
                message = f"{resource}: the remote's describe does not list this resource."
            out.append(DescribeProblem(kind, resource, attribute, message, count, first))
        return out


def _check_item(
    collector: _Collector, name: str, path: str, item: dict[str, Any], resource: dict[str, Any], children: tuple
) -> None:
    known = _attributes(resource)
    label = str(item.get(ITEM_KEYS.get(name, ""), "")) or "(unnamed)"
    for attribute, value in item.items():
        if attribute in children:
            continue
        spec = known.get(attribute)
        if spec is None:
            collector.add("unknown_attribute", path, attribute, label)
            continue
        precision = spec.get("precision")
        if isinstance(value, str) and isinstance(precision, int) and precision > 0 and len(value) > precision:
            collector.add("too_long", path, attribute, label, precision=precision, length=len(value))
    for attribute, spec in known.items():
        if spec.get("mandatory") and attribute not in SERVER_ASSIGNED and item.get(attribute) in (None, ""):
            collector.add("missing_mandatory", path, attribute, label)


def describe_problems(
    describe: dict[str, Any], *, stage_bodies: list[dict[str, Any]], header: dict[str, Any] | None = None
) -> list[DescribeProblem]:
    """Everything in `stage_bodies` (and `header`, when the orchestration must be created) the remote would refuse."""
    collector = _Collector()
    root = (describe.get("Resources") or {}).get("orchestrations")
    if not isinstance(root, dict):
        collector.add("no_resource", "orchestrations", "", "")
        return collector.problems()
    if header is not None:
        _check_item(collector, "orchestrations", "orchestrations", header, root, ())
    stages = _children(root).get("Stages")
    if not isinstance(stages, dict):
        collector.add("no_resource", "orchestrations.Stages", "", "")
        return collector.problems()
    stage_children = _children(stages)
    for body in stage_bodies:
        _check_item(collector, "Stages", "orchestrations.Stages", body, stages, STAGE_CHILDREN)
        for child in STAGE_CHILDREN:
            items = body.get(child)
            if not items:
                continue
            child_resource = stage_children.get(child)
            if not isinstance(child_resource, dict):
                collector.add("unknown_child", "orchestrations.Stages", child, body.get("OrchestrationStageNumber", ""))
                continue
            for item in items:
                _check_item(collector, child, f"orchestrations.Stages.{child}", item, child_resource, ())
    return collector.problems()


# -- the cache ---------------------------------------------------------------------------------------------------------


def _cache_key(connection) -> dict[str, str]:
    return {
        "connection_name": connection.name,
        "base_url": connection.base_url,
        "framework_version": connection.framework_version,
        "metadata_context": connection.metadata_context,
    }


def cached_describe(connection) -> dict[str, Any] | None:
    """The cached describe of `connection`, or None when absent or older than the cache lifetime."""
    seconds = getattr(settings, "CX_DESCRIBE_CACHE_SECONDS", DEFAULT_CACHE_SECONDS)
    if seconds <= 0:
        return None
    entry = RemoteDescribe.objects.filter(
        **_cache_key(connection), fetched_at__gte=timezone.now() - timedelta(seconds=seconds)
    ).first()
    return entry.document if entry else None


def store_describe(connection, document: dict[str, Any]) -> None:
    RemoteDescribe.objects.update_or_create(
        **_cache_key(connection), defaults={"document": document, "fetched_at": timezone.now()}
    )


def forget_describe(connection) -> None:
    RemoteDescribe.objects.filter(**_cache_key(connection)).delete()
