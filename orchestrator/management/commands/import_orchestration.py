"""Import an orchestration document (payload-contract §6): all or nothing.

An existing draft with the file's number is replaced only with `--replace`
(the change summary from the draft to the file is printed first); without it
the import is refused, exit 2. `--as-copy NUMBER` imports the file as a new
draft under NUMBER with fresh numbers for every child, so it never touches
the original.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from orchestrator.models import Orchestration
from orchestrator.selectors import orchestration_tree
from orchestrator.services.changes import change_summary
from orchestrator.services.documents import (
    DocumentInvalid,
    orchestration_document,
    orchestration_import,
    parse_document,
)
from orchestrator.services.documents.transfer import orchestration_import_copy

INVALID_EXIT_CODE = 2


class Command(BaseCommand):
    help = (
        "Import an orchestration from a JSON document. The whole file is checked first; on any problem "
        "nothing changes, every problem is printed as 'PATH: message' and the exit status is 2. "
        "A draft with the same OrchestrationNumber is replaced only with --replace; --as-copy NUMBER "
        "imports it as a new draft with fresh numbers."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the JSON document to import")
        parser.add_argument(
            "--allow-incomplete",
            action="store_true",
            help="import an unfinished design: objectives nobody serves, stages without steps or without "
            "a next-stage step are reported as warnings instead of refusing the file",
        )
        parser.add_argument(
            "--replace", action="store_true", help="replace the existing draft with the same OrchestrationNumber"
        )
        parser.add_argument(
            "--as-copy",
            metavar="NUMBER",
            default="",
            help="import as a new draft numbered NUMBER, with fresh numbers for every stage, step, …",
        )

    def handle(self, *args, path: Path, allow_incomplete: bool, replace: bool, as_copy: str, **options):
        if replace and as_copy:
            raise CommandError("--replace and --as-copy cannot be combined.")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        try:
            document = parse_document(data)
            if as_copy:
                result = orchestration_import_copy(document=document, number=as_copy, allow_incomplete=allow_incomplete)
            else:
                result = self._import(document, replace, allow_incomplete)
        except DocumentInvalid as exc:
            for problem_path, message in exc.problems:
                self.stderr.write(f"{problem_path}: {message}")
            raise CommandError(f"{path}: {exc}.", returncode=INVALID_EXIT_CODE) from exc
        for problem_path, message in result.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {problem_path}: {message}"))
        replaced = "" if result.created else "; it replaced the existing draft with that number"
        self.stdout.write(self.style.SUCCESS(f"Imported {result.summary()}{replaced}."))

    def _import(self, document, replace: bool, allow_incomplete: bool):
        """Import; a replacement of an existing draft is undone and refused (exit 2) without --replace.

        The file is checked whole first, so a broken file reports its own problems; only a file that
        would import is refused for replacing a draft, with the change summary from the draft to it.
        """
        number = document.get("OrchestrationNumber") if isinstance(document, dict) else None
        before = None
        if isinstance(number, str) and Orchestration.objects.filter(number=number).exists():
            before = orchestration_document(orchestration_tree(number))
        with transaction.atomic():
            result = orchestration_import(document=document, allow_incomplete=allow_incomplete)
            if before is None or result.created:
                return result
            changes = change_summary(before, document)
            if replace:
                self.stdout.write(f"Replacing the draft {number}: {changes.count} change(s).")
                for text in changes.texts:
                    self.stdout.write(f"  {text}")
                return result
            for text in changes.texts:
                self.stderr.write(f"  would change: {text}")
            raise DocumentInvalid(
                [
                    (
                        "$.OrchestrationNumber",
                        f"a draft numbered {json.dumps(number)} exists here: pass --replace to replace it "
                        f"({changes.count} change(s), listed above), or --as-copy NUMBER to import a copy.",
                    )
                ]
            )
