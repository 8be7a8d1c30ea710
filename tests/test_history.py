"""History and restore (issue 10, item 6): one user action is one revision; restoring brings everything back.

Every write service records the draft's export document after it, with who,
when and a one-line summary; a draft that predates the history first gets a
"history starts" revision of its content as it was. Restoring a revision
makes the draft exactly that content again — a deleted stage comes back with
its objectives, steps, step tasks, associations and links, under the same
numbers — and is itself a revision.
"""

import hashlib
import json

import pytest
from django.core.exceptions import PermissionDenied

from orchestrator import selectors
from orchestrator.models import (
    Orchestration,
    Revision,
    RevisionAction,
    Stage,
    StageObjective,
    Step,
    StepObjectiveAssociation,
    StepTask,
)
from orchestrator.services import bulk, drafts, history
from orchestrator.services import orchestrations as orchestration_services
from orchestrator.services.documents import dumps_document, orchestration_document, orchestration_import
from orchestrator.services.review import content_hash
from tests.factories import build_orchestration
from tests.test_documents import renumbered

pytestmark = pytest.mark.django_db


def export(orch) -> str:
    return dumps_document(orchestration_document(selectors.orchestration_tree(orch.number)))


def revisions(orch) -> list[Revision]:
    return list(Revision.objects.filter(orchestration=orch).order_by("number"))


def first_stage(orch) -> Stage:
    return Stage.objects.filter(orchestration=orch).order_by("display_sequence").first()


@pytest.fixture
def orch():
    return build_orchestration(stages=3)


def test_the_first_change_of_an_old_draft_starts_the_history_with_its_content_as_it_was(orch, designer):
    before = export(orch)
    stage = first_stage(orch)
    drafts.stage_update(stage=stage, user=designer, expected_version=stage.version, values={"name": "Qualify"})
    baseline, edit = revisions(orch)
    assert (baseline.number, baseline.action, baseline.author, baseline.document) == (
        1,
        RevisionAction.BASELINE,
        None,
        before,
    )
    assert (edit.number, edit.action, edit.author) == (2, RevisionAction.EDIT, designer)
    assert edit.summary == "Stage renamed: “Stage 1” → “Qualify”."
    assert edit.document == export(orch)
    assert edit.content_hash == content_hash(selectors.orchestration_tree(orch.number))
    assert edit.problem_count == 0


def _each_write(orch, user):
    """One call of every kind of write a user makes, in the designer's words: (label, call)."""
    stage = first_stage(orch)
    steps = list(Step.objects.filter(stage=stage).order_by("display_sequence"))
    task = StepTask.objects.filter(step=steps[0]).order_by("display_sequence").first()
    objective = StageObjective.objects.filter(stage=stage).order_by("display_sequence").first()
    return [
        (
            "add a stage",
            lambda: drafts.stage_create(
                orchestration=orch, user=user, values={"name": "New", "lifecycle_attr_value": "9"}
            ),
        ),
        (
            "rename an objective",
            lambda: drafts.objective_update(
                objective=objective, user=user, expected_version=objective.version, values={"name": "O"}
            ),
        ),
        ("move a step", lambda: drafts.step_move(step=steps[2], user=user, position=1)),
        (
            "reorder step tasks",
            lambda: drafts.step_task_reorder(
                step=steps[0],
                user=user,
                ordered_numbers=list(reversed([t.number for t in steps[0].tasks.order_by("display_sequence")])),
            ),
        ),
        ("tick serves", lambda: drafts.step_set_objectives(step=steps[1], user=user, objective_ids=[objective.pk])),
        (
            "bulk edit steps",
            lambda: bulk.steps_bulk_update(step_ids=[s.pk for s in steps], user=user, values={"allow_skip": True}),
        ),
        (
            "edit the header",
            lambda: orchestration_services.orchestration_update(
                orchestration=orch,
                user=user,
                expected_version=Orchestration.objects.get(pk=orch.pk).version,
                values={"description": "D"},
            ),
        ),
        ("delete a step task", lambda: drafts.step_task_delete(step_task=task, user=user)),
    ]


def test_every_write_is_exactly_one_revision_by_its_author(orch, designer):
    for label, write in _each_write(orch, designer):
        count = Revision.objects.filter(orchestration=orch).count()
        write()
        latest = Revision.objects.filter(orchestration=orch).order_by("-number").first()
        assert Revision.objects.filter(orchestration=orch).count() == count + 1 + (count == 0), label
        assert (latest.author, latest.document) == (designer, export(orch)), label
    numbers = [r.number for r in revisions(orch)]
    assert numbers == list(range(1, len(numbers) + 1))


def test_a_bulk_edit_of_many_steps_is_one_revision_that_says_so(orch, designer):
    steps = list(Step.objects.filter(stage__orchestration=orch))
    bulk.steps_bulk_update(step_ids=[s.pk for s in steps], user=designer, values={"allow_skip": True})
    assert [r.action for r in revisions(orch)] == [RevisionAction.BASELINE, RevisionAction.EDIT]
    assert revisions(orch)[-1].summary == "Step “Call 1”: Allow skip no → yes (and 8 more changes)."


def test_an_action_that_changes_nothing_is_no_revision(orch, designer):
    stage = first_stage(orch)
    step = Step.objects.filter(stage=stage).order_by("display_sequence").first()
    drafts.step_move(step=step, user=designer, position=1)  # already there
    drafts.step_set_objectives(
        step=step, user=designer, objective_ids=[a.objective_id for a in step.associations.all()]
    )
    assert [r.action for r in revisions(orch)] == [RevisionAction.BASELINE]


def test_a_refused_write_leaves_no_revision(orch, designer):
    stage = first_stage(orch)
    with pytest.raises(drafts.StaleEdit):
        drafts.stage_update(stage=stage, user=designer, expected_version=stage.version + 7, values={"name": "x"})
    assert not Revision.objects.exists()


def test_create_clone_import_and_pull_name_what_they_were(orch, designer, admin_user):
    created = orchestration_services.orchestration_create(
        user=designer, number="ORCH-H-NEW", values={"name": "New", "lifecycle_attribute_name": "SalesStage"}
    )
    copy = orchestration_services.orchestration_clone(orchestration=orch, user=designer)
    imported = orchestration_import(
        document=renumbered(orchestration_document(selectors.orchestration_tree(orch.number)), "-H"), user=admin_user
    ).orchestration
    assert [(r.action, r.summary) for r in revisions(created)] == [(RevisionAction.CREATE, "Created.")]
    assert [(r.action, r.summary) for r in revisions(copy)] == [
        (RevisionAction.CLONE, f"Cloned from Test playbook ({orch.number}).")
    ]
    assert [(r.action, r.summary, r.author) for r in revisions(imported)] == [
        (RevisionAction.IMPORT, "Imported from a file.", admin_user)
    ]
    document = json.loads(export(imported))
    document["Stages"][0]["StageName"] = "Renamed in the file"
    orchestration_import(document=document, user=admin_user)
    assert revisions(imported)[-1].summary == "Imported from a file: Stage renamed: “Stage 1” → “Renamed in the file”."


def test_restoring_an_old_revision_brings_back_a_deleted_stage_with_its_children_and_links(orch, designer):
    stage = Stage.objects.get(orchestration=orch, display_sequence=2)
    steps = list(Step.objects.filter(stage=stage).order_by("display_sequence"))
    drafts.step_update(
        step=steps[0], user=designer, expected_version=steps[0].version, values={"success_step": steps[1]}
    )
    with_link = revisions(orch)[-1]
    kept = {
        "stage": stage.number,
        "objectives": sorted(StageObjective.objects.filter(stage=stage).values_list("number", flat=True)),
        "steps": [s.number for s in steps],
        "tasks": sorted(StepTask.objects.filter(step__stage=stage).values_list("number", flat=True)),
        "associations": sorted(
            StepObjectiveAssociation.objects.filter(step__stage=stage).values_list("number", flat=True)
        ),
    }
    remote_ids = dict(Stage.objects.filter(orchestration=orch).values_list("number", "remote_id"))
    drafts.stage_delete(stage=stage, user=designer)
    other = first_stage(orch)
    drafts.stage_update(stage=other, user=designer, expected_version=other.version, values={"name": "Later edit"})
    assert not Stage.objects.filter(number=kept["stage"]).exists()

    restore = history.revision_restore(revision=with_link, user=designer)

    assert export(orch) == with_link.document  # exactly that content, the later rename undone too
    back = Stage.objects.get(number=kept["stage"])
    assert back.display_sequence == 2
    assert sorted(StageObjective.objects.filter(stage=back).values_list("number", flat=True)) == kept["objectives"]
    assert [s.number for s in Step.objects.filter(stage=back).order_by("display_sequence")] == kept["steps"]
    assert sorted(StepTask.objects.filter(step__stage=back).values_list("number", flat=True)) == kept["tasks"]
    assert (
        sorted(StepObjectiveAssociation.objects.filter(step__stage=back).values_list("number", flat=True))
        == kept["associations"]
    )
    assert Step.objects.get(number=kept["steps"][0]).success_step.number == kept["steps"][1]
    assert dict(Stage.objects.filter(orchestration=orch).values_list("number", "remote_id")) == remote_ids
    assert (restore.action, restore.author, restore.restored_from) == (RevisionAction.RESTORE, designer, with_link)
    assert restore.summary == (
        f"Restored revision {with_link.number}: Stage renamed: “Later edit” → “Stage 1” (and 1 more change)."
    )
    assert history.compare_with_current(restore, selectors.orchestration_tree(orch.number)).count == 0
    assert history.change_summary(json.loads(revisions(orch)[-2].document), json.loads(restore.document)).texts == [
        "Stage renamed: “Later edit” → “Stage 1”.",
        "Stage “Stage 2” added at position 2, with 2 objectives, 3 steps, 2 step tasks and 2 “serves” links.",
    ]


def test_an_unfinished_draft_restores_as_it_was_problems_included(designer):
    orch = build_orchestration(stages=2)
    stage = first_stage(orch)
    drafts.objective_create(stage=stage, user=designer, values={"name": "Nobody serves me"})
    unfinished = revisions(orch)[-1]
    assert unfinished.problem_count == 1
    drafts.objective_delete(objective=StageObjective.objects.get(name="Nobody serves me"), user=designer)
    history.revision_restore(revision=unfinished, user=designer)
    assert export(orch) == unfinished.document
    assert revisions(orch)[-1].problem_count == 1


def test_restore_needs_designer_rights_an_editable_draft_and_the_content_that_was_compared(orch, designer, reviewer):
    stage = first_stage(orch)
    drafts.stage_update(stage=stage, user=designer, expected_version=stage.version, values={"name": "Qualify"})
    baseline = revisions(orch)[0]
    with pytest.raises(PermissionDenied):
        history.revision_restore(revision=baseline, user=reviewer)
    with pytest.raises(history.RestoreRefused, match="changed since you compared"):
        history.revision_restore(revision=baseline, user=designer, expected_hash="0" * 64)
    orchestration_services.orchestration_archive(orchestration=orch, user=designer)
    with pytest.raises(history.RestoreRefused, match="archived"):
        history.revision_restore(revision=baseline, user=designer)
    assert len(revisions(orch)) == 2


def test_compare_with_current_says_what_a_restore_would_change(orch, designer):
    stage = first_stage(orch)
    drafts.stage_update(stage=stage, user=designer, expected_version=stage.version, values={"name": "Qualify"})
    baseline = revisions(orch)[0]
    summary = history.compare_with_current(baseline, selectors.orchestration_tree(orch.number))
    assert summary.texts == ["Stage renamed: “Qualify” → “Stage 1”."]


def test_a_one_stage_edit_builds_its_revision_from_that_stage_alone_and_gets_it_exactly_right(designer, monkeypatch):
    from django.test import Client
    from django.urls import reverse

    from orchestrator.validation import validate_orchestration

    orch = build_orchestration(stages=5)
    stage = first_stage(orch)
    drafts.stage_update(stage=stage, user=designer, expected_version=stage.version, values={"name": "Qualify"})
    client = Client()
    client.force_login(designer)
    client.get(reverse("designer", args=[orch.number]))  # the page keeps every stage's problems for this revision
    whole_tree = []
    original = history._tree
    monkeypatch.setattr(history, "_tree", lambda pk: whole_tree.append(pk) or original(pk))
    third = Stage.objects.get(orchestration=orch, display_sequence=3)
    step = Step.objects.filter(stage=third).order_by("display_sequence").first()
    drafts.step_update(step=step, user=designer, expected_version=step.version, values={"name": "Call the buyer"})
    latest = Revision.objects.filter(orchestration=orch).order_by("-number").first()
    assert whole_tree == []  # issue 13: an edit costs one stage, its revision included
    tree = selectors.orchestration_tree(orch.number)
    assert latest.document == dumps_document(orchestration_document(tree))
    assert latest.problem_count == len(validate_orchestration(tree)) and latest.tree_revision == tree.tree_revision
    assert latest.summary.startswith("Step renamed")
    # moving a stage shifts every position: the whole document is rebuilt
    drafts.stage_move(stage=third, user=designer, position=1)
    assert whole_tree != []
    assert Revision.objects.filter(orchestration=orch).order_by("-number").first().document == export(orch)


def _reshaped(document: dict) -> dict:
    """The document with a stage dropped, a step removed, steps reordered and a link retargeted."""
    document = json.loads(json.dumps(document))
    document["Stages"].pop(1)
    stage = document["Stages"][0]
    stage["StageName"] = "Renamed in the file"
    stage["Steps"].reverse()
    stage["StepTasks"] = stage.get("StepTasks", [])[:1]
    return document


def test_an_imports_revision_is_exactly_what_the_database_holds_without_reading_the_tree_back(orch, admin_user):
    """The import hands the tree it built to its revision (issue 13: re-import in well under a second)."""
    first = orchestration_import(
        document=renumbered(orchestration_document(selectors.orchestration_tree(orch.number)), "-R"), user=admin_user
    ).orchestration
    assert revisions(first)[-1].document == export(first)
    assert revisions(first)[-1].problem_count == 0
    reshaped = _reshaped(json.loads(export(first)))
    orchestration_import(document=reshaped, user=admin_user, draft=True)  # an unfinished draft is fine here
    latest = revisions(first)[-1]
    assert latest.document == export(first)
    assert latest.content_hash == hashlib.sha256(latest.document.encode()).hexdigest()
    assert latest.tree_revision == Orchestration.objects.get(pk=first.pk).tree_revision


def test_a_write_after_an_import_in_the_same_action_is_in_its_revision(orch, designer):
    document = renumbered(orchestration_document(selectors.orchestration_tree(orch.number)), "-W")
    with history.revision_scope(user=designer, action=RevisionAction.PULL):
        imported = orchestration_import(document=document, user=designer, draft=True).orchestration
        stage = first_stage(imported)
        drafts.stage_update(stage=stage, user=designer, expected_version=stage.version, values={"name": "After"})
    latest = revisions(imported)[-1]
    assert latest.action == RevisionAction.PULL
    assert latest.document == export(imported)
    assert '"StageName": "After"' in latest.document


def test_consecutive_one_stage_edits_start_from_the_parsed_document_the_last_one_wrote(designer, monkeypatch):
    """Issue 13: the second edit does not parse the previous revision again; what it starts from is exactly
    what that revision holds, so every revision stays the export of the tree."""
    from django.test import Client
    from django.urls import reverse

    orch = build_orchestration(stages=4)
    stage = first_stage(orch)
    drafts.stage_update(stage=stage, user=designer, expected_version=stage.version, values={"name": "Qualify"})
    client = Client()
    client.force_login(designer)
    client.get(reverse("designer", args=[orch.number]))
    steps = list(Step.objects.filter(stage__orchestration=orch).order_by("stage__display_sequence", "display_sequence"))

    step = steps[0]
    drafts.step_update(step=step, user=designer, expected_version=step.version, values={"name": "Call the buyer"})
    written = Revision.objects.filter(orchestration=orch).order_by("-number").first()
    assert history._PARSED[(written.pk, written.content_hash)] == json.loads(written.document)

    class NoParsing:
        @staticmethod
        def loads(_text):
            raise AssertionError("the previous revision was parsed again")

    monkeypatch.setattr(history, "orjson", NoParsing)
    step = steps[5]
    drafts.step_update(step=step, user=designer, expected_version=step.version, values={"name": "Meet the board"})
    latest = Revision.objects.filter(orchestration=orch).order_by("-number").first()
    assert latest.number == written.number + 1
    assert latest.document == export(orch)
    assert (written.pk, written.content_hash) not in history._PARSED  # taken: it was changed in place
    assert history._PARSED[(latest.pk, latest.content_hash)] == json.loads(latest.document)


def test_a_parsed_document_is_only_used_for_the_exact_revision_it_came_from(orch, designer):
    stage = first_stage(orch)
    drafts.stage_update(stage=stage, user=designer, expected_version=stage.version, values={"name": "Qualify"})
    latest = Revision.objects.filter(orchestration=orch).order_by("-number").first()
    history._PARSED[(latest.pk, "another content")] = {"Stages": []}  # what some other content parsed to
    stage.refresh_from_db()
    drafts.stage_update(stage=stage, user=designer, expected_version=stage.version, values={"name": "Qualify it"})
    assert Revision.objects.filter(orchestration=orch).order_by("-number").first().document == export(orch)
