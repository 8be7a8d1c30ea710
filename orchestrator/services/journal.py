"""The journal of runs of any kind: one `JournalEntry` per HTTP attempt, credentials scrubbed again.

`Journal` is the ``on_exchange`` hook of `remote.client.RemoteClient` for
runs other than a CX publish (whose executor keeps its own hook, with its
lease check, in `publish_run.py`); the rows are the same, so the run pages
show every exchange the same way::

    journal = Journal(run, connections=[connection])
    with RemoteClient(connection, on_exchange=journal) as client:
        journal.annotate("read every opportunity stage")
        with journal.about(stage.number):
            ...

`about(number)` says which item (stage) the next exchanges concern and
`annotate(note)` why they are made; both show beside the exchange. A run
that talks to several systems passes every connection it uses, so each one's
credentials are scrubbed from every row.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from django.utils import timezone

from .. import redaction
from ..models import JournalEntry, PublishRun, RemoteRun
from ..remote.client import Exchange
from ..remote.connections import Connection
from .rows import insert_row


class Journal:
    """Writes the exchanges of `run` (a RemoteRun, or a PublishRun) and keeps the run's heartbeat fresh."""

    def __init__(
        self,
        run: RemoteRun | PublishRun,
        *,
        connections: Iterable[Connection] = (),
    ) -> None:
        self.run = run
        self.stage_number = ""
        self.note = ""
        self._secrets = sorted({s for c in connections for s in c.secrets()}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """Text without any credential: the environment's (redaction) and the connections' own."""
        text = redaction.redact(text or "")
        for secret in self._secrets:
            text = text.replace(secret, redaction.REDACTED)
        return text

    def _headers(self, headers: dict[str, str]) -> dict[str, str]:
        return {k: self.scrub(v) for k, v in redaction.redact_headers(headers).items()}

    def annotate(self, note: str) -> None:
        """Say why the next request is made; the journal shows it beside the exchange."""
        self.note = note

    @contextlib.contextmanager
    def about(self, stage_number: str, note: str = "") -> Iterator[None]:
        """The exchanges inside concern `stage_number` (and are made for `note`)."""
        self.stage_number, self.note = stage_number, note or self.note
        try:
            yield
        finally:
            self.stage_number, self.note = "", ""

    def __call__(self, exchange: Exchange) -> None:
        owner = {"remote_run": self.run} if isinstance(self.run, RemoteRun) else {"run": self.run}
        insert_row(
            JournalEntry(
                **owner,
                system=exchange.system,
                stage_number=self.stage_number[:64],
                method=exchange.method[:10],
                path=self.scrub(exchange.path)[:2000],
                status_code=exchange.status,
                duration_ms=round(exchange.duration_ms, 1),
                attempt=exchange.attempt,
                request_headers=self._headers(exchange.request_headers),
                request_body=self.scrub(exchange.request_body),
                response_headers=self._headers(exchange.response_headers),
                response_body=self.scrub(exchange.response_body),
                error=self.scrub(exchange.error),
                note=self.scrub(self.note)[:300],
            )
        )
        now = timezone.now()
        type(self.run).objects.filter(pk=self.run.pk).update(heartbeat_at=now)
        self.run.heartbeat_at = now
