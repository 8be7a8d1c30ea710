"""`manage.py publish NUMBER`: publish an orchestration to CX Sales from a shell or a CI pipeline.

The same service as the publish page. Exit codes a script can act on:

    0  published (or nothing to send; or a dry run whose plan would be accepted)
    2  refused by the approval gate, by validation or by the remote's describe check: nothing was written
    3  conflict: changed remotely (409/412), or another publish of it is active
    4  partly published: resumable with --resume
    5  the remote is unavailable, or the connection's credentials were refused

A missing orchestration or nothing to resume is a usage error (exit 1).

The approval gate comes first (issue 10): a connection that requires an
approval (`CX_<NAME>_REQUIRE_APPROVAL`, the default for all but the built-in
sandbox) refuses content whose exact hash has no approval, exit 2, before any
request. On a connection that does not, unapproved content needs a
confirmation: an answer on a terminal, or `--yes` in a pipeline. `--dry-run`
only reads, so it is never refused; it says what the gate would do.
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from orchestrator.models import Orchestration, PublishRun, PublishRunStatus
from orchestrator.selectors import orchestration_tree
from orchestrator.services.publish_gate import PublishGate, publish_gate
from orchestrator.services.publish_plan import orchestration_path
from orchestrator.services.publishing import (
    EXIT_CONFLICT,
    EXIT_OK,
    EXIT_REFUSED,
    PublishNotResumable,
    is_stale,
    orchestration_publish,
    publish_exit_code,
    resumable_run,
)

RESULT_LABELS = {
    "planned": "planned",
    "sent": "sent, no reply",
    "done": "done",
    "failed": "FAILED",
    "skipped": "not sent",
}


class Command(BaseCommand):
    help = (
        "Publish an orchestration to a CX Sales connection: one upsert per changed stage, a delete per stage "
        "removed since the last publish, nothing for unchanged stages. Exit codes: 0 ok, 2 refused (nothing "
        "written), 3 conflict, 4 partly published (resumable), 5 remote unavailable or credentials refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("number", help="the OrchestrationNumber, e.g. ORCH-DEMO-B2B")
        parser.add_argument("--connection", default="default", help="connection name (default: %(default)s)")
        parser.add_argument(
            "--dry-run", action="store_true", help="only read the remote (header, describe) and print the plan"
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="print a machine-readable summary")
        parser.add_argument(
            "--resume", action="store_true", help="continue the last partial, failed or abandoned publish"
        )
        parser.add_argument(
            "--yes",
            action="store_true",
            help="confirm publishing unapproved content to a connection that does not require an approval",
        )

    def handle(self, *args, number, connection, dry_run, as_json, resume, yes, **options):
        if dry_run and resume:
            raise CommandError("--dry-run and --resume cannot be combined.")
        orch = Orchestration.objects.filter(number=number).first()
        if orch is None:
            raise CommandError(f"No orchestration numbered {number!r}.")
        connection = (connection or "default").strip().lower()
        gate = publish_gate(orchestration_tree(orch.number), connection)

        if dry_run:
            run = orchestration_publish(orchestration=orch, connection_name=connection, dry_run=True)
            if not as_json and not gate.allowed:
                self.stdout.write(f"  approval: {self._gate_note(gate)}")
        elif resume:
            run = self._resume(orch, connection, as_json, gate, yes)
        else:
            self._pass_gate(orch, gate, as_json, yes)
            run = orchestration_publish(orchestration=orch, connection_name=connection, content_hash=gate.content_hash)
        code = publish_exit_code(run)
        if as_json:
            self.stdout.write(json.dumps(run_summary(run, code), ensure_ascii=False, indent=2))
        else:
            self._print_human(run, code)
        if code != EXIT_OK:
            raise SystemExit(code)

    def _gate_note(self, gate: PublishGate) -> str:
        if gate.refused:
            return f"a publish would be refused: {gate.refusal.removeprefix('Not published: ')}"
        return f"not approved: {gate.unapproved}; a publish asks for a confirmation (--yes)."

    def _pass_gate(self, orch: Orchestration, gate: PublishGate, as_json: bool, yes: bool) -> None:
        """Return when the publish may start; else print why and exit 2 (nothing sent, no run)."""
        if gate.allowed or (gate.needs_confirmation and yes):
            return
        if gate.needs_confirmation and not as_json and sys.stdin.isatty():
            answer = input(f"{gate.confirmation} [y/N] ").strip().lower()
            if answer in ("y", "yes"):
                return
            message = "Not published: not confirmed. Nothing was sent."
        elif gate.needs_confirmation:
            message = (
                f"Not published: {gate.unapproved}. Connection {gate.connection_name} does not require an approval: "
                "pass --yes to publish it anyway. Nothing was sent."
            )
        else:
            message = gate.refusal
        if as_json:
            self.stdout.write(json.dumps(gate_summary(orch, gate, message), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(self.style.ERROR(f"{message} (exit {EXIT_REFUSED})"))
        raise SystemExit(EXIT_REFUSED)

    def _resume(self, orch: Orchestration, connection: str, as_json: bool, gate: PublishGate, yes: bool) -> PublishRun:
        run = resumable_run(orch, connection)
        if run is None:
            latest = PublishRun.objects.filter(orchestration=orch, connection_name=connection, dry_run=False).first()
            if latest is None:
                raise CommandError(f"{orch.number} was never published to {connection}: nothing to resume.")
            if latest.is_active:
                return latest  # its worker is alive: a conflict (exit 3)
            if latest.status == PublishRunStatus.DONE:
                return latest  # nothing left to do: exit 0 with its summary
            raise CommandError(f"Run #{latest.pk} is {latest.get_status_display().lower()}: nothing to resume.")
        self._pass_gate(orch, gate, as_json, yes)  # a resume sends the draft as it is now
        try:
            return orchestration_publish(
                orchestration=orch, connection_name=connection, resume_run=run, content_hash=gate.content_hash
            )
        except PublishNotResumable as exc:
            raise CommandError(str(exc)) from exc

    # -- output --------------------------------------------------------------------------------------------------

    def _print_human(self, run: PublishRun, code: int) -> None:
        out = self.stdout
        info = run.connection_info or {}
        where = f" ({info['base_url']})" if info.get("base_url") else ""
        kind = "Dry run of" if run.dry_run else "Publish of"
        out.write(f"{kind} {run.orchestration.number} to connection {run.connection_name}{where} — run #{run.pk}")
        if run.is_active and code == EXIT_CONFLICT:
            stale = " (its worker stopped answering: use --resume)" if is_stale(run) else ""
            out.write(
                self.style.WARNING(
                    f"Another publish of {run.orchestration.number} is {run.status} (run #{run.pk}){stale}; "
                    "nothing was started."
                )
            )
            return
        for problem in run.validation_report:
            where = problem.get("stage_number") or problem.get("number") or ""
            out.write(f"  problem {where}: {problem.get('message', problem)}")
        for problem in run.describe_report:
            if problem.get("severity", "error") == "error":
                out.write(self.style.ERROR(f"  pod metadata: {problem['message']}"))
            elif problem.get("severity") == "warning":
                out.write(f"  note: {problem['message']}")
        if run.dry_run and run.status == PublishRunStatus.DONE:
            self._print_requests(run)
        else:
            for stage in run.stages.all():
                result = RESULT_LABELS.get(stage.status, stage.status)
                line = f"  {stage.action:<9}  {stage.stage_name or '-'} ({stage.stage_number}): {result}"
                if stage.remote_message:
                    line += f" — {stage.remote_message}"
                out.write(self.style.ERROR(line) if stage.status == "failed" else line)
        style = self.style.SUCCESS if code == EXIT_OK else self.style.ERROR
        # A dry run's message already says what it is; others lead with the outcome.
        outcome = "" if run.dry_run and run.status == PublishRunStatus.DONE else f"{run.get_status_display()}: "
        out.write(style(f"{outcome}{run.message} (exit {code})"))

    def _print_requests(self, run: PublishRun) -> None:
        number = run.orchestration.number
        self.stdout.write("  Requests this publish would make:")
        self.stdout.write(f"    GET     {orchestration_path(number)}")
        self.stdout.write("    GET     /orchestrations/describe")
        if run.header_action == "create":
            self.stdout.write("    POST    /orchestrations  (create the orchestration)")
        for line in run.plan:
            if line["method"]:
                how = "  (then its links, tasks and associations by id)" if line.get("strategy") == "stepwise" else ""
                self.stdout.write(f"    {line['method']:<7} {line['path']}  {line['action']} {line['stage_name']}{how}")
            else:
                self.stdout.write(f"    -       {line['action']} {line['stage_name']} ({line['stage_number']})")


def gate_summary(orch: Orchestration, gate: PublishGate, message: str) -> dict:
    """The --json document of a publish the approval gate stopped: no run was made, nothing was sent."""
    return {
        "run_id": None,
        "orchestration": orch.number,
        "connection": gate.connection_name,
        "dry_run": False,
        "status": "refused",
        "reason": "approval",
        "message": message,
        "exit_code": EXIT_REFUSED,
        "orchestration_id": None,
        "create_orchestration": False,
        "stages": [],
        "problems": [],
        "describe_problems": [],
        "strategy": "",
        "compatibility": {},
        "approval": {"required": gate.required, "state": gate.state.kind, "content_hash": gate.content_hash},
    }


def run_summary(run: PublishRun, code: int) -> dict:
    """The --json document: the run, each stage's action and result, and the exit code."""
    plan = {line["stage_number"]: line for line in run.plan}
    return {
        "run_id": run.pk,
        "orchestration": run.orchestration.number,
        "connection": run.connection_name,
        "dry_run": run.dry_run,
        "status": run.status,
        "reason": run.reason,
        "message": run.message,
        "exit_code": code,
        "orchestration_id": run.remote_orchestration_id,
        "create_orchestration": run.header_action == "create",
        "stages": [
            {
                "position": stage.position,
                "stage_number": stage.stage_number,
                "stage_name": stage.stage_name,
                "action": stage.action,
                "status": stage.status,
                "method": plan.get(stage.stage_number, {}).get("method", ""),
                "path": plan.get(stage.stage_number, {}).get("path", ""),
                "remote_status": stage.remote_status,
                "message": stage.remote_message,
                "remote_id": stage.remote_id,
                "strategy": stage.strategy,
            }
            for stage in run.stages.all()
        ],
        "problems": run.validation_report,
        "describe_problems": run.describe_report,
        "strategy": (run.compatibility or {}).get("strategy", ""),
        "compatibility": run.compatibility,
    }
