"""The worker side of a publish: executes one claimed `PublishRun` (payload-contract §4 and §5).

Called only through `services.publishing` (which claims the run and hands
over its worker token). The order of things is the contract's:

1. the draft is validated and its bodies built and schema-checked — problems
   refuse the run before any request;
2. ``GET …/orchestrations/{n}`` for the remote OrchestrationId;
3. the pod's describe (cached) decides its dialect — the names it uses for
   our attributes, its lengths, codes, encodings, mandatory extras and the
   link strategy (`compatibility`); anything that does not fit refuses the
   run before any write, naming the attribute and the variable that fixes it;
4. ``POST …/orchestrations`` when the header does not exist yet;
5. each changed stage is brought to exactly the draft by `stage_sync`
   (one nested upsert, or stage-then-children by ids, plus child-level
   deletes), in display order; then a ``DELETE`` per stage removed since the
   last publish; unchanged stages are not sent.

Each stage is recorded as it goes (planned → sent → done/failed) and, when the
remote accepts it, in `PublishedStage`, so a failure at stage k leaves stages
before it published and a resume plans them as unchanged. Every HTTP attempt
becomes a `JournalEntry` at once. The stage rows and records are written in
checkpoints (`RunExecutor.checkpoint`): one transaction at most every
PUBLISH_HEARTBEAT_SECONDS, before any wait and when the run ends, which is
also the lease check. A worker killed between two checkpoints leaves up to an
interval of stages planned that the pod already holds; a resume reads each
of them before writing (`stage_sync`) and finds it as the draft has it, so
nothing is sent twice. The draft's content is never changed; only the
remote ids and change indicators that come back are stored on its objects,
without bumping `version`, so a designer's open form does not go stale.
"""

import contextlib
import logging
import time
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import logs, redaction
from ..models import (
    JournalEntry,
    Orchestration,
    PublishAction,
    PublishedStage,
    PublishReason,
    PublishRun,
    PublishRunStatus,
    PublishStage,
    PublishStageStatus,
)
from ..remote import ConnectionConfigError, RemoteError, get_connection
from ..remote.client import CxClient, Exchange
from ..remote.cx import CxSalesApi
from ..selectors import orchestration_tree
from ..validation import validate_orchestration
from . import describe_check
from .compatibility import ERROR, compatibility_summary, payload_findings, resolve_dialect
from .compatibility.report import WARNING, compatibility_report
from .compatibility.wire import header_body
from .documents import content_hash
from .payload import PayloadInvalid, build_stage_payloads, header_payload
from .publish_plan import StagePlan, orchestration_path, plan_stages, publish_blocked_reason
from .remote_ids import as_int, store_remote_ids, write_remote_ids
from .rows import insert_row, update_rows
from .stage_sync import StageDiverged, StageSync

logger = logging.getLogger(__name__)


def _heartbeat_interval() -> float:
    """PUBLISH_HEARTBEAT_SECONDS, read when used (tests change it)."""
    return float(getattr(settings, "PUBLISH_HEARTBEAT_SECONDS", 1.0))


# What a checkpoint writes of a stage's row (PublishStage) once the stage was sent, written or refused.
_ROW_FIELDS = ("status", "remote_id", "remote_status", "remote_message", "updated_at")

# What a publish records about a stage it wrote (PublishedStage), replaced on every write of it.
_PUBLISHED_FIELDS = (
    "stage_name",
    "document_hash",
    "dialect_hash",
    "remote_orchestration_id",
    "remote_id",
    "change_indicator",
    "published_at",
)


class LeaseLost(Exception):
    """Another worker took the run over (a resume after a stale heartbeat): stop without writing."""


class _Stop(Exception):
    """Ends the run early; the outcome has already been recorded."""


def client_options() -> dict[str, Any]:
    """CxClient keyword arguments from settings.CX_CLIENT_OPTIONS (tests make them fast)."""
    return dict(getattr(settings, "CX_CLIENT_OPTIONS", {}) or {})


def _sentence(text: str) -> str:
    """Text ending with a full stop, whatever the remote wrote."""
    text = (text or "").rstrip()
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


class RunExecutor:
    """Runs one publish; `execute()` never raises for remote trouble, it records it on the run."""

    def __init__(self, run: PublishRun, token: str):
        self.run = run
        self.token = token
        self.stage_number = ""  # stage the current exchange belongs to (journal)
        self.note = ""  # why the current exchange is made (journal)
        self.connection = None
        self.phase = "read"  # "read" until the first write is attempted
        self.dialect = None
        self.dialect_hash = ""
        self.header_created = False  # this execution created the remote header: its stages are all new
        self._redact: redaction.Redactor | None = None
        self._redact_for = None
        self._heartbeat_at = float("-inf")  # time.monotonic() of the last heartbeat written
        self._remote_ids: dict[type, list] = {}  # remote ids learnt, written in batches (write_remote_ids)
        # What the next checkpoint writes: stage rows changed, stages written (PublishedStage) and deleted.
        self._changed_rows: dict[int, PublishStage] = {}
        self._published: dict[str, PublishedStage] = {}
        self._unpublished: set[str] = set()
        self._rows: dict[str, PublishStage] = {}
        self._save_later: set[str] = set()  # run fields set but not written yet: the next save_run writes them

    # -- bookkeeping ---------------------------------------------------------------------------------------------

    def heartbeat(self) -> None:
        """Prove the worker is alive and that the run is still ours: a checkpoint."""
        self.checkpoint()

    def heartbeat_soon(self) -> None:
        """A checkpoint, at most once every PUBLISH_HEARTBEAT_SECONDS (after an exchange, before a stage is sent).

        A run is taken over only once its heartbeat is PUBLISH_STALE_SECONDS
        old, far longer than this interval, so the lease cannot have been lost
        since a heartbeat written less than the interval ago; anything that
        waits (a retry) writes one at once (`heartbeat`).
        """
        if time.monotonic() - self._heartbeat_at >= _heartbeat_interval():
            self.checkpoint()

    def checkpoint(self, *fields: str) -> None:
        """Write these fields of the run with its heartbeat, and what the stages did since the last checkpoint.

        One transaction whose first statement is the lease check (`save_run`):
        a worker that lost the run writes nothing. Stage rows and their
        PublishedStage records are written together, so a row is done exactly
        when the record of what it wrote is there.
        """
        with transaction.atomic():
            self.save_run(*fields)
            if self._unpublished:
                PublishedStage.objects.filter(
                    orchestration_id=self.run.orchestration_id,
                    connection_name=self.run.connection_name,
                    stage_number__in=self._unpublished,
                ).delete()
            if self._published:
                # Insert or update by (orchestration, connection, stage number): one statement for all of them.
                PublishedStage.objects.bulk_create(
                    list(self._published.values()),
                    update_conflicts=True,
                    unique_fields=["orchestration", "connection_name", "stage_number"],
                    update_fields=[*_PUBLISHED_FIELDS],
                )
            if self._changed_rows:
                update_rows(PublishStage, list(self._changed_rows.values()), [*_ROW_FIELDS])
        self._changed_rows.clear()
        self._published.clear()
        self._unpublished.clear()
        self._heartbeat_at = time.monotonic()
        self.flush_remote_ids()

    def _mark(self, row: PublishStage, status: str, **fields: Any) -> None:
        """Change a stage's row in memory; the next checkpoint writes it."""
        row.status = status
        for name, value in fields.items():
            setattr(row, name, value)
        row.updated_at = timezone.now()
        self._changed_rows[row.pk] = row

    def flush_remote_ids(self) -> None:
        """Write the remote ids learnt so far (facts about the pod, true whoever holds the run)."""
        write_remote_ids(self._remote_ids)

    def save_run(self, *fields: str) -> None:
        """Write these fields of the run (and the heartbeat), only while the run is still ours: one UPDATE.

        Fields kept for later (`save_later`) go in the same statement.
        """
        self.run.heartbeat_at = timezone.now()
        values = {name: getattr(self.run, name) for name in (*self._save_later, *fields, "heartbeat_at")}
        if not PublishRun.objects.filter(pk=self.run.pk, worker_token=self.token).update(**values):
            raise LeaseLost
        self._save_later.clear()

    def save_later(self, *fields: str) -> None:
        """These fields go with the next save_run: facts of the run that nothing reads before the run's
        next write, which comes before any request that changes the remote (or with the run's end)."""
        self._save_later.update(fields)

    def finish(self, status: str, reason: str = "", message: str = "") -> None:
        self.run.status = status
        self.run.reason = reason
        self.run.message = self._scrub(message)
        self.run.finished_at = timezone.now()
        self.checkpoint("status", "reason", "message", "finished_at")
        logger.info("publish run %s of %s: %s %s", self.run.pk, self.run.orchestration.number, status, self.run.message)
        raise _Stop

    def _scrub(self, text: str) -> str:
        if self._redact is None or self._redact_for is not self.connection:
            # Every credential form, worked out once per run (the connection's own may not be in the environment).
            self._redact = redaction.Redactor(self.connection.secrets() if self.connection else ())
            self._redact_for = self.connection
        return self._redact(text or "")

    def journal(self, exchange: Exchange) -> None:
        """CxClient's on_exchange callback: one row per HTTP attempt, written at once; then a checkpoint if due.

        The client hands over the exchange already scrubbed of every credential
        form (`CxClient._record`); only the note, our own text, is scrubbed here.
        """
        insert_row(
            JournalEntry(
                run_id=self.run.pk,
                stage_number=self.stage_number,
                method=exchange.method[:10],
                path=exchange.path[:2000],
                status_code=exchange.status,
                duration_ms=round(exchange.duration_ms, 1),
                attempt=exchange.attempt,
                request_headers=exchange.request_headers,
                request_body=exchange.request_body,
                response_headers=exchange.response_headers,
                response_body=exchange.response_body,
                error=exchange.error,
                note=self._scrub(self.note)[:300],
            )
        )
        self.heartbeat_soon()

    def annotate(self, note: str) -> None:
        """Say why the next request is made; the journal shows it beside the exchange."""
        self.note = note

    # -- the run -------------------------------------------------------------------------------------------------

    def execute(self) -> PublishRun:
        with logs.bound(run_id=self.run.pk):
            try:
                return self._execute_logged()
            finally:
                # Whatever the outcome: the ids the pod gave for the stages it holds are true in any case.
                self.flush_remote_ids()

    def _execute_logged(self) -> PublishRun:
        try:
            self._execute()
        except _Stop:
            pass
        except LeaseLost:
            logger.warning("publish run %s was taken over by another worker; this one stops", self.run.pk)
        except KeyboardInterrupt:
            # Ctrl-C in the CLI: say so now rather than leave the run to go stale.
            with contextlib.suppress(_Stop, LeaseLost):
                self.finish(
                    PublishRunStatus.FAILED,
                    PublishReason.INTERRUPTED,
                    "Interrupted before it finished; stages marked done are published. Resume to continue.",
                )
            raise
        except Exception:
            # A bug must not leave the run "running" for ever: record it, resumable.
            logger.exception("publish run %s stopped by an unexpected error", self.run.pk)
            with contextlib.suppress(_Stop, LeaseLost):
                self.finish(
                    PublishRunStatus.FAILED,
                    PublishReason.INTERRUPTED,
                    "Publishing stopped because of an internal error; the log has the details. Resume to try again.",
                )
        self.run.refresh_from_db()
        return self.run

    def _execute(self) -> None:
        run = self.run
        try:
            self.connection = get_connection(run.connection_name)
        except ConnectionConfigError as exc:
            self.finish(PublishRunStatus.FAILED, PublishReason.CONFIG, exc.message)
        run.connection_info = self.connection.describe_safe()
        self.save_later("connection_info")

        tree = orchestration_tree(run.orchestration.number)
        blocked = publish_blocked_reason(tree)
        if blocked:
            self.finish(
                PublishRunStatus.REFUSED, PublishReason.VALIDATION, f"Not published: {blocked} Nothing was sent."
            )
        # The approval gate judged one content (issue 10): a draft changed since is not sent.
        sending = content_hash(tree)
        if run.content_hash and run.content_hash != sending:
            self.finish(
                PublishRunStatus.REFUSED,
                PublishReason.APPROVAL,
                "Not published: the draft changed after the publish was started, so it is not the content that "
                "was approved (or confirmed). Nothing was sent; publish again.",
            )
        run.content_hash = sending
        self.save_later("content_hash")
        problems = validate_orchestration(tree)
        if problems:
            run.validation_report = [asdict(p) for p in problems]
            self.save_later("validation_report")
            self.finish(
                PublishRunStatus.REFUSED,
                PublishReason.VALIDATION,
                f"Not published: the draft has {len(problems)} problem(s) to fix first. Nothing was sent.",
            )
        try:
            payloads = build_stage_payloads(tree)
            header = header_payload(tree)
        except PayloadInvalid as exc:
            run.validation_report = [asdict(p) for p in exc.problems]
            self.save_later("validation_report")
            self.finish(
                PublishRunStatus.REFUSED,
                PublishReason.PAYLOAD,
                f"Not published: {len(exc.problems)} value(s) break the payload contract. Nothing was sent.",
            )

        client = CxClient(self.connection, on_exchange=self.journal, before_retry=self.heartbeat, **client_options())
        try:
            self._talk(CxSalesApi(client), tree, payloads, header)
        finally:
            client.close()

    def _talk(self, api: CxSalesApi, tree: Orchestration, payloads, header: dict[str, Any]) -> None:
        run = self.run
        number = tree.number
        self.annotate("read the orchestration header (its OrchestrationId)")
        remote_header = self._call(api.get_orchestration, number)
        orchestration_id = as_int((remote_header or {}).get("OrchestrationId"))
        if remote_header is not None and orchestration_id is None:
            self.finish(
                PublishRunStatus.FAILED,
                PublishReason.REMOTE,
                f"The remote answered GET {orchestration_path(number)} without an OrchestrationId.",
            )
        run.remote_orchestration_id = orchestration_id
        if remote_header is None:
            run.header_action = "create"  # kept on resume: this run created it

        # The pod's own metadata decides names, lengths, codes and strategy, before any write.
        dialect, findings = self._dialect(api, payloads, header if remote_header is None else None, orchestration_id)
        self.dialect = dialect
        self.dialect_hash = dialect.fingerprint  # a hash of the whole dialect: worked out once, not per stage
        errors = [f for f in findings if f.severity == ERROR]
        run.describe_report = [f.as_dict() for f in findings]
        run.compatibility = compatibility_summary(dialect)

        published = list(PublishedStage.objects.filter(orchestration=tree, connection_name=run.connection_name))
        if remote_header is None:
            published = []  # a new remote orchestration holds none of the stages recorded before
        lines = plan_stages(
            payloads, published, remote_orchestration_id=orchestration_id, dialect_hash=self.dialect_hash
        )
        self._record_plan(number, lines)
        self.save_run("remote_orchestration_id", "header_action", "describe_report", "compatibility", "plan")
        if errors:
            self.finish(
                PublishRunStatus.REFUSED,
                PublishReason.DESCRIBE,
                f"Not published: {len(errors)} difference(s) with the pod's metadata. Nothing was written. "
                f"The compatibility report of connection {run.connection_name} (Connections page, or "
                f"manage.py check_connection {run.connection_name}) says how to fix them.",
            )

        counts = {action: sum(1 for line in lines if line.action == action) for action in PublishAction.values}
        if run.dry_run:
            header_note = "create the orchestration, then " if remote_header is None else ""
            self.finish(
                PublishRunStatus.DONE,
                "",
                f"Dry run: would {header_note}create {counts['create']}, update {counts['update']}, "
                f"delete {counts['delete']} stage(s); {counts['unchanged']} unchanged; stages written "
                f"{dialect.strategy_label}. Nothing was written.",
            )

        self.phase = "write"
        if remote_header is None:
            self.annotate("create the orchestration")
            created = self._call(api.create_orchestration, header_body(dialect, header)) or {}
            orchestration_id = as_int(created.get("OrchestrationId"))
            if orchestration_id is None:
                self.annotate("read the OrchestrationId the create did not answer")
                fetched = self._call(api.get_orchestration, number) or {}
                orchestration_id = as_int(fetched.get("OrchestrationId"))
            if orchestration_id is None:
                self.finish(
                    PublishRunStatus.FAILED,
                    PublishReason.REMOTE,
                    "The remote created the orchestration but did not say its OrchestrationId.",
                )
            self.header_created = True
            run.remote_orchestration_id = orchestration_id
            self.save_run("remote_orchestration_id")
            # Records made against an earlier remote orchestration no longer describe anything.
            PublishedStage.objects.filter(orchestration=tree, connection_name=run.connection_name).delete()
        else:
            PublishedStage.objects.filter(orchestration=tree, connection_name=run.connection_name).exclude(
                remote_orchestration_id=orchestration_id
            ).exclude(remote_orchestration_id=None).delete()
        Orchestration.objects.filter(pk=tree.pk).update(remote_id=orchestration_id)

        stages_by_number = {stage.number: stage for stage in tree.stages.all()}
        rows = self._rows = {row.stage_number: row for row in run.stages.all()}
        for line in lines:
            row = rows[line.stage_number]
            if row.status in (PublishStageStatus.DONE, PublishStageStatus.SKIPPED):
                continue
            self._send(api, number, orchestration_id, line, row, stages_by_number.get(line.stage_number))

        self.finish(PublishRunStatus.DONE, "", self._summary())

    def _dialect(self, api: CxSalesApi, payloads, header: dict[str, Any] | None, orchestration_id: int | None):
        """(the pod's dialect, what this publish would be refused for + the connection's warnings).

        A cached describe that refuses is read again once before the refusal
        stands: the pod's metadata may have changed since it was cached.
        """
        documents = [{"OrchestrationId": orchestration_id or 1, **p.document} for p in payloads]
        name = self.run.connection_name
        describe, cached = describe_check.cached_describe(self.connection), True
        if describe is None:
            self.annotate("read the pod's describe: its names, lengths and mandatory attributes")
            describe, cached = self._call(api.describe), False
        dialect = resolve_dialect(describe, self.connection)
        findings = payload_findings(dialect, name, documents=documents, header=header)
        if any(f.severity == ERROR for f in findings) and cached:
            self.annotate("read the pod's describe again before refusing (the cached one may be old)")
            describe, cached = self._call(api.describe), False
            dialect = resolve_dialect(describe, self.connection)
            findings = payload_findings(dialect, name, documents=documents, header=header)
        if not cached:
            describe_check.store_describe(self.connection, describe)
        seen = {(f.kind, f.resource, f.attribute) for f in findings}
        warnings = [
            f
            for f in compatibility_report(dialect, name).findings
            if f.severity == WARNING and (f.kind, f.resource, f.attribute) not in seen
        ]
        return dialect, findings + warnings

    def _summary(self) -> str:
        """What the whole run did, over all its attempts (a resumed run counts its earlier stages too)."""
        done = {action: 0 for action in PublishAction.values}
        for row in self._rows.values():
            if row.status == PublishStageStatus.DONE or row.action == PublishAction.UNCHANGED:
                done[row.action] += 1
        if not (done["create"] or done["update"] or done["delete"]):
            return f"Nothing to send: all {done['unchanged']} stage(s) are unchanged."
        return (
            f"Published: {done['create']} created, {done['update']} updated, {done['delete']} deleted, "
            f"{done['unchanged']} unchanged."
        )

    def _record_plan(self, number: str, lines: list[StagePlan]) -> None:
        """Write the plan as PublishStage rows, keeping rows already done by an earlier attempt of this run."""
        run = self.run
        existing = {row.stage_number: row for row in run.stages.all()}
        to_create, to_update = [], []
        for position, line in enumerate(lines, start=1):
            row = existing.pop(line.stage_number, None)
            if row is not None and row.status == PublishStageStatus.DONE and line.action == PublishAction.UNCHANGED:
                row.position = position  # done earlier in this run: keep what it did
                to_update.append(row)
                continue
            fresh = row is None
            row = row or PublishStage(run=run, stage_number=line.stage_number)
            row.position = position
            row.stage_name = line.stage_name[:100]
            row.display_sequence = line.display_sequence
            row.action = line.action
            row.status = (
                PublishStageStatus.SKIPPED if line.action == PublishAction.UNCHANGED else PublishStageStatus.PLANNED
            )
            row.document_hash = line.document_hash
            row.strategy = self.dialect.strategy if line.action in (PublishAction.CREATE, PublishAction.UPDATE) else ""
            row.remote_message, row.remote_status = "", None
            (to_create if fresh else to_update).append(row)
        # Rows of stages that left the plan since an earlier attempt: keep the done ones as history.
        leftovers = list(existing.values())
        PublishStage.objects.filter(pk__in=[r.pk for r in leftovers if r.status != PublishStageStatus.DONE]).delete()
        for offset, row in enumerate((r for r in leftovers if r.status == PublishStageStatus.DONE), start=1):
            row.position = len(lines) + offset
            to_update.append(row)
        with transaction.atomic():
            update_rows(
                PublishStage,
                to_update,
                [
                    "position",
                    "stage_name",
                    "display_sequence",
                    "action",
                    "status",
                    "document_hash",
                    "strategy",
                    "remote_message",
                    "remote_status",
                ],
            )
            PublishStage.objects.bulk_create(to_create)
        run.plan = [
            {
                "position": position,
                "stage_number": line.stage_number,
                "stage_name": line.stage_name,
                "action": line.action,
                "method": line.request(number)[0],
                "path": line.request(number)[1],
                "document_hash": line.document_hash,
                "strategy": self.dialect.strategy if line.sends and line.action != PublishAction.DELETE else "",
                "reason": line.reason,
            }
            for position, line in enumerate(lines, start=1)
        ]

    def _send(
        self, api: CxSalesApi, number: str, orchestration_id: int, line: StagePlan, row: PublishStage, stage
    ) -> None:
        # Marked sent for the next checkpoint; the lease is confirmed before the write if it was not within
        # the heartbeat interval (the journal of the exchange just before usually did).
        self._mark(row, PublishStageStatus.SENT)
        self.heartbeat_soon()
        self.stage_number = line.stage_number
        with logs.bound(stage=line.stage_number):
            self._write_stage(api, number, orchestration_id, line, row, stage)

    def _write_stage(
        self, api: CxSalesApi, number: str, orchestration_id: int, line: StagePlan, row: PublishStage, stage
    ) -> None:
        try:
            if line.action == PublishAction.DELETE:
                self.annotate(f"delete stage {line.stage_number}: the draft no longer has it")
                self._call(api.delete_stage, number, line.stage_number, row=row)
                self._published.pop(line.stage_number, None)
                self._unpublished.add(line.stage_number)
                self._mark(row, PublishStageStatus.DONE)
                return
            sync = StageSync(
                api,
                self.dialect,
                orchestration_number=number,
                orchestration_id=orchestration_id,
                document=line.payload.document,
                known_absent=self.header_created and line.action == PublishAction.CREATE,
                annotate=self.annotate,
            )
            try:
                result = self._call(sync.run, row=row)
            except StageDiverged as exc:
                self._mark(row, PublishStageStatus.FAILED, remote_message=self._scrub(exc.message))
                self.finish(
                    PublishRunStatus.PARTIAL,
                    PublishReason.REMOTE,
                    f"Connection {self.run.connection_name} did not keep stage {line.stage_name} "
                    f"({line.stage_number}) as sent: {exc.message} Resume tries again.",
                )
            remote = result.remote
            stage_id = remote.ids.get("Stages", {}).get(line.stage_number)
            self._unpublished.discard(line.stage_number)
            self._published[line.stage_number] = PublishedStage(
                orchestration_id=self.run.orchestration_id,
                connection_name=self.run.connection_name,
                stage_number=line.stage_number,
                stage_name=line.stage_name[:100],
                document_hash=line.document_hash,
                dialect_hash=self.dialect_hash,
                remote_orchestration_id=orchestration_id,
                remote_id=stage_id,
                change_indicator=remote.change_indicators.get("Stages", {}).get(line.stage_number, ""),
                published_at=timezone.now(),
            )
            self._mark(
                row,
                PublishStageStatus.DONE,
                remote_id=stage_id,
                remote_status=result.status,
                remote_message=self._scrub(" ".join(result.notes))[:2000],
            )
            if stage is not None:
                store_remote_ids(stage, remote, pending=self._remote_ids)
        finally:
            self.stage_number = ""
            self.note = ""

    # -- remote failures -----------------------------------------------------------------------------------------

    def _call(self, method, *args, row: PublishStage | None = None):
        """Call the remote; on RemoteError record the outcome (row failed, run ended) and stop."""
        try:
            return method(*args)
        except RemoteError as exc:
            if row is not None:
                self._mark(
                    row, PublishStageStatus.FAILED, remote_message=self._scrub(exc.message), remote_status=exc.status
                )
            self._fail(exc, row)

    def _fail(self, exc: RemoteError, row: PublishStage | None) -> None:
        name = self.run.connection_name
        writing = self.phase == "write"
        where = f" at stage {row.stage_name or row.stage_number} ({row.stage_number})" if row is not None else ""
        message = self._scrub(exc.message)
        if exc.auth_failed:
            self.finish(
                PublishRunStatus.FAILED,
                PublishReason.CREDENTIALS,
                f"Credentials for connection {name} were refused (HTTP {exc.status}){where}: {message}",
            )
        if exc.kind in ("config", "unsafe_url"):
            self.finish(PublishRunStatus.FAILED, PublishReason.CONFIG, f"Connection {name}: {message}")
        status = PublishRunStatus.PARTIAL if writing else PublishRunStatus.FAILED
        resume = " Resume continues from there." if writing else " Try again later."
        if exc.status in (409, 412):
            self.finish(status, PublishReason.CONFLICT, f"Changed on the remote{where} (HTTP {exc.status}): {message}")
        if not exc.permanent and (exc.status is None or exc.status in (429, 502, 503, 504)):
            self.finish(
                status,
                PublishReason.UNAVAILABLE,
                f"Connection {name} is unavailable{where}: {_sentence(message)}{resume}",
            )
        if exc.status == 400 and self.connection is not None:
            # The remote refused a body the describe check accepted: its metadata may have changed.
            describe_check.forget_describe(self.connection)
        code = f" (HTTP {exc.status})" if exc.status else ""
        self.finish(
            status, PublishReason.REMOTE, f"Refused by connection {name}{where}{code}: {_sentence(message)}{resume}"
        )
