"""Import an orchestration document (payload-contract §6): all or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from orchestrator.services.documents import DocumentInvalid, orchestration_import, parse_document

INVALID_EXIT_CODE = 2


class Command(BaseCommand):
    help = (
        "Import an orchestration from a JSON document. The whole file is checked first; on any problem "
        "nothing changes, every problem is printed as 'PATH: message' and the exit status is 2. "
        "A draft with the same OrchestrationNumber is replaced."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the JSON document to import")
        parser.add_argument(
            "--allow-incomplete",
            action="store_true",
            help="import an unfinished design: objectives nobody serves, stages without steps or without "
            "a next-stage step are reported as warnings instead of refusing the file",
        )

    def handle(self, *args, path: Path, allow_incomplete: bool, **options):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        try:
            result = orchestration_import(document=parse_document(data), allow_incomplete=allow_incomplete)
        except DocumentInvalid as exc:
            for problem_path, message in exc.problems:
                self.stderr.write(f"{problem_path}: {message}")
            raise CommandError(f"{path}: {exc}.", returncode=INVALID_EXIT_CODE) from exc
        for problem_path, message in result.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {problem_path}: {message}"))
        replaced = "" if result.created else "; it replaced the existing draft with that number"
        self.stdout.write(self.style.SUCCESS(f"Imported {result.summary()}{replaced}."))
