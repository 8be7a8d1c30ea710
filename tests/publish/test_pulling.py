"""Pull: a remote orchestration becomes a local draft with its numbers, ids and what the remote holds."""

import pytest

from orchestrator.models import IssuedNumber, Orchestration, PublishedStage, Stage, Step
from orchestrator.services.pulling import PullError, orchestration_pull

from .conftest import export, publish, stage_posts

pytestmark = pytest.mark.django_db


def test_pull_replaces_a_local_draft_in_place(cx_server, ci, orchestration):
    publish(orchestration)
    before = export(orchestration)
    Step.objects.filter(stage__orchestration=orchestration, display_sequence=1).update(name="Local edit")

    result = orchestration_pull(number=orchestration.number, connection_name="ci")

    assert not result.created
    assert result.orchestration.pk == orchestration.pk
    assert export(orchestration) == before  # the local edit gave way to what the remote holds
    assert result.unchanged_stages == 3 and result.differing_stages == []
    published = PublishedStage.objects.filter(orchestration=orchestration, connection_name="ci")
    assert published.count() == 3
    remote_ids = {
        s["OrchestrationStageNumber"]: s["OrchestrationStageId"]
        for s in cx_server.store.stage_documents(orchestration.number)
    }
    assert {p.stage_number: p.remote_id for p in published} == remote_ids
    assert {s.number: s.remote_id for s in Stage.objects.filter(orchestration=orchestration)} == remote_ids


def test_pulled_numbers_are_registered_as_issued(cx_server, ci, orchestration):
    publish(orchestration)
    numbers = list(Stage.objects.filter(orchestration=orchestration).values_list("number", flat=True))
    orchestration.delete()
    IssuedNumber.objects.filter(number__in=numbers).delete()  # as on another machine
    orchestration_pull(number=orchestration.number, connection_name="ci")
    assert set(IssuedNumber.objects.filter(number__in=numbers).values_list("number", flat=True)) == set(numbers)


def test_a_remote_stage_that_differs_from_what_the_draft_sends_is_updated_next_time(cx_server, ci, orchestration):
    publish(orchestration)
    # Someone renumbered objectives on the remote with gaps (10, 20): the draft sends 1, 2.
    stored = cx_server.store.list_stages(orchestration.number)[1]
    for objective, sequence in zip(stored.document["StageObjectives"], (10, 20), strict=True):
        objective["DisplaySequence"] = sequence
    cx_server.store.save_stage(stored)

    result = orchestration_pull(number=orchestration.number, connection_name="ci")
    assert result.differing_stages == [stored.number]
    posts = len(stage_posts(cx_server))
    run = publish(orchestration)
    assert [s.action for s in run.stages.all()] == ["unchanged", "update", "unchanged"]
    assert [r.json["OrchestrationStageNumber"] for r in stage_posts(cx_server)[posts:]] == [stored.number]


def test_a_remote_document_with_problems_changes_nothing(cx_server, ci, orchestration):
    publish(orchestration)
    before = export(orchestration)
    broken = cx_server.store.list_stages(orchestration.number)[0]
    broken.document["Steps"] = []  # a stage without steps (and objectives nobody serves)
    broken.document["StepTasks"] = []
    broken.document["StepObjectivesAssociations"] = []
    cx_server.store.save_stage(broken)
    with pytest.raises(PullError) as caught:
        orchestration_pull(number=orchestration.number, connection_name="ci")
    assert caught.value.kind == "invalid" and caught.value.exit_code == 2
    assert caught.value.problems and all(path.startswith("$.Stages[0]") for path, _ in caught.value.problems)
    assert export(orchestration) == before


def test_refused_credentials_and_unknown_connections(cx_server, ci, monkeypatch):
    monkeypatch.setenv("CX_CI_PASSWORD", "nope-nope")
    with pytest.raises(PullError, match="Credentials for connection ci were refused") as caught:
        orchestration_pull(number="ORCH-1", connection_name="ci")
    assert caught.value.exit_code == 5
    with pytest.raises(PullError, match="Unknown connection") as unknown:
        orchestration_pull(number="ORCH-1", connection_name="elsewhere")
    assert unknown.value.kind == "config"
    assert not Orchestration.objects.exists()


def test_pull_from_the_sandbox(orchestration):
    publish(orchestration, connection="default")
    result = orchestration_pull(number=orchestration.number)
    assert result.unchanged_stages == 3
    assert {s.action for s in publish(orchestration, connection="default").stages.all()} == {"unchanged"}
