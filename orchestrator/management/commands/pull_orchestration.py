"""`manage.py pull_orchestration NUMBER`: read a remote orchestration into a local draft."""

from django.core.management.base import BaseCommand, CommandError

from orchestrator.models.numbers import number_problem
from orchestrator.services.pulling import EXIT_INVALID, PullError, orchestration_pull


class Command(BaseCommand):
    help = (
        "Read an orchestration from a CX Sales connection (GET with expand=all) into a local draft, keeping its "
        "numbers and remote ids, so it can be edited here and published back without duplicates. A local draft "
        "with the same number is replaced. Exit codes: 0 ok, 1 not found, 2 the remote document is not a valid "
        "draft (nothing changed), 5 remote unavailable or credentials refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("number", help="the OrchestrationNumber on the remote")
        parser.add_argument("--connection", default="default", help="connection name (default: %(default)s)")

    def handle(self, *args, number, connection, **options):
        if problem := number_problem(number):
            raise CommandError(f"{number!r} is not an orchestration number: {problem}", returncode=EXIT_INVALID)
        try:
            result = orchestration_pull(number=number, connection_name=connection)
        except PullError as exc:
            for path, message in exc.problems:
                self.stderr.write(f"{path}: {message}")
            raise CommandError(exc.message, returncode=exc.exit_code) from exc
        verb = "Created" if result.created else "Replaced"
        self.stdout.write(self.style.SUCCESS(f"{verb} the draft {result.summary} from connection {connection}."))
        if result.differing_stages:
            self.stdout.write(
                f"{len(result.differing_stages)} stage(s) differ from what this draft sends "
                f"({', '.join(result.differing_stages)}); the next publish updates them."
            )
        else:
            self.stdout.write("The draft matches the remote: publishing it now would send nothing.")
