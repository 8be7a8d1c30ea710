"""Write an orchestration as the import/export document of payload-contract §6."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from orchestrator import selectors
from orchestrator.models import Orchestration
from orchestrator.services.documents import dumps_document, orchestration_document


class Command(BaseCommand):
    help = "Export an orchestration draft as a JSON document (stdout unless -o is given)."

    def add_arguments(self, parser):
        parser.add_argument("number", help="OrchestrationNumber, e.g. ORCH-DEMO-B2B")
        parser.add_argument("-o", "--output", type=Path, help="file to write (UTF-8); default: standard output")

    def handle(self, *args, number: str, output: Path | None, **options):
        try:
            tree = selectors.orchestration_tree(number)
        except Orchestration.DoesNotExist:
            raise CommandError(f"No orchestration has the number {number}.") from None
        text = dumps_document(orchestration_document(tree))
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            # newline="" keeps "\n" on every platform, so exports compare byte for byte.
            with output.open("w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror}.") from exc
        self.stderr.write(self.style.SUCCESS(f"Exported {number} to {output}."))
