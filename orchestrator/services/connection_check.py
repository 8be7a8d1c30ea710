"""Check a connection against the pod behind it: reachable, credentials accepted, and what fits (issue 7).

`check_connection(name)` reads the pod's describe afresh (and caches it for
the next publish) and turns it into the compatibility report of
`compatibility.report`. It only reads: one GET, nothing written. The
outcome's `exit_code` is the one `manage.py check_connection` ends with:
0 compatible, 2 not compatible (a publish would be refused), 5 unreachable,
credentials refused or the connection's settings unusable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..remote import ConnectionConfigError, RemoteError, get_connection
from ..remote.client import CxClient
from ..remote.cx import CxSalesApi
from .compatibility import CompatibilityReport, compatibility_report
from .describe_check import connection_dialect
from .publish_run import client_options

EXIT_OK, EXIT_INCOMPATIBLE, EXIT_UNAVAILABLE = 0, 2, 5


@dataclass
class ConnectionCheck:
    """What checking one connection found. `kind`: "" (read) | config | credentials | unavailable | remote."""

    connection_name: str
    connection_info: dict[str, str]
    kind: str = ""
    message: str = ""
    report: CompatibilityReport | None = None

    @property
    def compatible(self) -> bool:
        return self.report is not None and self.report.compatible

    @property
    def exit_code(self) -> int:
        if self.report is None:
            return EXIT_UNAVAILABLE
        return EXIT_OK if self.report.compatible else EXIT_INCOMPATIBLE

    @property
    def summary(self) -> str:
        if self.report is None:
            return self.message
        if self.report.compatible:
            warnings = len(self.report.warnings)
            extra = f", with {warnings} warning(s) to read" if warnings else ""
            return f"Compatible: a publish to {self.connection_name} would be accepted{extra}."
        errors = len(self.report.errors)
        return f"Not compatible: {errors} problem(s) would refuse a publish to {self.connection_name}."

    def as_dict(self) -> dict[str, Any]:
        return {
            "connection": self.connection_name,
            "connection_info": self.connection_info,
            "exit_code": self.exit_code,
            "compatible": self.compatible,
            "summary": self.summary,
            "error": self.message if self.report is None else "",
            "error_kind": self.kind,
            "report": self.report.as_dict() if self.report is not None else None,
        }


def check_connection(name: str = "default") -> ConnectionCheck:
    """Read the pod's describe through connection `name` and report what fits. Never raises for remote trouble."""
    name = (name or "default").strip().lower()
    try:
        connection = get_connection(name)
    except ConnectionConfigError as exc:
        return ConnectionCheck(name, {"name": name}, kind="config", message=exc.message)
    info = connection.describe_safe()
    try:
        with CxClient(connection, **client_options()) as client:
            dialect, _ = connection_dialect(CxSalesApi(client), connection, fresh=True)
    except RemoteError as exc:
        if exc.auth_failed:
            kind, message = "credentials", f"Credentials for connection {name} were refused (HTTP {exc.status})."
        elif exc.kind in ("config", "unsafe_url"):
            kind, message = "config", f"Connection {name}: {exc.message}"
        elif exc.permanent:
            kind, message = "remote", f"Connection {name} refused the describe request: {exc.message}"
        else:
            kind, message = "unavailable", f"Connection {name} is unreachable: {exc.message}"
        return ConnectionCheck(name, info, kind=kind, message=message)
    return ConnectionCheck(name, info, report=compatibility_report(dialect, name))
