"""The designer page and every fragment cost the same number of SQL queries at 5 and at 100 stages.

Fragments render from the tree loaded by the selector (a fixed number of
queries), never with per-row lookups, so a long orchestration is as cheap to
edit as a short one. Each endpoint runs once against each tree and the two
counts are compared; a failure lists every endpoint whose count grew.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orchestrator.models import Orchestration
from tests.factories import build_orchestration
from tests.test_designer_endpoints import ENDPOINTS, HTMX, _prepare, objective, stage, step, task

pytestmark = pytest.mark.django_db

FRAGMENTS = {
    "designer page": lambda o: reverse("designer", args=[o.number]),
    "header": lambda o: reverse("orchestration_header", args=[o.number]),
    "header edit form": lambda o: reverse("orchestration_header_edit", args=[o.number]),
    "stage row": lambda o: reverse("stage_row", args=[o.number, stage(o, 2).number]),
    "stage edit form": lambda o: reverse("stage_edit", args=[o.number, stage(o, 2).number]),
    "stage new form": lambda o: reverse("stage_new", args=[o.number]),
    "stage delete confirmation": lambda o: reverse("stage_delete", args=[o.number, stage(o, 2).number]),
    "objective row": lambda o: reverse("objective_row", args=[o.number, objective(o).number]),
    "objective edit form": lambda o: reverse("objective_edit", args=[o.number, objective(o).number]),
    "objective delete confirmation": lambda o: reverse("objective_delete", args=[o.number, objective(o).number]),
    "step row": lambda o: reverse("step_row", args=[o.number, step(o).number]),
    "step edit form": lambda o: reverse("step_edit", args=[o.number, step(o).number]),
    "step type switch": lambda o: reverse("step_edit", args=[o.number, step(o).number]) + "?step_type=WAIT&name=x",
    # A Field update's rows look up the orchestration's object for the catalogue's attribute names.
    "step type switch to field update": lambda o: (
        reverse("step_edit", args=[o.number, step(o).number]) + "?step_type=FIELD_UPDATE&name=x"
    ),
    "step new form": lambda o: reverse("step_new", args=[o.number, stage(o).number]),
    "step delete confirmation": lambda o: reverse("step_delete", args=[o.number, step(o).number]),
    "step task row": lambda o: reverse("step_task_row", args=[o.number, task(o).number]),
    "step task edit form": lambda o: reverse("step_task_edit", args=[o.number, task(o).number]),
    "step task delete confirmation": lambda o: reverse("step_task_delete", args=[o.number, task(o).number]),
}
# Creating an orchestration does not read a tree; every other endpoint does. The trees are
# shared by the whole run, so deletions come last, children before their parents.
_DELETES = ["step_task_delete", "objective_delete", "step_delete", "stage_delete"]
CHANGES = [e for e in ENDPOINTS if e.name not in ("orchestration_create", *_DELETES)] + [
    next(e for e in ENDPOINTS if e.name == name) for name in _DELETES
]


def _count(client, method, url, data=None):
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(url, data or {}, **HTMX)
    assert response.status_code < 400, (url, response.status_code, response.content.decode()[:500])
    return len(ctx.captured_queries)


@pytest.fixture
def trees():
    return build_orchestration(stages=5), build_orchestration(stages=100)


def test_page_and_fragments_cost_the_same_at_5_and_100_stages(designer_client, trees):
    grown = {}
    for name, url in FRAGMENTS.items():
        counts = [_count(designer_client, "get", url(o)) for o in trees]
        if counts[0] != counts[1]:
            grown[name] = counts
    assert grown == {}


def test_every_change_costs_the_same_at_5_and_100_stages(designer_client, trees):
    grown = {}
    for endpoint in CHANGES:
        counts = []
        for o in trees:
            _prepare(endpoint, o)
            counts.append(_count(designer_client, "post", endpoint.url(o), endpoint.data(o)))
        if counts[0] != counts[1]:
            grown[endpoint.name] = counts
    assert grown == {}


def test_the_list_costs_the_same_for_few_and_many_orchestrations(designer_client):
    url = reverse("orchestration_list")
    Orchestration.objects.bulk_create([Orchestration(number=f"ORCH-FEW-{i}", name=f"Few {i}") for i in range(3)])
    few = _count(designer_client, "get", url)
    Orchestration.objects.bulk_create([Orchestration(number=f"ORCH-MANY-{i}", name=f"Many {i}") for i in range(120)])
    assert _count(designer_client, "get", url) == few


# Changes that touch one stage's content (or the header alone): once the page has been loaded, they load
# and validate that stage only. Stage-level changes (add, delete, reorder, rename) read the whole tree.
STAGE_LEVEL = ("orchestration_clone", "orchestration_archive", "orchestration_restore", "stage_new", "stage_edit")
STAGE_LEVEL += ("stage_delete", "stage_reorder")
ONE_STAGE = [e for e in CHANGES if e.name not in STAGE_LEVEL]
ROWS = ["header", "stage row", "objective row", "step row", "step task row"]


@pytest.fixture
def whole_tree_loads(monkeypatch):
    from orchestrator import selectors
    from orchestrator.views import designer_support

    calls = []
    original = selectors.orchestration_tree
    monkeypatch.setattr(designer_support.selectors, "orchestration_tree", lambda n: calls.append(n) or original(n))
    return calls


def test_edits_after_the_page_load_one_stage_and_cost_the_same_at_5_and_100_stages(
    designer_client, trees, whole_tree_loads
):
    for o in trees:  # the page validates the whole tree once and keeps the answer
        assert designer_client.get(reverse("designer", args=[o.number])).status_code == 200
    grown, whole = {}, set()
    for endpoint in CHANGES:  # in the order of the other tests: later rows rely on earlier ones
        counts = []
        for o in trees:
            _prepare(endpoint, o)
            whole_tree_loads.clear()
            counts.append(_count(designer_client, "post", endpoint.url(o), endpoint.data(o)))
            if whole_tree_loads and endpoint in ONE_STAGE:
                whole.add(endpoint.name)
        if counts[0] != counts[1]:
            grown[endpoint.name] = counts
    assert grown == {}
    assert whole == set()


def test_rows_shown_again_load_one_stage(designer_client, trees, whole_tree_loads):
    for name in ROWS:
        for o in trees:
            _count(designer_client, "get", FRAGMENTS[name](o))
    assert whole_tree_loads == []


def test_flow_problems_in_every_stage_cost_the_same_at_5_and_100_stages(designer_client):
    """Steps that can never run (a Next stage step moved above the meeting in every stage) add no query."""
    from orchestrator import selectors
    from orchestrator.models import Step, StepType
    from orchestrator.validation import validate_orchestration

    counts = {}
    for size in (5, 100):
        o = build_orchestration(stages=size)
        for s in o.stages.all():
            steps = list(s.steps.order_by("display_sequence"))
            # The meeting goes last: behind the Next stage (or Stop) step, where it can never run.
            Step.objects.filter(pk=steps[1].pk).update(display_sequence=4)
        codes = {p.code for p in validate_orchestration(selectors.orchestration_tree(o.number))}
        assert "step.unreachable" in codes
        call, advance, meeting = stage(o, 2).steps.order_by("display_sequence")
        assert meeting.step_type == StepType.APPOINTMENT
        reorder = reverse("step_reorder", args=[o.number, stage(o, 2).number])
        counts[size] = [
            _count(designer_client, "get", reverse("designer", args=[o.number])),
            # Fixing one stage's flow: the meeting back above the Next stage step.
            _count(
                designer_client,
                "post",
                reorder,
                {"order": [call.number, meeting.number, advance.number], "moved": meeting.number},
            ),
        ]
    assert counts[5] == counts[100]
