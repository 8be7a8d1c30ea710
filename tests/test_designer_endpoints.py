"""Every mutating endpoint of the designer and the list, with the same cast each time.

For each endpoint: it works for a Designer, sends anonymous users to the
login page, answers 403 to a Viewer and to a request without the CSRF token,
422 with the message to invalid input, and 409 to an edit over a newer
version where the endpoint takes one. The table below describes each
endpoint once; the tests run every case against every row.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from orchestrator.models import Orchestration, OrchestrationStatus, Stage, StageObjective, Step, StepTask, StepType
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def swapped(siblings) -> list[str]:
    """The numbers of all siblings in order, with the first two swapped."""
    numbers = list(siblings.order_by("display_sequence").values_list("number", flat=True))
    return [numbers[1], numbers[0], *numbers[2:]]


def fresh(o) -> Orchestration:
    return Orchestration.objects.get(pk=o.pk)


def stage(o, n=1) -> Stage:
    return o.stages.get(display_sequence=n)


def step(o, n=1) -> Step:
    return stage(o).steps.get(display_sequence=n)


def objective(o, n=1) -> StageObjective:
    return stage(o).objectives.get(display_sequence=n)


def task(o, n=1) -> StepTask:
    return step(o).tasks.get(display_sequence=n)


def step_data(s: Step, **changes) -> dict:
    """The step form as the browser posts it for a TASK step."""
    data = {
        "name": s.name,
        "step_type": s.step_type,
        "suggestion_text": s.suggestion_text,
        "activity_template_id": s.activity_template_id or "",
        "smart_action_id": s.smart_action_id or "",
        "grace_period": "" if s.grace_period is None else s.grace_period,
        "success_step": "",
        "failure_step": "",
        "success_criteria": "",
        "version": s.version,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


@dataclass
class Endpoint:
    name: str
    url: Callable[[Orchestration], str]
    data: Callable[[Orchestration], dict]
    succeeded: Callable[[Orchestration, object], None]
    invalid: Callable[[Orchestration], dict] | None = None
    invalid_message: str = ""
    stale: Callable[[Orchestration], None] | None = None  # makes the posted version stale

    def __repr__(self):
        return self.name


def _bump(model_getter):
    def bump(o):
        obj = model_getter(o)
        type(obj).objects.filter(pk=obj.pk).update(version=obj.version + 1, name="Changed elsewhere")

    return bump


def _bump_orch(o):
    Orchestration.objects.filter(pk=o.pk).update(version=fresh(o).version + 1, name="Changed elsewhere")


def _bump_task(o):
    t = task(o)
    StepTask.objects.filter(pk=t.pk).update(version=t.version + 1, activity_id=999)


def _holds(condition: Callable[[Orchestration, object], bool]):
    def check(o, response):
        assert condition(o, response), response.content.decode()[:1000]

    return check


def _contains(*texts):
    def check(o, response):
        body = response.content.decode()
        for text in texts:
            assert text in body, text

    return check


ENDPOINTS = [
    Endpoint(
        "orchestration_create",
        lambda o: reverse("orchestration_create"),
        lambda o: {
            "number": "ORCH-BRAND-NEW",
            "name": "Fresh",
            "object_code": "Opportunity",
            "lifecycle_attribute_name": "SalesStage",
        },
        _holds(
            lambda o, r: (
                r.status_code == 204
                # at its "Add stage" slot, where the first stage's form opens (issue 11)
                and r["HX-Redirect"] == "/orchestrations/ORCH-BRAND-NEW/#new-stage-ORCH-BRAND-NEW"
                and Orchestration.objects.filter(number="ORCH-BRAND-NEW").exists()
            )
        ),
        invalid=lambda o: {
            "number": "has space",
            "name": "x",
            "object_code": "Opportunity",
            "lifecycle_attribute_name": "SalesStage",
        },
        invalid_message="Use 1 to 64 letters",
    ),
    Endpoint(
        "orchestration_clone",
        lambda o: reverse("orchestration_clone", args=[o.number]),
        lambda o: {},
        _holds(lambda o, r: Orchestration.objects.filter(name="Copy of Test playbook").exists()),
    ),
    Endpoint(
        "orchestration_archive",
        lambda o: reverse("orchestration_archive", args=[o.number]),
        lambda o: {},
        _holds(lambda o, r: Orchestration.objects.get(pk=o.pk).status == OrchestrationStatus.ARCHIVED),
    ),
    Endpoint(
        "orchestration_restore",
        lambda o: reverse("orchestration_restore", args=[o.number]),
        lambda o: {},
        _holds(lambda o, r: Orchestration.objects.get(pk=o.pk).status == OrchestrationStatus.DRAFT),
    ),
    Endpoint(
        "orchestration_header_edit",
        lambda o: reverse("orchestration_header_edit", args=[o.number]),
        lambda o: {
            "name": "Renamed",
            "description": "",
            "object_code": "Lead",
            "lifecycle_attribute_name": "Status",
            "association_rank": "2",
            "version": fresh(o).version,
        },
        _contains("<h1>Renamed</h1>", 'id="problems"', "Saved the orchestration details."),
        invalid=lambda o: {
            "name": "",
            "object_code": "Lead",
            "lifecycle_attribute_name": "Status",
            "version": fresh(o).version,
        },
        invalid_message="This field is required.",
        stale=_bump_orch,
    ),
    Endpoint(
        "stage_new",
        lambda o: reverse("stage_new", args=[o.number]),
        lambda o: {"name": "Negotiate", "lifecycle_attr_value": "04 - Negotiate", "description": ""},
        _contains('hx-swap-oob="beforeend:#stages"', "Negotiate", "Added stage “Negotiate”."),
        invalid=lambda o: {"name": "x" * 101, "lifecycle_attr_value": "v"},
        invalid_message="Ensure this value has at most 100 characters (it has 101).",
    ),
    Endpoint(
        "objective_new",
        lambda o: reverse("objective_new", args=[o.number, stage(o).number]),
        lambda o: {"name": "Budget known", "description": ""},
        _contains("Budget known", 'id="step-', "-serves", "Added objective “Budget known”."),
        invalid=lambda o: {"name": ""},
        invalid_message="This field is required.",
    ),
    Endpoint(
        "step_new",
        lambda o: reverse("step_new", args=[o.number, stage(o).number]),
        lambda o: {"name": "Pause", "step_type": StepType.WAIT, "days_to_wait": "2"},
        _contains("Pause", "waits 2 days", "Added step “Pause”."),
        invalid=lambda o: {"name": "Pause", "step_type": StepType.WAIT, "days_to_wait": "-1"},
        invalid_message="Ensure this value is greater than or equal to 0.",
    ),
    Endpoint(
        "step_task_new",
        lambda o: reverse("step_task_new", args=[o.number, step(o).number]),
        lambda o: {"activity_template_id": "11", "activity_id": "12", "assigned_to": "OWNER"},
        _contains("activity 12", "Added step task 3 of “Call 1”."),
        invalid=lambda o: {"activity_template_id": "11"},
        invalid_message="This field is required.",
    ),
    Endpoint(
        "stage_edit",
        lambda o: reverse("stage_edit", args=[o.number, stage(o).number]),
        lambda o: {"name": "Qualify", "lifecycle_attr_value": "01 - Stage 1", "version": stage(o).version},
        _contains("Qualify", "Saved stage “Qualify”."),
        invalid=lambda o: {"name": "", "lifecycle_attr_value": "x", "version": stage(o).version},
        invalid_message="This field is required.",
        stale=_bump(stage),
    ),
    Endpoint(
        "objective_edit",
        lambda o: reverse("objective_edit", args=[o.number, objective(o).number]),
        lambda o: {"name": "Budget confirmed", "version": objective(o).version},
        _contains("Budget confirmed", "Saved objective “Budget confirmed”.", 'hx-swap-oob="true"'),
        invalid=lambda o: {"name": "x" * 101, "version": objective(o).version},
        invalid_message="at most 100 characters",
        stale=_bump(objective),
    ),
    Endpoint(
        "step_edit",
        lambda o: reverse("step_edit", args=[o.number, step(o).number]),
        lambda o: step_data(step(o), name="Discovery call", grace_period="24"),
        _contains("Discovery call", "24 h grace period", "Saved step “Discovery call”."),
        invalid=lambda o: step_data(step(o), success_criteria="{not json"),
        invalid_message="This is not valid JSON",
        stale=_bump(step),
    ),
    Endpoint(
        "step_task_edit",
        lambda o: reverse("step_task_edit", args=[o.number, task(o).number]),
        lambda o: {
            "activity_template_id": "5",
            "activity_id": "6",
            "assigned_to": "TEAM_MEMBER",
            "version": task(o).version,
        },
        _contains("activity 6", "assigned to team member"),
        invalid=lambda o: {"activity_template_id": "0", "activity_id": "6", "version": task(o).version},
        invalid_message="Ensure this value is greater than or equal to 1.",
        stale=_bump_task,
    ),
    Endpoint(
        "stage_delete",
        lambda o: reverse("stage_delete", args=[o.number, stage(o).number]),
        lambda o: {},
        _holds(lambda o, r: o.stages.count() == 1 and 'hx-swap-oob="delete"' in r.content.decode()),
    ),
    Endpoint(
        "objective_delete",
        lambda o: reverse("objective_delete", args=[o.number, objective(o).number]),
        lambda o: {},
        _contains('hx-swap-oob="delete"', "Deleted objective “Objective 1.1” with 1 “serves” link"),
    ),
    Endpoint(
        "step_delete",
        lambda o: reverse("step_delete", args=[o.number, step(o).number]),
        lambda o: {},
        _contains('hx-swap-oob="delete"', "Deleted step “Call 1” with 2 step tasks"),
    ),
    Endpoint(
        "step_task_delete",
        lambda o: reverse("step_task_delete", args=[o.number, task(o).number]),
        lambda o: {},
        _contains('hx-swap-oob="delete"', "Deleted step task 1 of “Call 1”."),
    ),
    Endpoint(
        "stage_reorder",
        lambda o: reverse("stage_reorder", args=[o.number]),
        lambda o: {"order": swapped(o.stages), "moved": stage(o, 2).number},
        _contains("Moved stage “Stage 2” to position 1 of 2."),
        invalid=lambda o: {"order": [stage(o, 1).number, stage(o, 1).number]},
        invalid_message="Each item may appear only once.",
        stale=lambda o: Stage.objects.create(
            orchestration=o, display_sequence=3, name="Late", lifecycle_attr_value="L"
        ),
    ),
    Endpoint(
        "objective_reorder",
        lambda o: reverse("objective_reorder", args=[o.number, stage(o).number]),
        lambda o: {"order": [objective(o, 2).number, objective(o, 1).number]},
        _contains("Saved the new order of objectives."),
        invalid=lambda o: {},
        invalid_message="This field is required.",
        stale=lambda o: StageObjective.objects.filter(pk=objective(o, 2).pk).delete(),
    ),
    Endpoint(
        "step_reorder",
        lambda o: reverse("step_reorder", args=[o.number, stage(o).number]),
        # The first step keeps its place (later rows of the table use its step tasks).
        lambda o: {"order": [step(o, 1).number, step(o, 3).number, step(o, 2).number], "moved": step(o, 3).number},
        _contains("Moved step “Advance ", "to position 2 of 3."),
        invalid=lambda o: {"order": [step(o, 1).number] * 3},
        invalid_message="Each item may appear only once.",
        stale=lambda o: Step.objects.filter(pk=step(o, 3).pk).delete(),
    ),
    Endpoint(
        "step_task_reorder",
        lambda o: reverse("step_task_reorder", args=[o.number, step(o).number]),
        lambda o: {"order": [task(o, 2).number, task(o, 1).number]},
        _contains("Saved the new order of step tasks."),
        invalid=lambda o: {"order": [task(o, 2).number, task(o, 2).number]},
        invalid_message="Each item may appear only once.",
        stale=lambda o: StepTask.objects.filter(pk=task(o, 2).pk).delete(),
    ),
    Endpoint(
        "step_objectives",
        lambda o: reverse("step_objectives", args=[o.number, step(o).number]),
        lambda o: {"objectives": [objective(o, 1).number, objective(o, 2).number]},
        _contains("now serves “Objective 1.1”, “Objective 1.2”.", "Served by 2 steps"),
        invalid=lambda o: {"objectives": [stage(o, 2).objectives.first().number]},
        invalid_message="One of the ticked objectives no longer exists",
    ),
    Endpoint(
        "steps_bulk",
        lambda o: reverse("steps_bulk", args=[o.number]),
        lambda o: {"steps": [step(o, 1).number, step(o, 2).number, step(o, 3).number], "grace_period": "6"},
        _contains("Changed grace period (hours) on 2 of 3 selected.", "Left “Advance 1” as they were", "6 h grace"),
        invalid=lambda o: {"grace_period": "6"},
        invalid_message="Select at least one step.",
    ),
    Endpoint(
        "step_tasks_bulk",
        lambda o: reverse("step_tasks_bulk", args=[o.number]),
        lambda o: {"step_tasks": [task(o, 1).number, task(o, 2).number], "assigned_to": "TEAM_MEMBER"},
        _contains("Changed assigned to on 2 of 2 selected.", "assigned to team member"),
        invalid=lambda o: {"step_tasks": [task(o, 1).number]},
        invalid_message="Choose at least one setting to change.",
    ),
]
IDS = [e.name for e in ENDPOINTS]


@pytest.fixture
def orch():
    return build_orchestration(stages=2)


def _prepare(endpoint, o):
    """Only an archived orchestration can be restored."""
    if endpoint.name == "orchestration_restore":
        Orchestration.objects.filter(pk=o.pk).update(status=OrchestrationStatus.ARCHIVED)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_designer_succeeds(designer_client, orch, endpoint):
    _prepare(endpoint, orch)
    response = designer_client.post(endpoint.url(orch), endpoint.data(orch), **HTMX)
    assert response.status_code in (200, 204), response.content.decode()[:2000]
    endpoint.succeeded(orch, response)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_anonymous_is_sent_to_login(client, orch, endpoint):
    response = client.post(endpoint.url(orch), endpoint.data(orch), **HTMX)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_viewer_is_refused(viewer_client, orch, endpoint):
    _prepare(endpoint, orch)
    before = Orchestration.objects.get(pk=orch.pk).updated_at
    response = viewer_client.post(endpoint.url(orch), endpoint.data(orch), **HTMX)
    assert response.status_code == 403
    assert Orchestration.objects.get(pk=orch.pk).updated_at == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_missing_csrf_token_is_refused(designer, orch, endpoint):
    _prepare(endpoint, orch)
    client = Client(enforce_csrf_checks=True)
    client.force_login(designer)
    response = client.post(endpoint.url(orch), endpoint.data(orch), **HTMX)
    assert response.status_code == 403


INVALID = [e for e in ENDPOINTS if e.invalid]


@pytest.mark.parametrize("endpoint", INVALID, ids=[e.name for e in INVALID])
def test_invalid_input_answers_422_with_the_message(designer_client, orch, endpoint):
    response = designer_client.post(endpoint.url(orch), endpoint.invalid(orch), **HTMX)
    assert response.status_code == 422
    assert endpoint.invalid_message in response.content.decode()


STALE = [e for e in ENDPOINTS if e.stale]


@pytest.mark.parametrize("endpoint", STALE, ids=[e.name for e in STALE])
def test_stale_edit_answers_409(designer_client, orch, endpoint):
    data = endpoint.data(orch)
    endpoint.stale(orch)
    response = designer_client.post(endpoint.url(orch), data, **HTMX)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else saved" in body or "changed since it was shown" in body


@pytest.mark.parametrize(
    "url",
    [
        lambda o: reverse("stage_edit", args=[o.number, "ORCH-STG-unknown"]),
        lambda o: reverse("step_delete", args=["ORCH-NOPE", step(o).number]),
        lambda o: reverse("objective_new", args=[o.number, "ORCH-STG-unknown"]),
        lambda o: reverse("orchestration_clone", args=["ORCH-NOPE"]),
        lambda o: reverse("step_objectives", args=[o.number, "ORCH-STP-unknown"]),
    ],
    ids=["unknown stage", "step of unknown orchestration", "unknown parent", "unknown orchestration", "unknown step"],
)
def test_unknown_numbers_answer_404(designer_client, orch, url):
    assert designer_client.post(url(orch), {}, **HTMX).status_code == 404


def test_archived_orchestrations_refuse_changes(designer_client, orch):
    Orchestration.objects.filter(pk=orch.pk).update(status=OrchestrationStatus.ARCHIVED)
    url = reverse("stage_edit", args=[orch.number, stage(orch).number])
    assert designer_client.get(url, **HTMX).status_code == 403
    response = designer_client.post(url, {"name": "x", "lifecycle_attr_value": "y", "version": 1}, **HTMX)
    assert response.status_code == 403
    assert stage(orch).name == "Stage 1"
