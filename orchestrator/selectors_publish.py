"""Reads for the publish, sandbox and connection screens.

Each selector loads what a screen shows in a fixed number of queries,
whatever the number of stages, journal rows or sandbox stages:

- `publish_run_progress(run_id)`: a run with its stages (2 queries);
- `publish_run_journal(run)`: its HTTP exchanges (1 query);
- `orchestration_runs(orch)`: the latest publishes of an orchestration, or its dry runs (1 query);
- `sandbox_contents(catalogue)`: what the built-in sandbox holds, as an outline, ids named by `catalogue` (2 queries);
- `connection_overview()` / `find_connection(name)`: the configured
  connections as they may be shown (from the environment, no query, never a
  secret); ``system="outreach"`` for the Outreach ones;
- `connection_run_counts()`: how often each connection was published to (1 query).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Prefetch, QuerySet

from . import redaction
from .models import (
    AssignedTo,
    CatalogueKind,
    ExecutionMethod,
    JournalEntry,
    ObjectiveStatus,
    Orchestration,
    PublishRun,
    PublishStage,
    StepType,
)
from .models.sandbox import SandboxOrchestration, SandboxStage
from .remote import cx_fields
from .remote.connections import get_connection, list_connections
from .remote.emulator_codec import Codec
from .remote.emulator_profiles import profile_named
from .remote.errors import ConnectionConfigError
from .remote.systems import system_named
from .selectors_catalogue import Catalogue
from .services.changes import STEP_LABELS

RECENT_RUNS = 10

# -- publish runs ---------------------------------------------------------------------------------------------------


def publish_run_progress(run_id: int) -> PublishRun:
    """The run with its orchestration, starter and stages (`run.stages.all()` is prefetched, in order).

    Raises PublishRun.DoesNotExist.
    """
    return (
        PublishRun.objects.select_related("orchestration", "started_by")
        .prefetch_related(Prefetch("stages", queryset=PublishStage.objects.order_by("position", "pk")))
        .get(pk=run_id)
    )


def publish_run_journal(run: PublishRun) -> list[JournalEntry]:
    """Every HTTP exchange of the run, in the order it happened."""
    return list(JournalEntry.objects.filter(run=run).order_by("pk"))


def orchestration_runs(
    orch: Orchestration, *, limit: int | None = RECENT_RUNS, dry_runs: bool = False
) -> QuerySet[PublishRun]:
    """The publishes of `orch`, newest first; with `dry_runs`, its dry runs instead.

    A dry run (`manage.py publish --dry-run`) is a recorded plan that wrote
    nothing, so it is never listed among the publishes: a plan made after a
    publish would otherwise read as the latest publish.
    """
    runs = (
        PublishRun.objects.filter(orchestration=orch, dry_run=dry_runs)
        .select_related("started_by")
        .order_by("-created_at", "-pk")
    )
    return runs[:limit] if limit else runs


def connection_run_counts() -> dict[str, dict[str, Any]]:
    """{connection name: {"runs": n, "last_at": datetime}} over real (non-dry) runs."""
    rows = (
        PublishRun.objects.filter(dry_run=False)
        .values("connection_name")
        .annotate(runs=Count("pk"), last_at=Max("created_at"))
        .order_by()
    )
    return {row["connection_name"]: row for row in rows}


# -- connections -----------------------------------------------------------------------------------------------------

AUTH_LABELS = {
    "basic": "Basic (user name and password)",
    "bearer": "Bearer token",
    "none": "None",
}


@dataclass(frozen=True)
class ConnectionInfo:
    """A configured connection as the screens may show it: never a credential.

    `error` is set when the connection's settings are unusable (the message
    names the variable, never its value); such a connection cannot be chosen.
    """

    name: str
    base_url: str = ""
    auth_kind: str = ""
    framework_version: str = ""
    metadata_context: str = ""
    is_sandbox: bool = False
    error: str = ""
    system: str = "cx_sales"

    @property
    def usable(self) -> bool:
        return not self.error

    @property
    def auth_label(self) -> str:
        return AUTH_LABELS.get(self.auth_kind, self.auth_kind)

    @property
    def label(self) -> str:
        """How a picker names it: "default (built-in sandbox)", "prod (https://…)"."""
        if self.error:
            return f"{self.name} (not usable: settings incomplete)"
        where = "built-in sandbox" if self.is_sandbox else self.base_url
        return f"{self.name} ({where})"


def _info(connection) -> ConnectionInfo:
    safe = connection.describe_safe()
    return ConnectionInfo(
        name=safe["name"],
        base_url=safe["base_url"],
        auth_kind=safe["auth_kind"],
        framework_version=safe.get("framework_version", ""),
        metadata_context=safe.get("metadata_context", ""),
        is_sandbox=connection.is_sandbox,
        system=connection.system,
    )


def _listed_names(environ, prefix: str = "CX") -> list[str]:
    names = ["default"]
    for item in environ.get(f"{prefix}_CONNECTIONS", "").split(","):
        name = item.strip().lower()[:30]
        if name and name not in names:
            names.append(name)
    return names


def connection_overview(environ=None, *, system: str = "cx_sales") -> list[ConnectionInfo]:
    """Every configured connection of `system`, ``default`` first; a broken one is listed with its error."""
    env = os.environ if environ is None else environ
    try:
        return [_info(c) for c in list_connections(env, system=system)]
    except ConnectionConfigError:
        pass  # one connection's bad settings must not hide the others: read them one by one
    overview = []
    for name in _listed_names(env, system_named(system).env_prefix):
        try:
            overview.append(_info(get_connection(name, env, system=system)))
        except ConnectionConfigError as exc:
            overview.append(ConnectionInfo(name=name, error=redaction.redact(exc.message), system=system))
    return overview


class UnknownConnection(Exception):
    """A connection name that is not configured, or whose settings are unusable; `message` says which."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def find_connection(name: str, overview: list[ConnectionInfo] | None = None) -> ConnectionInfo:
    """The usable connection called `name` (case-insensitive); raises UnknownConnection with a clear message."""
    overview = connection_overview() if overview is None else overview
    key = (name or "").strip().lower()
    for info in overview:
        if info.name == key:
            if info.error:
                raise UnknownConnection(f"Connection {info.name} cannot be used: {info.error}")
            return info
    known = ", ".join(info.name for info in overview)
    labels = {"cx_sales": "connection", "outreach": "Outreach connection", "b2c_service": "B2C Service connection"}
    what = labels.get(overview[0].system, "connection") if overview else "connection"
    raise UnknownConnection(f"There is no {what} called “{(name or '').strip()[:40]}”. Configured: {known}.")


# -- the built-in sandbox ------------------------------------------------------------------------------------------


@dataclass
class SandboxTask:
    number: str
    remote_id: Any
    sequence: Any
    activity_template_id: Any
    activity_id: Any
    assigned_to: str  # the interface's word (Owner, Team member), or the pod's code when it is none of ours
    smart_action_id: Any = None


@dataclass
class SandboxStep:
    number: str
    remote_id: Any
    name: str
    step_type: str
    type_label: str
    sequence: Any
    tasks: list[SandboxTask] = field(default_factory=list)
    serves: list[str] = field(default_factory=list)  # names of the objectives it serves
    on_success: str = ""  # the name of the step its success (failure) link names
    on_failure: str = ""
    # Every other attribute the sandbox holds for the step, as (the designer's label, the value shown), in the
    # contract's order: an edit made in the designer can be checked here field by field (newcomer finding 10).
    details: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class SandboxObjective:
    number: str
    remote_id: Any
    name: str
    status: str
    sequence: Any

    @property
    def status_note(self) -> str:
        """What the pod's status code means, for people who never read the contract."""
        return OBJECTIVE_STATUS_NOTES.get(self.status, "")


# ObjectiveStatus as the sandbox page explains it (the export sets it from the associations, contract §2).
OBJECTIVE_STATUS_NOTES = {
    ObjectiveStatus.NEW: "no step serves it yet",
    ObjectiveStatus.MAPPED: "a step serves it",
}


@dataclass
class SandboxStageView:
    number: str
    remote_id: Any
    name: str
    sequence: Any
    lifecycle_value: str
    description: str
    change_indicator: str
    updated_at: datetime
    objectives: list[SandboxObjective] = field(default_factory=list)
    steps: list[SandboxStep] = field(default_factory=list)


@dataclass
class SandboxOrchestrationView:
    number: str
    remote_id: int
    name: str
    description: str
    object_code: str
    updated_at: datetime
    stages: list[SandboxStageView] = field(default_factory=list)
    local_number: str = ""  # the same number as a local draft, for a link to the designer
    profile: str = "documented"  # the pod profile whose shape it is stored in


class SandboxContents(list):
    """The sandbox's orchestrations; `profile` is the active SANDBOX_PROFILE (what new writes use)."""

    profile: str = "documented"

    @property
    def mismatched(self) -> list[SandboxOrchestrationView]:
        """Orchestrations stored by another profile: requests touching them answer 409 until a reset."""
        return [view for view in self if view.profile != self.profile]


def _rows(document: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """A nested child array of a stored stage, in display order; tolerant of odd shapes (it is remote data)."""
    rows = document.get(name)
    if isinstance(rows, dict):  # a collection object {"items": [...]}
        rows = rows.get("items")
    rows = [row for row in rows or [] if isinstance(row, dict)] if isinstance(rows, list | type(None)) else []
    return sorted(rows, key=_order)


def _order(item: dict[str, Any]) -> tuple[int, str]:
    sequence = item.get("DisplaySequence")
    return (sequence if isinstance(sequence, int) else 0, str(item.get("OrchestrationStageNumber", "")))


def _step_label(value: Any) -> str:
    try:
        return StepType(value).label
    except ValueError:
        return str(value or "?")


def _first(item: dict[str, Any], *names: str) -> Any:
    """The first of `names` the item holds: the documented and strict pods name some attributes differently."""
    return next((item[name] for name in names if item.get(name) not in (None, "")), None)


# Step attributes the sandbox page shows apart (the heading, the order, the links line), not among the details.
_STEP_SHOWN_APART = frozenset(
    {"OrchestrationStepNumber", "OrchestrationStepName", "StepType", "DisplaySequence"}
    | {"SuccessStepNumber", "FailureStepNumber"}
)
_DETAIL_LABELS = {**STEP_LABELS, "ExecutionMethod": "Execution method"}
_LOBS = frozenset({"FieldUpdateJson", "SuccessCriteria"})


def _contract_form(profile_name: str, doc: dict[str, Any]) -> dict[str, Any]:
    """The stored stage read back into the contract's names, codes and links (LOBs decoded), as the pod's
    profile stored it; {} for a profile this build no longer knows (the page then shows no details)."""
    try:
        profile = profile_named(profile_name)
    except ValueError:
        return {}
    canonical, _ = Codec(profile).stage(doc)
    return canonical


def _shown(name: str, value: Any) -> str:
    """One attribute's value as the sandbox page shows it: the interface's words for codes and flags, JSON
    settings compact on one line, and a dash for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name == "ExecutionMethod":
        return dict(ExecutionMethod.choices).get(value, str(value))
    if name in _LOBS and isinstance(value, str):
        try:
            return json.dumps(json.loads(value), ensure_ascii=False, separators=(", ", ": "))
        except ValueError:
            return value  # kept as the pod holds it: the emulator refused anything else on the way in
    return str(value)


# Id attributes the catalogue may name (what the designer's pickers show instead of the id).
_NAMED_IDS = {
    "ActivityTemplateId": CatalogueKind.ACTIVITY_TEMPLATE,
    "SmartActionId": CatalogueKind.SMART_ACTION,
    "EmailTemplateId": CatalogueKind.EMAIL_TEMPLATE,
    "ActivityId": CatalogueKind.ACTIVITY,
}


def _named(name: str, value: Any, catalogue: Catalogue | None) -> str:
    """An id as "Name (id)" when the sandbox connection's catalogue knows it, else as the id."""
    shown = _shown(name, value)
    ref = catalogue.ref(_NAMED_IDS[name], value) if catalogue is not None and name in _NAMED_IDS else None
    return f"{ref.name} ({shown})" if ref is not None and ref.name else shown


def _step_details(item: dict[str, Any] | None, catalogue: Catalogue | None = None) -> list[tuple[str, str]]:
    """(label, value) for every attribute of a contract-form step that the page does not show apart."""
    if not item:
        return []
    return [
        (_DETAIL_LABELS.get(name, name), _named(name, item[name], catalogue))
        for name in cx_fields.catalogue()[cx_fields.STEPS]
        if name not in _STEP_SHOWN_APART and name in item
    ]


def _assigned_label(value: Any) -> str:
    return dict(AssignedTo.choices).get(value, str(value or ""))


def _stage_view(row: SandboxStage, profile_name: str, catalogue: Catalogue | None = None) -> SandboxStageView:
    """One stored stage as an outline, whichever pod profile stored it.

    The documented shape keeps step tasks and associations beside the steps,
    linked by number; the strict one keeps them under their step and links by
    numeric id (SuccessStepId, StageObjectiveId…), and calls the lifecycle
    value LifecycleAttributeValue. Both are read here.
    """
    doc = row.document if isinstance(row.document, dict) else {}
    canonical = _contract_form(profile_name, doc)
    contract_steps = {item.get("OrchestrationStepNumber"): item for item in canonical.get("Steps", [])}
    contract_tasks = {item.get("StepTasksNumber"): item for item in canonical.get("StepTasks", [])}
    stage = SandboxStageView(
        number=row.number,
        remote_id=doc.get("OrchestrationStageId", row.remote_id),
        name=str(doc.get("StageName", "")),
        sequence=doc.get("DisplaySequence"),
        lifecycle_value=str(_first(doc, "LifecycleAttrValue", "LifecycleAttributeValue") or ""),
        description=str(doc.get("StageDescription", "")),
        change_indicator=row.change_indicator,
        updated_at=row.updated_at,
    )
    objectives: dict[Any, SandboxObjective] = {}
    for item in _rows(doc, "StageObjectives"):
        objective = SandboxObjective(
            number=str(item.get("StageObjectiveNumber", "")),
            remote_id=item.get("StageObjectiveId"),
            name=str(item.get("ObjectiveName", "")),
            status=str(item.get("ObjectiveStatus", "")),
            sequence=item.get("DisplaySequence"),
        )
        objectives[objective.number] = objective
        if objective.remote_id is not None:
            objectives[objective.remote_id] = objective
        stage.objectives.append(objective)
    steps: dict[Any, SandboxStep] = {}
    tasks: list[tuple[dict[str, Any], Any]] = [(item, None) for item in _rows(doc, "StepTasks")]
    associations: list[tuple[dict[str, Any], Any]] = [(item, None) for item in _rows(doc, "StepObjectivesAssociations")]
    links = []
    for item in _rows(doc, "Steps"):
        step = SandboxStep(
            number=str(item.get("OrchestrationStepNumber", "")),
            remote_id=item.get("OrchestrationStepId"),
            name=str(item.get("OrchestrationStepName", "")),
            step_type=str(item.get("StepType", "")),
            type_label=_step_label(item.get("StepType")),
            sequence=item.get("DisplaySequence"),
            details=_step_details(contract_steps.get(item.get("OrchestrationStepNumber")), catalogue),
        )
        steps[step.number] = step
        if step.remote_id is not None:
            steps[step.remote_id] = step
        stage.steps.append(step)
        tasks += [(task, step) for task in _rows(item, "StepTasks")]
        associations += [(assoc, step) for assoc in _rows(item, "StepObjectivesAssociations")]
        links.append(
            (
                step,
                _first(item, "SuccessStepNumber", "SuccessStepId"),
                _first(item, "FailureStepNumber", "FailureStepId"),
            )
        )
    for step, success, failure in links:
        step.on_success = _step_name(steps.get(_key(success)))
        step.on_failure = _step_name(steps.get(_key(failure)))
    for item, parent in tasks:
        step = parent or steps.get(_key(_first(item, "OrchestrationStepNumber", "OrchestrationStepId")))
        if step is not None:
            contract = contract_tasks.get(item.get("StepTasksNumber")) or item
            step.tasks.append(
                SandboxTask(
                    number=str(item.get("StepTasksNumber", "")),
                    remote_id=item.get("StepTasksId"),
                    sequence=item.get("DisplaySequence"),
                    activity_template_id=_named("ActivityTemplateId", item.get("ActivityTemplateId"), catalogue),
                    activity_id=_named("ActivityId", item.get("ActivityId"), catalogue),
                    assigned_to=_assigned_label(contract.get("AssignedTo")),
                    smart_action_id=_named("SmartActionId", item.get("SmartActionId"), catalogue)
                    if item.get("SmartActionId") not in (None, "")
                    else None,
                )
            )
    for item, parent in associations:
        step = parent or steps.get(_key(_first(item, "OrchestrationStepNumber", "OrchestrationStepId")))
        objective = objectives.get(_key(_first(item, "StageObjectiveNumber", "StageObjectiveId")))
        if step is not None and objective is not None:
            step.serves.append(objective.name or objective.number)
    return stage


def _key(value: Any) -> Any:
    """A link value usable as a dict key (remote data may hold anything)."""
    return value if isinstance(value, str | int) else None


def _step_name(step: SandboxStep | None) -> str:
    return (step.name or step.number) if step is not None else ""


def sandbox_contents(catalogue: Catalogue | None = None) -> SandboxContents:
    """What the built-in sandbox holds: orchestrations by number, their stages in display order, every id.

    The result's `profile` is the active SANDBOX_PROFILE; each orchestration
    says which profile stored it.
    """
    rows = SandboxOrchestration.objects.prefetch_related(
        Prefetch("stages", queryset=SandboxStage.objects.order_by("number"))
    ).order_by("number")
    out = SandboxContents()
    out.profile = settings.SANDBOX_PROFILE
    for row in rows:
        attributes = row.header
        view = SandboxOrchestrationView(
            number=row.number,
            remote_id=row.remote_id,
            name=str(attributes.get("OrchestrationName", "")),
            description=str(attributes.get("OrchestrationDescription", "")),
            object_code=str(attributes.get("ObjectCode", "")),
            updated_at=row.updated_at,
            profile=row.profile,
        )
        stages = [_stage_view(stage, row.profile, catalogue) for stage in row.stages.all()]
        view.stages = sorted(stages, key=lambda s: (s.sequence if isinstance(s.sequence, int) else 0, s.number))
        out.append(view)
    local = set(Orchestration.objects.filter(number__in=[v.number for v in out]).values_list("number", flat=True))
    for view in out:
        view.local_number = view.number if view.number in local else ""
    return out
