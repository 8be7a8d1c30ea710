"""Flow checks: whether each step of a stage can ever run, and whether the stage leads anywhere.

What "reachable" means here, precisely. Each stage is a graph of its own steps:

- **Start.** When an opportunity enters a stage, the stage's first step by
  display order (the lowest DisplaySequence) runs.
- **Edges.** From a step S, the run can go on to
  - S's success step and S's failure step, when they are other steps of the
    same stage. These links count from every step, whatever its type. A link
    to another stage or to S itself is ignored here, as if it were not set:
    its own rule reports it (`step.link_other_stage`, `step.links_to_itself`);
  - the *continuation*: the next step by display order, unless S ends the
    stage or links elsewhere. S **ends the stage** when it is a Next stage
    step (the opportunity moves to another stage) or a Stop step. S **links
    elsewhere** when its success step is another step of the stage: once S
    succeeds the run goes there, not on. A failure step alone does not: it is the branch taken
    when S fails, and a step that succeeds goes on to the next one. This is
    how the outline reads: steps in DisplaySequence order, leaving that
    order only where SuccessStepNumber or FailureStepNumber say so.
- **Reachable.** A step is reachable when a path of these edges leads to it
  from the start; the first step always is. A step that is not reachable can
  never run (`step.unreachable`).
- **Leading on.** A stage leads on when one of its reachable steps is a Next
  stage or Stop step. A stage that has such a step but cannot reach it
  (`stage.no_exit`), or the last stage with no Stop or Next stage step at all
  (`stage.missing_stop`), keeps its opportunities for ever. A stage before
  the last with neither kind of step is reported by `stage.missing_next_stage`
  alone, and a stage whose links form a loop by `step.link_cycle` alone (the
  loop decides where its runs go), so one mistake makes one problem.

Paths never cross into another stage: a Next stage step leaves the stage and
the target stage starts again at its first step. Hence these checks read one
stage's steps only, and a stage's flow problems stay valid in the problem
cache while other stages change. The two flow rules that read across stages
live beside the other per-step rules in `rules`: `step.link_other_stage` (a
success or failure link to a step of another stage; the importer refuses such
a link and the step form offers only steps of the same stage, but the data
model allows it, so it stays a rule) and `step.next_stage_unknown` /
`step.next_stage_not_later` (a Next stage value that no later stage mirrors).
Both read the other stages only through `StageFacts`, which the cache's
fingerprint covers, so renaming a stage's value revalidates every stage.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..models import Step, StepType
from .wording import quote, step_label

ENDING_TYPES = frozenset({StepType.NEXT_STAGE, StepType.STOP})


def ends_stage(step: Step) -> bool:
    return step.step_type in ENDING_TYPES


@dataclass
class StageFlow:
    """The steps of one stage (in display order, prefetched) and which of them can run."""

    steps: Sequence[Step]
    reachable: set[int] = field(init=False)

    def __post_init__(self) -> None:
        self.by_pk = {step.pk: step for step in self.steps}
        self.reachable = set()
        if not self.steps:
            return
        following = {step.pk: after for step, after in zip(self.steps, self.steps[1:], strict=False)}
        todo = [self.steps[0].pk]
        while todo:
            pk = todo.pop()
            if pk in self.reachable:
                continue
            self.reachable.add(pk)
            step = self.by_pk[pk]
            todo += [target for target in self.links(step) if target not in self.reachable]
            after = following.get(pk)
            if after is not None and self.continues(step):
                todo.append(after.pk)

    def links(self, step: Step) -> list[int]:
        """The other steps of this stage that `step` names as its success or failure step."""
        return [
            target
            for target in (step.success_step_id, step.failure_step_id)
            if target and target != step.pk and target in self.by_pk
        ]

    def continues(self, step: Step) -> bool:
        """Whether the run goes on to the next step in order after `step` (see the module docstring)."""
        success = step.success_step_id
        return not ends_stage(step) and not (success and success != step.pk and success in self.by_pk)

    def leads_on(self) -> bool:
        return any(ends_stage(step) for step in self.steps if step.pk in self.reachable)

    def why_unreachable(self, index: int) -> str:
        """The sentence saying why the step at `index` (not reachable) can never run, and how to fix it."""
        step = self.steps[index]
        label = step_label(step)
        linkers = [s for s in self.steps if s.pk != step.pk and step.pk in self.links(s)]
        if linkers:
            names = ", ".join(quote(s.name, s.number) for s in linkers)
            return (
                f"{label} can never run: only steps that can never run themselves link to it ({names}); "
                "link to it from a step that runs, or delete it."
            )
        before = self.steps[index - 1]
        name = quote(before.name, before.number)
        if before.step_type == StepType.NEXT_STAGE:
            reason = f"the step before it, {name}, moves to another stage"
        elif before.step_type == StepType.STOP:
            reason = f"the step before it, {name}, stops"
        elif not self.continues(before):
            target = before.success_step
            reason = f"the step before it, {name}, goes on to its success step {quote(target.name, target.number)}"
        else:
            reason = f"it only follows {name}, which can never run either"
        return (
            f"{label} can never run: {reason}, and no success or failure link leads to it; "
            f"move it above {name} or link to it from another step."
        )


def stage_exit_problem(stage_label: str, flow: StageFlow, *, is_last: bool) -> tuple[str, str] | None:
    """(code, message) when the stage cannot lead on (see the module docstring), else None."""
    steps = flow.steps
    if not steps or flow.leads_on():
        return None
    exits = [step for step in steps if ends_stage(step)]
    if exits:
        names = ", ".join(quote(s.name, s.number) for s in exits)
        first = steps[0]
        return (
            "stage.no_exit",
            f"{stage_label} never reaches its next stage or stop step ({names}): every path from its first "
            f"step, {quote(first.name, first.number)}, ends before it, so opportunities stay in this stage for ever.",
        )
    if is_last:
        return (
            "stage.missing_stop",
            f"{stage_label} is the last stage but has no Stop step, so the orchestration never ends; add a Stop step.",
        )
    return None  # stage.missing_next_stage says it
