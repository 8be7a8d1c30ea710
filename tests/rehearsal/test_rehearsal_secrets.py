"""Credentials of the CX Sales and B2C Service connections never appear in logs, pages, the journal or the tables."""

import base64
import json
import logging

import pytest
from django.core import serializers
from django.test import Client
from django.urls import reverse

from orchestrator.models import JournalEntry, Rehearsal, RehearsalRecord, RemoteRun
from orchestrator.services.rehearsal import rehearsal_cleanup, rehearsal_request, rehearse
from tests.factories import make_user
from tests.fakes.b2c_server import PASSWORD as B2C_PASSWORD
from tests.fakes.b2c_server import USERNAME as B2C_USERNAME
from tests.fakes.cx_server import PASSWORD as CX_PASSWORD

from .conftest import OPPORTUNITY, QUALIFY

pytestmark = pytest.mark.django_db


def forms_of(secret: str, user: str) -> list[str]:
    return [secret, base64.b64encode(f"{user}:{secret}".encode()).decode(), base64.b64encode(secret.encode()).decode()]


def test_no_credential_anywhere(demo, ci, cx_server, b2c_server, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    # A site that echoes the credential in its error: the run records the message, scrubbed.
    b2c_server.fail(
        "POST", r"/tasks$", status=400, body={"status": 400, "detail": f"bad user {B2C_USERNAME}:{B2C_PASSWORD}"}
    )
    request = rehearsal_request(
        orchestration=demo, stage_number=QUALIFY, record=OPPORTUNITY, cx_connection="ci", b2c_connection="ci"
    )
    rehearsal, run = rehearse(request)
    assert run.status == "partial"
    rehearse(request)
    rehearsal_cleanup(rehearsal)

    client = Client()
    client.force_login(make_user("Reviewer"))
    pages = [
        client.get(reverse("rehearsal_report", args=[rehearsal.pk])).content.decode(),
        client.get(reverse("rehearsal_page", args=[demo.number])).content.decode(),
        client.get(reverse("sandbox")).content.decode(),
    ]
    tables = serializers.serialize(
        "json",
        [
            *Rehearsal.objects.all(),
            *RehearsalRecord.objects.all(),
            *RemoteRun.objects.all(),
            *JournalEntry.objects.all(),
        ],
    )
    authorizations = [e.request_headers.get("Authorization", "") for e in JournalEntry.objects.all()]
    assert len(authorizations) >= 6 and all("redacted" in value for value in authorizations)
    texts = [*pages, tables, caplog.text, capsys.readouterr().out, json.dumps(run.lines)]
    assert "«redacted»" in tables
    for secret, user in ((B2C_PASSWORD, B2C_USERNAME), (CX_PASSWORD, cx_server.username)):
        for form in forms_of(secret, user):
            for text in texts:
                assert form not in text
