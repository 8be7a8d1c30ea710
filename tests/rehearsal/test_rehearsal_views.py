"""The rehearsal screens over the built-in sandbox: who may, the plan, the run, the report, the clean-up."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orchestrator.models import Rehearsal, SandboxRecord
from tests.factories import make_user

from .conftest import OPPORTUNITY, QUALIFY

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
FORM = {"stage": QUALIFY, "record": str(OPPORTUNITY), "b2c_record": "", "cx_connection": "default",
        "b2c_connection": "default"}  # fmt: skip


def client_for(role):
    client = Client()
    client.force_login(make_user(role))
    return client


def test_who_may_rehearse(demo):
    page = reverse("rehearsal_page", args=[demo.number])
    response = Client().get(page)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    for role in ("Viewer", "Designer"):
        client = client_for(role)
        assert client.get(page).status_code == 403
        assert client.post(reverse("rehearsal_start", args=[demo.number]), FORM).status_code == 403
    assert not Rehearsal.objects.exists()
    for role in ("Reviewer", "Publisher"):
        assert client_for(role).get(page + f"?stage={QUALIFY}").status_code == 200
    assert "Rehearse<span" in client_for("Reviewer").get(reverse("designer", args=[demo.number])).content.decode()
    assert "rehearse-link" not in client_for("Designer").get(reverse("designer", args=[demo.number])).content.decode()


def test_csrf_is_required(demo):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user("Reviewer"))
    assert strict.post(reverse("rehearsal_plan", args=[demo.number]), FORM, headers=HTMX).status_code == 403
    token = str(strict.get(reverse("rehearsal_page", args=[demo.number])).context["csrf_token"])
    response = strict.post(reverse("rehearsal_plan", args=[demo.number]), FORM, headers={**HTMX, "X-CSRFToken": token})
    assert response.status_code == 200


def test_the_plan_and_bad_input_beside_the_field(demo):
    client = client_for("Reviewer")
    url = reverse("rehearsal_plan", args=[demo.number])
    response = client.post(url, FORM, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "4 records to create, 0 already there, 1 step creating nothing." in html
    assert "nothing to create" in html and not SandboxRecord.objects.exists()
    response = client.post(url, {**FORM, "record": "12ab"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 422 and 'class="field-error"' in html and "whole number" in html
    response = client.post(url, {**FORM, "stage": "NOPE"}, headers=HTMX)
    assert response.status_code == 422 and "Select a valid choice" in response.content.decode()
    response = client.post(url, {**FORM, "cx_connection": "nowhere"}, headers=HTMX)
    assert response.status_code == 422
    assert client.get(url).status_code == 405
    assert client.get(reverse("rehearsal_page", args=["ORCH-NOPE"])).status_code == 404
    assert client.get(reverse("rehearsal_report", args=[999])).status_code == 404


def test_rehearse_read_the_report_and_clean_up_in_the_sandbox(demo):
    client = client_for("Publisher")
    response = client.post(reverse("rehearsal_start", args=[demo.number]), FORM, headers=HTMX)
    assert response.status_code == 204
    rehearsal = Rehearsal.objects.get()
    assert response["HX-Redirect"] == reverse("rehearsal_report", args=[rehearsal.pk])
    assert SandboxRecord.objects.count() == 4  # the test settings run the task at once
    html = client.get(reverse("rehearsal_report", args=[rehearsal.pk])).content.decode()
    assert "Rehearsed: 4 record(s) created, 0 already there." in html
    assert (
        html.count('data-record-status="created"') == 4
        and "sandbox://builtin/services/rest/connect/v1.4/tasks/" in html
    )
    assert 'id="journal"' in html and "OSvC-CREST-Application-Context: Orchestrator rehearsal" in html
    sandbox = client.get(reverse("sandbox")).content.decode()
    assert sandbox.count(f'href="{reverse("rehearsal_report", args=[rehearsal.pk])}"') == 4

    response = client.post(reverse("rehearsal_cleanup", args=[rehearsal.pk]))
    assert response.status_code == 302 and not SandboxRecord.objects.exists()
    html = client.get(reverse("rehearsal_report", args=[rehearsal.pk])).content.decode()
    assert "Cleaned up: 4 record(s) deleted." in html and 'id="cleanup-button"' not in html


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_report_costs_the_same_whatever_was_created(demo):
    client = client_for("Reviewer")
    client.post(reverse("rehearsal_start", args=[demo.number]), FORM)
    small = Rehearsal.objects.get()
    client.post(reverse("rehearsal_start", args=[demo.number]), {**FORM, "stage": ""})
    large = Rehearsal.objects.exclude(pk=small.pk).get()
    assert large.records.count() > small.records.count()
    assert count_queries(client, reverse("rehearsal_report", args=[small.pk])) == count_queries(
        client, reverse("rehearsal_report", args=[large.pk])
    )
    assert count_queries(client, reverse("rehearsal_page", args=[demo.number])) <= 12


def test_the_report_and_the_cleanup_are_for_rehearsers_only(demo):
    reviewer = client_for("Reviewer")
    reviewer.post(reverse("rehearsal_start", args=[demo.number]), FORM)
    rehearsal = Rehearsal.objects.get()
    report, cleanup = (reverse(name, args=[rehearsal.pk]) for name in ("rehearsal_report", "rehearsal_cleanup"))
    response = Client().post(cleanup)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    for role in ("Viewer", "Designer"):
        assert client_for(role).get(report).status_code == 403
        assert client_for(role).post(cleanup).status_code == 403
    assert SandboxRecord.objects.count() == 4
    assert reviewer.get(cleanup).status_code == 405
    assert reviewer.post(reverse("rehearsal_cleanup", args=[999])).status_code == 404
    assert reviewer.post(cleanup).status_code == 302 and not SandboxRecord.objects.exists()
    response = reviewer.post(cleanup, follow=True)
    assert "is already cleaned up" in response.content.decode()


def test_an_archived_orchestration_is_refused_above_the_form(demo):
    demo.status = "ARCHIVED"
    demo.save(update_fields=["status"])
    response = client_for("Publisher").post(reverse("rehearsal_start", args=[demo.number]), FORM, headers=HTMX)
    assert response.status_code == 422 and "is archived" in response.content.decode()
    assert not Rehearsal.objects.exists()
