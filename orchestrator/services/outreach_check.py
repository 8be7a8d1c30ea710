"""Check an Outreach connection: reachable, token accepted, and what its first page of opportunity stages holds.

`check_outreach_connection(name)` reads one page (nothing is written, nothing
journalled, like the CX check). Its outcome's `kind` is "" when the page was
read, else config | credentials | unavailable | remote.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..remote import ConnectionConfigError, RemoteError, get_connection
from ..remote.client import RemoteClient
from ..remote.outreach import OpportunityStage, OutreachApi
from ..remote.systems import OUTREACH
from .publish_run import client_options

CHECK_PAGE_SIZE = 50  # Outreach's own default page


@dataclass
class OutreachCheck:
    """What checking one Outreach connection found."""

    connection_name: str
    connection_info: dict[str, str]
    kind: str = ""
    message: str = ""
    stages: list[OpportunityStage] = field(default_factory=list)
    more: bool = False  # the remote has further pages

    @property
    def ok(self) -> bool:
        return not self.kind

    @property
    def summary(self) -> str:
        if not self.ok:
            return self.message
        if not self.stages:
            return f"Connected: Outreach connection {self.connection_name} holds no opportunity stages yet."
        more = " and more on further pages" if self.more else ""
        return (
            f"Connected: the first page of Outreach connection {self.connection_name} holds "
            f"{len(self.stages)} opportunity stage(s){more}."
        )


def check_outreach_connection(name: str = "default") -> OutreachCheck:
    """Read the first page of opportunity stages through Outreach connection `name`. Never raises for remote trouble."""
    name = (name or "default").strip().lower()
    try:
        connection = get_connection(name, system=OUTREACH.key)
    except ConnectionConfigError as exc:
        return OutreachCheck(name, {"name": name}, kind="config", message=exc.message)
    info = connection.describe_safe()
    try:
        with RemoteClient(connection, **client_options()) as client:
            page = OutreachApi(client).stage_page(page_size=CHECK_PAGE_SIZE)
    except RemoteError as exc:
        if exc.auth_failed:
            kind, message = "credentials", f"Outreach connection {name} refused the token (HTTP {exc.status})."
        elif exc.kind in ("config", "unsafe_url"):
            kind, message = "config", f"Outreach connection {name}: {exc.message}"
        elif exc.permanent:
            kind, message = "remote", f"Outreach connection {name} refused the read: {exc.message}"
        else:
            kind, message = "unavailable", f"Outreach connection {name} is unreachable: {exc.message}"
        return OutreachCheck(name, info, kind=kind, message=message)
    ordered = sorted(page.stages, key=lambda s: (s.order is None, s.order or 0, s.id))
    return OutreachCheck(name, info, stages=ordered, more=bool(page.next_path))
