"""The Outreach token never leaves the environment: not in logs, pages, the journal, any table or command output."""

import logging

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from orchestrator.models import JournalEntry, RemoteRun
from tests.factories import build_orchestration, make_user
from tests.fakes.fixtures import use_outreach
from tests.fakes.outreach_server import FakeOutreachServer

pytestmark = pytest.mark.django_db

SENTINEL = "outreach-T0KEN-S3ntinel-7e1f"


def _all_database_text() -> str:
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from introspection
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def _cli(*args) -> int:
    try:
        call_command(*args)
    except SystemExit as exc:
        return exc.code
    return 0


def test_the_token_appears_nowhere(monkeypatch, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    server = FakeOutreachServer(token=SENTINEL).start()
    publisher = make_user("Publisher")
    designer = make_user("Designer")
    try:
        use_outreach(monkeypatch, server)
        orch = build_orchestration(stages=2)
        server.add_stage("Stage 1", order=4)
        server.add_stage("Old", order=9)
        # An Outreach that echoes the request's token in its error text, then a good run.
        server.fail(
            "POST",
            r"/opportunityStages$",
            status=422,
            body={"errors": [{"id": "validationError", "detail": f"token {SENTINEL} may not create"}]},
            headers={"Content-Type": "application/vnd.api+json"},
        )
        assert _cli("sync_outreach_stages", orch.number, "--connection", "ci") == 4
        assert _cli("sync_outreach_stages", orch.number, "--connection", "ci", "--json") == 0
        assert _cli("sync_outreach_stages", orch.number, "--connection", "ci", "--dry-run") == 0
        call_command("import_outreach_stages", "--connection", "ci", "--number", "ORCH-SECRET", "--name", "From it")

        pages = []
        web = Client()
        web.force_login(publisher)
        pages.append(web.get(reverse("connections")))
        pages.append(web.get(reverse("outreach_check", args=["ci"]), headers={"HX-Request": "true"}))
        pages.append(web.get(reverse("outreach_page", args=[orch.number]), {"connection": "ci"}))
        pages.append(web.post(reverse("outreach_plan", args=[orch.number]), {"connection": "ci"}))
        pages.append(web.post(reverse("outreach_sync", args=[orch.number]), {"connection": "ci"}, follow=True))
        for run in RemoteRun.objects.filter(kind="outreach_sync"):
            pages.append(web.get(reverse("outreach_run", args=[run.pk])))
        designer_web = Client()
        designer_web.force_login(designer)
        pages.append(designer_web.get(reverse("designer", args=["ORCH-SECRET"])))
        admin = Client()
        admin.force_login(make_user(superuser=True, username="root"))
        for model in ("journalentry", "remoterun", "outreachstagelink"):
            pages.append(admin.get(reverse(f"admin:orchestrator_{model}_changelist")))

        monkeypatch.setenv("OUTREACH_CI_TOKEN", SENTINEL + "-expired")
        assert _cli("sync_outreach_stages", orch.number, "--connection", "ci") == 5
    finally:
        server.stop()

    assert [page.status_code for page in pages if page.status_code != 200] == []
    output = capsys.readouterr()
    places = {
        "logs": caplog.text,
        "stdout": output.out,
        "stderr": output.err,
        "pages": "\n".join(page.content.decode() for page in pages),
        "database": _all_database_text(),
    }
    for place, text in places.items():
        assert SENTINEL not in text, place
    # the journal really holds the exchanges, the echo included (so the check above had something to look at)
    assert JournalEntry.objects.filter(remote_run__isnull=False).count() >= 10
    assert "may not create" in places["database"] and "«redacted»" in places["database"]
