"""The designer page and its read-only fragments: what each role sees, and what each fragment carries."""

import re

import pytest
from django.urls import reverse

from orchestrator.models import Orchestration, OrchestrationStatus, Step, StepType
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def orch():
    return build_orchestration(stages=2)


def _call(orch) -> Step:
    return Step.objects.get(stage__orchestration=orch, name="Call 1")


def test_the_page_shows_the_outline_with_problem_badges_and_an_empty_problem_list(designer_client, orch):
    body = designer_client.get(reverse("designer", args=[orch.number])).content.decode()
    assert "<h1>Test playbook</h1>" in body
    assert body.count('class="stage item"') == 2
    assert body.count('class="item step"') == 6
    assert body.count('class="item task"') == 4
    assert "No problems: ready to publish." in body
    assert body.count(">No problems</span>") == 2  # one badge per stage
    assert ">Next stage</span>" in body and ">Task</span>" in body  # step types as words, not colours
    # Row buttons come from one template (designer.js copies them into each row, named after its label).
    assert body.count('<template id="row-actions"') == 1
    assert 'data-actions="step" data-label="step “Call 1”"' in body
    assert body.count("data-actions=") == 2 * (1 + 2 + 3 + 2)  # stages, objectives, steps, step tasks


def test_problems_are_listed_per_stage_with_anchors_the_page_gives(designer_client, orch):
    call = _call(orch)
    Step.objects.filter(pk=call.pk).update(step_type=StepType.WAIT, activity_template_id=None, grace_period=None)
    body = designer_client.get(reverse("designer", args=[orch.number])).content.decode()
    link = re.search(r'<a href="#(step-[^"]+)" data-problem data-object="([^"]+)" data-field="([^"]*)">', body)
    assert link.groups() == (f"step-{call.number}-days_to_wait", f"step-{call.number}", "days_to_wait")
    # The link opens the row's form (its Edit button, #step-…-edit, is made in the page), whose field has that id.
    assert f'<li id="step-{call.number}" class="item step" data-kind="step" data-number="{call.number}">' in body
    assert "Stage 1: Stage 1</h3>" in body
    assert f'id="stage-{call.stage.number}-badge" class="badge badge-problems">' in body
    form = designer_client.get(reverse("step_edit", args=[orch.number, call.number]), **HTMX).content.decode()
    assert f'id="step-{call.number}-days_to_wait"' in form


def test_a_viewer_gets_the_page_without_any_edit_control(viewer_client, orch):
    body = viewer_client.get(reverse("designer", args=[orch.number])).content.decode()
    main = body[body.index("<main") :]
    # Only reading aids: a disclosure button per stage, collapse and expand all (never an edit control).
    buttons = re.findall(r"<button[^>]*>", main)
    assert len(buttons) == 2 + 2 and all("data-stage-toggle" in b or "data-collapse-all" in b for b in buttons)
    assert "<input" not in main and "<select" not in main
    assert "hx-post" not in main and "data-sortable" not in main
    assert "Serves: Objective 1.1" in main


def test_viewers_may_read_fragments_but_not_open_forms(viewer_client, orch):
    call = _call(orch)
    assert viewer_client.get(reverse("step_row", args=[orch.number, call.number]), **HTMX).status_code == 200
    for name in ("step_edit", "step_delete"):
        assert viewer_client.get(reverse(name, args=[orch.number, call.number]), **HTMX).status_code == 403
    assert viewer_client.get(reverse("step_new", args=[orch.number, call.stage.number]), **HTMX).status_code == 403
    assert viewer_client.get(reverse("orchestration_header_edit", args=[orch.number]), **HTMX).status_code == 403


def test_an_archived_orchestration_is_shown_read_only_with_restore(designer_client, orch):
    Orchestration.objects.filter(pk=orch.pk).update(status=OrchestrationStatus.ARCHIVED)
    body = designer_client.get(reverse("designer", args=[orch.number])).content.decode()
    assert "Archived: read-only" in body
    assert "data-edit" not in body and "Add stage" not in body
    assert reverse("orchestration_restore", args=[orch.number]) in body


def test_unknown_orchestration_is_404(designer_client):
    assert designer_client.get(reverse("designer", args=["ORCH-NOPE"])).status_code == 404


def test_fragments_asked_for_without_htmx_land_on_the_page_at_the_object(designer_client, orch):
    call = _call(orch)
    response = designer_client.get(reverse("step_edit", args=[orch.number, call.number]))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('designer', args=[orch.number])}#step-{call.number}"


def test_the_step_form_shows_only_the_settings_of_its_type(designer_client, orch):
    call = _call(orch)
    url = reverse("step_edit", args=[orch.number, call.number])
    body = designer_client.get(url, **HTMX).content.decode()
    assert 'name="grace_period"' in body and 'name="activity_template_id"' in body
    assert 'name="days_to_wait"' not in body and 'name="next_stage_value"' not in body
    assert "data-autofocus" in body
    # Switching the type re-renders the form (nothing saved) and keeps what was typed.
    switched = designer_client.get(
        url, {"step_type": "WAIT", "name": "Renamed", "version": "1", "allow_skip": "on"}, **HTMX
    ).content.decode()
    assert 'name="days_to_wait"' in switched and 'name="grace_period"' not in switched
    assert 'value="Renamed"' in switched
    assert re.search(r'name="allow_skip"[^>]*checked', switched)
    assert "data-autofocus" not in switched  # the focus stays on the type list
    assert Step.objects.get(pk=call.pk).name == "Call 1"


def test_success_and_failure_links_offer_only_the_other_steps_of_the_same_stage(designer_client, orch):
    call = _call(orch)
    body = designer_client.get(reverse("step_edit", args=[orch.number, call.number]), **HTMX).content.decode()
    options = re.findall(r'<option value="\d+">([^<]+)</option>', body)
    assert options == ["2. Meeting 1", "3. Advance 1"] * 2


def test_next_stage_offers_the_later_stages(designer_client, orch):
    advance = Step.objects.get(stage__orchestration=orch, name="Advance 1")
    body = designer_client.get(reverse("step_edit", args=[orch.number, advance.number]), **HTMX).content.decode()
    assert '<option value="02 - Stage 2" selected>Stage 2</option>' in body


def test_the_delete_confirmation_lists_the_cascade(designer_client, orch):
    stage = orch.stages.get(display_sequence=1)
    body = designer_client.get(reverse("stage_delete", args=[orch.number, stage.number]), **HTMX).content.decode()
    assert "Delete stage “Stage 1”?" in body
    assert "<li>3 steps: “Call 1”, “Meeting 1”, “Advance 1”</li>" in body
    assert stage.steps.count() == 3  # asking deletes nothing


def test_cancel_shows_the_row_again_and_focuses_its_edit_button(designer_client, orch):
    call = _call(orch)
    response = designer_client.get(reverse("step_row", args=[orch.number, call.number]), **HTMX)
    assert f'id="step-{call.number}-main"' in response.content.decode()
    assert response["HX-Trigger-After-Settle"] == f'{{"designer:focus": {{"target": "#step-{call.number}-edit"}}}}'


def test_a_new_form_can_be_closed_again(designer_client, orch):
    url = reverse("objective_new", args=[orch.number, orch.stages.first().number])
    response = designer_client.get(url + "?closed=1", **HTMX)
    body = response.content.decode()
    assert "Add objective" in body and "<form" not in body
    assert f"#new-objective-{orch.stages.first().number} button" in response["HX-Trigger-After-Settle"]


def test_an_added_item_is_appended_to_its_list_and_focused(designer_client, orch):
    stage = orch.stages.first()
    response = designer_client.post(
        reverse("step_new", args=[orch.number, stage.number]), {"name": "Email", "step_type": "STOP"}, **HTMX
    )
    body = response.content.decode()
    new = stage.steps.get(name="Email")
    assert f'<div hx-swap-oob="beforeend:#steps-{stage.number}"><li id="step-{new.number}"' in re.sub(
        r">\s+<", "><", body
    )
    assert f"#step-{new.number}-edit" in response["HX-Trigger-After-Settle"]
    toast = re.sub(r">\s+<", "><", body).split('<div id="messages" hx-swap-oob="innerHTML">', 1)[1]
    assert toast.startswith('<div class="toast toast-success" data-toast><p class="toast-text">Added step “Email”.')


def _squeezed(response) -> str:
    return re.sub(r">\s+<", "><", response.content.decode())


def test_a_deletion_toast_carries_its_undo_and_errors_go_to_the_assertive_region(designer_client, orch):
    call = _call(orch)
    body = _squeezed(designer_client.post(reverse("step_delete", args=[orch.number, call.number]), **HTMX))
    notes = body.split('<div id="messages" hx-swap-oob="innerHTML">', 1)[1]
    assert notes.startswith('<div class="toast toast-success" data-toast><p class="toast-text">Deleted step “Call 1”')
    undo = reverse("designer_undo", args=[orch.number])
    assert f'hx-post="{undo}" hx-swap="none" data-undo>Undo</button>' in notes
    assert 'id="alerts"' not in body  # nothing went wrong: the error region is left as it is
    # A second undo has nothing to undo: an error toast, in the role=alert region only.
    designer_client.post(undo, **HTMX)
    body = _squeezed(designer_client.post(undo, **HTMX))
    alerts = body.split('<div id="alerts" hx-swap-oob="innerHTML">', 1)[1]
    assert alerts.startswith('<div class="toast toast-error" data-toast><p class="toast-text">There is nothing to undo')
    assert 'id="messages"' not in body


def test_an_answer_without_messages_leaves_the_toasts_alone(designer_client, orch):
    call = _call(orch)
    body = designer_client.get(reverse("step_edit", args=[orch.number, call.number]), **HTMX).content.decode()
    assert 'id="messages"' not in body and 'id="alerts"' not in body


def test_a_deletion_closes_the_dialog_and_moves_the_focus_to_the_next_row(designer_client, orch):
    call = _call(orch)
    meeting = Step.objects.get(stage__orchestration=orch, name="Meeting 1")
    response = designer_client.post(reverse("step_delete", args=[orch.number, call.number]), **HTMX)
    assert response["HX-Trigger-After-Settle"] == (
        f'{{"designer:closeModal": {{}}, "designer:focus": {{"target": "#step-{meeting.number}-edit"}}}}'
    )


def test_the_conflict_answer_carries_the_newer_version_for_keep_mine(designer_client, orch):
    call = _call(orch)
    Step.objects.filter(pk=call.pk).update(name="Theirs", version=5)
    data = {"name": "Mine", "step_type": "TASK", "version": "1"}
    response = designer_client.post(reverse("step_edit", args=[orch.number, call.number]), data, **HTMX)
    body = response.content.decode()
    assert response.status_code == 409
    assert 'name="version" value="5"' in body
    assert 'value="Mine"' in body  # the user's edit is kept in the form
    assert "<td>Theirs</td><td>Mine</td>" in body
    assert "Keep mine" in body and "Take theirs" in body
    # Keep mine: the same form again, now with the newer version.
    data["version"] = "5"
    assert designer_client.post(reverse("step_edit", args=[orch.number, call.number]), data, **HTMX).status_code == 200
    assert Step.objects.get(pk=call.pk).name == "Mine"


def test_changing_a_step_type_refreshes_its_step_tasks_block(designer_client, orch):
    call = _call(orch)
    data = {"name": "Call 1", "step_type": "APPOINTMENT", "version": "1"}
    body = designer_client.post(reverse("step_edit", args=[orch.number, call.number]), data, **HTMX).content.decode()
    assert f'<div id="step-{call.number}-tasks" class="tasks" data-add-scope hx-swap-oob="true">' in body
    assert "Only Task steps have step tasks" in body


def test_header_conflict_and_save(designer_client, orch):
    url = reverse("orchestration_header_edit", args=[orch.number])
    data = {"name": "New name", "object_code": "Opportunity", "lifecycle_attribute_name": "SalesStage", "version": "1"}
    assert designer_client.post(url, data, **HTMX).status_code == 200
    response = designer_client.post(url, {**data, "name": "Late"}, **HTMX)
    assert response.status_code == 409
    assert "<td>New name</td><td>Late</td>" in response.content.decode()


def test_ticked_serves_boxes_carry_the_association_anchor(designer_client, orch):
    call = _call(orch)
    association = call.associations.get()
    body = designer_client.get(reverse("designer", args=[orch.number])).content.decode()
    assert f'id="association-{association.number}"><input type="checkbox" id="serves-{call.number}-' in body
