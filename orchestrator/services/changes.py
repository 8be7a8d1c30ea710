"""A change summary people can read (issue 10, item 5): what differs between two orchestration documents.

Both sides are documents of payload-contract §6 — the export of a draft, a
revision, what a connection holds (`pulling.remote_document`) — so one
function serves "since the last publish", "against what is live" and
"between two revisions". The result names, per stage, what was added,
removed, renamed, moved (old → new position) and which field changed (old →
new value), for stages, objectives, steps, step tasks and associations, in
the interface's words.

Objects are matched by their public numbers, which never change. A move is
reported only for the objects that really moved: among the siblings both
sides share, the longest run that kept its relative order stayed put, and
only the others are named (moving step 3 to 1 is one move, not three). What
goes with a removed (or comes with an added) stage or step is counted in
that one line instead of being listed item by item. Pure: no queries.
"""

from dataclasses import dataclass, field
from typing import Any

from ..models import AssignedTo, ObjectCode, StepType
from .documents.export import STEP_SETTING_ATTRIBUTES

ADDED, REMOVED, RENAMED, MOVED, CHANGED = "added", "removed", "renamed", "moved", "changed"

# Document attribute → the label the designer's forms use (forms.LABELS; a test keeps them in step).
HEADER_LABELS = {
    "OrchestrationDescription": "Description",
    "ObjectCode": "Object",
    "LifecycleAttributeName": "Lifecycle attribute",
    "AssociationRank": "Association rank",
}
STAGE_LABELS = {"StageDescription": "Description", "LifecycleAttrValue": "Sales stage value"}
OBJECTIVE_LABELS = {"ObjectiveDescription": "Description"}
STEP_LABELS = {
    "StepType": "Type",
    "StepSuggestionText": "Suggestion for the rep",
    "ActivityTemplateId": "Activity template ID",
    "SmartActionId": "Smart action ID",
    "EmailTemplateId": "Email template ID",
    "DaysToWait": "Days to wait",
    "HoursToWait": "Hours to wait",
    "NextStageValue": "Next stage",
    "FieldUpdateJson": "Field update",
    "GracePeriod": "Grace period (hours)",
    "AllowSkipFlag": "Allow skip",
    "WaitForRepliesFlag": "Wait for replies",
    "ExitOrchestrationFlag": "Exit orchestration",
    "SuccessStepNumber": "On success, go to",
    "FailureStepNumber": "On failure, go to",
    "SuccessCriteria": "Success criteria",
}
TASK_LABELS = {
    "ActivityTemplateId": "Activity template ID",
    "ActivityId": "Activity ID",
    "SmartActionId": "Smart action ID",
    "AssignedTo": "Assigned to",
}
_CODE_LABELS = {
    "StepType": dict(StepType.choices),
    "AssignedTo": dict(AssignedTo.choices),
    "ObjectCode": dict(ObjectCode.choices),
}
_FLAGS = {"AllowSkipFlag", "WaitForRepliesFlag", "ExitOrchestrationFlag"}
_LINKS = {"SuccessStepNumber", "FailureStepNumber"}
_STEP_ATTRIBUTES = ("StepType", *(attribute for _, attribute in STEP_SETTING_ATTRIBUTES))
_SHOWN_LENGTH = 60


@dataclass(frozen=True)
class Change:
    """One change: `kind` (added, removed, renamed, moved, changed), `what` (stage, objective, step, step task,
    association, orchestration), `number` of the object, and the sentence that says it."""

    kind: str
    what: str
    number: str
    text: str


@dataclass
class ChangeGroup:
    """The changes of one stage (or of the orchestration's own details, `stage_number` "")."""

    title: str
    stage_number: str = ""
    changes: list[Change] = field(default_factory=list)


@dataclass
class ChangeSummary:
    groups: list[ChangeGroup] = field(default_factory=list)

    @property
    def changes(self) -> list[Change]:
        return [change for group in self.groups for change in group.changes]

    @property
    def count(self) -> int:
        return len(self.changes)

    def __bool__(self) -> bool:
        return bool(self.count)

    @property
    def texts(self) -> list[str]:
        return [change.text for change in self.changes]

    def one_line(self, limit: int = 300) -> str:
        """The first change, and how many more: a revision's summary."""
        changes = self.changes
        if not changes:
            return "No change to the content."
        line = changes[0].text
        if len(changes) > 1:
            more = len(changes) - 1
            line = f"{line.rstrip('.')} (and {more} more change{'s' if more != 1 else ''})."
        return line if len(line) <= limit else line[: limit - 1] + "…"


# -- presentation ------------------------------------------------------------------------------------------------


def _quoted(name: Any, number: str = "") -> str:
    text = str(name or "").strip()
    return f"“{_clip(text)}”" if text else f"(unnamed {number})".replace(" )", ")")


def _clip(text: str) -> str:
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 1] + "…"


def _value(attribute: str, value: Any, step_names: dict[str, str] | None = None) -> str:
    """A value as the interface shows it: labels for codes, names for links, yes/no for flags."""
    if attribute in _FLAGS:
        return "yes" if value else "no"
    if value is None or value == "":
        return "(none)"
    if attribute in _LINKS:
        return _quoted((step_names or {}).get(value), value) if (step_names or {}).get(value) else str(value)
    if attribute in _CODE_LABELS:
        return _CODE_LABELS[attribute].get(value, str(value))
    if isinstance(value, str):
        return f"“{_clip(value)}”"
    return str(value)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _with(counts: list[tuple[int, str]]) -> str:
    parts = [_plural(n, word) for n, word in counts if n]
    return f", with {_and(parts)}" if parts else ""


def unmoved(old_order: list[str], new_order: list[str]) -> set[str]:
    """The items of `new_order` (all also in `old_order`) that kept their relative order: the longest such run.

    Everything else moved. Patience-style longest increasing subsequence of
    the old positions, O(n log n).
    """
    from bisect import bisect_left

    old_index = {number: i for i, number in enumerate(old_order)}
    sequence = [old_index[number] for number in new_order]
    tails: list[int] = []  # tails[k]: index into `sequence` of the smallest tail of a run of length k+1
    previous = [-1] * len(sequence)
    for i, value in enumerate(sequence):
        k = bisect_left([sequence[t] for t in tails], value)
        if k:
            previous[i] = tails[k - 1]
        if k == len(tails):
            tails.append(i)
        else:
            tails[k] = i
    kept: set[str] = set()
    i = tails[-1] if tails else -1
    while i >= 0:
        kept.add(new_order[i])
        i = previous[i]
    return kept


# -- reading a document ------------------------------------------------------------------------------------------


@dataclass
class _Item:
    number: str
    doc: dict[str, Any]
    parent: str  # the stage (objectives, steps) or step (step tasks) it belongs to
    position: int  # 1-based among its siblings


@dataclass
class _Side:
    stages: dict[str, _Item] = field(default_factory=dict)
    objectives: dict[str, _Item] = field(default_factory=dict)
    steps: dict[str, _Item] = field(default_factory=dict)
    tasks: dict[str, _Item] = field(default_factory=dict)
    pairs: dict[tuple[str, str], str] = field(default_factory=dict)  # (step, objective) → stage
    order: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (kind, parent) → numbers in order


def _sequence(item: dict[str, Any]) -> int:
    value = item.get("DisplaySequence")
    return value if isinstance(value, int) else 0


def _read(document: dict[str, Any] | None) -> _Side:
    side = _Side()
    if not document:
        return side
    stages = sorted(
        (s for s in document.get("Stages") or [] if isinstance(s, dict)),
        key=lambda s: (_sequence(s), str(s.get("OrchestrationStageNumber"))),
    )
    side.order[("stage", "")] = []
    for position, stage in enumerate(stages, start=1):
        number = str(stage.get("OrchestrationStageNumber"))
        side.stages[number] = _Item(number, stage, "", position)
        side.order[("stage", "")].append(number)
        for kind, array, key, target in (
            ("objective", "StageObjectives", "StageObjectiveNumber", side.objectives),
            ("step", "Steps", "OrchestrationStepNumber", side.steps),
        ):
            items = sorted((i for i in stage.get(array) or [] if isinstance(i, dict)), key=_sequence)
            side.order[(kind, number)] = []
            for child_position, item in enumerate(items, start=1):
                child = str(item.get(key))
                target[child] = _Item(child, item, number, child_position)
                side.order[(kind, number)].append(child)
        tasks_by_step: dict[str, list[dict[str, Any]]] = {}
        for task in stage.get("StepTasks") or []:
            if isinstance(task, dict):
                tasks_by_step.setdefault(str(task.get("OrchestrationStepNumber")), []).append(task)
        for step_number, tasks in tasks_by_step.items():
            side.order[("step task", step_number)] = []
            for child_position, task in enumerate(sorted(tasks, key=_sequence), start=1):
                child = str(task.get("StepTasksNumber"))
                side.tasks[child] = _Item(child, task, step_number, child_position)
                side.order[("step task", step_number)].append(child)
        for association in stage.get("StepObjectivesAssociations") or []:
            if isinstance(association, dict):
                pair = (str(association.get("OrchestrationStepNumber")), str(association.get("StageObjectiveNumber")))
                side.pairs[pair] = number
    return side


# -- the comparison ----------------------------------------------------------------------------------------------


class _Comparison:
    def __init__(self, old: dict[str, Any] | None, new: dict[str, Any] | None):
        self.old_doc, self.new_doc = old or {}, new or {}
        self.old, self.new = _read(old), _read(new)
        self.groups: dict[str, ChangeGroup] = {}
        self.old_step_names = {n: str(i.doc.get("OrchestrationStepName") or "") for n, i in self.old.steps.items()}
        self.new_step_names = {n: str(i.doc.get("OrchestrationStepName") or "") for n, i in self.new.steps.items()}

    # where a change is listed: under the stage it is in now (or was in, when it is gone)
    def _group(self, stage_number: str) -> ChangeGroup:
        if stage_number not in self.groups:
            if not stage_number:
                title = "Orchestration"
            else:
                item = self.new.stages.get(stage_number) or self.old.stages[stage_number]
                title = f"Stage {_quoted(item.doc.get('StageName'), stage_number)}"
            self.groups[stage_number] = ChangeGroup(title=title, stage_number=stage_number)
        return self.groups[stage_number]

    def add(self, stage_number: str, kind: str, what: str, number: str, text: str) -> None:
        self._group(stage_number).changes.append(Change(kind, what, number, text))

    def summary(self) -> ChangeSummary:
        self.header()
        self.stages()
        self.children("objective", self.old.objectives, self.new.objectives, "ObjectiveName", OBJECTIVE_LABELS)
        self.children("step", self.old.steps, self.new.steps, "OrchestrationStepName", {})
        self.tasks()
        self.associations()
        order = ["", *self.new.order.get(("stage", ""), []), *self.old.order.get(("stage", ""), [])]
        return ChangeSummary([self.groups[n] for n in dict.fromkeys(order) if n in self.groups])

    def header(self) -> None:
        old, new = self.old_doc, self.new_doc
        if not old or not new:
            return
        if old.get("OrchestrationName") != new.get("OrchestrationName"):
            self.add(
                "",
                RENAMED,
                "orchestration",
                str(new.get("OrchestrationNumber", "")),
                f"Orchestration renamed: {_quoted(old.get('OrchestrationName'))} → "
                f"{_quoted(new.get('OrchestrationName'))}.",
            )
        for attribute, label in HEADER_LABELS.items():
            if old.get(attribute) != new.get(attribute):
                self.add(
                    "",
                    CHANGED,
                    "orchestration",
                    str(new.get("OrchestrationNumber", "")),
                    f"{label}: {_value(attribute, old.get(attribute))} → {_value(attribute, new.get(attribute))}.",
                )

    def _contents(self, side: _Side, stage_number: str) -> list[tuple[int, str]]:
        objectives = side.order.get(("objective", stage_number), [])
        steps = side.order.get(("step", stage_number), [])
        tasks = sum(len(side.order.get(("step task", s), [])) for s in steps)
        pairs = sum(1 for stage in side.pairs.values() if stage == stage_number)
        return [(len(objectives), "objective"), (len(steps), "step"), (tasks, "step task"), (pairs, "“serves” link")]

    def stages(self) -> None:
        old, new = self.old.stages, self.new.stages
        for number, item in old.items():
            if number not in new:
                name = _quoted(item.doc.get("StageName"), number)
                self.add(
                    number,
                    REMOVED,
                    "stage",
                    number,
                    f"Stage {name} removed{_with(self._contents(self.old, number))}.",
                )
        for number, item in new.items():
            if number not in old:
                name = _quoted(item.doc.get("StageName"), number)
                self.add(
                    number,
                    ADDED,
                    "stage",
                    number,
                    f"Stage {name} added at position {item.position}{_with(self._contents(self.new, number))}.",
                )
        shared_new = [n for n in self.new.order.get(("stage", ""), []) if n in old]
        shared_old = [n for n in self.old.order.get(("stage", ""), []) if n in new]
        stayed = unmoved(shared_old, shared_new)
        for number in shared_new:
            before, after = old[number], new[number]
            old_name, new_name = before.doc.get("StageName"), after.doc.get("StageName")
            if old_name != new_name:
                self.add(number, RENAMED, "stage", number, f"Stage renamed: {_quoted(old_name)} → {_quoted(new_name)}.")
            if number not in stayed:
                self.add(
                    number,
                    MOVED,
                    "stage",
                    number,
                    f"Stage {_quoted(new_name, number)} moved from position {before.position} to {after.position}.",
                )
            for attribute, label in STAGE_LABELS.items():
                if before.doc.get(attribute) != after.doc.get(attribute):
                    self.add(
                        number,
                        CHANGED,
                        "stage",
                        number,
                        f"Stage {_quoted(new_name, number)}: {label} {_value(attribute, before.doc.get(attribute))} "
                        f"→ {_value(attribute, after.doc.get(attribute))}.",
                    )

    def _step_contents(self, side: _Side, step_number: str) -> list[tuple[int, str]]:
        tasks = len(side.order.get(("step task", step_number), []))
        pairs = sum(1 for step, _ in side.pairs if step == step_number)
        return [(tasks, "step task"), (pairs, "“serves” link")]

    def children(self, what: str, old: dict, new: dict, name_key: str, labels: dict[str, str]) -> None:
        """Objectives or steps: added, removed, renamed, moved (within or between stages), changed."""
        Kind = what.capitalize()
        for number, item in old.items():
            if number not in new and item.parent in self.new.stages:  # a removed stage says it for its children
                extra = _with(self._step_contents(self.old, number)) if what == "step" else ""
                name = _quoted(item.doc.get(name_key), number)
                self.add(item.parent, REMOVED, what, number, f"{Kind} {name} removed{extra}.")
        for number, item in new.items():
            if number not in old and item.parent in self.old.stages:
                extra = _with(self._step_contents(self.new, number)) if what == "step" else ""
                name = _quoted(item.doc.get(name_key), number)
                self.add(item.parent, ADDED, what, number, f"{Kind} {name} added at position {item.position}{extra}.")
        for stage_number in self.new.order.get(("stage", ""), []):
            new_order = [n for n in self.new.order.get((what, stage_number), []) if n in old]
            same_stage = [n for n in new_order if old[n].parent == stage_number]
            old_order = [
                n for n in self.old.order.get((what, stage_number), []) if n in new and new[n].parent == stage_number
            ]
            stayed = unmoved(old_order, same_stage)
            for number in new_order:
                before, after = old[number], new[number]
                name = _quoted(after.doc.get(name_key), number)
                if before.doc.get(name_key) != after.doc.get(name_key):
                    self.add(
                        stage_number,
                        RENAMED,
                        what,
                        number,
                        f"{Kind} renamed: {_quoted(before.doc.get(name_key))} → {name}.",
                    )
                if before.parent != stage_number:
                    origin = self.old.stages[before.parent].doc.get("StageName")
                    self.add(
                        stage_number,
                        MOVED,
                        what,
                        number,
                        f"{Kind} {name} moved from stage {_quoted(origin, before.parent)} (position {before.position}) "
                        f"to position {after.position}.",
                    )
                elif number not in stayed:
                    self.add(
                        stage_number,
                        MOVED,
                        what,
                        number,
                        f"{Kind} {name} moved from position {before.position} to {after.position}.",
                    )
                attributes = _STEP_ATTRIBUTES if what == "step" else tuple(labels)
                for attribute in attributes:
                    label = STEP_LABELS.get(attribute) if what == "step" else labels[attribute]
                    was, now = before.doc.get(attribute), after.doc.get(attribute)
                    if attribute in _FLAGS:
                        was, now = bool(was), bool(now)
                    if was == now:
                        continue
                    self.add(
                        stage_number,
                        CHANGED,
                        what,
                        number,
                        f"{Kind} {name}: {label} {_value(attribute, was, self.old_step_names)} → "
                        f"{_value(attribute, now, self.new_step_names)}.",
                    )

    def _task_label(self, item: _Item, step_names: dict[str, str]) -> str:
        return f"step task {item.position} of {_quoted(step_names.get(item.parent), item.parent)}"

    def tasks(self) -> None:
        old, new = self.old.tasks, self.new.tasks
        old_steps, new_steps = self.old.steps, self.new.steps
        for number, item in old.items():
            step = old_steps.get(item.parent)
            if number not in new and item.parent in new_steps and step is not None:
                stage = new_steps[item.parent].parent
                label = self._task_label(item, self.old_step_names)
                self.add(stage, REMOVED, "step task", number, f"{label[0].upper()}{label[1:]} removed.")
        for number, item in new.items():
            if number not in old and item.parent in old_steps:
                stage = new_steps[item.parent].parent
                label = self._task_label(item, self.new_step_names)
                self.add(stage, ADDED, "step task", number, f"{label[0].upper()}{label[1:]} added.")
        for step_number, step in new_steps.items():
            new_order = [n for n in self.new.order.get(("step task", step_number), []) if n in old]
            same_step = [n for n in new_order if old[n].parent == step_number]
            old_order = [
                n
                for n in self.old.order.get(("step task", step_number), [])
                if n in new and new[n].parent == step_number
            ]
            stayed = unmoved(old_order, same_step)
            for number in new_order:
                before, after = old[number], new[number]
                label = self._task_label(after, self.new_step_names)
                title = f"{label[0].upper()}{label[1:]}"
                if before.parent != step_number:
                    origin = self._task_label(before, self.old_step_names)
                    self.add(step.parent, MOVED, "step task", number, f"{title} moved here from {origin}.")
                elif number not in stayed:
                    self.add(
                        step.parent,
                        MOVED,
                        "step task",
                        number,
                        f"Step task of {_quoted(self.new_step_names.get(step_number), step_number)} moved "
                        f"from position {before.position} to {after.position}.",
                    )
                for attribute, field_label in TASK_LABELS.items():
                    was, now = before.doc.get(attribute), after.doc.get(attribute)
                    if was != now:
                        self.add(
                            step.parent,
                            CHANGED,
                            "step task",
                            number,
                            f"{title}: {field_label} {_value(attribute, was)} → {_value(attribute, now)}.",
                        )

    def associations(self) -> None:
        old, new = self.old, self.new

        def names(side: _Side, step: str, objective: str) -> tuple[str, str]:
            return (
                _quoted(side.steps[step].doc.get("OrchestrationStepName"), step) if step in side.steps else step,
                _quoted(side.objectives[objective].doc.get("ObjectiveName"), objective)
                if objective in side.objectives
                else objective,
            )

        for pair in old.pairs:
            step, objective = pair
            # Gone with its step or objective: that removal says it.
            if pair not in new.pairs and step in new.steps and objective in new.objectives:
                step_name, objective_name = names(new, step, objective)
                self.add(
                    new.steps[step].parent,
                    REMOVED,
                    "association",
                    f"{step}/{objective}",
                    f"Step {step_name} no longer serves objective {objective_name}.",
                )
        for pair in new.pairs:
            step, objective = pair
            if pair not in old.pairs and step in old.steps and objective in old.objectives:
                step_name, objective_name = names(new, step, objective)
                self.add(
                    new.steps[step].parent,
                    ADDED,
                    "association",
                    f"{step}/{objective}",
                    f"Step {step_name} now serves objective {objective_name}.",
                )


def change_summary(old: dict[str, Any] | None, new: dict[str, Any] | None) -> ChangeSummary:
    """What changed from document `old` to document `new` (either may be None: nothing there)."""
    return _Comparison(old, new).summary()
