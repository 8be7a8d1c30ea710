"""The Diagram view (issue 11, item 1): the flow read from a stage, its layered layout, the page and its fragment."""

import re

import pytest
from django.urls import reverse

from orchestrator import selectors
from orchestrator.models import Stage, Step, StepType
from orchestrator.services.diagram import orchestration_flows
from orchestrator.services.diagram_layout import NODE_HEIGHT, layout, overlaps
from tests.factories import build_orchestration

HTMX = {"HTTP_HX_REQUEST": "true"}


def _edges(flow):
    names = {nid: (n.name or n.title) for nid, n in flow.nodes.items()}
    return [(names[e.source], e.kind, e.label, names[e.target]) for e in flow.edges]


# -- layout --------------------------------------------------------------------------------------------------------


def test_every_edge_points_down_and_long_edges_bend_through_their_own_points():
    result = layout(["a", "b", "c", "d"], [("a", "b", "then", ""), ("b", "c", "then", ""), ("a", "d", "success", "")])
    layer = {n: p.layer for n, p in result.nodes.items()}
    assert layer == {"a": 0, "b": 1, "c": 2, "d": 1}
    chain = result.edges[1]
    assert chain.points[0][1] < chain.points[-1][1]
    assert overlaps(result) == []


def test_an_edge_that_skips_layers_gets_a_bend_per_layer_crossed():
    chain = [("a", "b", "", ""), ("b", "c", "", ""), ("c", "d", "", "")]
    result = layout(["a", "b", "c", "d"], [*chain, ("a", "d", "", "")])
    skipping = result.edges[-1]
    assert len(skipping.points) == 4  # start, two bends (layers 1 and 2), end
    xs = {round(p.cx) for p in result.nodes.values() if p.id in "bc"}
    assert all(round(x) not in xs for x, _ in skipping.points[1:-1])  # the bends go beside b and c, not through


def test_a_loop_is_laid_out_all_the_same_and_its_edge_marked():
    result = layout(["a", "b", "c"], [("a", "b", "", ""), ("b", "c", "", ""), ("c", "a", "failure", "")])
    assert [e.reversed for e in result.edges] == [False, False, True]
    assert overlaps(result) == []


def test_crossings_are_reduced_by_the_barycentre_sweeps():
    # a→d and b→c: placing c under b and d under a crosses nothing.
    result = layout(["a", "b", "c", "d"], [("a", "d", "", ""), ("b", "c", "", "")])
    assert result.layers[1] == ["d", "c"]


def test_a_hundred_steps_stay_readable():
    nodes = [f"s{i}" for i in range(100)]
    edges = [(f"s{i}", f"s{i + 1}", "then", "") for i in range(99)]
    edges += [(f"s{i}", f"s{i + 3}", "failure", "") for i in range(0, 96, 4)]
    result = layout(nodes, edges)
    assert overlaps(result) == []
    assert len(result.nodes) == 100
    assert result.width < 1200  # a column with its branches beside it, not a line 100 nodes wide
    assert result.height < 100 * (NODE_HEIGHT + 70)


# -- the flow of a stage ---------------------------------------------------------------------------------------------


@pytest.fixture
def orch(db):
    return build_orchestration(stages=2)


def _flows(orch):
    return orchestration_flows(list(selectors.orchestration_tree(orch.number).stages.all()))


def test_a_stage_reads_as_start_then_its_steps_in_order_into_the_next_stage(orch):
    flow = _flows(orch)[0]
    assert _edges(flow) == [
        ("Start", "then", "", "Call 1"),
        ("Call 1", "then", "", "Meeting 1"),
        ("Meeting 1", "then", "", "Advance 1"),
        ("Advance 1", "next_stage", "next stage", "Stage 2"),
    ]


def test_branches_waits_and_stop_are_edges_in_words(orch):
    stage = Stage.objects.get(orchestration=orch, display_sequence=2)
    call, meeting, last = stage.steps.order_by("display_sequence")
    Step.objects.filter(pk=call.pk).update(
        step_type=StepType.WAIT, days_to_wait=2, hours_to_wait=4, name="Give them time"
    )
    Step.objects.filter(pk=meeting.pk).update(success_step=last, failure_step=call, success_criteria='{"a": 1}')
    Step.objects.filter(pk=last.pk).update(step_type=StepType.STOP, next_stage_value="")
    flow = _flows(orch)[1]
    assert _edges(flow) == [
        ("Start", "then", "", "Give them time"),
        ("Give them time", "wait", "wait 2 d 4 h", "Meeting 2"),
        ("Meeting 2", "success", "on success", last.name),
        ("Meeting 2", "failure", "on failure", "Give them time"),
    ]
    assert flow.nodes[f"step-{last.number}"].kind == "stop"
    assert [e.reversed for e in flow.placed.edges][-1] is True  # the failure edge goes back up


def test_a_next_stage_value_no_stage_has_ends_in_a_flagged_node(orch):
    next_stage_steps = Step.objects.filter(stage__orchestration=orch, step_type=StepType.NEXT_STAGE)
    next_stage_steps.update(next_stage_value="99 - Nowhere")
    flow = _flows(orch)[0]
    assert _edges(flow)[-1] == ("Advance 1", "next_stage", "next stage", "99 - Nowhere")
    assert flow.nodes[flow.edges[-1].target].kind == "dangling"


def test_a_step_after_a_next_stage_step_is_drawn_as_never_running(orch):
    stage = Stage.objects.get(orchestration=orch, display_sequence=1)
    Step.objects.create(stage=stage, display_sequence=4, name="Recap after the move", step_type=StepType.TASK)
    nodes, _ = _flows(orch)[0].drawn()
    never = {n.node.name for n in nodes if n.never_runs}
    assert never == {"Recap after the move"}


# -- the page and its fragment -------------------------------------------------------------------------------------


def test_the_page_draws_every_stage_with_typed_named_nodes_linking_to_their_forms(designer_client, orch):
    response = designer_client.get(reverse("diagram", args=[orch.number]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="stage-diagram"') == 2
    call = Step.objects.get(stage__orchestration=orch, name="Call 1")
    assert f'hx-get="{reverse("step_edit", args=[orch.number, call.number])}"' in html
    assert 'aria-label="Task step Call 1"' in html
    assert "→ Into stage" in html
    assert 'id="diagram-editor"' in html


def test_one_stage_alone(designer_client, orch):
    stage = Stage.objects.get(orchestration=orch, display_sequence=2)
    html = designer_client.get(reverse("diagram", args=[orch.number]) + f"?stage={stage.number}").content.decode()
    assert html.count('class="stage-diagram"') == 1
    assert "Diagram of stage “Stage 2”" in html
    assert designer_client.get(reverse("diagram", args=[orch.number]) + "?stage=ORCH-STG-nope").status_code == 404


def test_viewers_read_it_without_edit_forms(viewer_client, orch):
    html = viewer_client.get(reverse("diagram", args=[orch.number])).content.decode()
    assert "hx-get" not in html.split('class="diagram-stages"')[1]
    assert 'id="diagram-editor"' not in html
    assert "opens it in the outline" in html


def test_the_stage_fragment_is_the_stage_as_the_page_draws_it(designer_client, orch):
    stage = Stage.objects.get(orchestration=orch, display_sequence=1)
    page = designer_client.get(reverse("diagram", args=[orch.number])).content.decode()
    fragment = designer_client.get(reverse("diagram_stage", args=[orch.number, stage.number]), **HTMX)
    assert fragment.status_code == 200
    section = re.search(rf'<section id="diagram-{stage.number}".*?</section>', page, re.S).group(0)
    assert fragment.content.decode().strip() == section.strip()


def test_unknown_orchestration_or_stage_is_404(designer_client, orch):
    assert designer_client.get(reverse("diagram", args=["ORCH-NOPE"])).status_code == 404
    assert designer_client.get(reverse("diagram_stage", args=[orch.number, "ORCH-STG-nope"])).status_code == 404


def test_login_is_required(client, orch):
    assert client.get(reverse("diagram", args=[orch.number])).status_code == 302


@pytest.mark.parametrize("stages", [2, 30])
def test_query_counts_do_not_grow_with_the_orchestration(designer_client, django_assert_num_queries, stages):
    big = build_orchestration(stages=stages)
    stage = Stage.objects.get(orchestration=big, display_sequence=1)
    designer_client.get(reverse("diagram", args=[big.number]))  # the session and permissions warmed up
    with django_assert_num_queries(PAGE_QUERIES):
        assert designer_client.get(reverse("diagram", args=[big.number])).status_code == 200
    with django_assert_num_queries(FRAGMENT_QUERIES):
        designer_client.get(reverse("diagram_stage", args=[big.number, stage.number]), **HTMX)


PAGE_QUERIES = 12  # the same at 2 and 30 stages: the tree in a fixed number of queries
FRAGMENT_QUERIES = 13  # the same at 2 and 30 stages: the stage alone, not the tree
