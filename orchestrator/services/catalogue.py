"""Filling a connection's reference catalogue (issue 11): a refresh from the pod, or an administrator's file.

`catalogue_refresh(connection_name=…)` reads every activity template, the
sales stages when the connection names a sales method
(``CX_BUSINESS_UNIT_ID`` and ``CX_SALES_METHOD_ID``; the built-in sandbox
plays the demo's), and the attributes a Field update may set on an
opportunity and on a lead (their describes), through the one HTTP client; the exchanges are journalled on a
RemoteRun of kind ``catalogue_refresh``. Everything is read first and
stored after, in one transaction that replaces the kinds read: a failed or
refused read (a 401, a page that never ends) leaves the catalogue as it was.

`catalogue_upload(connection_name=…, content=…)` takes the kinds no REST
resource is documented for (smart actions, e-mail templates, activities)
from a CSV file (header ``kind,id,name[,description]``) or a JSON array of
``{"kind", "id", "name", "description"}`` objects. Every bad row is reported
with its line number and then nothing is stored; a good file replaces the
entries of the kinds it contains, on that connection only.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..demo import DEMO_BUSINESS_UNIT_ID, DEMO_SALES_METHOD_ID
from ..models import CatalogueEntry, CatalogueKind, CatalogueSource, PublishReason, PublishRunStatus, RemoteRun
from ..models.catalogue import ATTRIBUTE_KINDS, PLURALS, REF_NAME_MAX, UPLOAD_KINDS
from ..models.remote import RemoteRunKind
from ..models.text import text_problem
from ..remote import ConnectionConfigError, RemoteError, get_connection
from ..remote.client import RemoteClient
from ..remote.connections import Connection
from ..remote.cx_attributes import OBJECT_RESOURCES
from ..remote.cx_catalogue import CxCatalogueApi, Reference
from ..remote.systems import CX_SALES
from .journal import Journal
from .publish_run import client_options
from .remote_runs import RunEnded, remote_run_claim, remote_run_finish, remote_run_start

UPLOAD_MAX_BYTES = 2_000_000
UPLOAD_MAX_ROWS = 20_000
PROBLEMS_SHOWN = 50


class CatalogueFileError(Exception):
    """The uploaded file cannot be used; `problems` are "line N: …" sentences. Nothing was stored."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems[:3]))


@dataclass
class UploadResult:
    counts: dict[str, int] = field(default_factory=dict)  # kind → entries now stored

    @property
    def summary(self) -> str:
        return ", ".join(f"{count} {PLURALS[kind]}" for kind, count in self.counts.items())


def sales_method_of(connection: Connection) -> tuple[str, str]:
    """(business unit id, sales method id) whose stages the catalogue reads; ("", "") when not configured."""
    if connection.business_unit_id and connection.sales_method_id:
        return connection.business_unit_id, connection.sales_method_id
    if connection.is_sandbox:  # the built-in sandbox's demo pod has one sales method
        return DEMO_BUSINESS_UNIT_ID, DEMO_SALES_METHOD_ID
    return "", ""


def _replace(connection_name: str, kind_entries: dict[str, list[Reference]], source: str) -> None:
    """Replace every entry of the given kinds on the connection (call inside a transaction)."""
    now = timezone.now()
    CatalogueEntry.objects.filter(connection_name=connection_name, kind__in=list(kind_entries)).delete()
    CatalogueEntry.objects.bulk_create(
        [
            CatalogueEntry(
                connection_name=connection_name,
                kind=kind,
                ref_id=ref.ref_id,
                name=ref.name[:REF_NAME_MAX],
                detail=ref.detail[:REF_NAME_MAX],
                position=ref.position,
                source=source,
                refreshed_at=now,
            )
            for kind, refs in kind_entries.items()
            for ref in refs
        ]
    )


def catalogue_refresh(*, connection_name: str = "default", user=None) -> RemoteRun:
    """Read the connection's activity templates, sales stages and attributes and store them; returns the run.

    Raises ConnectionConfigError for an unknown or unusable connection (nothing is started).
    Remote trouble does not raise: the run records it and the catalogue is left as it was.
    """
    connection = get_connection(connection_name, system=CX_SALES.key)
    run, _ = remote_run_start(
        kind=RemoteRunKind.CATALOGUE_REFRESH, system=CX_SALES.key, connection_name=connection.name, user=user
    )
    remote_run_claim(run)
    run.connection_info = connection.describe_safe()
    journal = Journal(run, connections=[connection])
    try:
        _refresh(run, journal, connection)
    except RunEnded:
        pass
    except BaseException:
        with contextlib.suppress(RunEnded):  # a bug or Ctrl-C must not leave the run "running" for ever
            remote_run_finish(run, PublishRunStatus.FAILED, PublishReason.INTERRUPTED, "Stopped before it finished.")
        raise
    run.refresh_from_db()
    return run


def _refresh(run: RemoteRun, journal: Journal, connection: Connection) -> None:
    def finish(status: str, reason: str, message: str) -> None:
        remote_run_finish(run, status, reason, message, scrub=journal.scrub)

    business_unit, sales_method = sales_method_of(connection)
    read: dict[str, list[Reference]] = {}
    skipped = 0
    try:
        with RemoteClient(connection, on_exchange=journal, **client_options()) as client:
            api = CxCatalogueApi(client)
            journal.annotate("read every activity template (page by page)")
            templates = api.activity_templates()
            read[CatalogueKind.ACTIVITY_TEMPLATE] = templates.items
            skipped += templates.skipped
            if sales_method:
                journal.annotate(f"read the sales stages of sales method {sales_method}")
                stages = api.sales_stages(business_unit, sales_method)
                read[CatalogueKind.SALES_STAGE] = stages.items
                skipped += stages.skipped
            for object_code, kind in ATTRIBUTE_KINDS.items():
                resource = OBJECT_RESOURCES[object_code]
                journal.annotate(f"read the attributes of {object_code} (describe of {resource})")
                attributes = api.object_attributes(resource)
                read[kind] = attributes.items
                skipped += attributes.skipped
    except RemoteError as exc:
        message = journal.scrub(exc.message)
        unchanged = "The catalogue was left as it was."
        if exc.auth_failed:
            finish(
                PublishRunStatus.FAILED,
                PublishReason.CREDENTIALS,
                f"Connection {connection.name} refused the credentials (HTTP {exc.status}): {message} {unchanged}",
            )
        if not exc.permanent:
            finish(
                PublishRunStatus.FAILED,
                PublishReason.UNAVAILABLE,
                f"Connection {connection.name} is unavailable: {message} {unchanged}",
            )
        finish(
            PublishRunStatus.FAILED,
            PublishReason.REMOTE,
            f"Connection {connection.name} refused the read: {message} {unchanged}",
        )
    try:
        with transaction.atomic():
            _replace(connection.name, read, CatalogueSource.REST)
    except IntegrityError:  # another refresh of this connection stored its entries in between
        finish(
            PublishRunStatus.FAILED,
            PublishReason.CONFLICT,
            f"Another refresh of connection {connection.name} stored the catalogue at the same time; "
            "this one stored nothing. Refresh again if in doubt.",
        )
    run.lines = [
        {"kind": kind, "count": len(refs), "names": [ref.name for ref in refs[:5]]} for kind, refs in read.items()
    ]
    parts = [f"{len(read[CatalogueKind.ACTIVITY_TEMPLATE])} activity template(s)"]
    if CatalogueKind.SALES_STAGE in read:
        parts.append(f"{len(read[CatalogueKind.SALES_STAGE])} sales stage(s) of sales method {sales_method}")
    parts += [f"{len(read[kind])} {object_code.lower()} attribute(s)" for object_code, kind in ATTRIBUTE_KINDS.items()]
    prefix = "CX_" if connection.name == "default" else f"CX_{connection.name.upper()}_"
    notes = (
        ""
        if sales_method
        else (f" Sales stages were not read: set {prefix}BUSINESS_UNIT_ID and {prefix}SALES_METHOD_ID.")
    )
    if skipped:
        notes += f" {skipped} item(s) without an id or a name were left out."
    listed = f"{', '.join(parts[:-1])} and {parts[-1]}"
    finish(PublishRunStatus.DONE, "", f"Read {listed} from connection {connection.name}.{notes}")


# -- the uploaded file ------------------------------------------------------------------------

_KIND_WORDS = {
    **{kind.value: kind.value for kind in CatalogueKind},
    **{kind.label.lower(): kind.value for kind in CatalogueKind},
    "email_template": CatalogueKind.EMAIL_TEMPLATE.value,
    "email template": CatalogueKind.EMAIL_TEMPLATE.value,
}


def _json_rows(text: str) -> list[tuple[int, object]]:
    """(line, item) for each element of a top-level JSON array, so a bad item can be named by its line."""
    decoder = json.JSONDecoder()
    index = len(text) - len(text.lstrip())
    if not text[index:].startswith("["):
        raise CatalogueFileError(['line 1: a JSON catalogue is an array of objects: [{"kind": …}, …].'])
    index += 1
    rows: list[tuple[int, object]] = []
    while True:
        while index < len(text) and text[index] in " \t\r\n":
            index += 1
        if index < len(text) and text[index] == "]":
            return rows
        line = text.count("\n", 0, index) + 1
        try:
            item, index = decoder.raw_decode(text, index)
        except (ValueError, RecursionError) as exc:
            detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            raise CatalogueFileError([f"line {line}: not valid JSON ({detail})."]) from None
        rows.append((line, item))
        while index < len(text) and text[index] in " \t\r\n":
            index += 1
        if index < len(text) and text[index] == ",":
            index += 1
        elif index >= len(text) or text[index] != "]":
            raise CatalogueFileError([f"line {text.count(chr(10), 0, index) + 1}: expected ',' or ']'."])


def _csv_rows(text: str) -> list[tuple[int, object]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in ("kind", "id", "name") if name not in header]
    if missing:
        raise CatalogueFileError(
            [f"line 1: the header must name the columns kind, id, name (missing: {', '.join(missing)})."]
        )
    reader.fieldnames = header
    rows: list[tuple[int, object]] = []
    for row in reader:
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # a blank line
        rows.append((reader.line_num, row))
    return rows


def parse_catalogue_file(content: bytes) -> dict[str, list[Reference]]:
    """The entries of an uploaded file by kind; raises CatalogueFileError listing every bad row."""
    if len(content) > UPLOAD_MAX_BYTES:
        raise CatalogueFileError([f"The file is larger than {UPLOAD_MAX_BYTES // 1_000_000} MB."])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise CatalogueFileError([f"line {line}: not UTF-8 text."]) from None
    if not text.strip():
        raise CatalogueFileError(["The file is empty."])
    rows = _json_rows(text) if text.lstrip().startswith("[") else _csv_rows(text)
    if len(rows) > UPLOAD_MAX_ROWS:
        raise CatalogueFileError([f"The file has {len(rows)} rows; at most {UPLOAD_MAX_ROWS} are taken."])
    problems: list[str] = []
    found: dict[str, list[Reference]] = {}
    seen: dict[tuple[str, str], int] = {}
    for line, row in rows:
        if not isinstance(row, dict):
            problems.append(f"line {line}: each entry must be an object with kind, id and name.")
            continue
        kind_text = str(row.get("kind") or "").strip().lower()
        kind = _KIND_WORDS.get(kind_text)
        raw_id = row.get("id")
        ref_id = "" if isinstance(raw_id, bool) or raw_id is None else str(raw_id).strip()
        name = str(row.get("name") or "").strip()
        detail = str(row.get("description") or "").strip()
        if kind is None:
            choices = ", ".join(UPLOAD_KINDS)
            problems.append(f"line {line}: kind {kind_text[:40]!r} is not one of {choices}.")
        elif kind not in UPLOAD_KINDS:
            problems.append(f"line {line}: {kind_text} entries are read from the pod (Refresh), not uploaded.")
        if not (ref_id.isdigit() and len(ref_id) <= 18 and int(ref_id) > 0):
            problems.append(f"line {line}: id {ref_id[:30]!r} is not a positive number of at most 18 digits.")
        if not name:
            problems.append(f"line {line}: the name is empty.")
        elif len(name) > REF_NAME_MAX or len(detail) > REF_NAME_MAX:
            problems.append(f"line {line}: the name and the description may have at most {REF_NAME_MAX} characters.")
        elif text_problem(name) or text_problem(detail):
            problems.append(f"line {line}: the name or the description {text_problem(name) or text_problem(detail)}.")
        if kind in UPLOAD_KINDS and ref_id:
            first = seen.setdefault((kind, ref_id), line)
            if first != line:
                problems.append(f"line {line}: {kind_text} {ref_id} is listed twice (first on line {first}).")
        if problems and problems[-1].startswith(f"line {line}:"):
            continue
        refs = found.setdefault(kind, [])
        refs.append(Reference(str(int(ref_id)), name, detail, len(refs) + 1))
    if problems:
        raise CatalogueFileError(problems)
    if not found:
        raise CatalogueFileError(["The file lists no entries."])
    return found


def catalogue_upload(*, connection_name: str, content: bytes) -> UploadResult:
    """Store the entries of an uploaded file for the connection, replacing the kinds it contains.

    Raises ConnectionConfigError for an unknown connection and CatalogueFileError for a bad file
    (nothing is stored then).
    """
    connection = get_connection(connection_name, system=CX_SALES.key)
    found = parse_catalogue_file(content)
    with transaction.atomic():
        _replace(connection.name, found, CatalogueSource.UPLOAD)
    return UploadResult(counts={kind: len(refs) for kind, refs in found.items()})


__all__ = [
    "CatalogueFileError",
    "ConnectionConfigError",
    "UploadResult",
    "catalogue_refresh",
    "catalogue_upload",
    "parse_catalogue_file",
    "sales_method_of",
]
