"""Rules that span objects: what makes a draft complete and publishable.

The models only hold single-field rules, because a draft may be incomplete
while it is being designed and must still save. Everything else lives here
and is reported as a list of `Problem`s: the designer's problems panel, the
review gate, the importer and the publisher all ask `validate_orchestration`.

The validator reads a tree loaded through `selectors.orchestration_tree` and
only iterates prefetched `.all()` lists, so it issues no queries of its own.
Problems come out in a fixed order (the orchestration first, then stage by
stage, each stage's objectives and then its steps with their tasks and
associations), so the same draft always gives the same list.
"""

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ..models import (
    STEP_TYPE_SETTINGS,
    TYPE_SPECIFIC_SETTINGS,
    AssignedTo,
    ObjectCode,
    Orchestration,
    Stage,
    StageObjective,
    Step,
    StepObjectiveAssociation,
    StepTask,
    StepType,
)
from ..models.numbers import NUMBER_MAX_LENGTH, number_problem
from ..models.orchestration import DESCRIPTION_MAX, NAME_MAX, SUGGESTION_MAX
from ..models.text import json_limit_problem
from . import flow
from .wording import quote as _quote
from .wording import step_label as _step_label
from .wording import step_ref as _step_ref
from .wording import type_label as _type_label


@dataclass(frozen=True)
class Problem:
    """One thing that keeps a draft from being published, named so a sales-ops user can fix it."""

    code: str  # stable machine id, e.g. "stage.no_objective"
    message: str  # one plain sentence naming the object
    kind: str  # "orchestration" | "stage" | "objective" | "step" | "step_task" | "association"
    number: str  # public number of the object concerned
    field: str = ""  # model field concerned, or ""
    stage_number: str = ""  # the stage it belongs to ("" for orchestration-level problems)

    @property
    def anchor(self) -> str:
        """DOM id the designer gives the object (or one of its fields)."""
        return f"{self.kind}-{self.number}-{self.field}" if self.field else f"{self.kind}-{self.number}"

    @property
    def is_completeness(self) -> bool:
        """True for "not finished yet" problems, as opposed to wrong values."""
        return self.code in COMPLETENESS_CODES


# Problems that only say the design is not finished yet. Everything else is a
# value that is wrong and would be refused by CX Sales. `import_orchestration
# --allow-incomplete` downgrades these (and only these) to warnings.
COMPLETENESS_CODES = frozenset(
    {
        "orchestration.no_stages",
        "stage.no_objective",
        "stage.no_step",
        "stage.missing_next_stage",
        "stage.missing_stop",
        "objective.not_served",
    }
)

# Human names of the step settings, for messages.
SETTING_LABELS = {
    "suggestion_text": "a suggestion",
    "activity_template_id": "an activity template",
    "smart_action_id": "a smart action",
    "email_template_id": "an email template",
    "days_to_wait": "days to wait",
    "hours_to_wait": "hours to wait",
    "next_stage_value": "a next stage",
    "field_update_json": "a field update",
    "grace_period": "a grace period",
    "allow_skip": "“allow skip”",
    "wait_for_replies": "“wait for replies”",
    "exit_orchestration": "“exit orchestration”",
    "success_step": "a success step",
    "failure_step": "a failure step",
    "success_criteria": "success criteria",
}


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _json_error(what: str, text: str) -> str:
    """'' when `text` is valid JSON within the limits, else the rest of a sentence naming `what` and why."""
    if problem := json_limit_problem(text):
        return f"{what} that cannot be sent: the text {problem}."
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        are = "are" if what.endswith("criteria") else "is"
        return f"{what} that {are} not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})."
    return ""


class StageFacts(NamedTuple):
    """What the rules of one stage read about the others: enough to validate a stage without loading the rest."""

    pk: int
    number: str
    name: str
    lifecycle_attr_value: str


class _Checker:
    """Collects the problems of one orchestration tree in a fixed order.

    `stages` are the orchestration's stages in display order: the loaded ones
    (a whole tree), or their `StageFacts` when only some stages are checked.
    """

    def __init__(self, orch: Orchestration, stages=None):
        self.orch = orch
        self.stages = list(orch.stages.all()) if stages is None else list(stages)
        self.stage_by_id = {stage.pk: stage for stage in self.stages}
        self.stage_index = {stage.pk: index for index, stage in enumerate(self.stages)}
        self.problems: list[Problem] = []

    # -- helpers -------------------------------------------------------------

    def add(self, code: str, message: str, kind: str, number: str, field: str = "", stage_number: str = "") -> None:
        self.problems.append(Problem(code, message, kind, number, field, stage_number))

    def text_limits(
        self,
        kind: str,
        obj,
        label: str,
        stage_number: str,
        fields: Iterable[tuple[str, str, int, bool]],
    ) -> None:
        """Required values and the contract's length limits: (field, what, max, required)."""
        if _is_blank(obj.number):
            self.add(f"{kind}.number_required", f"{label} has no number.", kind, obj.number or "", "", stage_number)
        elif len(obj.number) > NUMBER_MAX_LENGTH:
            self.add(
                f"{kind}.number_too_long",
                f"{label} has a number of {len(obj.number)} characters; numbers may have at most {NUMBER_MAX_LENGTH}.",
                kind,
                obj.number,
                "number",
                stage_number,
            )
        elif problem := number_problem(obj.number):
            # Only rows stored before numbers were checked: every way in refuses such a number now.
            self.add(
                f"{kind}.number_invalid",
                f"{label} has the number “{obj.number}”, which cannot be sent: {problem[0].lower()}{problem[1:]}",
                kind,
                obj.number,
                "number",
                stage_number,
            )
        for field, what, limit, required in fields:
            value = getattr(obj, field) or ""
            if required and not value.strip():
                self.add(f"{kind}.{field}_required", f"{label} needs {what}.", kind, obj.number, field, stage_number)
            elif len(value) > limit:
                self.add(
                    f"{kind}.{field}_too_long",
                    f"{label} has {what} of {len(value)} characters; CX Sales allows at most {limit}.",
                    kind,
                    obj.number,
                    field,
                    stage_number,
                )

    # -- the orchestration ---------------------------------------------------

    def check(self) -> list[Problem]:
        self.check_reusing({})
        return self.problems

    def check_reusing(self, known: Mapping[int, Sequence[Problem]]) -> dict[int, list[Problem]]:
        """`check`, taking the problems of the stages in `known` (by pk) as given; the others' problems by pk."""
        self.check_header()
        first_stage_with_value = self.first_stage_with_value()
        fresh: dict[int, list[Problem]] = {}
        for stage in self.stages:
            if (given := known.get(stage.pk)) is not None:
                self.problems.extend(given)
                continue
            start = len(self.problems)
            self.check_stage(stage, first_stage_with_value)
            fresh[stage.pk] = self.problems[start:]
        return fresh

    def check_only(self, stages: Iterable[Stage]) -> list[Problem]:
        """The orchestration's own problems and those of `stages` (loaded trees), exactly as `check` finds them."""
        self.check_header()
        first_stage_with_value = self.first_stage_with_value()
        for stage in stages:
            self.check_stage(stage, first_stage_with_value)
        return self.problems

    def first_stage_with_value(self) -> dict[str, Stage | StageFacts]:
        """The first stage (in display order) that mirrors each sales stage value."""
        first: dict[str, Stage | StageFacts] = {}
        for stage in self.stages:
            value = stage.lifecycle_attr_value
            if value and value.strip():
                first.setdefault(value, stage)
        return first

    def check_header(self) -> None:
        orch = self.orch
        label = f"The orchestration {_quote(orch.name, orch.number)}"
        self.text_limits(
            "orchestration",
            orch,
            label,
            "",
            (
                ("name", "a name", NAME_MAX, True),
                ("description", "a description", DESCRIPTION_MAX, False),
                ("lifecycle_attribute_name", "a lifecycle attribute name (e.g. SalesStage)", NAME_MAX, True),
            ),
        )
        if orch.object_code not in ObjectCode.values:
            self.add(
                "orchestration.object_code_invalid",
                f"{label} runs on “{orch.object_code}”; choose Opportunity or Lead.",
                "orchestration",
                orch.number,
                "object_code",
            )
        if not self.stages:
            self.add(
                "orchestration.no_stages",
                f"{label} has no stages yet; add the first stage.",
                "orchestration",
                orch.number,
            )

    # -- stages --------------------------------------------------------------

    def check_stage(self, stage: Stage, first_stage_with_value: dict[str, Stage | StageFacts]) -> None:
        label = f"Stage {_quote(stage.name, stage.number)}"
        sn = stage.number
        self.text_limits(
            "stage",
            stage,
            label,
            sn,
            (
                ("name", "a name", NAME_MAX, True),
                ("description", "a description", DESCRIPTION_MAX, False),
                ("lifecycle_attr_value", "the sales stage value it mirrors", NAME_MAX, True),
            ),
        )
        value = stage.lifecycle_attr_value
        if value and value.strip():
            earlier = first_stage_with_value.get(value, stage)
            if earlier.pk != stage.pk:
                self.add(
                    "stage.duplicate_lifecycle_value",
                    f"{label} mirrors the sales stage “{value}”, as stage {_quote(earlier.name, earlier.number)} "
                    "already does; each stage needs its own value.",
                    "stage",
                    sn,
                    "lifecycle_attr_value",
                    sn,
                )

        objectives = list(stage.objectives.all())
        steps = list(stage.steps.all())
        if not objectives:
            self.add("stage.no_objective", f"{label} has no objective.", "stage", sn, "", sn)
        if not steps:
            self.add("stage.no_step", f"{label} has no steps.", "stage", sn, "", sn)
        is_last = self.stage_index[stage.pk] == len(self.stages) - 1
        if not is_last and steps and not any(step.step_type == StepType.NEXT_STAGE for step in steps):
            self.add(
                "stage.missing_next_stage",
                f"{label} has no “next stage” step, so opportunities never move on to a later stage.",
                "stage",
                sn,
                "",
                sn,
            )

        cycles = self.link_cycles(stage, steps)
        # A loop of links decides where the stage's runs go: it is the one problem to fix first.
        stage_flow = None if cycles else flow.StageFlow(steps)
        if stage_flow and (exit_problem := flow.stage_exit_problem(label, stage_flow, is_last=is_last)):
            self.add(exit_problem[0], exit_problem[1], "stage", sn, "", sn)

        for objective in objectives:
            self.check_objective(stage, objective)
        for index, step in enumerate(steps):
            self.check_step(stage, step)
            if stage_flow and step.pk not in stage_flow.reachable:
                self.add("step.unreachable", stage_flow.why_unreachable(index), "step", step.number, "", sn)
            if step.pk in cycles:
                names = ", ".join(_quote(s.name, s.number) for s in cycles[step.pk])
                self.add(
                    "step.link_cycle",
                    f"{_step_label(step)} starts a loop of success/failure links ({names}); "
                    "follow-up steps must never lead back to an earlier one.",
                    "step",
                    step.number,
                    "success_step",
                    sn,
                )
            for task in step.tasks.all():
                self.check_task(stage, step, task)
            for association in step.associations.all():
                self.check_association(stage, step, association)

    # -- objectives ----------------------------------------------------------

    def check_objective(self, stage: Stage, objective: StageObjective) -> None:
        label = f"Objective {_quote(objective.name, objective.number)} in stage {_quote(stage.name, stage.number)}"
        self.text_limits(
            "objective",
            objective,
            label,
            stage.number,
            (("name", "a name", NAME_MAX, True), ("description", "a description", DESCRIPTION_MAX, False)),
        )
        served = any(a.step.stage_id == stage.pk for a in objective.associations.all())
        if not served:
            self.add(
                "objective.not_served",
                f"{label} is not served by any step yet, so its status stays NEW; tick it under “Serves” on a step.",
                "objective",
                objective.number,
                "",
                stage.number,
            )

    # -- steps ---------------------------------------------------------------

    def check_step(self, stage: Stage, step: Step) -> None:
        label = _step_label(step)
        sn = stage.number
        self.text_limits(
            "step",
            step,
            label,
            sn,
            (
                ("name", "a name", NAME_MAX, True),
                ("suggestion_text", "a suggestion", SUGGESTION_MAX, False),
                ("next_stage_value", "a next stage value", NAME_MAX, False),
            ),
        )
        step_type = step.step_type
        if step_type not in StepType.values:
            self.add(
                "step.type_invalid",
                f"{label} has the unknown type “{step_type}”.",
                "step",
                step.number,
                "step_type",
                sn,
            )
            return
        type_label = _type_label(step_type)

        if step_type == StepType.WAIT and step.days_to_wait is None and step.hours_to_wait is None:
            self.add(
                "step.wait_needs_duration",
                f"{label} waits, but for how long? Enter days or hours to wait.",
                "step",
                step.number,
                "days_to_wait",
                sn,
            )
        if step_type == StepType.EMAIL_AUTOMATION and step.email_template_id is None:
            self.add(
                "step.email_needs_template",
                f"{label} sends an email but has no email template.",
                "step",
                step.number,
                "email_template_id",
                sn,
            )
        if step_type == StepType.NEXT_STAGE:
            self.check_next_stage(stage, step)
        if step_type == StepType.FIELD_UPDATE:
            text = step.field_update_json or ""
            if not text.strip():
                self.add(
                    "step.field_update_needs_json",
                    f"{label} updates fields but does not say which: enter the field update as JSON.",
                    "step",
                    step.number,
                    "field_update_json",
                    sn,
                )
            elif error := _json_error("a field update", text):
                self.add(
                    "step.field_update_json_invalid",
                    f"{label} has {error}",
                    "step",
                    step.number,
                    "field_update_json",
                    sn,
                )
            elif not isinstance(json.loads(text), dict):
                self.add(
                    "step.field_update_json_not_object",
                    f'{label} has a field update that is not a JSON object; write it as {{"FieldName": "value", …}}.',
                    "step",
                    step.number,
                    "field_update_json",
                    sn,
                )
        if step.success_criteria and (error := _json_error("success criteria", step.success_criteria)):
            self.add(
                "step.success_criteria_invalid",
                f"{label} has {error}",
                "step",
                step.number,
                "success_criteria",
                sn,
            )
        if step.failure_step_id and not (step.success_criteria or "").strip():
            self.add(
                "step.failure_needs_criteria",
                f"{label} has a failure step but no success criteria, so it can never fail; "
                "add success criteria or remove the failure step.",
                "step",
                step.number,
                "success_criteria",
                sn,
            )

        used = STEP_TYPE_SETTINGS[step_type]
        for field in TYPE_SPECIFIC_SETTINGS:
            if field in used:
                continue
            value = getattr(step, field)
            # 0 days is a value someone typed; only None, "" and an unticked box are "not set".
            if value is not None and value != "" and value is not False:
                self.add(
                    "step.setting_unused",
                    f"{label} is {type_label} step but has {SETTING_LABELS[field]}, which "
                    f"{type_label.split(' ', 1)[1]} steps do not use; clear it.",
                    "step",
                    step.number,
                    field,
                    sn,
                )

        if step_type != StepType.TASK and step.tasks.all():
            count = len(step.tasks.all())
            self.add(
                "step.tasks_on_non_task",
                f"{label} is {type_label} step but has {count} step task{'s' if count != 1 else ''}; "
                "only task steps have step tasks.",
                "step",
                step.number,
                "",
                sn,
            )

        for field, what in (("success_step", "success"), ("failure_step", "failure")):
            if not getattr(step, f"{field}_id"):
                continue
            target = getattr(step, field)
            if target.pk == step.pk:
                self.add(
                    "step.links_to_itself",
                    f"{label} names itself as its own {what} step; choose another step.",
                    "step",
                    step.number,
                    field,
                    sn,
                )
            elif target.stage_id != stage.pk:
                other = self.stage_by_id.get(target.stage_id)
                where = f"stage {_quote(other.name, other.number)}" if other else "another orchestration"
                self.add(
                    "step.link_other_stage",
                    f"{label} names {_step_ref(target)} of {where} as its "
                    f"{what} step; success and failure steps must be in the same stage.",
                    "step",
                    step.number,
                    field,
                    sn,
                )

    def check_next_stage(self, stage: Stage, step: Step) -> None:
        label = _step_label(step)
        value = step.next_stage_value or ""
        if not value.strip():
            self.add(
                "step.next_stage_needs_value",
                f"{label} moves to the next stage but does not say which one.",
                "step",
                step.number,
                "next_stage_value",
                stage.number,
            )
            return
        position = self.stage_index[stage.pk]
        targets = [s for s in self.stages if s.lifecycle_attr_value == value]
        if not targets:
            self.add(
                "step.next_stage_unknown",
                f"{label} moves to “{value}”, but no stage of this orchestration mirrors that sales stage.",
                "step",
                step.number,
                "next_stage_value",
                stage.number,
            )
        elif not any(self.stage_index[s.pk] > position for s in targets):
            target = targets[0]
            where = (
                "this same stage"
                if target.pk == stage.pk
                else f"the earlier stage {_quote(target.name, target.number)}"
            )
            self.add(
                "step.next_stage_not_later",
                f"{label} moves to “{value}”, which is {where}; a next stage step must move to a later stage.",
                "step",
                step.number,
                "next_stage_value",
                stage.number,
            )

    def link_cycles(self, stage: Stage, steps: list[Step]) -> dict[int, list[Step]]:
        """Loops in the success/failure links of one stage: {first step's pk: steps in the loop}.

        Each strongly connected group of steps counts as one loop and is
        reported once, on its first step in display order. Self-links and
        links to other stages are reported by their own rules.
        """
        by_pk = {step.pk: step for step in steps}
        edges = {
            step.pk: [
                target
                for target in (step.success_step_id, step.failure_step_id)
                if target and target != step.pk and target in by_pk
            ]
            for step in steps
        }
        order = {step.pk: index for index, step in enumerate(steps)}
        cycles: dict[int, list[Step]] = {}
        for component in _strongly_connected(list(by_pk), edges):
            if len(component) < 2:
                continue
            members = sorted((by_pk[pk] for pk in component), key=lambda s: order[s.pk])
            cycles[members[0].pk] = members
        return cycles

    # -- step tasks and associations -----------------------------------------

    def check_task(self, stage: Stage, step: Step, task: StepTask) -> None:
        label = f"Step task {task.display_sequence} of {_step_ref(step)}"
        sn = stage.number
        self.text_limits("step_task", task, label, sn, ())
        if task.activity_template_id is None:
            self.add(
                "step_task.activity_template_required",
                f"{label} needs an activity template.",
                "step_task",
                task.number,
                "activity_template_id",
                sn,
            )
        if task.activity_id is None:
            self.add(
                "step_task.activity_required",
                f"{label} needs an activity.",
                "step_task",
                task.number,
                "activity_id",
                sn,
            )
        if task.assigned_to and task.assigned_to not in AssignedTo.values:
            self.add(
                "step_task.assigned_to_invalid",
                f"{label} is assigned to “{task.assigned_to}”; choose Owner or Team member.",
                "step_task",
                task.number,
                "assigned_to",
                sn,
            )

    def check_association(self, stage: Stage, step: Step, association: StepObjectiveAssociation) -> None:
        sn = stage.number
        self.text_limits("association", association, f"The “serves” link of {_step_ref(step)}", sn, ())
        objective = association.objective
        if objective.stage_id != stage.pk:
            other = self.stage_by_id.get(objective.stage_id)
            where = f"stage {_quote(other.name, other.number)}" if other else "another orchestration"
            self.add(
                "association.other_stage",
                f"{_step_label(step)} serves objective {_quote(objective.name, objective.number)} of {where}; "
                "a step can only serve objectives of its own stage.",
                "association",
                association.number,
                "",
                sn,
            )


def _strongly_connected(nodes: list[int], edges: dict[int, list[int]]) -> Iterator[list[int]]:
    """Tarjan's algorithm, iterative so a long chain of links cannot hit the recursion limit."""
    index_of: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    counter = 0
    for root in nodes:
        if root in index_of:
            continue
        work = [(root, 0)]
        while work:
            node, child_index = work.pop()
            if child_index == 0:
                index_of[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = edges.get(node, [])
            if child_index < len(children):
                work.append((node, child_index + 1))
                child = children[child_index]
                if child not in index_of:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index_of[child])
                continue
            if low[node] == index_of[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                yield component
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])


def validate_orchestration(orch: Orchestration) -> list[Problem]:
    """Every problem of a draft, in a fixed order; [] when it is ready to publish.

    `orch` must come from `selectors.orchestration_tree` (or an equivalent
    prefetch): the validator only iterates prefetched lists and issues no
    queries itself.
    """
    return _Checker(orch).check()


def validate_reusing(
    orch: Orchestration, known: Mapping[int, Sequence[Problem]]
) -> tuple[list[Problem], dict[int, list[Problem]]]:
    """`validate_orchestration(orch)`, with the problems of the stages in `known` (by pk) taken as given.

    Returns the whole list (the same, in the same order, when `known` holds
    what those stages' rules would find) and the problems found afresh for
    each stage not in `known`, so a caller can keep them (views/designer_cache).
    """
    checker = _Checker(orch)
    fresh = checker.check_reusing(known)
    return checker.problems, fresh


def validate_stages(orch: Orchestration, stages: Sequence[StageFacts], checked: Iterable[Stage]) -> list[Problem]:
    """The orchestration's own problems and those of the `checked` stages, in the order of the whole list.

    `stages` are the facts of every stage of the orchestration in display
    order (what the rules of one stage read about the others), `checked` some
    of those stages loaded as trees (`selectors.stages_tree`), in display
    order. The answer is exactly the part of `validate_orchestration` that
    concerns them, so an edit revalidates only the stages it touched.
    """
    return _Checker(orch, stages).check_only(checked)


def problems_by_stage(problems: Iterable[Problem]) -> dict[str, list[Problem]]:
    """Problems grouped by stage number, in their order; orchestration-level ones under ""."""
    grouped: dict[str, list[Problem]] = {}
    for problem in problems:
        grouped.setdefault(problem.stage_number, []).append(problem)
    return grouped
