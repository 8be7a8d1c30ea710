"""What the publish, sandbox and connection views share: permissions, redirects, error pages, presentation.

Viewing runs, plans and connections needs `orchestrator.view_publishrun`
(Designer, Reviewer, Publisher); the sandbox page needs only
`view_orchestration`. Anything that writes (publish, resume, cancel, pull,
reset the sandbox) needs `orchestrator.publish_orchestration`.
"""

import contextlib
import json
from dataclasses import dataclass

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string

from .. import redaction
from .. import selectors_publish as selectors
from ..models import JournalEntry

view_runs_required = permission_required("orchestrator.view_publishrun", raise_exception=True)
view_required = permission_required("orchestrator.view_orchestration", raise_exception=True)
publish_required = permission_required("orchestrator.publish_orchestration", raise_exception=True)

# A journal body longer than this is cut on the page (the database keeps it whole).
BODY_LIMIT = 20_000
INVALID = 422  # invalid input: htmx is configured to swap 422 answers, so the message shows in place


def connection_picker(connection_name: str, *, system: str = "cx_sales") -> tuple[dict, int]:
    """The connection picker's context and HTTP status: every connection of `system`, the chosen one, an error.

    With no name, the first usable connection is chosen. An unknown name is a
    typo in the URL (422); nothing configured at all is not the user's fault (200).
    """
    overview = selectors.connection_overview(system=system)
    usable = [info for info in overview if info.usable]
    chosen, error, status = None, "", 200
    try:
        chosen = selectors.find_connection(connection_name or (usable[0].name if usable else "default"), overview)
    except selectors.UnknownConnection as exc:
        error = exc.message
        status = INVALID if connection_name else 200
    return {"connections": overview, "chosen": chosen, "connection_error": error}, status


def go(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect; for htmx a full page load of `url` (HX-Redirect), so history and reload land there."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def messages_oob(request: HttpRequest) -> str:
    """The messages box, out of band (innerHTML keeps the role=status element, so it is announced)."""
    return render_to_string("base.html#messages", {"oob": True}, request)


def error_page(request: HttpRequest, message: str, *, status: int, title: str = "Not found") -> HttpResponse:
    """A plain page saying what is wrong, with ways back; never a bare 404 or 500."""
    return render(request, "orchestrator/publish_error.html", {"title": title, "message": message}, status=status)


def clip(text: str, limit: int = BODY_LIMIT) -> str:
    """Text cut to `limit` characters with a note saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n… ({len(text) - limit} more characters not shown)"


def pretty_body(text: str) -> str:
    """A body as it is best read: indented JSON when it is JSON, else the text; redacted and clipped."""
    text = text or ""
    if text.startswith(("{", "[")):
        # Not JSON after all, or nested too deep to parse (a hostile remote): shown as it came.
        with contextlib.suppress(ValueError, RecursionError):
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    return clip(redaction.redact(text))


def header_lines(headers) -> str:
    """Headers one per line, `Name: value`, credentials masked (again: the journal already masked them)."""
    if not isinstance(headers, dict):
        return ""
    return "\n".join(f"{name}: {value}" for name, value in redaction.redact_headers(headers).items())


@dataclass
class Exchange:
    """One journal entry as the run page shows it."""

    entry: JournalEntry
    request_headers: str
    request_body: str
    response_headers: str
    response_body: str
    error: str

    @classmethod
    def of(cls, entry: JournalEntry) -> "Exchange":
        return cls(
            entry=entry,
            request_headers=header_lines(entry.request_headers),
            request_body=pretty_body(entry.request_body),
            response_headers=header_lines(entry.response_headers),
            response_body=pretty_body(entry.response_body),
            error=redaction.redact(entry.error),
        )
