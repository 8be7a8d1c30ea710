"""A new draft from an Outreach connection's opportunity stages, against the real loopback fake."""

import re

import pytest
from django.core.exceptions import ValidationError

from orchestrator import selectors
from orchestrator.models import (
    IssuedNumber,
    Orchestration,
    OutreachStageLink,
    PublishReason,
    PublishRunStatus,
    RemoteRunKind,
)
from orchestrator.services.outreach_import import orchestration_from_outreach
from orchestrator.services.outreach_settings import normalized_color
from orchestrator.services.outreach_sync import outreach_sync
from orchestrator.validation import validate_orchestration
from tests.factories import build_orchestration
from tests.fakes.fixtures import use_outreach

pytestmark = pytest.mark.django_db


@pytest.fixture
def outreach_server(outreach_server):
    outreach_server.emulator.max_page_size = 2  # three pages of five stages
    outreach_server.add_stage("Closed Won", order=5, color="#00FF00", is_closed=True)
    outreach_server.add_stage("Qualify", order=2, color="#abc", is_closed=False)
    outreach_server.add_stage("Prospect", order=1, color="blue", is_closed=None)
    outreach_server.add_stage("N" * 150, order=3)
    outreach_server.add_stage(None, order=None)
    return outreach_server


def start(**kwargs):
    return orchestration_from_outreach(
        **{"connection_name": "ci", "number": "ORCH-FROM-OUTREACH", "name": "From Outreach", **kwargs}
    )


def test_the_import_builds_one_stage_per_outreach_stage_in_outreach_order(outreach_server, ci, designer):
    run = start(user=designer)
    assert run.status == PublishRunStatus.DONE, run.message
    assert run.kind == RemoteRunKind.OUTREACH_IMPORT and run.started_by == designer
    orch = selectors.orchestration_tree("ORCH-FROM-OUTREACH")
    assert run.orchestration_id == orch.pk and orch.name == "From Outreach" and orch.updated_by == designer
    stages = list(orch.stages.all())
    assert [(s.display_sequence, s.name, s.outreach_color, s.outreach_is_closed) for s in stages] == [
        (1, "Prospect", "", None),  # "blue" is not #rrggbb: left out
        (2, "Qualify", "#aabbcc", False),  # #abc widened, lower case
        (3, "N" * 100, "", None),  # shortened to what a stage holds
        (4, "Closed Won", "#00ff00", True),
        (5, "Outreach stage 5", "", None),  # no order sorts last; no name is called after its id
    ]
    assert [s.lifecycle_attr_value for s in stages] == [s.name for s in stages]
    assert all(re.fullmatch(r"ORCH-STG-[0-9A-F]{8}", s.number) for s in stages)  # the one generated format
    assert IssuedNumber.objects.filter(number__in=[s.number for s in stages]).count() == 5
    remembered = dict(OutreachStageLink.objects.filter(connection_name="ci").values_list("stage_number", "remote_id"))
    assert [remembered[s.number] for s in stages] == [3, 2, 4, 1, 5]
    assert [entry["notes"] for entry in run.lines] == [
        ["Its colour 'blue' is not #rrggbb: it was left out."],
        [],
        ["Its name is longer than 100 characters: it was shortened."],
        [],
        ["Outreach gives it no name: it is called after its id."],
    ]
    assert "Created the draft From Outreach (ORCH-FROM-OUTREACH) with 5 stage(s)" in run.message
    assert outreach_server.writes == [] and len(outreach_server.requests) == 3  # three pages read, nothing written


def test_the_problems_panel_says_what_the_new_draft_still_misses(outreach_server, ci):
    start()
    problems = {p.code for p in validate_orchestration(selectors.orchestration_tree("ORCH-FROM-OUTREACH"))}
    assert {"stage.no_objective", "stage.no_step"} <= problems


def test_syncing_the_new_draft_back_changes_only_what_the_draft_could_not_hold(outreach_server, ci):
    start()
    run = outreach_sync(orchestration=Orchestration.objects.get(number="ORCH-FROM-OUTREACH"), connection_name="ci")
    changed = {entry["remote_id"]: entry["send"] for entry in run.lines if entry["action"] == "update"}
    # every stage matched by its remembered id; what differs is what the draft could not hold as Outreach has it
    assert {entry["matched_by"] for entry in run.lines} == {"id"}
    assert changed == {
        1: {"order": 4},  # Outreach's orders 1, 2, 3, 5 become positions 1…5
        4: {"name": "N" * 100},
        5: {"name": "Outreach stage 5", "order": 5},
    }


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"number": "has spaces"}, "number"),
        ({"number": "new"}, "number"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"connection_name": "nowhere"}, "connection"),
    ],
)
def test_bad_input_is_refused_before_anything_is_read(outreach_server, ci, kwargs, field):
    with pytest.raises(ValidationError) as caught:
        start(**kwargs)
    assert field in caught.value.error_dict
    assert outreach_server.requests == []


def test_a_number_ever_issued_is_refused(outreach_server, ci):
    taken = build_orchestration(stages=1).number
    with pytest.raises(ValidationError, match="already used"):
        start(number=taken)


def test_an_outreach_without_stages_creates_nothing(outreach_server, ci):
    outreach_server.store.reset()
    run = start()
    assert run.status == PublishRunStatus.REFUSED and "holds no opportunity stages" in run.message
    assert not Orchestration.objects.filter(number="ORCH-FROM-OUTREACH").exists()


def test_a_refused_token_creates_nothing(outreach_server, monkeypatch):
    use_outreach(monkeypatch, outreach_server, token="wrong")
    run = start()
    assert run.status == PublishRunStatus.FAILED and run.reason == PublishReason.CREDENTIALS
    assert "refused the token (HTTP 401)" in run.message
    assert not Orchestration.objects.filter(number="ORCH-FROM-OUTREACH").exists()
    assert not OutreachStageLink.objects.exists()


def test_outreach_unavailable_creates_nothing_and_the_number_stays_free(outreach_server, ci):
    outreach_server.fail("GET", r"/opportunityStages", status=503, times=5)
    run = start()
    assert run.status == PublishRunStatus.FAILED and run.reason == PublishReason.UNAVAILABLE
    assert run.journal.count() == 3  # every attempt journalled
    assert not IssuedNumber.objects.filter(number="ORCH-FROM-OUTREACH").exists()
    outreach_server.clear_faults()
    assert start().status == PublishRunStatus.DONE


@pytest.mark.parametrize(
    ("value", "color"),
    [("#AABBCC", "#aabbcc"), ("#abc", "#aabbcc"), (" #123456 ", "#123456"), ("blue", None), ("", None), (None, None)],
)
def test_colours_from_outreach(value, color):
    assert normalized_color(value) == color
