"""Pull: read a remote orchestration into a local draft (issue 4, item 8).

`GET …/orchestrations/{n}?expand=all&onlyData=true` gives the header and every
stage with its nested children, in the shape of the import/export document
of payload-contract §6 plus read-only attributes (ids, who-columns). The
remote tree is projected onto the contract (only the attributes the contract
sends, in its order) and imported through `orchestration_import`, so it is
checked exactly like a file — schema, references, validation — and creates
or replaces the draft atomically, keeping every number (registered as
issued, never handed out again).

Inside the same transaction the remote ids are stored on the draft objects
and `PublishedStage` records what the connection holds, so an immediate
publish to the same connection sends nothing. A stage whose remote document
differs from what the draft would send (the remote numbers its children with
gaps, say) is recorded with the remote's own hash, so the next publish
updates it rather than trusting that they agree.
"""

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.db import transaction
from django.utils import timezone

from .. import roles
from ..models import Orchestration, OrchestrationStatus, PublishedStage
from ..remote import ConnectionConfigError, RemoteError, get_connection
from ..remote.client import CxClient
from ..remote.cx import CxSalesApi
from .documents import DocumentInvalid, orchestration_import
from .payload import DOCUMENT_SCHEMA_PATH, SCHEMA_PATH, build_stage_payloads, document_hash
from .publish_run import client_options
from .remote_ids import as_int, change_indicator, child_items, store_remote_ids

CHILD_ARRAYS = ("StageObjectives", "Steps", "StepTasks", "StepObjectivesAssociations")
CHILD_NUMBERS = {
    "StageObjectives": "StageObjectiveNumber",
    "Steps": "OrchestrationStepNumber",
    "StepTasks": "StepTasksNumber",
    "StepObjectivesAssociations": "StepObjectiveAssocNumber",
}
EXIT_INVALID, EXIT_UNAVAILABLE = 2, 5


class PullError(Exception):
    """The pull changed nothing. `kind`: not_found | invalid | credentials | unavailable | config | remote."""

    def __init__(self, message: str, *, kind: str, problems: list[tuple[str, str]] | None = None):
        self.message = message
        self.kind = kind
        self.problems = problems or []
        super().__init__(message)

    @property
    def exit_code(self) -> int:
        if self.kind == "invalid":
            return EXIT_INVALID
        if self.kind in ("credentials", "unavailable", "config", "remote"):
            return EXIT_UNAVAILABLE
        return 1


@dataclass
class PullResult:
    orchestration: Orchestration  # the loaded tree
    created: bool
    summary: str
    remote_orchestration_id: int | None
    unchanged_stages: int = 0  # stages an immediate publish would not send
    differing_stages: list[str] = field(default_factory=list)


@cache
def _property_orders() -> dict[str, tuple[str, ...]]:
    """Attribute order of each contract object: the stage (without OrchestrationId), its children, the header."""
    stage_schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    document_schema = json.loads(DOCUMENT_SCHEMA_PATH.read_text(encoding="utf-8"))
    defs = stage_schema["$defs"]
    return {
        "header": tuple(document_schema["$defs"]["OrchestrationHeader"]["properties"]),
        "stage": tuple(name for name in stage_schema["properties"] if name != "OrchestrationId"),
        "StageObjectives": tuple(defs["StageObjective"]["properties"]),
        "Steps": tuple(defs["Step"]["properties"]),
        "StepTasks": tuple(defs["StepTask"]["properties"]),
        "StepObjectivesAssociations": tuple(defs["StepObjectivesAssociation"]["properties"]),
    }


def _project(item: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    """Only the contract's attributes, in its order, nulls dropped (contract §2)."""
    return {name: item[name] for name in order if name in item and item[name] is not None}


def stage_projection(item: dict[str, Any]) -> dict[str, Any]:
    """A remote stage item as the stage document of contract §2 (without OrchestrationId)."""
    orders = _property_orders()
    doc = _project(item, orders["stage"])
    for child in CHILD_ARRAYS:
        doc[child] = [_project(entry, orders[child]) for entry in child_items(item.get(child))]
    return doc


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with child arrays sorted by number: the same content whatever order the remote lists it in."""
    out = dict(doc)
    for child, key in CHILD_NUMBERS.items():
        out[child] = sorted(out.get(child) or [], key=lambda entry, key=key: str(entry.get(key, "")))
    return out


def remote_document(tree: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(import document of contract §6, remote stage items in display order)."""
    stages = sorted(
        child_items(tree.get("Stages")),
        key=lambda s: (
            s.get("DisplaySequence") if isinstance(s.get("DisplaySequence"), int) else 0,
            str(s.get("OrchestrationStageNumber", "")),
        ),
    )
    document = {
        "FormatVersion": 1,
        **_project(tree, _property_orders()["header"]),
        "Stages": [stage_projection(stage) for stage in stages],
    }
    return document, stages


def _remote_failure(exc: RemoteError, connection_name: str) -> PullError:
    if exc.auth_failed:
        return PullError(
            f"Credentials for connection {connection_name} were refused (HTTP {exc.status}): {exc.message}",
            kind="credentials",
        )
    if exc.kind in ("config", "unsafe_url"):
        return PullError(f"Connection {connection_name}: {exc.message}", kind="config")
    if not exc.permanent:
        return PullError(f"Connection {connection_name} is unavailable: {exc.message}", kind="unavailable")
    return PullError(f"Connection {connection_name} refused the request: {exc.message}", kind="remote")


def orchestration_pull(*, number: str, connection_name: str = "default", user=None) -> PullResult:
    """Create or replace the local draft `number` from what `connection_name` holds.

    Raises PullError (nothing changed) when the remote does not have it, cannot
    be reached, refuses the credentials, or holds a document the contract and
    the validation rules do not accept (`problems` lists each, by JSON path).
    Before asking the remote: replacing an existing draft is an edit, so a `user`
    needs Designer rights (no `user`: the command line), and an archived
    orchestration is read-only for everyone.
    """
    local_status = Orchestration.objects.filter(number=number).values_list("status", flat=True).first()
    if local_status == OrchestrationStatus.ARCHIVED:
        raise PullError(f"Orchestration {number} is archived here: restore it before pulling into it.", kind="invalid")
    if local_status is not None and user is not None and not roles.can_edit(user):
        raise PullError(
            f"Replacing the local draft {number} needs Designer rights: the pull would overwrite it.", kind="invalid"
        )
    connection_name = (connection_name or "default").strip().lower()
    try:
        connection = get_connection(connection_name)
    except ConnectionConfigError as exc:
        raise PullError(exc.message, kind="config") from exc
    try:
        with CxClient(connection, **client_options()) as client:
            tree = CxSalesApi(client).get_orchestration_tree(number)
    except RemoteError as exc:
        raise _remote_failure(exc, connection_name) from exc
    if tree is None:
        raise PullError(f"Connection {connection_name} has no orchestration numbered {number!r}.", kind="not_found")
    if str(tree.get("OrchestrationNumber", number)) != number:
        raise PullError(
            f"Connection {connection_name} answered with orchestration {tree.get('OrchestrationNumber')!r} "
            f"instead of {number!r}.",
            kind="invalid",
        )
    document, remote_stages = remote_document(tree)
    orchestration_id = as_int(tree.get("OrchestrationId"))

    try:
        with transaction.atomic():
            result = orchestration_import(document=document, user=user)
            local = result.orchestration
            if orchestration_id is not None:
                Orchestration.objects.filter(pk=local.pk).update(remote_id=orchestration_id)
            return _record_remote_state(local, result, remote_stages, connection_name, orchestration_id)
    except DocumentInvalid as exc:
        raise PullError(
            f"Orchestration {number} on connection {connection_name} cannot be used as a draft: "
            f"{len(exc.problems)} problem(s); nothing was changed.",
            kind="invalid",
            problems=exc.problems,
        ) from exc


def _record_remote_state(
    local: Orchestration, result, remote_stages: list[dict[str, Any]], connection_name: str, orchestration_id
) -> PullResult:
    payloads = {p.stage_number: p for p in build_stage_payloads(local)}
    local_stages = {stage.number: stage for stage in local.stages.all()}
    now = timezone.now()
    unchanged, differing = 0, []
    PublishedStage.objects.filter(orchestration=local, connection_name=connection_name).exclude(
        stage_number__in=list(payloads)
    ).delete()
    for item in remote_stages:
        stage_number = str(item.get("OrchestrationStageNumber"))
        payload = payloads[stage_number]
        remote_doc = stage_projection(item)
        if _comparable(remote_doc) == _comparable(payload.document):
            recorded_hash = payload.document_hash
            unchanged += 1
        else:
            recorded_hash = document_hash(remote_doc)
            differing.append(stage_number)
        PublishedStage.objects.update_or_create(
            orchestration=local,
            connection_name=connection_name,
            stage_number=stage_number,
            defaults={
                "stage_name": payload.stage_name[:100],
                "document_hash": recorded_hash,
                "remote_orchestration_id": orchestration_id,
                "remote_id": as_int(item.get("OrchestrationStageId")),
                "change_indicator": change_indicator(item),
                "published_at": now,
            },
        )
        store_remote_ids(local_stages[stage_number], item)
    return PullResult(
        orchestration=local,
        created=result.created,
        summary=result.summary(),
        remote_orchestration_id=orchestration_id,
        unchanged_stages=unchanged,
        differing_stages=differing,
    )
