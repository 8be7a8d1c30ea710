"""`manage.py refresh_catalogue [--connection NAME] [--file PATH] [--json]`: fill a connection's reference catalogue.

Reads the connection's activity templates and its sales method's stages
(the same service as the Refresh button of the Connections page); with
``--file`` it also stores smart actions, e-mail templates and activities
from an administrator's CSV or JSON file (after the refresh). Exit codes as
for `publish`:

    0  refreshed (and the file stored)
    2  the file was refused (every bad row is printed with its line number; nothing stored)
    3  another refresh of this connection stored the catalogue at the same time (this one stored nothing)
    5  the pod unavailable (after the retries), the credentials refused, the read refused,
       or the connection not configured (the catalogue is left as it was)
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from orchestrator.models.catalogue import PLURALS
from orchestrator.remote import ConnectionConfigError
from orchestrator.services.catalogue import CatalogueFileError, catalogue_refresh, catalogue_upload
from orchestrator.services.publishing import EXIT_REFUSED, EXIT_UNAVAILABLE
from orchestrator.services.remote_runs import remote_run_exit_code


class Command(BaseCommand):
    help = (
        "Refresh a CX Sales connection's reference catalogue (activity templates, sales stages) and optionally "
        "store a catalogue file (smart actions, e-mail templates, activities). Exit codes: 0 ok, 2 file refused, "
        "3 a simultaneous refresh stored first, 5 pod unavailable, credentials refused or connection not configured."
    )

    def add_arguments(self, parser):
        parser.add_argument("--connection", default="default", help="CX Sales connection (default: %(default)s)")
        parser.add_argument("--file", help="a CSV (kind,id,name[,description]) or JSON catalogue file to store")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print a machine-readable summary")

    def handle(self, *args, connection, file, as_json, **options):
        content = None
        if file:
            try:
                content = Path(file).read_bytes()
            except OSError as exc:
                raise CommandError(f"Cannot read {file}: {exc.strerror}.") from exc
        try:
            run = catalogue_refresh(connection_name=connection)
        except ConnectionConfigError as exc:
            self.stderr.write(self.style.ERROR(exc.message))
            raise SystemExit(EXIT_UNAVAILABLE) from None
        code = remote_run_exit_code(run)
        summary = {"run": run.pk, "status": run.status, "reason": run.reason, "message": run.message}
        if code == 0 and content is not None:
            try:
                result = catalogue_upload(connection_name=connection, content=content)
            except CatalogueFileError as exc:
                summary["file_problems"] = exc.problems
                code = EXIT_REFUSED
            else:
                summary["file"] = result.counts
        if as_json:
            self.stdout.write(json.dumps({**summary, "exit_code": code}, ensure_ascii=False, indent=2))
        else:
            self._print(summary, code)
        if code:
            raise SystemExit(code)

    def _print(self, summary: dict, code: int) -> None:
        style = self.style.SUCCESS if summary["status"] == "done" else self.style.ERROR
        self.stdout.write(style(f"Catalogue refresh #{summary['run']}: {summary['message']}"))
        if "file" in summary:
            stored = ", ".join(f"{count} {PLURALS[kind]}" for kind, count in summary["file"].items())
            self.stdout.write(self.style.SUCCESS(f"Stored from the file: {stored}."))
        for problem in summary.get("file_problems", []):
            self.stdout.write(self.style.ERROR(problem))
        if "file_problems" in summary:
            self.stdout.write(self.style.ERROR("Nothing from the file was stored."))
