"""Pull: read a remote orchestration into a local draft (issue 4, item 8).

The pod's describe (cached) gives its dialect; then the header and every
stage with its children (beside or inside the steps, wherever the pod keeps
them) are read and translated back to the contract: the pod's attribute
names to ours, its codes back through ``CX_CODES``, binary LOBs decoded,
links by id turned into numbers, only the contract's attributes, in its
order. The document is imported through `orchestration_import`, so it is
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

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from .. import roles
from ..models import Orchestration, OrchestrationStatus, PublishedStage, RevisionAction
from ..remote import ConnectionConfigError, RemoteError, get_connection
from ..remote.client import CxClient
from ..remote.cx import CxSalesApi
from ..remote.cx_fields import STEPS
from . import history
from .compatibility.resolve import Dialect
from .compatibility.wire import RemoteStage, comparable_stage, read_header, read_stage
from .describe_check import connection_dialect
from .documents import DocumentInvalid, orchestration_import
from .outreach_settings import keep_outreach_settings
from .payload import build_stage_payloads, document_hash
from .publish_run import client_options
from .remote_ids import as_int, store_remote_ids

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


def step_children(dialect: Dialect) -> tuple[str, ...]:
    """The stage children this pod keeps under each step (asked for inside the steps)."""
    return tuple(r for r in ("StepTasks", "StepObjectivesAssociations") if dialect.location(r) == STEPS)


def remote_document(tree: dict[str, Any], dialect: Dialect) -> tuple[dict[str, Any], list[RemoteStage]]:
    """(import document of contract §6, the pod's stages in contract form, in display order)."""
    stages = [read_stage(dialect, item) for item in tree.get("Stages") or [] if isinstance(item, dict)]
    stages.sort(
        key=lambda s: (
            s.document.get("DisplaySequence") if isinstance(s.document.get("DisplaySequence"), int) else 0,
            s.number,
        )
    )
    document = {"FormatVersion": 1, **read_header(dialect, tree), "Stages": [s.document for s in stages]}
    return document, stages


def read_remote(api: CxSalesApi, connection, number: str) -> tuple[dict[str, Any] | None, Dialect]:
    """(the pod's tree of `number` or None, its dialect): the describe first, so the tree is read its way."""
    dialect, _ = connection_dialect(api, connection)
    return api.get_orchestration_tree(number, step_children=step_children(dialect)), dialect


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
            tree, dialect = read_remote(CxSalesApi(client), connection, number)
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
    document, remote_stages = remote_document(tree, dialect)
    document = keep_outreach_settings(document)  # CX Sales never holds them: the draft's own stay
    orchestration_id = as_int(tree.get("OrchestrationId"))

    try:
        with history.revision_scope(
            user=user, action=RevisionAction.PULL, note=f"Pulled from connection {connection_name}."
        ):
            result = orchestration_import(document=document, user=user)
            local = result.orchestration
            if orchestration_id is not None:
                Orchestration.objects.filter(pk=local.pk).update(remote_id=orchestration_id)
            return _record_remote_state(local, result, remote_stages, connection_name, orchestration_id, dialect)
    except DocumentInvalid as exc:
        raise PullError(
            f"Orchestration {number} on connection {connection_name} cannot be used as a draft: "
            f"{len(exc.problems)} problem(s); nothing was changed.",
            kind="invalid",
            problems=exc.problems,
        ) from exc


def _record_remote_state(
    local: Orchestration,
    result,
    remote_stages: list[RemoteStage],
    connection_name: str,
    orchestration_id,
    dialect: Dialect,
) -> PullResult:
    payloads = {p.stage_number: p for p in build_stage_payloads(local)}
    local_stages = {stage.number: stage for stage in local.stages.all()}
    now = timezone.now()
    unchanged, differing = 0, []
    PublishedStage.objects.filter(orchestration=local, connection_name=connection_name).exclude(
        stage_number__in=list(payloads)
    ).delete()
    for remote in remote_stages:
        stage_number = remote.number
        payload = payloads[stage_number]
        if comparable_stage(remote.document) == comparable_stage(payload.document):
            recorded_hash = payload.document_hash
            unchanged += 1
        else:
            # The pod numbers its children differently, say: the next publish updates it rather than trust it.
            recorded_hash = document_hash(remote.document)
            differing.append(stage_number)
        PublishedStage.objects.update_or_create(
            orchestration=local,
            connection_name=connection_name,
            stage_number=stage_number,
            defaults={
                "stage_name": payload.stage_name[:100],
                "document_hash": recorded_hash,
                "dialect_hash": dialect.fingerprint,
                "remote_orchestration_id": orchestration_id,
                "remote_id": remote.ids.get("Stages", {}).get(stage_number),
                "change_indicator": remote.change_indicators.get("Stages", {}).get(stage_number, ""),
                "published_at": now,
            },
        )
        store_remote_ids(local_stages[stage_number], remote)
    return PullResult(
        orchestration=local,
        created=result.created,
        summary=result.summary(),
        remote_orchestration_id=orchestration_id,
        unchanged_stages=unchanged,
        differing_stages=differing,
    )
