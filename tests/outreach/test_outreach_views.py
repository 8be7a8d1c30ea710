"""The Outreach screens: sync page, plan, sync, a sync's page, the check, a draft from Outreach; who may do what."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orchestrator.models import (
    JournalEntry,
    Orchestration,
    OutreachStageLink,
    PublishRunStatus,
    RemoteRun,
    RemoteRunKind,
    SandboxOutreachStage,
)
from orchestrator.remote.client import RemoteClient
from orchestrator.remote.connections import SANDBOX_BASE_URL, Connection
from orchestrator.remote.outreach import OutreachApi
from orchestrator.services.outreach_sync import outreach_sync
from tests.factories import build_orchestration, make_user

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def publisher_client(publisher):
    return client_for(publisher)


@pytest.fixture
def designer_client(designer):
    return client_for(designer)


@pytest.fixture
def reviewer_client(reviewer):
    return client_for(reviewer)


@pytest.fixture
def csrf_client(publisher):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(publisher)
    return strict


@pytest.fixture
def orch():
    orch = build_orchestration(stages=3)
    orch.stages.filter(display_sequence=2).update(outreach_color="#59a14f", outreach_is_closed=False)
    return orch


@pytest.fixture
def sandbox_outreach():
    """The built-in sandbox's Outreach (the `default` connection when OUTREACH_BASE_URL is unset)."""
    client = RemoteClient(Connection("default", SANDBOX_BASE_URL, system="outreach"))
    try:
        yield OutreachApi(client)
    finally:
        client.close()


def page_url(orch):
    return reverse("outreach_page", args=[orch.number])


def plan_url(orch):
    return reverse("outreach_plan", args=[orch.number])


def sync_url(orch):
    return reverse("outreach_sync", args=[orch.number])


def test_the_urls_are_named(orch):
    assert page_url(orch) == f"/orchestrations/{orch.number}/outreach/"
    assert plan_url(orch).endswith("/outreach/plan/") and sync_url(orch).endswith("/outreach/sync/")
    assert reverse("outreach_run", args=[7]) == "/outreach/runs/7/"
    assert reverse("outreach_import") == "/outreach/new-orchestration/"
    assert reverse("outreach_check", args=["eu"]) == "/connections/outreach/eu/check/"


# -- the sync page ------------------------------------------------------------------------------------------------


def test_the_sync_page_lists_the_stages_with_their_outreach_settings(publisher_client, orch):
    html = publisher_client.get(page_url(orch)).content.decode()
    assert "<h1>Sync Test playbook to Outreach</h1>" in html
    assert "default (built-in sandbox)" in html
    assert "<code>#59a14f</code>" in html and 'fill="#59a14f"' in html  # an SVG swatch: no inline style
    assert html.count("not synced yet") == 3
    assert "Read the plan from default" in html
    assert "style=" not in html.split('id="main"', 1)[1] and "<script>" not in html


@pytest.mark.parametrize("role_client", ["designer_client", "reviewer_client", "publisher_client"])
def test_everyone_who_works_on_a_playbook_reads_the_sync_page(request, role_client, orch):
    assert request.getfixturevalue(role_client).get(page_url(orch)).status_code == 200


def test_the_sync_page_needs_a_login_and_a_role(viewer_client, orch):
    response = Client().get(page_url(orch))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert viewer_client.get(page_url(orch)).status_code == 403


def test_unknown_orchestration_and_connection(publisher_client, orch):
    assert publisher_client.get(reverse("outreach_page", args=["ORCH-NOPE"])).status_code == 404
    response = publisher_client.get(page_url(orch), {"connection": "nowhere"})
    assert (
        response.status_code == 422 and "There is no Outreach connection called “nowhere”" in response.content.decode()
    )


def test_the_picker_answers_the_fragment_to_htmx(publisher_client, orch):
    response = publisher_client.get(page_url(orch), headers={**HTMX, "HX-Target": "outreach-sync"})
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="outreach-sync">')
    assert "<html" not in html


# -- the plan -----------------------------------------------------------------------------------------------------


def test_a_plan_reads_outreach_and_lists_creates_updates_and_extras(publisher_client, orch, sandbox_outreach):
    sandbox_outreach.create_stage({"name": "stage 2", "order": 9})
    sandbox_outreach.create_stage({"name": "Closed Lost", "order": 10, "isClosed": True})
    response = publisher_client.post(plan_url(orch), {"connection": "default"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 to create, 1 to update, 0 unchanged, 1 extra kept in Outreach." in html
    assert re.findall(r'data-action="(\w+)"', html) == ["create", "update", "create", "extra"]
    assert "name stage 2 → Stage 2; order 9 → 2; colour (none) → #59a14f; closing (none) → no" in html
    assert "name Stage 1; order 1" in html  # a create says what it sends
    assert 'name="delete" value="2" form="outreach-sync-form"' in html
    assert "Delete “Closed Lost” from Outreach" in html and "Sync to default" in html
    plan = RemoteRun.objects.get(kind=RemoteRunKind.OUTREACH_SYNC)
    assert plan.dry_run and plan.status == PublishRunStatus.DONE
    assert SandboxOutreachStage.objects.count() == 2  # nothing written


def test_designers_read_the_plan_but_do_not_get_the_sync_controls(designer_client, orch, sandbox_outreach):
    sandbox_outreach.create_stage({"name": "Closed Lost", "order": 10})
    html = designer_client.post(plan_url(orch), {"connection": "default"}, headers=HTMX).content.decode()
    assert "1 extra kept in Outreach" in html
    assert 'name="delete"' not in html and "outreach-sync-form" not in html and "Publishers sync." in html


def test_a_plan_needs_a_connection_a_role_and_csrf(publisher_client, viewer_client, csrf_client, orch):
    assert publisher_client.post(plan_url(orch), {}, headers=HTMX).status_code == 422
    response = publisher_client.post(plan_url(orch), {"connection": "nowhere"}, headers=HTMX)
    assert response.status_code == 422 and "no Outreach connection called" in response.content.decode()
    assert viewer_client.post(plan_url(orch), {"connection": "default"}).status_code == 403
    assert publisher_client.get(plan_url(orch)).status_code == 405
    assert csrf_client.post(plan_url(orch), {"connection": "default"}, headers=HTMX).status_code == 403
    token = str(csrf_client.get(page_url(orch)).context["csrf_token"])
    response = csrf_client.post(plan_url(orch), {"connection": "default"}, headers={**HTMX, "X-CSRFToken": token})
    assert response.status_code == 200


def test_a_remote_failure_during_the_plan_is_said_in_place(publisher_client, orch, outreach_server, monkeypatch):
    from tests.fakes.fixtures import use_outreach

    use_outreach(monkeypatch, outreach_server, token="wrong")
    response = publisher_client.post(plan_url(orch), {"connection": "ci"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in html
    assert "Outreach connection ci refused the token (HTTP 401)" in html


# -- the sync -----------------------------------------------------------------------------------------------------


def test_a_publisher_syncs_and_lands_on_the_result(publisher_client, orch, sandbox_outreach):
    extra = sandbox_outreach.create_stage({"name": "Closed Lost", "order": 10})
    response = publisher_client.post(sync_url(orch), {"connection": "default", "delete": [str(extra.id)]}, headers=HTMX)
    run = RemoteRun.objects.get(dry_run=False)
    assert response.status_code == 204 and response["HX-Redirect"] == reverse("outreach_run", args=[run.pk])
    assert run.status == PublishRunStatus.DONE and run.options["delete_ids"] == [extra.id]
    assert [s.name for s in sandbox_outreach.list_stages()] == ["Stage 1", "Stage 2", "Stage 3"]
    assert OutreachStageLink.objects.filter(connection_name="default").count() == 3
    html = publisher_client.get(reverse("outreach_run", args=[run.pk])).content.decode()
    assert "Synced: 3 created, 0 updated, 1 deleted, 0 unchanged." in html
    assert html.count("✓ Done") == 4 and 'id="journal"' in html
    assert html.count('class="exchange"') == JournalEntry.objects.filter(remote_run=run).count() == 5


def test_a_plain_post_redirects(publisher_client, orch):
    response = publisher_client.post(sync_url(orch), {"connection": "default"})
    run = RemoteRun.objects.get(dry_run=False)
    assert response.status_code == 302 and response["Location"] == reverse("outreach_run", args=[run.pk])


def test_syncing_is_for_publishers_with_a_csrf_token(designer_client, reviewer_client, csrf_client, orch):
    assert designer_client.post(sync_url(orch), {"connection": "default"}).status_code == 403
    assert reviewer_client.post(sync_url(orch), {"connection": "default"}).status_code == 403
    assert csrf_client.post(sync_url(orch), {"connection": "default"}, headers=HTMX).status_code == 403
    assert not RemoteRun.objects.exists()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"connection": "nowhere"}, "no Outreach connection called"),
        ({}, "This field is required."),
        ({"connection": "default", "delete": ["12a"]}, "12a&#x27; is not an Outreach stage id."),
    ],
)
def test_bad_sync_requests_are_a_422_and_start_nothing(publisher_client, orch, data, words):
    response = publisher_client.post(sync_url(orch), data, headers=HTMX)
    assert response.status_code == 422 and words in response.content.decode()
    assert not RemoteRun.objects.exists()


def test_a_second_click_joins_the_sync_under_way(publisher_client, orch):
    active = RemoteRun.objects.create(
        kind=RemoteRunKind.OUTREACH_SYNC, system="outreach", orchestration=orch, status=PublishRunStatus.RUNNING
    )
    response = publisher_client.post(sync_url(orch), {"connection": "default"})
    assert response["Location"] == reverse("outreach_run", args=[active.pk])
    assert RemoteRun.objects.count() == 1


# -- a sync's page ------------------------------------------------------------------------------------------------


def test_a_refused_stage_shows_outreach_s_answer_beside_it(designer_client, orch, outreach_server, ci):
    outreach_server.refuse_stage("Stage 2", "is reserved")
    run = outreach_sync(orchestration=orch, connection_name="ci")
    html = designer_client.get(reverse("outreach_run", args=[run.pk])).content.decode()
    row = html.split('id="sync-line-2"', 1)[1].split("</tr>", 1)[0]
    assert "✗ Refused" in row and "HTTP 422: name: is reserved" in row and "<code>/data/attributes/name</code>" in row
    assert "Partly published" in html  # the shared status words
    assert outreach_server.token not in html


def test_the_run_page_polls_while_the_sync_runs_and_stops_after(designer_client, orch):
    run = RemoteRun.objects.create(
        kind=RemoteRunKind.OUTREACH_SYNC, system="outreach", orchestration=orch, status=PublishRunStatus.QUEUED
    )
    url = reverse("outreach_run", args=[run.pk])
    html = designer_client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in html and "Queued: waiting for a worker" in html
    polled = designer_client.get(url, headers={**HTMX, "HX-Target": "sync-progress"}).content.decode()
    assert polled.lstrip().startswith('<section id="sync-progress"') and 'id="journal"' not in polled
    RemoteRun.objects.filter(pk=run.pk).update(status=PublishRunStatus.DONE, message="Nothing to change.")
    polled = designer_client.get(url, headers={**HTMX, "HX-Target": "sync-progress"}).content.decode()
    assert "every 1s" not in polled and 'id="journal" class="journal"' in polled and 'hx-swap-oob="true"' in polled


def test_the_run_page_needs_a_role_and_an_existing_sync(viewer_client, designer_client, orch):
    run = RemoteRun.objects.create(kind=RemoteRunKind.OUTREACH_SYNC, system="outreach", orchestration=orch)
    assert viewer_client.get(reverse("outreach_run", args=[run.pk])).status_code == 403
    assert designer_client.get(reverse("outreach_run", args=[run.pk + 1])).status_code == 404
    polled = designer_client.get(
        reverse("outreach_run", args=[run.pk + 1]), headers={**HTMX, "HX-Target": "sync-progress"}
    )
    assert polled.status_code == 286


# -- the connections page and the check ---------------------------------------------------------------------------


def test_the_connections_page_lists_outreach_connections_with_a_check(publisher_client, designer_client, monkeypatch):
    monkeypatch.setenv("OUTREACH_CONNECTIONS", "eu,us")
    monkeypatch.setenv("OUTREACH_EU_BASE_URL", "https://eu.example.com/api/v2")
    monkeypatch.setenv("OUTREACH_EU_TOKEN", "tok-SENTINEL-eu")
    monkeypatch.setenv("OUTREACH_US_BASE_URL", "https://us.example.com/api/v2")
    html = publisher_client.get(reverse("connections")).content.decode()
    assert 'id="outreach-connection-default"' in html and "<code>https://eu.example.com/api/v2</code>" in html
    assert "Not usable: Outreach connection &#x27;us&#x27;: OUTREACH_US_TOKEN is not set" in html
    assert 'href="/connections/outreach/eu/check/"' in html and 'href="/connections/outreach/us/check/"' not in html
    assert "tok-SENTINEL-eu" not in html
    assert "/connections/outreach/" not in designer_client.get(reverse("connections")).content.decode()


def test_the_check_reads_one_page_of_stages(publisher_client, outreach_server, ci):
    outreach_server.emulator.max_page_size = 2
    for i in range(3):
        outreach_server.add_stage(f"S{i}", order=i)
    response = publisher_client.get(reverse("outreach_check", args=["ci"]), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<section class="check-report"')
    assert "holds 2 opportunity stage(s) and more on further pages" in html
    assert outreach_server.writes == [] and len(outreach_server.requests) == 1
    assert outreach_server.requests[0].query == {"page[size]": "50"}


def test_the_check_says_what_is_wrong(publisher_client, outreach_server, monkeypatch):
    from tests.fakes.fixtures import use_outreach

    use_outreach(monkeypatch, outreach_server, token="wrong")
    html = publisher_client.get(reverse("outreach_check", args=["ci"]), headers=HTMX).content.decode()
    assert "Outreach connection ci refused the token (HTTP 401)." in html
    outreach_server.stop()
    html = publisher_client.get(reverse("outreach_check", args=["ci"]), headers=HTMX).content.decode()
    assert "Outreach connection ci is unreachable: connection refused" in html


def test_the_check_is_for_publishers_and_known_connections(publisher_client, designer_client):
    assert designer_client.get(reverse("outreach_check", args=["default"])).status_code == 403
    response = publisher_client.get(reverse("outreach_check", args=["nowhere"]), headers=HTMX)
    assert response.status_code == 422
    plain = publisher_client.get(reverse("outreach_check", args=["default"]))
    assert plain.status_code == 200 and "<h1>Connections</h1>" in plain.content.decode()
    assert "holds no opportunity stages yet" in plain.content.decode()


# -- a new draft from Outreach --------------------------------------------------------------------------------------


def test_a_designer_starts_a_draft_from_outreach(designer_client, sandbox_outreach):
    sandbox_outreach.create_stage({"name": "Prospect", "order": 1, "color": "#4e79a7"})
    sandbox_outreach.create_stage({"name": "Closed Won", "order": 2, "isClosed": True})
    form = designer_client.get(reverse("outreach_import"), headers=HTMX).content.decode()
    assert form.lstrip().startswith('<form id="outreach-import-form"') and 'value="ORCH-' in form
    response = designer_client.post(
        reverse("outreach_import"),
        {"connection": "default", "number": "ORCH-FROM-OUT", "name": "Outreach"},
        headers=HTMX,
    )
    assert response.status_code == 204 and response["HX-Redirect"] == reverse("designer", args=["ORCH-FROM-OUT"])
    html = designer_client.get(response["HX-Redirect"]).content.decode()
    assert "Created the draft Outreach (ORCH-FROM-OUT) with 2 stage(s)" in html
    assert 'Stage <span class="counter">2</span>:</span> Closed Won' in html
    assert "closing stage" in html and 'fill="#4e79a7"' in html
    assert "has no objective" in html  # the problems panel says what is missing


def test_the_import_form_refuses_bad_input_in_place(designer_client, sandbox_outreach):
    taken = build_orchestration(stages=1).number
    response = designer_client.post(
        reverse("outreach_import"), {"connection": "default", "number": taken, "name": "X"}, headers=HTMX
    )
    assert response.status_code == 422 and "already used" in response.content.decode()
    response = designer_client.post(
        reverse("outreach_import"), {"connection": "default", "number": "ORCH-NEW", "name": "X"}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 422 and "holds no opportunity stages" in html and 'role="alert"' in html
    response = designer_client.post(
        reverse("outreach_import"), {"connection": "nowhere", "number": "ORCH-NEW", "name": "X"}
    )
    assert response.status_code == 422 and "Select a valid choice" in response.content.decode()
    assert not Orchestration.objects.filter(number="ORCH-NEW").exists()


def test_the_import_is_for_designers(publisher_client, viewer_client):
    assert publisher_client.get(reverse("outreach_import")).status_code == 403
    assert viewer_client.post(reverse("outreach_import"), {}).status_code == 403
    assert Client().get(reverse("outreach_import")).status_code == 302
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user("Designer"))
    assert strict.post(reverse("outreach_import"), {"connection": "default"}, headers=HTMX).status_code == 403


def test_the_list_offers_the_import_to_designers_only(designer_client, viewer_client):
    assert "New from Outreach stages</a>" in designer_client.get(reverse("orchestration_list")).content.decode()
    assert "New from Outreach stages" not in viewer_client.get(reverse("orchestration_list")).content.decode()


def test_the_designer_links_to_the_sync_page(designer_client, viewer_client, orch):
    assert page_url(orch) in designer_client.get(reverse("designer", args=[orch.number])).content.decode()
    assert page_url(orch) not in viewer_client.get(reverse("designer", args=[orch.number])).content.decode()


# -- query counts do not grow with the orchestration -----------------------------------------------------------------


def count_queries(client, method, url, data=None, headers=None):
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data or {}, headers=headers or {})
    assert response.status_code in (200, 204), response.content[:500]
    return len(queries)


@pytest.mark.parametrize(
    "screen",
    [
        lambda c, o, run: count_queries(c, "get", page_url(o)),
        lambda c, o, run: count_queries(c, "get", reverse("outreach_run", args=[run.pk])),
    ],
)
def test_query_counts_do_not_grow_with_the_orchestration(publisher_client, screen):
    counts = []
    for size in (2, 8):
        SandboxOutreachStage.objects.all().delete()
        OutreachStageLink.objects.all().delete()
        orch = build_orchestration(stages=size)
        run = outreach_sync(orchestration=orch)
        assert run.status == PublishRunStatus.DONE
        counts.append(screen(publisher_client, orch, run))
    assert counts[0] == counts[1]


def test_the_plan_costs_the_same_queries_per_request_whatever_the_size(publisher_client):
    """A plan writes one run and one journal row per request it makes: neither grows with the stages (one page)."""
    counts = []
    for size in (2, 8):
        orch = build_orchestration(stages=size)
        counts.append(count_queries(publisher_client, "post", plan_url(orch), {"connection": "default"}, HTMX))
    assert counts[0] == counts[1]


def test_what_changes_reads_in_a_fixed_order_whatever_order_the_database_keeps():
    """PostgreSQL's jsonb hands keys back shortest first (name, color, order, isClosed): the page must not care."""
    from orchestrator.views.outreach import _change_text

    as_jsonb_keeps_them = {
        "action": "update",
        "changes": {"name": ["a", "A"], "color": [None, "#59a14f"], "order": [9, 2], "isClosed": [None, False]},
    }
    assert _change_text(as_jsonb_keeps_them) == [
        "name a → A",
        "order 9 → 2",
        "colour (none) → #59a14f",
        "closing (none) → no",
    ]
    create = {"action": "create", "send": {"name": "B", "color": "#aabbcc", "order": 1}}
    assert _change_text(create) == ["name B", "order 1", "colour #aabbcc"]
