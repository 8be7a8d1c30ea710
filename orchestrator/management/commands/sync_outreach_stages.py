"""`manage.py sync_outreach_stages NUMBER`: keep an Outreach connection's opportunity stages in step with the stages.

The same service as the "Sync to Outreach" page. Exit codes as for `publish`:

    0  synced (or nothing to change; or a dry run)
    2  refused before anything was sent (archived, no stages, two stages with one name)
    3  another sync of this orchestration is under way
    4  partly synced: Outreach refused some stages (the others are in step); sync again after fixing them
    5  Outreach unavailable (after the retries), the token refused, or the connection not configured

Extra Outreach stages (matching no local stage) are kept unless --delete-extra.
A missing orchestration is a usage error (exit 1).
"""

import json

from django.core.management.base import BaseCommand, CommandError

from orchestrator.models import Orchestration, RemoteRun
from orchestrator.services.outreach_sync import ACTION_LABELS, outreach_sync, plan_counts
from orchestrator.services.remote_runs import remote_run_exit_code

RESULT_LABELS = {"planned": "planned", "done": "done", "failed": "REFUSED", "skipped": "not sent"}


class Command(BaseCommand):
    help = (
        "Sync an orchestration's stages to an Outreach connection's opportunity stages: create the missing, "
        "update the changed (name, order, colour, closing flag), keep the extra ones unless --delete-extra. "
        "Exit codes: 0 ok, 2 refused, 3 another sync under way, 4 partly synced, 5 Outreach unavailable or "
        "token refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("number", help="the OrchestrationNumber, e.g. ORCH-DEMO-B2B")
        parser.add_argument("--connection", default="default", help="Outreach connection (default: %(default)s)")
        parser.add_argument("--dry-run", action="store_true", help="only read Outreach and print the plan")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print a machine-readable summary")
        parser.add_argument(
            "--delete-extra",
            action="store_true",
            help="also delete the Outreach stages that match no stage of the orchestration",
        )

    def handle(self, *args, number, connection, dry_run, as_json, delete_extra, **options):
        orch = Orchestration.objects.filter(number=number).first()
        if orch is None:
            raise CommandError(f"No orchestration numbered {number!r}.")
        run = outreach_sync(
            orchestration=orch,
            connection_name=(connection or "default").strip().lower(),
            dry_run=dry_run,
            delete_extra=delete_extra,
        )
        code = remote_run_exit_code(run)
        if as_json:
            self.stdout.write(json.dumps(run_summary(run, code), ensure_ascii=False, indent=2))
        else:
            self._print_human(run, code)
        if code != 0:
            raise SystemExit(code)

    def _print_human(self, run: RemoteRun, code: int) -> None:
        out = self.stdout
        where = f" ({run.connection_info['base_url']})" if run.connection_info.get("base_url") else ""
        kind = "Dry run of the sync of" if run.dry_run else "Sync of"
        out.write(f"{kind} {run.orchestration.number} to Outreach connection {run.connection_name}{where} — #{run.pk}")
        if run.is_active:
            out.write(
                self.style.WARNING(f"Another sync of {run.orchestration.number} is {run.status}; nothing started.")
            )
            return
        for line in run.lines:
            stage = f"{line['stage_name']} ({line['stage_number']})" if line["stage_number"] else "—"
            remote = f"Outreach {line['remote_id']}" if line["remote_id"] else "new"
            text = f"  {ACTION_LABELS.get(line['action'], line['action']):<12} {stage} ↔ {remote}"
            if line["remote_name"] and not line["stage_number"]:
                text += f" “{line['remote_name']}”"
            if line["changes"]:
                text += ": " + ", ".join(f"{k} {v[0]!r} → {v[1]!r}" for k, v in line["changes"].items())
            if not run.dry_run:
                text += f" — {RESULT_LABELS.get(line['status'], line['status'])}"
            if line["message"]:
                text += f": {line['message']}"
            out.write(self.style.ERROR(text) if line["status"] == "failed" else text)
        style = self.style.SUCCESS if code == 0 else self.style.ERROR
        outcome = "" if run.dry_run and run.status == "done" else f"{run.get_status_display()}: "
        out.write(style(f"{outcome}{run.message} (exit {code})"))


def run_summary(run: RemoteRun, code: int) -> dict:
    """The --json document: the run, each line's action and outcome, the counts and the exit code."""
    return {
        "run_id": run.pk,
        "orchestration": run.orchestration.number,
        "connection": run.connection_name,
        "dry_run": run.dry_run,
        "status": run.status,
        "reason": run.reason,
        "message": run.message,
        "exit_code": code,
        "counts": plan_counts(run.lines),
        "stages": run.lines,
    }
