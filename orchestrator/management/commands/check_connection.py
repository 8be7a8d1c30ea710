"""`manage.py check_connection [NAME] [--json]`: what fits between Orchestrator and the pod behind a connection.

Reads the pod's describe (nothing is written) and prints, per resource, each
contract attribute and the pod's name for it (or *missing*, with the closest
names the pod offers), both lengths, the mandatory pod attributes Orchestrator
does not model, code maps and encodings, and how stages will be written.

    0  compatible: a publish would be accepted
    2  not compatible: a publish would be refused (each problem says how to fix it)
    5  unreachable, credentials refused, or the connection's settings unusable
"""

import json

from django.core.management.base import BaseCommand

from orchestrator.services.connection_check import EXIT_OK, ConnectionCheck, check_connection

SEVERITY_TITLES = (
    ("error", "Problems (a publish would be refused until they are fixed)"),
    ("warning", "Warnings"),
    ("info", "Notes"),
)


class Command(BaseCommand):
    help = (
        "Check a CX Sales connection against its pod's describe: attribute names, lengths, mandatory attributes, "
        "codes and the link strategy. Only reads. Exit 0 compatible, 2 not compatible, 5 unreachable or "
        "credentials refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", default="default", help="connection name (default: %(default)s)")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print a machine-readable report")

    def handle(self, *args, name, as_json, **options):
        result = check_connection(name)
        if as_json:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2, default=str))
        else:
            self._print(result)
        if result.exit_code != EXIT_OK:
            raise SystemExit(result.exit_code)

    def _print(self, result: ConnectionCheck) -> None:
        out, info = self.stdout, result.connection_info
        where = f" ({info['base_url']})" if info.get("base_url") else ""
        version = f" — REST framework {info['framework_version']}" if info.get("framework_version") else ""
        out.write(f"Connection {result.connection_name}{where}{version}")
        report = result.report
        if report is None:
            out.write(self.style.ERROR(f"{result.message} (exit {result.exit_code})"))
            return
        out.write(f"Stages are written {report.strategy_label}.")
        for resource in report.resources:
            out.write("")
            located = f", under {resource.location}" if resource.location else ""
            out.write(self.style.MIGRATE_HEADING(f"{resource.resource} ({resource.label}{located})"))
            if not resource.present:
                out.write("  not in the pod's describe")
                continue
            out.write(f"  {'contract attribute':<28}{'pod name':<30}{'ours':>6}{'pod':>6}  notes")
            for row in resource.rows:
                pod = row.pod or "MISSING"
                ours = "" if row.our_length is None else str(row.our_length)
                theirs = "" if row.pod_length is None else str(row.pod_length)
                notes = "; ".join(row.notes)
                line = f"  {row.contract:<28}{pod:<30}{ours:>6}{theirs:>6}  {notes}".rstrip()
                out.write(self.style.ERROR(line) if not row.pod and row.required else line)
            for extra in resource.extras:
                value = json.dumps(extra["value"], ensure_ascii=False) if extra["source"] else "no value"
                source = {"environment": "from the environment", "describe": "the describe's default"}.get(
                    extra["source"], "nothing to send"
                )
                out.write(f"  mandatory on the pod, not modelled: {extra['name']} = {value} ({source})")
            for code in resource.codes:
                pairs = ", ".join(f"{ours} → {pod}" for ours, pod in code["map"].items())
                origin = "CX_CODES" if code["configured"] else "as is, no map"
                out.write(f"  codes of {code['attribute']}: {pairs} ({origin})")
        for severity, title in SEVERITY_TITLES:
            findings = [f for f in report.findings if f.severity == severity]
            if not findings:
                continue
            out.write("")
            out.write(title + ":")
            for finding in findings:
                line = f"  - {finding.message}"
                out.write(self.style.ERROR(line) if severity == "error" else line)
        out.write("")
        style = self.style.SUCCESS if report.compatible else self.style.ERROR
        out.write(style(f"{result.summary} (exit {result.exit_code})"))
