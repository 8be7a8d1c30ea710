"""`manage.py import_outreach_stages --connection NAME --number NEW --name "…"`: a draft from Outreach's stages.

One stage per opportunity stage of the Outreach connection, in Outreach's
order, with its colour and closing flag, and its id remembered for the next
sync. Exit codes: 0 created · 2 not created (number taken, no stages in
Outreach …) · 5 Outreach unavailable, the token refused or the connection
not configured.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from orchestrator.models import PublishRunStatus
from orchestrator.services.outreach_import import orchestration_from_outreach

EXIT_REFUSED, EXIT_UNAVAILABLE = 2, 5


class Command(BaseCommand):
    help = (
        "Start a new draft orchestration from an Outreach connection's opportunity stages (one stage each, in "
        "Outreach's order). Exit codes: 0 created, 2 not created, 5 Outreach unavailable or token refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("--connection", default="default", help="Outreach connection (default: %(default)s)")
        parser.add_argument("--number", required=True, help="the new OrchestrationNumber")
        parser.add_argument("--name", required=True, help="the new orchestration's name")

    def handle(self, *args, connection, number, name, **options):
        try:
            run = orchestration_from_outreach(connection_name=connection, number=number, name=name)
        except ValidationError as exc:
            code = EXIT_UNAVAILABLE if "connection" in getattr(exc, "error_dict", {}) else EXIT_REFUSED
            raise CommandError(" ".join(exc.messages), returncode=code) from exc
        if run.status != PublishRunStatus.DONE:
            code = EXIT_REFUSED if run.status == PublishRunStatus.REFUSED else EXIT_UNAVAILABLE
            raise CommandError(run.message, returncode=code)
        for line in run.lines:
            notes = f" — {' '.join(line['notes'])}" if line["notes"] else ""
            self.stdout.write(f"  {line['position']:>3}. {line['stage_name']} (Outreach {line['remote_id']}){notes}")
        self.stdout.write(self.style.SUCCESS(run.message))
