"""`manage.py rehearse NUMBER --stage STAGE --record ID`: play a stage's steps on a test opportunity; `--cleanup ID`.

The same service as the "Rehearse" page. Rehearsing the same stage on the
same record (through the same connections) again continues that rehearsal
and creates only what is missing, until it is cleaned up. Exit codes as for
`publish`:

    0  rehearsed (or nothing left to create; or a dry run; or cleaned up)
    2  refused before anything was sent: bad input (named), an archived orchestration, a cleaned-up rehearsal
    3  another rehearsal (or clean-up) of this orchestration is under way
    4  partly done: the remote refused some records (beside each); run it again after fixing them
    5  a remote unavailable (after the retries), credentials refused, or a connection not configured

A missing orchestration or rehearsal is a usage error (exit 1).
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from orchestrator.models import Orchestration, Rehearsal, RemoteRun
from orchestrator.services.publishing import EXIT_REFUSED
from orchestrator.services.rehearsal import (
    STATUS_TEXT,
    RehearsalLine,
    plan_counts,
    rehearsal_cleanup,
    rehearsal_plan,
    rehearsal_request,
    rehearse,
)
from orchestrator.services.remote_runs import remote_run_exit_code

KIND_LABELS = {"b2c_task": "B2C task", "interaction": "Interaction", "phone_call": "Phone call", "": "—"}


class Command(BaseCommand):
    help = (
        "Rehearse a stage (or every stage) of an orchestration on a test opportunity: B2C Service tasks for Task "
        "steps, CX Sales interactions and phone calls for Appointment steps; or --cleanup a rehearsal. "
        "Exit codes: 0 ok, 2 refused, 3 another run under way, 4 partly done, 5 remote unavailable or refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("number", nargs="?", default="", help="the OrchestrationNumber, e.g. ORCH-DEMO-B2B")
        parser.add_argument("--stage", default="", help="OrchestrationStageNumber (default: every stage)")
        parser.add_argument("--record", default="", help="the CX Sales test opportunity's id (ObjectId)")
        parser.add_argument("--b2c-record", default="", help="the B2C Service opportunity id the tasks point at")
        parser.add_argument("--cx-connection", default="default", help="CX Sales connection (default: %(default)s)")
        parser.add_argument("--b2c-connection", default="default", help="B2C connection (default: %(default)s)")
        parser.add_argument("--dry-run", action="store_true", help="only print what would be created")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print a machine-readable summary")
        parser.add_argument("--cleanup", metavar="REHEARSAL_ID", default="", help="delete what a rehearsal created")

    def handle(
        self,
        *args,
        number,
        stage,
        record,
        b2c_record,
        cx_connection,
        b2c_connection,
        dry_run,
        as_json,
        cleanup,
        **options,
    ):
        self.as_json = as_json
        if cleanup:
            return self._cleanup(cleanup)
        if not number:
            raise CommandError("Give the orchestration's number (or --cleanup REHEARSAL_ID).")
        orch = Orchestration.objects.filter(number=number).first()
        if orch is None:
            raise CommandError(f"No orchestration numbered {number!r}.")
        try:
            request = rehearsal_request(
                orchestration=orch,
                stage_number=stage,
                record=record,
                b2c_record=b2c_record,
                cx_connection=cx_connection,
                b2c_connection=b2c_connection,
            )
        except ValidationError as exc:
            for message in _messages(exc):
                self.stderr.write(message)
            raise SystemExit(EXIT_REFUSED) from None
        if dry_run:
            rehearsal, lines = rehearsal_plan(request)
            dicts = [line.as_dict() for line in lines]
            if as_json:
                summary = {"rehearsal_id": rehearsal.pk if rehearsal else None, "dry_run": True, "exit_code": 0}
                summary |= {"counts": plan_counts(lines), "records": dicts}
                self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
                return
            which = f"rehearsal #{rehearsal.pk} (continued)" if rehearsal else "a new rehearsal"
            self.stdout.write(f"Dry run: {which} of {orch.number} {stage or 'every stage'} on opportunity {record}")
            self._lines(dicts, dry_run=True)
            counts = plan_counts(lines)
            self.stdout.write(
                f"{counts['create']} to create, {counts['exists']} already there, {counts['nothing']} step(s) "
                "creating nothing. Nothing was sent. (exit 0)"
            )
            return
        rehearsal, run = rehearse(request)
        self._report(rehearsal, run)

    def _cleanup(self, raw: str) -> None:
        if not str(raw).isdigit():
            raise CommandError(f"--cleanup takes a rehearsal's id (a number), not {str(raw)[:30]!r}.")
        rehearsal = Rehearsal.objects.select_related("orchestration").filter(pk=int(raw)).first()
        if rehearsal is None:
            raise CommandError(f"No rehearsal #{raw}.")
        self._report(rehearsal, rehearsal_cleanup(rehearsal))

    def _report(self, rehearsal: Rehearsal, run: RemoteRun) -> None:
        code = remote_run_exit_code(run)
        rehearsal.refresh_from_db()
        if self.as_json:
            self.stdout.write(json.dumps(summary_of(rehearsal, run, code), ensure_ascii=False, indent=2))
        else:
            what = "Clean-up of" if run.kind == "rehearsal_cleanup" else "Rehearsal"
            self.stdout.write(
                f"{what} #{rehearsal.pk} of {rehearsal.orchestration.number} "
                f"{rehearsal.stage_number or 'every stage'} on opportunity {rehearsal.opportunity_id} — run #{run.pk}"
            )
            if run.is_active:
                self.stdout.write(
                    self.style.WARNING(f"Another run of {rehearsal.orchestration.number} is {run.status}.")
                )
            else:
                self._lines(run.lines, dry_run=False)
                style = self.style.SUCCESS if code == 0 else self.style.ERROR
                self.stdout.write(style(f"{run.get_status_display()}: {run.message} (exit {code})"))
        if code != 0:
            raise SystemExit(code)

    def _lines(self, lines, *, dry_run: bool) -> None:
        for line in lines:
            text = f"  {KIND_LABELS.get(line['kind'], line['kind']):<11} {line['step_name'] or line['label']}"
            if line["kind"]:
                text += f" [{line['key']}]"
            else:
                text = f"  {'—':<11} {line['label']}"
            if line["remote_id"]:
                text += f" → id {line['remote_id']}"
            if not dry_run or line["status"] == "exists":
                text += f" — {STATUS_TEXT.get(line['status'], line['status'])}"
            if line["message"]:
                text += f": {line['message']}"
            self.stdout.write(self.style.ERROR(text) if line["status"] == "failed" else text)


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        flags = {"stage": "--stage", "record": "--record", "b2c_record": "--b2c-record"}
        return [f"{flags.get(k, k)}: {m}" for k, errors in exc.message_dict.items() for m in errors]
    return list(exc.messages)


def summary_of(rehearsal: Rehearsal, run: RemoteRun, code: int) -> dict:
    """The --json document: the rehearsal's id, the run's outcome and each record created (system, id, link)."""
    return {
        "rehearsal_id": rehearsal.pk,
        "run_id": run.pk,
        "kind": run.kind,
        "orchestration": rehearsal.orchestration.number,
        "stage": rehearsal.stage_number,
        "record": rehearsal.opportunity_id,
        "status": run.status,
        "reason": run.reason,
        "message": run.message,
        "rehearsal_status": rehearsal.status,
        "exit_code": code,
        "records": [
            {
                "kind": r.kind,
                "system": r.system,
                "id": r.remote_id,
                "link": r.link,
                "key": r.key,
                "step": r.step_number,
                "status": r.status,
                "message": r.message,
            }
            for r in rehearsal.records.all()
        ],
        # In the dataclass's order: a JSONField's keys come back in another order on PostgreSQL (jsonb).
        "lines": [RehearsalLine(**line).as_dict() for line in run.lines if isinstance(line, dict)],
    }
