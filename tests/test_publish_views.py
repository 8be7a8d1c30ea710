"""The publish screens: plan page, start, run page with polling and journal, resume, cancel, runs, connections, pull.

Tasks run inline (ImmediateBackend in settings_test), so a POST to start a
publish returns once the run has finished; runs "in progress" are made
directly in the database.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orchestrator.models import (
    JournalEntry,
    Orchestration,
    PublishAction,
    PublishRun,
    PublishRunStatus,
    PublishStage,
    PublishStageStatus,
    Stage,
)
from orchestrator.models.sandbox import SandboxStage
from orchestrator.selectors import orchestration_tree
from orchestrator.services.review import content_hash
from tests.factories import build_orchestration
from tests.fakes.cx_server import PASSWORD

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _client_for(user) -> Client:
    # A Client of its own per role: tests mixing roles must not share one session.
    role_client = Client()
    role_client.force_login(user)
    return role_client


@pytest.fixture
def publisher_client(publisher):
    return _client_for(publisher)


@pytest.fixture
def designer_client(designer):
    return _client_for(designer)


@pytest.fixture
def viewer_client(viewer):
    return _client_for(viewer)


@pytest.fixture
def csrf_client(publisher):
    """A client that enforces CSRF like a browser session would."""
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(publisher)
    return strict


@pytest.fixture
def ci(monkeypatch, cx_server, settings):
    """Connection `ci` to the loopback fake CX server, configured through the environment."""
    settings.CX_CLIENT_OPTIONS = {"connect_timeout": 1.0, "read_timeout": 2.0, "max_attempts": 2, "backoff_base": 0.01}
    monkeypatch.setenv("CX_CONNECTIONS", "ci")
    monkeypatch.setenv("CX_CI_BASE_URL", cx_server.url)
    monkeypatch.setenv("CX_CI_USERNAME", cx_server.username)
    monkeypatch.setenv("CX_CI_PASSWORD", cx_server.password)
    # These tests are about publishing itself; the approval gate has its own (tests/test_publish_gate.py).
    monkeypatch.setenv("CX_CI_REQUIRE_APPROVAL", "false")
    return "ci"


def page_url(orch):
    return reverse("publish_page", args=[orch.number])


def start_url(orch):
    return reverse("publish_start", args=[orch.number])


def confirmed(orch, connection="default") -> dict:
    """The publish form as a publisher sends it after confirming the unapproved content (an ungated connection)."""
    return {"connection": connection, "confirm_unapproved": content_hash(orchestration_tree(orch.number))}


def run_url(run):
    return reverse("publish_run", args=[run.pk])


def make_run(orch, status=PublishRunStatus.RUNNING, *, stages=3, heartbeat_age=0, **fields):
    """A run as a worker would leave it, without any remote: `stages` rows, the first one done."""
    now = timezone.now()
    run = PublishRun.objects.create(
        orchestration=orch,
        status=status,
        connection_name="default",
        started_at=now,
        heartbeat_at=now - timedelta(seconds=heartbeat_age),
        **fields,
    )
    for position in range(1, stages + 1):
        PublishStage.objects.create(
            run=run,
            position=position,
            stage_number=f"STG-{position}",
            stage_name=f"Stage {position}",
            action=PublishAction.CREATE,
            status=PublishStageStatus.DONE if position == 1 else PublishStageStatus.PLANNED,
        )
    return run


# -- the publish page ---------------------------------------------------------------------------------------------


def test_the_publish_page_shows_the_connections_the_plan_and_the_publish_button(publisher_client, orchestration):
    response = publisher_client.get(page_url(orchestration))
    assert response.status_code == 200
    html = response.content.decode()
    assert "default (built-in sandbox)" in html
    assert "3 to create, 0 to update, 0 to delete, 0 unchanged" in html
    assert html.count('class="plan-create"') == 3
    assert 'id="publish-button"' in html and "disabled" not in html.split('id="publish-button"')[1][:40]
    assert "Not published yet." in html
    # Pulling would replace the draft: not offered without Designer rights (tests/test_connections_pull.py).
    assert f"Pull {orchestration.number} from default" not in html


def test_the_plan_fragment_answers_an_htmx_change_of_connection(publisher_client, orchestration, ci):
    url = page_url(orchestration)
    response = publisher_client.get(url, {"connection": "ci"}, headers={**HTMX, "HX-Target": "plan"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="plan">')
    assert "<html" not in html
    assert "Publish to ci" in html
    assert "Basic (user name and password)" in html


def test_readers_see_the_plan_but_no_publish_or_pull_controls(designer_client, orchestration):
    response = designer_client.get(page_url(orchestration))
    assert response.status_code == 200
    html = response.content.decode()
    assert "3 to create" in html
    assert "publish-button" not in html
    assert "pull_orchestration" not in html and "/connections/pull/" not in html


def test_viewers_may_not_see_publish_pages(viewer_client, orchestration):
    assert viewer_client.get(page_url(orchestration)).status_code == 403


def test_anonymous_users_are_sent_to_the_login_page(client, orchestration):
    response = client.get(page_url(orchestration))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_unknown_connection_in_the_address_is_a_clear_4xx(publisher_client, orchestration):
    response = publisher_client.get(page_url(orchestration), {"connection": "nope"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "There is no connection called “nope”. Configured: default." in html
    assert "publish-button" not in html


def test_an_unknown_orchestration_is_a_clear_404(publisher_client):
    response = publisher_client.get(reverse("publish_page", args=["ORCH-NOPE"]))
    assert response.status_code == 404
    assert "There is no orchestration numbered “ORCH-NOPE”." in response.content.decode()


def test_a_draft_with_problems_disables_publish_with_the_reason_and_a_way_back(publisher_client, orchestration):
    Stage.objects.filter(orchestration=orchestration, display_sequence=2).update(name="")
    response = publisher_client.get(page_url(orchestration))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Publishing is not possible yet" in html
    assert 'id="publish-button" disabled' in html
    assert "Disabled: fix the problems above first." in html
    assert reverse("designer", args=[orchestration.number]) + "#stage-" in html


def test_a_connection_with_broken_settings_is_listed_and_cannot_be_chosen(publisher_client, orchestration, monkeypatch):
    monkeypatch.setenv("CX_CONNECTIONS", "prod")
    monkeypatch.setenv("CX_PROD_BASE_URL", "http://169.254.169.254/")
    response = publisher_client.get(page_url(orchestration))
    assert response.status_code == 200
    html = response.content.decode()
    assert "prod (not usable: settings incomplete)" in html
    assert '<option value="prod" disabled>' in html
    response = publisher_client.get(page_url(orchestration), {"connection": "prod"})
    assert response.status_code == 422
    assert "Connection prod cannot be used" in response.content.decode()


# -- starting a publish --------------------------------------------------------------------------------------------


def test_publishing_queues_a_run_and_lands_on_its_page(publisher_client, orchestration, publisher):
    response = publisher_client.post(start_url(orchestration), confirmed(orchestration, "default"))
    run = PublishRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == run_url(run)
    assert run.status == PublishRunStatus.DONE  # ImmediateBackend: the task ran inline
    assert run.started_by == publisher
    assert SandboxStage.objects.filter(orchestration__number=orchestration.number).count() == 3
    page = publisher_client.get(response["Location"]).content.decode()
    assert page.count("✓ Done") == 3
    # The run ended before the page was shown: the outcome, not a stale "Publishing…", on load and on reload.
    for html in (page, publisher_client.get(response["Location"]).content.decode()):
        assert "Publishing" not in html
        assert f'aria-live="polite">{run.message}</p>' in html


def test_htmx_publishing_redirects_the_whole_page(publisher_client, orchestration):
    response = publisher_client.post(start_url(orchestration), confirmed(orchestration, "default"), headers=HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == run_url(PublishRun.objects.get())


def test_a_double_click_lands_on_the_run_already_going(publisher_client, orchestration):
    running = make_run(orchestration)
    response = publisher_client.post(start_url(orchestration), {"connection": "default"})
    assert response.status_code == 302
    assert response["Location"] == run_url(running)
    assert PublishRun.objects.count() == 1
    page = publisher_client.get(response["Location"]).content.decode()
    assert "was already under way; here it is" in page


def test_an_unknown_connection_is_refused_with_a_message_and_no_run(publisher_client, orchestration):
    response = publisher_client.post(start_url(orchestration), {"connection": "prod"})
    assert response.status_code == 422
    assert "There is no connection called “prod”" in response.content.decode()
    assert not PublishRun.objects.exists()
    response = publisher_client.post(start_url(orchestration), {"connection": "prod"}, headers=HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="plan">')
    assert 'id="messages" role="status" aria-live="polite" hx-swap-oob="true"' in html


def test_publishing_an_unknown_orchestration_is_a_404(publisher_client):
    response = publisher_client.post(reverse("publish_start", args=["ORCH-NOPE"]), {"connection": "default"})
    assert response.status_code == 404


@pytest.mark.parametrize("role_client", ["designer_client", "viewer_client"])
def test_only_publishers_may_publish(request, role_client, orchestration):
    response = request.getfixturevalue(role_client).post(start_url(orchestration), {"connection": "default"})
    assert response.status_code == 403
    assert not PublishRun.objects.exists()


def test_anonymous_publish_is_sent_to_login(client, orchestration):
    response = client.post(start_url(orchestration), {"connection": "default"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not PublishRun.objects.exists()


def test_publish_needs_the_csrf_token(csrf_client, orchestration):
    assert csrf_client.post(start_url(orchestration), {"connection": "default"}).status_code == 403
    assert not PublishRun.objects.exists()


def test_superusers_may_publish(client, admin_user, orchestration):
    client.force_login(admin_user)
    assert client.post(start_url(orchestration), confirmed(orchestration, "default")).status_code == 302
    assert PublishRun.objects.get().status == PublishRunStatus.DONE


# -- the run page --------------------------------------------------------------------------------------------------


def test_the_run_page_shows_each_stage_and_the_journal(publisher_client, orchestration):
    publisher_client.post(start_url(orchestration), confirmed(orchestration, "default"))
    run = PublishRun.objects.get()
    html = publisher_client.get(run_url(run)).content.decode()
    assert 'Status: <strong class="run-status status-done">Done</strong>' in html
    assert "hx-trigger" not in html  # finished: nothing polls
    journal = html.split('id="journal"')[1]
    assert journal.count('<tbody class="exchange">') == JournalEntry.objects.filter(run=run).count() == 6
    assert "<code>POST</code>" in journal and "/child/Stages" in journal
    assert "<details>" in journal and "Request body" in journal
    assert "OrchestrationStageNumber" in journal  # the stage bodies sent


def test_a_running_run_polls_every_second(publisher_client, orchestration):
    run = make_run(orchestration)
    html = publisher_client.get(run_url(run)).content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert f"Publishing {orchestration.name} to default: 1 of 3 stage(s) published." in html
    fragment = publisher_client.get(run_url(run), headers={**HTMX, "HX-Target": "progress"}).content.decode()
    assert fragment.lstrip().startswith('<section id="progress"')
    assert 'hx-trigger="every 1s"' in fragment
    assert 'id="journal"' not in fragment  # the journal comes once, with the last poll


def test_the_poll_stops_once_the_run_is_done_and_brings_the_journal(publisher_client, orchestration):
    run = make_run(orchestration)
    PublishStage.objects.filter(run=run).update(status=PublishStageStatus.DONE)
    PublishRun.objects.filter(pk=run.pk).update(
        status=PublishRunStatus.DONE, finished_at=timezone.now(), message="Published: 3 created."
    )
    JournalEntry.objects.create(run=run, method="POST", path="/orchestrations/X/child/Stages", status_code=201)
    fragment = publisher_client.get(
        run_url(run), {"seen": "running:1:3:0"}, headers={**HTMX, "HX-Target": "progress"}
    ).content.decode()
    assert "hx-trigger" not in fragment
    assert 'id="journal" class="journal" aria-labelledby="journal-title" hx-swap-oob="true"' in fragment
    assert '<p id="run-summary" class="run-summary" role="status" aria-live="polite" hx-swap-oob="innerHTML">' in (
        fragment
    )
    assert "Published: 3 created." in fragment


def test_a_queued_or_resumed_run_says_what_it_is_publishing(publisher_client, orchestration):
    run = make_run(orchestration, status=PublishRunStatus.QUEUED, stages=0)
    html = publisher_client.get(run_url(run)).content.decode()
    assert f"Publishing {orchestration.name} to default: queued, waiting for a worker to start it." in html
    PublishRun.objects.filter(pk=run.pk).update(status=PublishRunStatus.RUNNING, attempts=2)
    html = publisher_client.get(run_url(run)).content.decode()
    assert "(resumed: stages already done are not sent again)" in html


def test_the_poll_that_sees_the_end_clears_flashes_from_the_start(publisher_client, orchestration):
    running = make_run(orchestration)
    publisher_client.post(start_url(orchestration), {"connection": "default"})  # flashes "already under way"
    assert "already under way" in publisher_client.get(run_url(running)).content.decode()
    poll = {"headers": {**HTMX, "HX-Target": "progress"}}
    assert 'id="messages"' not in publisher_client.get(run_url(running), **poll).content.decode()  # still running
    PublishRun.objects.filter(pk=running.pk).update(
        status=PublishRunStatus.DONE, finished_at=timezone.now(), message="Published: 3 created."
    )
    fragment = publisher_client.get(run_url(running), {"seen": "running:1:3:0"}, **poll).content.decode()
    messages_box = fragment[fragment.index('<div id="messages"') :]
    assert 'hx-swap-oob="true"' in messages_box.split(">")[0]
    assert '<p class="message' not in messages_box and "already under way" not in fragment
    assert "Published: 3 created." in fragment


def test_an_unchanged_poll_does_not_repeat_the_announcement(publisher_client, orchestration):
    run = make_run(orchestration)
    first = publisher_client.get(run_url(run), headers={**HTMX, "HX-Target": "progress"}).content.decode()
    assert 'id="run-summary"' in first
    seen = first.split('"seen": "')[1].split('"')[0]
    again = publisher_client.get(run_url(run), {"seen": seen}, headers={**HTMX, "HX-Target": "progress"})
    assert 'id="run-summary"' not in again.content.decode()


def test_a_run_whose_worker_died_stops_polling_and_offers_resume(publisher_client, orchestration):
    run = make_run(orchestration, heartbeat_age=3600)
    html = publisher_client.get(run_url(run)).content.decode()
    assert "hx-trigger" not in html
    assert "stopped answering" in html
    assert 'id="resume-button"' in html
    assert "Cancel this run" in html


def test_a_failed_stage_shows_the_remote_message_escaped_and_truncated(publisher_client, orchestration):
    run = make_run(orchestration, status=PublishRunStatus.PARTIAL)
    message = "<script>alert('x')</script> StageName is too long. " + "x" * 2000
    PublishStage.objects.filter(run=run, position=2).update(
        status=PublishStageStatus.FAILED, remote_message=message, remote_status=400
    )
    html = publisher_client.get(run_url(run)).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; StageName is too long." in html
    assert "HTTP 400: " in html
    assert "x" * 700 not in html  # truncated
    assert "✗ Failed" in html
    assert 'id="resume-button"' in html


def test_a_poll_of_a_run_that_is_gone_tells_htmx_to_stop(publisher_client):
    response = publisher_client.get(reverse("publish_run", args=[31337]), headers={**HTMX, "HX-Target": "progress"})
    assert response.status_code == 286  # htmx stops polling on 286
    assert "Run #31337 no longer exists." in response.content.decode()


def test_readers_see_runs_without_resume_or_cancel(designer_client, orchestration):
    run = make_run(orchestration, heartbeat_age=3600)
    html = designer_client.get(run_url(run)).content.decode()
    assert "stopped answering" in html
    assert "resume-button" not in html and "Cancel this run" not in html


def test_an_unknown_run_is_a_clear_404(publisher_client):
    response = publisher_client.get(reverse("publish_run", args=[999999]))
    assert response.status_code == 404
    assert "There is no publish run #999999." in response.content.decode()


def test_run_pages_need_login_and_a_reading_role(client, viewer_client, orchestration):
    run = make_run(orchestration)
    assert viewer_client.get(run_url(run)).status_code == 403
    anonymous = Client().get(run_url(run))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))


def _run_page_queries(client, stages: int) -> int:
    orch = build_orchestration(stages=stages)
    assert client.post(start_url(orch), confirmed(orch, "default")).status_code == 302
    run = PublishRun.objects.filter(orchestration=orch).get()
    assert run.status == PublishRunStatus.DONE
    assert run.stages.count() == stages and run.journal.count() >= stages
    client.get(run_url(run))  # warm caches (session, permissions)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(run_url(run)).status_code == 200
    with CaptureQueriesContext(connection) as poll:
        client.get(run_url(run), headers={**HTMX, "HX-Target": "progress"})
    return len(ctx.captured_queries), len(poll.captured_queries)


def test_the_run_page_queries_do_not_grow_with_stages_or_journal_rows(publisher_client):
    small = _run_page_queries(publisher_client, 5)
    large = _run_page_queries(publisher_client, 20)
    assert small == large, (small, large)


# -- resume and cancel ---------------------------------------------------------------------------------------------


def test_resume_finishes_a_partial_publish_without_sending_done_stages_again(publisher_client, ci, cx_server):
    orch = build_orchestration(stages=3)
    refusal = "Refused: <b>StageName</b> is too long."
    cx_server.fail("POST", r"/child/Stages$", status=400, body=refusal, times=1)
    # The first stage POST fails: the run is partial at stage 1 with the remote's message beside it.
    publisher_client.post(start_url(orch), confirmed(orch, "ci"))
    run = PublishRun.objects.get()
    assert run.status == PublishRunStatus.PARTIAL
    html = publisher_client.get(run_url(run)).content.decode()
    assert "Refused: &lt;b&gt;StageName&lt;/b&gt; is too long." in html
    assert 'id="resume-button"' in html

    response = publisher_client.post(reverse("publish_resume", args=[run.pk]), confirmed(orch, "ci"))
    assert response.status_code == 302 and response["Location"] == run_url(run)
    run.refresh_from_db()
    assert run.status == PublishRunStatus.DONE
    assert cx_server.store.stage_numbers(orch.number) == [s.number for s in orch.stages.order_by("display_sequence")]
    html = publisher_client.get(run_url(run)).content.decode()
    assert "Resuming" not in html and "Publishing" not in html  # done: the outcome, not a stale flash
    assert f'aria-live="polite">{run.message}</p>' in html


def test_resuming_a_finished_run_is_refused_with_a_message(publisher_client, orchestration):
    run = make_run(orchestration, status=PublishRunStatus.DONE)
    response = publisher_client.post(reverse("publish_resume", args=[run.pk]))
    assert response.status_code == 409
    assert "there is nothing to resume" in response.content.decode()
    response = publisher_client.post(reverse("publish_resume", args=[run.pk]), headers=HTMX)
    assert response.status_code == 409
    assert response["HX-Retarget"] == "#progress"


def test_resume_checks_role_csrf_and_the_run(client, designer_client, csrf_client, publisher_client, orchestration):
    run = make_run(orchestration, status=PublishRunStatus.PARTIAL)
    url = reverse("publish_resume", args=[run.pk])
    assert designer_client.post(url).status_code == 403
    assert csrf_client.post(url).status_code == 403
    assert Client().post(url)["Location"].startswith(reverse("login"))
    response = publisher_client.post(reverse("publish_resume", args=[424242]))
    assert response.status_code == 404 and "There is no publish run #424242." in response.content.decode()
    run.refresh_from_db()
    assert run.status == PublishRunStatus.PARTIAL


def test_a_queued_run_can_be_cancelled_but_a_live_one_cannot(
    publisher_client, orchestration, designer_client, csrf_client
):
    queued = make_run(orchestration, status=PublishRunStatus.QUEUED)
    assert designer_client.post(reverse("publish_cancel", args=[queued.pk])).status_code == 403
    response = publisher_client.post(reverse("publish_cancel", args=[queued.pk]))
    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.status == PublishRunStatus.CANCELLED
    live = make_run(orchestration)
    url = reverse("publish_cancel", args=[live.pk])
    assert Client().post(url)["Location"].startswith(reverse("login"))
    assert csrf_client.post(url).status_code == 403
    assert publisher_client.post(reverse("publish_cancel", args=[424242])).status_code == 404
    response = publisher_client.post(url)
    assert response.status_code == 409
    assert "only a queued run, or one whose worker stopped answering, can be cancelled" in response.content.decode()


# -- runs list -----------------------------------------------------------------------------------------------------


def test_the_runs_list_shows_every_publish_of_the_orchestration(publisher_client, viewer_client, orchestration):
    other = build_orchestration(stages=1, name="Other")
    make_run(orchestration, status=PublishRunStatus.DONE, message="Published: all of it.")
    make_run(other, status=PublishRunStatus.DONE, message="Published: the other one.")
    url = reverse("publish_runs", args=[orchestration.number])
    html = publisher_client.get(url).content.decode()
    assert "Published: all of it." in html and "the other one" not in html
    assert viewer_client.get(url).status_code == 403
    assert Client().get(url)["Location"].startswith(reverse("login"))
    assert publisher_client.get(reverse("publish_runs", args=["ORCH-NOPE"])).status_code == 404


# -- connections and pull ------------------------------------------------------------------------------------------


def test_the_connections_page_lists_each_connection_without_secrets(publisher_client, ci, cx_server):
    html = publisher_client.get(reverse("connections")).content.decode()
    assert "Built-in sandbox" in html
    assert f"<code>{cx_server.url}</code>" in html
    assert "Basic (user name and password)" in html
    assert PASSWORD not in html


def test_a_broken_connection_is_shown_with_its_problem_not_a_500(publisher_client, monkeypatch):
    monkeypatch.setenv("CX_CONNECTIONS", "Bad Name!")
    response = publisher_client.get(reverse("connections"))
    assert response.status_code == 200
    assert "is not a valid connection name" in response.content.decode()


def test_connections_need_a_reading_role(viewer_client, client):
    assert viewer_client.get(reverse("connections")).status_code == 403
    assert client.get(reverse("connections"))["Location"].startswith(reverse("login"))


def test_pull_makes_a_draft_from_the_remote_and_opens_it(publisher_client, orchestration):
    publisher_client.post(start_url(orchestration), confirmed(orchestration, "default"))
    number = orchestration.number
    Orchestration.objects.filter(pk=orchestration.pk).delete()
    response = publisher_client.post(reverse("pull_orchestration"), {"number": number, "connection": "default"})
    assert response.status_code == 302
    assert response["Location"] == reverse("designer", args=[number])
    pulled = Orchestration.objects.get(number=number)
    assert pulled.stages.count() == 3
    # Nothing to send back: the plan sees every stage as unchanged.
    html = publisher_client.get(page_url(pulled)).content.decode()
    assert "0 to create, 0 to update, 0 to delete, 3 unchanged" in html


def test_pull_errors_are_shown_plainly(publisher_client):
    url = reverse("pull_orchestration")
    response = publisher_client.post(url, {"number": "ORCH-NOT-THERE", "connection": "default"})
    assert response.status_code == 422
    assert "Connection default has no orchestration numbered &#x27;ORCH-NOT-THERE&#x27;." in response.content.decode()
    response = publisher_client.post(url, {"number": "ORCH-1", "connection": "prod"}, headers=HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith("<form")
    assert "There is no connection called “prod”" in html
    response = publisher_client.post(url, {"number": "", "connection": "default"})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not Orchestration.objects.exists()


def test_pull_is_for_publishers_with_a_csrf_token(designer_client, viewer_client, csrf_client, client):
    url = reverse("pull_orchestration")
    data = {"number": "ORCH-1", "connection": "default"}
    assert designer_client.post(url, data).status_code == 403
    assert viewer_client.post(url, data).status_code == 403
    assert csrf_client.post(url, data).status_code == 403
    assert Client().post(url, data)["Location"].startswith(reverse("login"))


# -- secrets -------------------------------------------------------------------------------------------------------


def test_the_password_never_appears_on_any_page_after_a_publish(publisher_client, ci, cx_server):
    orch = build_orchestration(stages=2)
    response = publisher_client.post(start_url(orch), confirmed(orch, "ci"))
    run = PublishRun.objects.get()
    assert run.status == PublishRunStatus.DONE, run.message
    assert any(r.header("Authorization").startswith("Basic ") for r in cx_server.requests)
    pages = {
        "connections": publisher_client.get(reverse("connections")),
        "publish": publisher_client.get(page_url(orch), {"connection": "ci"}),
        "run": publisher_client.get(response["Location"]),
        "poll": publisher_client.get(run_url(run), headers={**HTMX, "HX-Target": "progress"}),
        "runs": publisher_client.get(reverse("publish_runs", args=[orch.number])),
    }
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert PASSWORD not in page.content.decode(), name
    run_page = pages["run"].content.decode()
    assert "Authorization: «redacted»" in run_page  # the journal shows the header was sent, not its value
    assert run_page.count('<tbody class="exchange">') == run.journal.count() >= 4
