"""What a publish will send: create / update / delete / unchanged per stage (payload-contract §4).

The plan compares each stage's document hash with the hash the connection
last accepted (`PublishedStage`). A stage never published there is created, a
stage whose document changed is updated, one with the same hash is left
alone, and a stage published before but removed from the draft since is
deleted. Upserts come first, in display order, then the deletes.

`publish_plan` reads only the local database, so the publish page can show
it before anything is sent; the publish run plans again once it knows the
remote orchestration's id (records made against another OrchestrationId —
the remote was reset or the header recreated — no longer count).
"""

from dataclasses import dataclass, field
from urllib.parse import quote

from ..models import Orchestration, OrchestrationStatus, PublishAction, PublishedStage
from ..remote import ConnectionConfigError, get_connection
from ..selectors import orchestration_tree
from ..validation import Problem, validate_orchestration
from .compatibility.resolve import resolve_dialect
from .describe_check import cached_describe
from .payload import PayloadInvalid, PayloadProblem, StagePayload, build_stage_payloads


def orchestration_path(number: str) -> str:
    return f"/orchestrations/{quote(number, safe='')}"


def stages_path(number: str) -> str:
    return f"{orchestration_path(number)}/child/Stages"


@dataclass(frozen=True)
class StagePlan:
    """One stage's fate in a publish."""

    stage_number: str
    stage_name: str
    action: str  # PublishAction
    document_hash: str = ""
    display_sequence: int | None = None  # None for a stage being deleted
    payload: StagePayload | None = field(default=None, repr=False, compare=False)
    reason: str = ""  # why it is sent: "new", "changed", "the pod's dialect changed", "removed"

    @property
    def sends(self) -> bool:
        return self.action != PublishAction.UNCHANGED

    def request(self, orchestration_number: str) -> tuple[str, str]:
        """(method, path) of the request this line makes; ("", "") when nothing is sent."""
        if self.action in (PublishAction.CREATE, PublishAction.UPDATE):
            return "POST", stages_path(orchestration_number)
        if self.action == PublishAction.DELETE:
            return "DELETE", f"{stages_path(orchestration_number)}/{quote(self.stage_number, safe='')}"
        return "", ""


@dataclass
class Plan:
    """The whole publish plan for one orchestration and connection."""

    orchestration_number: str
    connection_name: str
    stages: list[StagePlan] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # validation: refused when any
    payload_problems: list[PayloadProblem] = field(default_factory=list)
    blocked: str = ""  # a reason that is not about the content, e.g. the orchestration is archived
    strategy_label: str = ""  # how stages will be written, when the pod's describe is cached; else ""

    @property
    def refused(self) -> bool:
        return bool(self.blocked or self.problems or self.payload_problems)

    @property
    def writes(self) -> list[StagePlan]:
        return [line for line in self.stages if line.sends]

    def counts(self) -> dict[str, int]:
        counts = {action.value: 0 for action in PublishAction}
        for line in self.stages:
            counts[line.action] += 1
        return counts

    def summary(self) -> str:
        """E.g. "2 to create, 1 to update, 0 to delete, 3 unchanged"."""
        c = self.counts()
        return f"{c['create']} to create, {c['update']} to update, {c['delete']} to delete, {c['unchanged']} unchanged"


def plan_stages(
    payloads: list[StagePayload],
    published: list[PublishedStage],
    *,
    remote_orchestration_id: int | None = None,
    dialect_hash: str = "",
) -> list[StagePlan]:
    """Compare the draft's payloads with what the connection accepted; pure, no queries.

    With `remote_orchestration_id`, records made against another remote
    orchestration are ignored: their stages do not exist on this one. With
    `dialect_hash`, a stage last written in another dialect (the pod's names,
    the connection's code maps or the strategy changed since) is updated
    even though the draft did not change.
    """
    if remote_orchestration_id is not None:
        published = [p for p in published if p.remote_orchestration_id in (None, remote_orchestration_id)]
    by_number = {p.stage_number: p for p in published}
    lines = []
    for payload in payloads:
        record = by_number.pop(payload.stage_number, None)
        if record is None:
            action, reason = PublishAction.CREATE, "new"
        elif record.document_hash != payload.document_hash:
            action, reason = PublishAction.UPDATE, "changed"
        elif dialect_hash and record.dialect_hash and record.dialect_hash != dialect_hash:
            action, reason = PublishAction.UPDATE, "the pod's dialect changed"
        else:
            action, reason = PublishAction.UNCHANGED, ""
        lines.append(
            StagePlan(
                stage_number=payload.stage_number,
                stage_name=payload.stage_name,
                action=action,
                document_hash=payload.document_hash,
                display_sequence=payload.display_sequence,
                payload=payload,
                reason=reason,
            )
        )
    for record in sorted(by_number.values(), key=lambda r: (r.published_at, r.stage_number)):
        lines.append(
            StagePlan(stage_number=record.stage_number, stage_name=record.stage_name, action="delete", reason="removed")
        )
    return lines


def published_stages(orch: Orchestration, connection_name: str) -> list[PublishedStage]:
    return list(PublishedStage.objects.filter(orchestration=orch, connection_name=connection_name))


def publish_blocked_reason(orch: Orchestration) -> str:
    """Why `orch` may not be published whatever its content, or "".

    An archived orchestration is retired: publishing it would bring a playbook
    back to the reps that someone deliberately took out of use.
    """
    if orch.status == OrchestrationStatus.ARCHIVED:
        return f"{orch.name} is archived. Restore it in the orchestration list before publishing it."
    return ""


def publish_plan(orch: Orchestration, connection_name: str = "default") -> Plan:
    """The plan a publish of `orch` to `connection_name` would follow, from local data only.

    A draft with validation problems (or a body the contract schema refuses)
    gives a refused plan: `plan.problems` / `plan.payload_problems` say why and
    `plan.stages` is empty.
    """
    tree = orchestration_tree(orch.number)
    plan = Plan(orchestration_number=tree.number, connection_name=connection_name)
    plan.blocked = publish_blocked_reason(tree)
    if plan.blocked:
        return plan
    plan.problems = validate_orchestration(tree)
    if plan.problems:
        return plan
    try:
        payloads = build_stage_payloads(tree)
    except PayloadInvalid as exc:
        plan.payload_problems = exc.problems
        return plan
    dialect = _cached_dialect(connection_name)
    plan.strategy_label = dialect.strategy_label if dialect else ""
    plan.stages = plan_stages(
        payloads, published_stages(tree, connection_name), dialect_hash=dialect.fingerprint if dialect else ""
    )
    return plan


def _cached_dialect(connection_name: str):
    """The connection's dialect from its cached describe, without a request; None when unknown."""
    try:
        connection = get_connection(connection_name)
    except ConnectionConfigError:
        return None
    describe = cached_describe(connection)
    return resolve_dialect(describe, connection) if describe else None
