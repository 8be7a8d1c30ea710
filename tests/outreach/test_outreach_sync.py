"""Syncing an orchestration's stages to Outreach, against the real loopback fake (3 pages of existing stages)."""

import pytest

from orchestrator import selectors
from orchestrator.models import (
    JournalEntry,
    OrchestrationStatus,
    OutreachStageLink,
    PublishReason,
    PublishRunStatus,
    RemoteRun,
    RemoteRunKind,
    Stage,
)
from orchestrator.services.documents import dumps_document, orchestration_document, orchestration_import
from orchestrator.services.outreach_sync import outreach_sync
from orchestrator.services.remote_runs import remote_run_exit_code
from tests.factories import build_orchestration
from tests.fakes.fixtures import use_outreach
from tests.fakes.outreach_server import FakeOutreachServer

pytestmark = pytest.mark.django_db

STAGES = r"/opportunityStages"
LOCAL = [  # name, colour, closing flag
    ("Qualify", "", None),
    ("Discover", "#59a14f", None),
    ("Propose", "", False),
    ("Negotiate", "#f28e2b", False),
]
REMOTE = [  # name, order, colour, isClosed: ids 1..8, three pages of three
    ("Prospecting", 1, None, False),
    ("qualify ", 2, None, False),  # Qualify, by name (trimmed, any case)
    ("Discover", 2, "#59A14F", False),  # Discover, same colour in capitals: unchanged
    ("Closed Won", 8, "#00ff00", True),
    ("Closed Lost", 9, "#ff0000", True),
    ("Propose", 5, "#123456", False),  # Propose: order 5 → 3; its colour is Outreach's business
    ("Nurture", 6, None, False),
    ("Archive", 7, None, False),
]


@pytest.fixture
def outreach_server():
    server = FakeOutreachServer(max_page_size=3).start()
    for name, order, color, closed in REMOTE:
        server.add_stage(name, order=order, color=color, is_closed=closed)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def orch():
    orch = build_orchestration(stages=len(LOCAL))
    for stage, (name, color, closed) in zip(orch.stages.order_by("display_sequence"), LOCAL, strict=True):
        Stage.objects.filter(pk=stage.pk).update(name=name, outreach_color=color, outreach_is_closed=closed)
    return orch


def sync(orch, **kwargs):
    return outreach_sync(orchestration=orch, connection_name="ci", **kwargs)


def writes(server, since=0):
    return [(r.method, r.path, r.json) for r in server.writes[since:]]


def line(run, name):
    return next(entry for entry in run.lines if entry["stage_name"] == name or entry["remote_name"] == name)


def stage_number(orch, name):
    return orch.stages.get(name=name).number


def test_the_plan_reads_every_page_and_writes_nothing(outreach_server, ci, orch):
    run = sync(orch, dry_run=True)
    assert run.status == PublishRunStatus.DONE and remote_run_exit_code(run) == 0
    assert run.message == (
        "Dry run: would create 1, update 2, delete 0 stage(s); 1 unchanged, 5 extra kept. Nothing was written."
    )
    assert [(entry["action"], entry["stage_name"], entry["remote_id"], entry["matched_by"]) for entry in run.lines] == [
        ("update", "Qualify", 2, "name"),
        ("unchanged", "Discover", 3, "name"),
        ("update", "Propose", 6, "name"),
        ("create", "Negotiate", None, ""),
        ("extra", "", 1, ""),
        ("extra", "", 7, ""),
        ("extra", "", 8, ""),
        ("extra", "", 4, ""),
        ("extra", "", 5, ""),
    ]
    assert line(run, "Qualify")["changes"] == {"name": ["qualify ", "Qualify"], "order": [2, 1]}
    assert line(run, "Propose")["changes"] == {"order": [5, 3]}
    assert outreach_server.writes == []
    assert [r.method for r in outreach_server.requests] == ["GET"] * 3
    assert not OutreachStageLink.objects.exists()  # a plan remembers nothing


def test_the_first_sync_writes_exactly_the_plan(outreach_server, ci, orch):
    run = sync(orch)
    assert run.status == PublishRunStatus.DONE and remote_run_exit_code(run) == 0, run.message
    assert run.message == "Synced: 1 created, 2 updated, 0 deleted, 1 unchanged; 5 extra stage(s) left in Outreach."
    assert writes(outreach_server) == [
        (
            "PATCH",
            "/opportunityStages/2",
            {"data": {"type": "opportunityStage", "id": 2, "attributes": {"name": "Qualify", "order": 1}}},
        ),
        ("PATCH", "/opportunityStages/6", {"data": {"type": "opportunityStage", "id": 6, "attributes": {"order": 3}}}),
        (
            "POST",
            "/opportunityStages",
            {
                "data": {
                    "type": "opportunityStage",
                    "attributes": {"name": "Negotiate", "order": 4, "color": "#f28e2b", "isClosed": False},
                }
            },
        ),
    ]
    assert outreach_server.stage_names() == [  # by order, then id: the extra Prospecting keeps its order 1
        "Prospecting",
        "Qualify",
        "Discover",
        "Propose",
        "Negotiate",
        "Nurture",
        "Archive",
        "Closed Won",
        "Closed Lost",
    ]
    by_name = {s["name"]: s for s in outreach_server.stages()}
    assert by_name["Propose"]["color"] == "#123456"  # no colour set here: Outreach's own stays
    remembered = dict(OutreachStageLink.objects.values_list("stage_number", "remote_id"))
    assert remembered == {
        stage_number(orch, "Qualify"): 2,
        stage_number(orch, "Discover"): 3,
        stage_number(orch, "Propose"): 6,
        stage_number(orch, "Negotiate"): 9,
    }
    assert {entry["status"] for entry in run.lines if entry["action"] != "extra"} == {"done", "skipped"}


def test_a_second_sync_writes_nothing(outreach_server, ci, orch):
    sync(orch)
    before = len(outreach_server.writes)
    run = sync(orch)
    assert writes(outreach_server, before) == []
    assert run.status == PublishRunStatus.DONE
    assert run.message == "Nothing to change: all 4 stage(s) are in step; 5 extra stage(s) left in Outreach."
    assert {entry["action"] for entry in run.lines} == {"unchanged", "extra"}


def test_extras_survive_unless_their_deletion_is_confirmed(outreach_server, ci, orch):
    sync(orch)
    assert len(outreach_server.stages()) == 9
    before = len(outreach_server.writes)
    run = sync(orch, delete_ids=[7, 4242])  # Nurture, and an id that is not an extra: nothing happens to it
    assert writes(outreach_server, before) == [("DELETE", "/opportunityStages/7", None)]
    assert line(run, "Nurture")["action"] == "delete" and line(run, "Nurture")["status"] == "done"
    assert run.message == "Synced: 0 created, 0 updated, 1 deleted, 4 unchanged; 4 extra stage(s) left in Outreach."
    run = sync(orch, delete_extra=True)
    assert sorted(r.path for r in outreach_server.writes[before + 1 :]) == [
        "/opportunityStages/1",
        "/opportunityStages/4",
        "/opportunityStages/5",
        "/opportunityStages/8",
    ]
    assert outreach_server.stage_names() == ["Qualify", "Discover", "Propose", "Negotiate"]


def test_a_renamed_stage_patches_its_remembered_id(outreach_server, ci, orch):
    sync(orch)
    orch.stages.filter(name="Propose").update(name="Proposal")
    before = len(outreach_server.writes)
    run = sync(orch)
    assert writes(outreach_server, before) == [
        (
            "PATCH",
            "/opportunityStages/6",
            {"data": {"type": "opportunityStage", "id": 6, "attributes": {"name": "Proposal"}}},
        )
    ]
    assert line(run, "Proposal")["matched_by"] == "id"
    assert outreach_server.stage_names().count("Proposal") == 1 and "Propose" not in outreach_server.stage_names()


def test_a_remembered_id_survives_a_reimport_of_the_same_document(outreach_server, ci, orch):
    sync(orch)
    document = orchestration_document(selectors.orchestration_tree(orch.number))
    orch.delete()  # the rows are gone; the stage numbers are kept by the document
    orch = orchestration_import(document=document).orchestration
    outreach_server.store.save_stage({**outreach_server.store.get_stage(6), "name": "Offer"})  # renamed in Outreach
    before = len(outreach_server.writes)
    run = sync(orch)
    assert writes(outreach_server, before) == [
        (
            "PATCH",
            "/opportunityStages/6",
            {"data": {"type": "opportunityStage", "id": 6, "attributes": {"name": "Propose"}}},
        )
    ]
    assert line(run, "Propose")["matched_by"] == "id"


def test_a_colour_change_is_one_patch(outreach_server, ci, orch):
    sync(orch)
    orch.stages.filter(name="Discover").update(outreach_color="#76b7b2", outreach_is_closed=True)
    before = len(outreach_server.writes)
    sync(orch)
    assert writes(outreach_server, before) == [
        (
            "PATCH",
            "/opportunityStages/3",
            {"data": {"type": "opportunityStage", "id": 3, "attributes": {"color": "#76b7b2", "isClosed": True}}},
        )
    ]


def test_a_429_waits_for_the_reset_and_the_sync_completes(outreach_server, ci, orch, sleeps):
    outreach_server.rate_limited("GET", STAGES, reset_in=4)
    run = sync(orch)
    assert run.status == PublishRunStatus.DONE
    assert len(sleeps) == 1 and 2.5 <= sleeps[0] <= 4
    statuses = list(run.journal.order_by("pk").values_list("status_code", flat=True))
    assert statuses[:2] == [429, 200]


def test_a_422_on_one_stage_is_shown_beside_it_and_the_others_are_synced(outreach_server, ci, orch):
    outreach_server.refuse_stage("Negotiate", "is reserved for the forecast")
    run = sync(orch)
    assert run.status == PublishRunStatus.PARTIAL and run.reason == PublishReason.REMOTE
    assert remote_run_exit_code(run) == 4
    assert "Outreach refused 1 stage(s) (Negotiate)" in run.message
    refused = line(run, "Negotiate")
    assert refused["status"] == "failed" and refused["http_status"] == 422
    assert refused["message"] == "name: is reserved for the forecast"
    assert refused["problems"] == [
        {
            "id": "validationError",
            "title": "Validation Error",
            "detail": "is reserved for the forecast",
            "pointer": "/data/attributes/name",
        }
    ]
    assert line(run, "Qualify")["status"] == line(run, "Propose")["status"] == "done"
    assert not OutreachStageLink.objects.filter(stage_number=stage_number(orch, "Negotiate")).exists()
    # fixed on Outreach's side: the next sync creates only what is missing
    before = len(outreach_server.writes)
    run = sync(orch)
    assert [(m, p) for m, p, _ in writes(outreach_server, before)] == [("POST", "/opportunityStages")]
    assert run.status == PublishRunStatus.DONE


def test_a_token_without_the_scope_stops_the_sync_too(outreach_server, ci, orch):
    body = {"errors": [{"id": "unauthorizedOauthScope", "title": "Unauthorized OAuth Scope", "detail": "No scope."}]}
    outreach_server.fail("PATCH", STAGES, status=403, body=body)
    run = sync(orch)
    assert run.status == PublishRunStatus.FAILED and run.reason == PublishReason.CREDENTIALS
    assert run.message == "Outreach connection ci refused the token (HTTP 403) at stage Qualify: No scope."
    assert [m for m, _, _ in writes(outreach_server)] == ["PATCH"]  # nothing after the refusal


def test_a_refused_token_stops_the_sync_with_the_connection_name(outreach_server, monkeypatch, orch):
    use_outreach(monkeypatch, outreach_server, token="expired-token")
    run = sync(orch)
    assert run.status == PublishRunStatus.FAILED and run.reason == PublishReason.CREDENTIALS
    assert run.message.startswith("Outreach connection ci refused the token (HTTP 401)")
    assert remote_run_exit_code(run) == 5 and outreach_server.writes == []


def test_outreach_unavailable_half_way_leaves_a_partial_sync_that_a_second_one_finishes(outreach_server, ci, orch):
    outreach_server.fail("POST", STAGES, status=503, times=10)
    run = sync(orch)
    assert run.status == PublishRunStatus.PARTIAL and run.reason == PublishReason.UNAVAILABLE
    assert remote_run_exit_code(run) == 4
    assert "Outreach connection ci is unavailable at stage Negotiate" in run.message
    assert line(run, "Qualify")["status"] == "done" and line(run, "Negotiate")["status"] == "failed"
    outreach_server.clear_faults()
    before = len(outreach_server.writes)
    run = sync(orch)
    assert [(m, p) for m, p, _ in writes(outreach_server, before)] == [("POST", "/opportunityStages")]
    assert outreach_server.stage_names().count("Negotiate") == 1


def test_a_lost_reply_to_a_create_does_not_make_a_second_stage(outreach_server, ci, orch):
    outreach_server.drop("POST", STAGES, when="after")
    run = sync(orch)
    assert run.status == PublishRunStatus.DONE, run.message
    assert len([r for r in outreach_server.requests if r.method == "POST"]) == 1
    assert outreach_server.stage_names().count("Negotiate") == 1
    created = line(run, "Negotiate")
    assert (
        created["status"] == "done"
        and created["remote_id"] == 9
        and "found in Outreach by its name" in created["message"]
    )
    assert OutreachStageLink.objects.get(stage_number=stage_number(orch, "Negotiate")).remote_id == 9


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda o: type(o).objects.filter(pk=o.pk).update(status=OrchestrationStatus.ARCHIVED), "is archived"),
        (lambda o: o.stages.filter(name="Propose").update(name=" QUALIFY"), "Two stages are called “QUALIFY”"),
        (lambda o: o.stages.all().delete(), "has no stages"),
    ],
)
def test_refused_before_anything_is_sent(outreach_server, ci, orch, change, words):
    change(orch)
    orch.refresh_from_db()
    run = sync(orch)
    assert run.status == PublishRunStatus.REFUSED and remote_run_exit_code(run) == 2
    assert words in run.message and outreach_server.requests == []


def test_an_unconfigured_connection_is_a_failed_run(orch):
    run = outreach_sync(orchestration=orch, connection_name="nowhere")
    assert run.status == PublishRunStatus.FAILED and run.reason == PublishReason.CONFIG
    assert "Unknown Outreach connection 'nowhere'" in run.message and remote_run_exit_code(run) == 5


def test_a_second_sync_while_one_is_under_way_joins_it(outreach_server, ci, orch):
    active = RemoteRun.objects.create(
        kind=RemoteRunKind.OUTREACH_SYNC, system="outreach", orchestration=orch, status=PublishRunStatus.RUNNING
    )
    run = sync(orch)
    assert run.pk == active.pk and remote_run_exit_code(run) == 3 and outreach_server.requests == []


def test_a_sync_whose_process_died_is_taken_over(outreach_server, ci, orch, settings):
    settings.PUBLISH_STALE_SECONDS = 0
    dead = RemoteRun.objects.create(
        kind=RemoteRunKind.OUTREACH_SYNC, system="outreach", orchestration=orch, status=PublishRunStatus.RUNNING
    )
    run = sync(orch)
    dead.refresh_from_db()
    assert run.pk != dead.pk and run.status == PublishRunStatus.DONE
    assert dead.status == PublishRunStatus.FAILED and dead.reason == PublishReason.INTERRUPTED


def test_every_exchange_is_journalled_with_why_and_which_stage(outreach_server, ci, orch):
    run = sync(orch)
    entries = list(JournalEntry.objects.filter(remote_run=run).order_by("pk"))
    assert [(e.method, e.status_code) for e in entries] == [
        ("GET", 200),
        ("GET", 200),
        ("GET", 200),
        ("PATCH", 200),
        ("PATCH", 200),
        ("POST", 201),
    ]
    assert {e.system for e in entries} == {"outreach"} and all(e.run_id is None for e in entries)
    assert entries[0].note.startswith("read every opportunity stage")
    assert entries[3].stage_number == stage_number(orch, "Qualify") and "matched by name" in entries[3].note
    assert entries[5].note.startswith("create stage Negotiate")
    assert entries[5].request_headers["Authorization"] == "«redacted»"
    assert outreach_server.token not in str([e.request_headers for e in entries])


def test_syncing_never_changes_the_draft(outreach_server, ci, orch):
    before = dumps_document(orchestration_document(selectors.orchestration_tree(orch.number)))
    sync(orch)
    assert dumps_document(orchestration_document(selectors.orchestration_tree(orch.number))) == before
