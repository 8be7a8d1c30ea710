"""A stage's steps as a flow: nodes, edges and their placement, for the Diagram view (issue 11, item 1).

How the flow is read, edge by edge (Oracle documents SUCCESS_STEP_ID as the
"next step on success" and FAILURE_STEP_ID as the "next step on failure";
the rest is our reading, the same as the designer's outline):
- the stage starts at its first step by order;
- a step with a success step goes there on success ("on success"); one with
  a failure step goes there on failure ("on failure");
- a step without a success step goes on with the next step by order ("then");
  after a Wait step that edge carries the wait ("wait 2 d 4 h"), so a wait
  reads as a timed connector;
- a Next-stage step ends the stage: its edge leads into the stage whose sales
  stage value it names (a link to that stage's diagram), or to a flagged end
  when no stage has that value;
- a Stop step ends the orchestration: an end node.
Nothing here queries the database: it reads a tree loaded by the selectors.
"""

from dataclasses import dataclass, field

from ..models import Stage, Step, StepType
from .diagram_layout import Layout, layout

START = "start"


@dataclass
class FlowNode:
    id: str
    kind: str  # "step" | "start" | "stop" | "stage" (the Next-stage target) | "dangling" | "end"
    title: str  # the type label, or what the node is
    name: str = ""
    step: Step | None = None
    target_stage: Stage | None = None
    label: str = ""  # the accessible name


@dataclass
class FlowEdge:
    source: str
    target: str
    kind: str  # "then" | "success" | "failure" | "wait" | "next_stage" | "stop"
    label: str


@dataclass
class StageFlow:
    stage: Stage
    nodes: dict[str, FlowNode] = field(default_factory=dict)
    edges: list[FlowEdge] = field(default_factory=list)
    placed: Layout | None = None

    def drawn(self):
        """(nodes, edges) as the template draws them."""
        return drawing(self)

    def outgoing(self, node_id: str) -> list[str]:
        return [e.target for e in self.edges if e.source == node_id]

    def incoming(self, node_id: str) -> list[str]:
        return [e.source for e in self.edges if e.target == node_id]


def wait_text(step: Step) -> str:
    parts = []
    if step.days_to_wait:
        parts.append(f"{step.days_to_wait} d")
    if step.hours_to_wait:
        parts.append(f"{step.hours_to_wait} h")
    return "wait " + " ".join(parts) if parts else "wait (no time set)"


def _node_id(step: Step) -> str:
    return f"step-{step.number}"


def stage_flow(stage: Stage, stages_by_value: dict[str, Stage]) -> StageFlow:
    """The flow of one loaded stage; `stages_by_value`: the orchestration's stages by sales stage value."""
    flow = StageFlow(stage)
    steps = list(stage.steps.all())
    flow.nodes[START] = FlowNode(START, "start", "Start", label=f"Start of stage {stage.name}")
    ids = {step.pk: _node_id(step) for step in steps}
    for step in steps:
        node_id = ids[step.pk]
        title = step.get_step_type_display()
        flow.nodes[node_id] = FlowNode(
            node_id,
            "stop" if step.step_type == StepType.STOP else "step",
            title,
            step.name,
            step,
            label=f"{title} step {step.name or '(unnamed)'}",
        )
    if steps:
        flow.edges.append(FlowEdge(START, ids[steps[0].pk], "then", ""))
    for index, step in enumerate(steps):
        source = ids[step.pk]
        if step.step_type == StepType.NEXT_STAGE:
            target = stages_by_value.get(step.next_stage_value or "")
            if target is not None and target.pk != stage.pk:
                end_id = f"to-stage-{target.number}"
                flow.nodes.setdefault(
                    end_id,
                    FlowNode(
                        end_id,
                        "stage",
                        "Next stage",
                        target.name,
                        target_stage=target,
                        label=f"Into stage {target.name}",
                    ),
                )
            else:
                end_id = f"dangling-{step.number}"
                value = step.next_stage_value or "(none)"
                flow.nodes[end_id] = FlowNode(
                    end_id, "dangling", "No such stage", value, label=f"No stage has the value {value}"
                )
            flow.edges.append(FlowEdge(source, end_id, "next_stage", "next stage"))
            continue
        if step.step_type == StepType.STOP:
            continue
        following = steps[index + 1] if index + 1 < len(steps) else None
        if step.success_step_id and step.success_step_id in ids:
            flow.edges.append(FlowEdge(source, ids[step.success_step_id], "success", "on success"))
        elif following is not None:
            is_wait = step.step_type == StepType.WAIT
            kind, label = ("wait", wait_text(step)) if is_wait else ("then", "")
            flow.edges.append(FlowEdge(source, ids[following.pk], kind, label))
        else:
            end_id = f"end-{stage.number}"
            flow.nodes.setdefault(
                end_id, FlowNode(end_id, "end", "End of stage", "no next stage or stop", label="End of the stage")
            )
            flow.edges.append(FlowEdge(source, end_id, "then", ""))
        if step.failure_step_id and step.failure_step_id in ids:
            flow.edges.append(FlowEdge(source, ids[step.failure_step_id], "failure", "on failure"))
    flow.placed = layout(list(flow.nodes), [(e.source, e.target, e.kind, e.label) for e in flow.edges])
    return flow


def orchestration_flows(stages: list[Stage]) -> list[StageFlow]:
    by_value: dict[str, Stage] = {}
    for stage in stages:
        by_value.setdefault(stage.lifecycle_attr_value, stage)
    return [stage_flow(stage, by_value) for stage in stages]


# -- what the template draws ---------------------------------------------------------------------------------------

NAME_CHARS = 30  # SVG text does not wrap: longer names are cut, the full name stays in the node's title


@dataclass
class DrawnNode:
    node: FlowNode
    x: float
    y: float
    width: float
    height: float
    name: str  # cut to fit
    out: str  # ids of the nodes its edges lead to, for the arrow keys
    into: str  # ids of the nodes whose edges lead here
    never_runs: bool


@dataclass
class DrawnEdge:
    kind: str
    label: str
    path: str
    label_x: float
    label_y: float
    label_width: float
    reversed: bool

    @property
    def label_left(self) -> float:
        return self.label_x - self.label_width / 2

    @property
    def label_top(self) -> float:
        return self.label_y - 9


def _path(points: list[tuple[float, float]]) -> str:
    (x, y), rest = points[0], points[1:]
    d = [f"M{x:.1f},{y:.1f}"]
    for nx, ny in rest:
        bend = (ny - y) / 2
        d.append(f"C{x:.1f},{y + bend:.1f} {nx:.1f},{ny - bend:.1f} {nx:.1f},{ny:.1f}")
        x, y = nx, ny
    return " ".join(d)


def _reached(flow: StageFlow) -> set[str]:
    seen, todo = {START}, [START]
    while todo:
        for target in flow.outgoing(todo.pop()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def drawing(flow: StageFlow) -> tuple[list[DrawnNode], list[DrawnEdge]]:
    placed = flow.placed
    assert placed is not None  # noqa: S101 - stage_flow always places it
    reached = _reached(flow)
    nodes = []
    for node_id, node in flow.nodes.items():
        box = placed.nodes[node_id]
        name = node.name if len(node.name) <= NAME_CHARS else node.name[: NAME_CHARS - 1] + "…"
        nodes.append(
            DrawnNode(
                node,
                box.x,
                box.y,
                box.width,
                box.height,
                name,
                " ".join(flow.outgoing(node_id)),
                " ".join(flow.incoming(node_id)),
                node.kind in ("step", "stop") and node_id not in reached,
            )
        )
    edges = []
    for edge in placed.edges:
        (x0, y0), (x1, y1) = edge.points[0], edge.points[1]
        width = 7 * len(edge.label) + 10 if edge.label else 0
        edges.append(
            DrawnEdge(edge.kind, edge.label, _path(edge.points), (x0 + x1) / 2, (y0 + y1) / 2, width, edge.reversed)
        )
    return nodes, edges
