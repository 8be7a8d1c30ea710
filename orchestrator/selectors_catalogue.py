"""Reads of the reference catalogue (issue 11): names for ids, in one query per request.

`catalogue_for(name)` loads every entry of one connection at once (a pod has
hundreds of templates, not millions), so the designer adds exactly one
query whatever the orchestration's size; `stamp` changes whenever an entry
does, and is part of the designer's stage cache key.

Which connection's catalogue the designer uses: the one the user chose on
the Connections page ("Use in the designer", kept in the session), else
``default``. An id is flagged as unknown only when the catalogue has entries
of that kind: with no catalogue at all, ids are shown as they are.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db.models import Count, Max

from .models import CatalogueEntry, CatalogueKind, RemoteRun
from .models.catalogue import PLURALS
from .models.remote import RemoteRunKind

SESSION_KEY = "catalogue_connection"
OPTIONS_MAX = 2000  # a picker lists at most this many (filtering happens in the browser)


@dataclass(frozen=True)
class Ref:
    """An id as a row or a picker shows it: the name when the catalogue knows it, else flagged (or plain)."""

    ref_id: str
    name: str = ""
    detail: str = ""
    unknown: bool = False  # the catalogue has this kind but not this id


@dataclass
class Catalogue:
    connection_name: str
    entries: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)  # kind → id → (name, detail)
    stamp: str = ""
    _stage_names: dict[str, tuple[str, str]] | None = field(default=None, repr=False)  # name → (id, detail)

    def knows_kind(self, kind: str) -> bool:
        return bool(self.entries.get(kind))

    def ref(self, kind: str, value) -> Ref | None:
        """The reference for `value` (an id or, for sales stages, a name); None when empty."""
        if value in (None, ""):
            return None
        text = str(value)
        known = self.entries.get(kind, {})
        if kind == CatalogueKind.SALES_STAGE:  # a stage refers to a sales stage by its name
            if self._stage_names is None:
                self._stage_names = {name: (ref_id, detail) for ref_id, (name, detail) in known.items()}
            if text in self._stage_names:
                ref_id, detail = self._stage_names[text]
                return Ref(ref_id, text, detail)
            return Ref("", text, "", unknown=bool(known))
        if text in known:
            name, detail = known[text]
            return Ref(text, name, detail)
        return Ref(text, "", "", unknown=bool(known))

    def options(self, kind: str) -> list[Ref]:
        """Every entry of `kind`, in the source's order (at most OPTIONS_MAX)."""
        return [Ref(ref_id, name, detail) for ref_id, (name, detail) in self.entries.get(kind, {}).items()][
            :OPTIONS_MAX
        ]


def catalogue_for(connection_name: str) -> Catalogue:
    """The whole catalogue of one connection, in one query."""
    catalogue = Catalogue(connection_name=connection_name)
    digest = hashlib.blake2b(connection_name.encode(), digest_size=12)
    rows = (
        CatalogueEntry.objects.filter(connection_name=connection_name)
        .order_by("kind", "position", "name", "ref_id")
        .values_list("kind", "ref_id", "name", "detail")
    )
    for kind, ref_id, name, detail in rows:
        catalogue.entries.setdefault(kind, {})[ref_id] = (name, detail)
        digest.update(f"{kind}\x1f{ref_id}\x1f{name}\x1f{detail}\x1e".encode("utf-8", "surrogatepass"))
    catalogue.stamp = digest.hexdigest()
    return catalogue


def designer_catalogue_name(request) -> str:
    """The connection whose catalogue the designer shows: the session's choice, else ``default``."""
    session = getattr(request, "session", None)
    name = session.get(SESSION_KEY, "") if session is not None else ""
    return name if isinstance(name, str) and name else "default"


def designer_catalogue(request) -> Catalogue:
    return catalogue_for(designer_catalogue_name(request))


@dataclass
class CatalogueSummary:
    """One connection's catalogue on the Connections page."""

    connection_name: str
    counts: dict[str, int] = field(default_factory=dict)  # kind → entries
    refreshed_at: object = None
    last_run: RemoteRun | None = None

    @property
    def rows(self) -> list[tuple[str, int]]:
        return [(PLURALS[kind], self.counts.get(kind, 0)) for kind in CatalogueKind]


def catalogue_overview(names: list[str]) -> dict[str, CatalogueSummary]:
    """The catalogue of each named connection (entry counts, last change, last refresh run): two queries."""
    summaries = {name: CatalogueSummary(name) for name in names}
    counts = (
        CatalogueEntry.objects.filter(connection_name__in=names)
        .values("connection_name", "kind")
        .annotate(entries=Count("pk"), latest=Max("refreshed_at"))
    )
    for row in counts:
        summary = summaries[row["connection_name"]]
        summary.counts[row["kind"]] = row["entries"]
        if summary.refreshed_at is None or row["latest"] > summary.refreshed_at:
            summary.refreshed_at = row["latest"]
    runs = RemoteRun.objects.filter(kind=RemoteRunKind.CATALOGUE_REFRESH, connection_name__in=names).order_by(
        "-created_at", "-pk"
    )[:100]
    for run in runs:
        summary = summaries.get(run.connection_name)
        if summary is not None and summary.last_run is None:
            summary.last_run = run
    return summaries
