"""What the designer's views share: the context builder, the kinds of tree objects and the response assembly.

The page renders from `designer_context`: the tree loaded by
`selectors.orchestration_tree` (a fixed number of queries) and the
validator's problems. A fragment renders from `fragment_context`, which loads
and validates only the stages it shows or changed and takes the other stages'
problems from the cache of the revision the edit started from
(`services.problems`), so an edit costs one stage whatever the size of the
orchestration. A change answers with the fragment that changed plus,
out of band, the problems panel and the stage badges when they differ from
what the page shows, and the messages area (`respond`).
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from .. import forms, json_rows, selectors
from ..forms_catalogue import attach_pickers
from ..models import (
    CatalogueKind,
    Orchestration,
    OrchestrationStatus,
    Stage,
    StageObjective,
    Step,
    StepTask,
    StepType,
)
from ..models.numbers import number_problem
from ..roles import can_edit, can_rehearse
from ..selectors_catalogue import Catalogue, designer_catalogue, designer_catalogue_name
from ..services import drafts
from ..services import problems as problems_service
from ..services import status as status_service
from ..services.documents import content_hash
from ..services.problems import DraftProblems
from ..validation import StageFacts, validate_reusing, validate_stages
from . import designer_cache

TEMPLATE = "orchestrator/designer.html"

view_required = permission_required("orchestrator.view_orchestration", raise_exception=True)
edit_required = permission_required("orchestrator.change_orchestration", raise_exception=True)


@dataclass(frozen=True)
class Kind:
    """One level of the tree as the designer handles it (URLs, DOM ids, form, services)."""

    name: str  # DOM id prefix and URL name prefix; the validator's Problem.kind
    label: str  # in sentences: "step task"
    model: type[Model]
    form: type
    parent: str  # "orchestration" | "stage" | "step"
    to_orchestration: str  # lookup path from the object to its orchestration
    create: Callable
    update: Callable
    delete: Callable
    reorder: Callable

    def get(self, number: str, item: str) -> Model:
        """The object `item` of orchestration `number`, with its ancestors; 404 when either is unknown."""
        qs = self.model.objects.select_related(self.to_orchestration)
        return get_object_or_404(qs, number=item, **{f"{self.to_orchestration}__number": number})

    def list_id(self, parent_number: str) -> str:
        return {"stage": "stages", "objective": "objectives", "step": "steps", "step_task": "tasks"}[self.name] + (
            f"-{parent_number}" if self.name != "stage" else ""
        )


KINDS: dict[str, Kind] = {
    "stage": Kind(
        "stage",
        "stage",
        Stage,
        forms.StageForm,
        "orchestration",
        "orchestration",
        drafts.stage_create,
        drafts.stage_update,
        drafts.stage_delete,
        drafts.stage_reorder,
    ),
    "objective": Kind(
        "objective",
        "objective",
        StageObjective,
        forms.ObjectiveForm,
        "stage",
        "stage__orchestration",
        drafts.objective_create,
        drafts.objective_update,
        drafts.objective_delete,
        drafts.objective_reorder,
    ),
    "step": Kind(
        "step",
        "step",
        Step,
        forms.StepForm,
        "stage",
        "stage__orchestration",
        drafts.step_create,
        drafts.step_update,
        drafts.step_delete,
        drafts.step_reorder,
    ),
    "step_task": Kind(
        "step_task",
        "step task",
        StepTask,
        forms.StepTaskForm,
        "step",
        "step__stage__orchestration",
        drafts.step_task_create,
        drafts.step_task_update,
        drafts.step_task_delete,
        drafts.step_task_reorder,
    ),
}


def orchestration_of(obj: Model) -> Orchestration:
    """The orchestration of an object loaded by `Kind.get` (no query)."""
    while not isinstance(obj, Orchestration):
        obj = getattr(obj, "orchestration", None) or getattr(obj, "stage", None) or obj.step
    return obj


def ensure_editable(orch: Orchestration) -> None:
    """Archived orchestrations answer 403 to every change (no edit control is shown for them)."""
    if orch.status == OrchestrationStatus.ARCHIVED:
        raise drafts.OrchestrationArchived("This orchestration is archived and read-only.")


def _quoted(name: str) -> str:
    return f"“{name}”" if name.strip() else "(unnamed)"


def describe(obj: Model) -> str:
    """The object as named in messages and labels: step “Call”, step task 2 of “Call”."""
    if isinstance(obj, StepTask):
        return f"step task {obj.display_sequence} of {_quoted(obj.step.name)}"
    kind = {Orchestration: "orchestration", Stage: "stage", StageObjective: "objective", Step: "step"}[type(obj)]
    return f"{kind} {_quoted(obj.name)}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def ref_fact(label: str, catalogue: Catalogue | None, kind: str, value) -> str:
    """“activity template Qualification call #3001…”: the name first, the id secondary; an unknown id flagged.

    With no entries of that kind in the catalogue, the id is shown as it is (nothing to compare it with).
    """
    ref = catalogue.ref(kind, value) if catalogue is not None else None
    if ref is None or not (ref.name or ref.unknown):
        return f"{label} {value}"
    if ref.unknown:
        return format_html(
            '{} <span class="ref-id">{}</span> <span class="ref-unknown">not in the catalogue</span>', label, value
        )
    return format_html('{} {} <span class="ref-id">{}</span>', label, ref.name, ref.ref_id)


def _stage_value_flag(catalogue: Catalogue | None, value: str) -> bool:
    """True when the catalogue has the sales method's stages and `value` is none of them."""
    ref = catalogue.ref(CatalogueKind.SALES_STAGE, value) if catalogue is not None and value else None
    return bool(ref and ref.unknown)


def step_summary(step: Step, catalogue: Catalogue | None = None) -> list[str]:
    """Short facts about a step's type-specific settings, for its row (names from the catalogue where known)."""
    facts: list[str] = []
    kind = step.step_type
    if kind in (StepType.TASK, StepType.APPOINTMENT):
        if step.activity_template_id:
            facts.append(
                ref_fact("activity template", catalogue, CatalogueKind.ACTIVITY_TEMPLATE, step.activity_template_id)
            )
        if step.smart_action_id and kind == StepType.TASK:
            facts.append(ref_fact("smart action", catalogue, CatalogueKind.SMART_ACTION, step.smart_action_id))
        if step.grace_period is not None:
            facts.append(f"{step.grace_period} h grace period")
    elif kind == StepType.NEXT_STAGE:
        if not step.next_stage_value:
            facts.append("next stage not chosen")
        elif _stage_value_flag(catalogue, step.next_stage_value):
            facts.append(
                format_html(
                    'to “{}” <span class="ref-unknown">not a sales stage in the catalogue</span>',
                    step.next_stage_value,
                )
            )
        else:
            facts.append(f"to “{step.next_stage_value}”")
    elif kind == StepType.WAIT:
        parts = [
            _plural(v, unit) for v, unit in ((step.days_to_wait, "day"), (step.hours_to_wait, "hour")) if v is not None
        ]
        facts.append("waits " + " ".join(parts) if parts else "no duration yet")
    elif kind == StepType.FIELD_UPDATE:
        if not step.field_update_json:
            facts.append("no field update yet")
        else:  # what it sets, in words where the rows can read it (JSON they cannot is "set", see the form)
            facts.append(
                f"sets {pairs}" if (pairs := json_rows.summary(step.field_update_json)) else "field update set"
            )
    elif kind == StepType.EMAIL_AUTOMATION:
        facts.append(
            ref_fact("email template", catalogue, CatalogueKind.EMAIL_TEMPLATE, step.email_template_id)
            if step.email_template_id
            else "no email template yet"
        )
        if step.wait_for_replies:
            facts.append("waits for replies")
    elif kind == StepType.STOP and step.exit_orchestration:
        facts.append("exits the orchestration")
    if step.success_criteria and (pairs := json_rows.summary(step.success_criteria)):
        facts.append(f"succeeds when {pairs}")
    if step.allow_skip:
        facts.append("may be skipped")
    return facts


def step_task_facts(task: StepTask, catalogue: Catalogue | None = None) -> list[str]:
    """The facts of a step task's row: its template, activity and smart action by name."""
    template, activity = task.activity_template_id, task.activity_id
    facts = [
        ref_fact("activity template", catalogue, CatalogueKind.ACTIVITY_TEMPLATE, template)
        if template is not None
        else "activity template (none)",
        ref_fact("activity", catalogue, CatalogueKind.ACTIVITY, activity)
        if activity is not None
        else "activity (none)",
    ]
    if task.smart_action_id:
        facts.append(ref_fact("smart action", catalogue, CatalogueKind.SMART_ACTION, task.smart_action_id))
    return facts


_PLACEHOLDER = "ITEM-NUMBER"
# The URLs each kind of row links to (URL names, all taking the orchestration and the object's number).
ROW_URLS = {
    "stage": {
        "edit": "stage_edit",
        "delete": "stage_delete",
        "objective_new": "objective_new",
        "objective_reorder": "objective_reorder",
        "step_new": "step_new",
        "step_reorder": "step_reorder",
    },
    "objective": {"edit": "objective_edit", "delete": "objective_delete"},
    "step": {
        "edit": "step_edit",
        "delete": "step_delete",
        "objectives": "step_objectives",
        "step_task_new": "step_task_new",
        "step_task_reorder": "step_task_reorder",
    },
    "step_task": {"edit": "step_task_edit", "delete": "step_task_delete"},
}


class _RowUrls:
    """Each URL reversed once per response, then filled in per row: a 100-stage outline has thousands.

    Only a number the models accept is filled in; for such a number the result is
    exactly what `reverse()` builds (the `<number:…>` converter takes it as it is,
    and its characters need no quoting). A number stored before numbers were
    checked gets no URL at all (the validator lists it as a problem), so it can
    never steer a request to another path.
    """

    def __init__(self, number: str):
        self.patterns = {
            kind: {key: reverse(name, args=[number, _PLACEHOLDER]) for key, name in names.items()}
            for kind, names in ROW_URLS.items()
        }

    def __call__(self, kind: str, obj: Model) -> dict[str, str]:
        if number_problem(obj.number):
            return dict.fromkeys(self.patterns[kind], "")
        return {key: url.replace(_PLACEHOLDER, obj.number) for key, url in self.patterns[kind].items()}


def _annotate(
    orch: Orchestration,
    stages: list[Stage],
    positions: dict[int, int],
    counts,
    comments=None,
    catalogue: Catalogue | None = None,
) -> dict[str, Model]:
    """Label the loaded objects for the templates and index them by number (prefetched lists only: no queries).

    `stages` are the loaded stages (all of them, or those an edit touched),
    `positions` every stage's place by pk, `counts(number)` a stage's problem
    count, `comments` the open review comments by anchor (shown on their rows),
    `catalogue` the reference catalogue whose names the rows show.
    """
    index: dict[str, Model] = {orch.number: orch}
    urls = _RowUrls(orch.number)
    orch.ui_label = describe(orch)
    for stage in stages:
        stage.position = positions[stage.pk]
        stage.ui_label = describe(stage)
        stage.problem_count = counts(stage.number)
        stage.urls = urls("stage", stage)
        stage.value_unknown = _stage_value_flag(catalogue, stage.lifecycle_attr_value)
        index[stage.number] = stage
        objectives = stage.objectives.all()
        for objective_position, objective in enumerate(objectives, start=1):
            objective.position = objective_position
            objective.ui_label = describe(objective)
            objective.urls = urls("objective", objective)
            index[objective.number] = objective
        for step_position, step in enumerate(stage.steps.all(), start=1):
            step.position = step_position
            step.ui_label = describe(step)
            served = {a.objective_id: a.number for a in step.associations.all()}
            # (objective, number of the association serving it or "") for the "serves" boxes
            step.serves = [(o, served.get(o.pk, "")) for o in objectives]
            step.summary = step_summary(step, catalogue)
            step.urls = urls("step", step)
            index[step.number] = step
            for task_position, task in enumerate(step.tasks.all(), start=1):
                task.position = task_position
                task.ui_label = describe(task)
                task.urls = urls("step_task", task)
                task.facts = step_task_facts(task, catalogue)
                index[task.number] = task
    status_service.attach_open_comments(index, comments or {})
    return index


def _stage_comments(stage: Stage, comments) -> tuple:
    """The open comments anchored in `stage` (pks by anchor): part of what its cached markup is made of."""
    numbers = {stage.number, *(o.number for o in stage.objectives.all())}
    for step in stage.steps.all():
        numbers.add(step.number)
        numbers.update(task.number for task in step.tasks.all())
    return tuple(
        sorted(
            (kind, number, tuple(c.pk for c in found))
            for (kind, number), found in comments.items()
            if number in numbers
        )
    )


@dataclass(frozen=True)
class StageBadge:
    """What a stage's problem badge shows (rendered out of band without loading the stage)."""

    number: str
    problem_count: int


@dataclass(frozen=True)
class StageHeading:
    """A stage as the problems panel names it."""

    position: int
    name: str


@dataclass
class ProblemState:
    """The problems after a request (`now`) and, when known, those the page on screen shows (`shown`)."""

    facts: list[StageFacts]
    now: DraftProblems
    shown: DraftProblems | None

    def panel(self) -> dict[str, Any]:
        problems = self.now.ordered(self.facts)
        groups = [(None, self.now.groups[""])] if self.now.groups.get("") else []
        groups += [
            (StageHeading(position, stage.name), self.now.groups[stage.number])
            for position, stage in enumerate(self.facts, start=1)
            if self.now.groups.get(stage.number)
        ]
        return {"problems": problems, "problem_groups": groups}

    def panel_changed(self) -> bool:
        return self.shown is None or self.shown.summary != self.now.summary or self.shown.groups != self.now.groups

    def badges(self) -> list[StageBadge]:
        """The badges whose count differs from what the page shows (every badge when that is unknown)."""
        return [
            StageBadge(stage.number, self.now.count(stage.number))
            for stage in self.facts
            if self.shown is None or self.shown.count(stage.number) != self.now.count(stage.number)
        ]


def _shown(request: HttpRequest, cached: DraftProblems | None, now: DraftProblems) -> DraftProblems | None:
    """The problems the page shows: designer.js sends the revision its panel and badges are of."""
    revision = request.headers.get("X-Designer-Revision", "")
    if revision == str(now.revision):
        return now
    if cached is not None and revision == str(cached.revision):
        return cached
    return None


def _base_context(
    request: HttpRequest, orch: Orchestration, stages: list[Stage], index, status, catalogue: Catalogue
) -> dict[str, Any]:
    try:
        publish_url = reverse("publish_page", args=[orch.number])
    except NoReverseMatch:
        publish_url = ""
    return {
        # Review gate (issue 10): the header's approval, problems count and publishes.
        "draft_status": status,
        "o": orch,
        "stages": stages,
        "index": index,
        "editable": can_edit(request.user) and orch.status != OrchestrationStatus.ARCHIVED,
        "archived": orch.status == OrchestrationStatus.ARCHIVED,
        "publish_url": publish_url,
        # Whose reference catalogue the rows and pickers take their names from (the session's choice).
        "catalogue_name": designer_catalogue_name(request),
        "step_bulk_form": forms.StepBulkForm(orchestration=orch, auto_id="bulk-%s"),
        "task_bulk_form": attach_pickers(forms.StepTaskBulkForm(orchestration=orch, auto_id="bulk-%s"), catalogue),
    }


def designer_context(request: HttpRequest, number: str, *, page: bool = False) -> dict[str, Any]:
    """Everything the designer page and its fragments render from: the whole tree, validated (fixed query count).

    With `page`, each stage's markup is also made (`stage.html`), from the
    cache of stages whose content is unchanged (designer_cache); only the
    other stages are labelled and rendered.
    """
    try:
        orch = selectors.orchestration_tree(number)
    except Orchestration.DoesNotExist as exc:
        raise Http404("No orchestration with this number.") from exc
    cached = problems_service.cached_problems(orch)
    stages = list(orch.stages.all())
    facts = [StageFacts(s.pk, s.number, s.name, s.lifecycle_attr_value) for s in stages]
    summary = problems_service.facts_fingerprint(orch, facts)
    # A stage whose rows and whose neighbours' facts are those of a validation kept is not validated again.
    digests = {stage.pk: designer_cache.content_digest(stage) for stage in stages}
    problems, fresh = validate_reusing(orch, designer_cache.kept_problems(summary, stages, digests))
    designer_cache.keep_problems(summary, stages, digests, fresh)
    now = problems_service.draft_problems(orch, facts, problems, summary=summary)
    problems_service.problems_store(orch, now, cached)
    positions = {stage.pk: i for i, stage in enumerate(stages, start=1)}
    state = ProblemState(facts, now, _shown(request, cached, now))
    comments = status_service.open_comments_by_anchor(orch)
    status = status_service.draft_status(orch, _total(now))
    catalogue = designer_catalogue(request)  # one query: the names the rows show
    if not page:
        index = _annotate(orch, stages, positions, now.count, comments, catalogue)
        return {
            **_base_context(request, orch, stages, index, status, catalogue),
            **state.panel(),
            "problem_state": state,
        }

    orch.ui_label = describe(orch)
    # The row buttons' template (designer.html#row-actions): data-edit-step="…/ITEM-NUMBER/edit/", …
    row_action_urls = [
        (f"{action}-{kind}", urls[action])
        for kind, urls in _RowUrls(orch.number).patterns.items()
        for action in ("edit", "delete")
    ]
    ctx = {
        **_base_context(request, orch, stages, {}, status, catalogue),
        **state.panel(),
        "problem_state": state,
        "row_action_urls": row_action_urls,
    }
    keys = {
        stage.pk: designer_cache.stage_key(
            TEMPLATE,
            orch.number,
            # The stage shows a Rehearse link to Reviewers and Publishers only: part of the key; and the
            # names of the catalogue's entries (its stamp changes with any of them).
            (ctx["editable"], can_rehearse(request.user), catalogue.stamp),
            (digests[stage.pk], positions[stage.pk], now.count(stage.number), _stage_comments(stage, comments)),
        )
        for stage in stages
    }
    html = designer_cache.render_stages(
        request,
        TEMPLATE,
        ctx,
        stages,
        keys,
        lambda missing: _annotate(orch, missing, positions, now.count, comments, catalogue),
    )
    for stage in stages:
        stage.html = html[stage.pk]
    return ctx


def fragment_context(
    request: HttpRequest,
    number: str,
    *,
    stages: Iterable[int] = (),
    since: int | None = None,
    wrote: bool = True,
    changed: bool = True,
) -> dict[str, Any]:
    """The context of a fragment that shows (or changed) only `stages` (pks), loading and validating only them.

    `since` is the draft's revision the view read before its write (`wrote`
    False: the write was refused, nothing changed since). When the
    problems of the other stages cannot be reused (see `problems.reusable`),
    this is `designer_context`: the whole tree, validated. With
    `changed=False` (a row shown again, a form cancelled) nothing is validated.
    """
    try:
        orch = Orchestration.objects.select_related("updated_by", "problem_cache").get(number=number)
    except Orchestration.DoesNotExist as exc:
        raise Http404("No orchestration with this number.") from exc
    facts = selectors.stage_facts(orch.pk)
    cached = problems_service.cached_problems(orch)
    summary = problems_service.facts_fingerprint(orch, facts)
    if changed and not problems_service.reusable(cached, since=since, wrote=wrote, orch=orch, summary=summary):
        return designer_context(request, number)
    loaded = selectors.stages_tree(orch, stages)
    positions = {stage.pk: i for i, stage in enumerate(facts, start=1)}
    context: dict[str, Any] = {}
    if changed:
        fresh = validate_stages(orch, facts, loaded)
        now = cached.replaced(orch.tree_revision, summary, fresh, [stage.number for stage in loaded])
        problems_service.problems_store(orch, now, cached)
        state = ProblemState(facts, now, _shown(request, cached, now))
        context = {**state.panel(), "problem_state": state}
        counts, total = now.count, _total(now)
    else:
        counts = cached.count if cached is not None else (lambda number: 0)
        total = _total(cached) if cached is not None else 0
    comments = status_service.open_comments_by_anchor(orch)
    catalogue = designer_catalogue(request)
    index = _annotate(orch, loaded, positions, counts, comments, catalogue)

    def current_hash() -> str:
        # The revision this write recorded; a write that made none (the admin): only the whole tree can say.
        return status_service.current_content_hash(orch) or content_hash(selectors.orchestration_tree(number))

    status = status_service.draft_status(orch, total, current_hash)
    return {**_base_context(request, orch, loaded, index, status, catalogue), **context}


def _total(problems: DraftProblems) -> int:
    return sum(len(group) for group in problems.groups.values())


@dataclass
class Part:
    """One fragment of a response: a partial of the designer template, in place or out of band.

    `oob` is "" for the main swap, "true" to replace the element with the same
    id, or an htmx swap such as "beforeend:#steps-X" (the wrapper is dropped).
    """

    partial: str
    context: dict[str, Any] = field(default_factory=dict)
    oob: str = ""


def render_part(request: HttpRequest, ctx: dict[str, Any], part: Part) -> str:
    html = render_to_string(f"{TEMPLATE}#{part.partial}", {**ctx, **part.context, "oob": part.oob == "true"}, request)
    if part.oob and part.oob != "true":
        return format_html('<div hx-swap-oob="{}">{}</div>', part.oob, html)
    return html


def removal(dom_id: str) -> str:
    return format_html('<div id="{}" hx-swap-oob="delete"></div>', dom_id)


def respond(
    request: HttpRequest,
    ctx: dict[str, Any],
    parts: Iterable[Part | str] = (),
    *,
    status: int = 200,
    changed: bool = True,
    focus: str = "",
    close_modal: bool = False,
    reswap: str = "",
    retarget: str = "",
) -> HttpResponse:
    """The fragments, then (after a change) the problems panel and badges, then the messages, out of band.

    `focus` is a CSS selector designer.js focuses once htmx has settled the
    swap, so keyboard users stay where they were working.
    """
    html = [part if isinstance(part, str) else render_part(request, ctx, part) for part in parts]
    state: ProblemState | None = ctx.get("problem_state")
    if changed and state is not None:
        # Only what differs from the page on screen: usually the row alone, no badge, no panel.
        if state.panel_changed():
            html.append(render_part(request, ctx, Part("problems", oob="true")))
        html.append(render_part(request, ctx, Part("badges", {"badges": state.badges()}, oob="true")))
    html.append(messages_oob(request, ctx["o"].number if ctx.get("o") else ""))
    response = HttpResponse("".join(html), status=status)
    events: dict[str, Any] = {}
    if close_modal:  # first: closing a dialog gives focus back to its opener, then we move it on
        events["designer:closeModal"] = {}
    if focus:
        events["designer:focus"] = {"target": focus}
    if events:
        response["HX-Trigger-After-Settle"] = json.dumps(events)
    if reswap:
        response["HX-Reswap"] = reswap
    if retarget:
        response["HX-Retarget"] = retarget
    return response


def messages_oob(request: HttpRequest, number: str = "") -> str:
    """The request's messages as toasts, out of band: errors in the assertive region, the rest in the polite one.

    innerHTML keeps each live region itself, so screen readers announce the new
    text; a region with nothing new is left alone (an answer without messages,
    opening a form say, must not take away the Undo of the deletion before it).
    With `number`, a deletion's message carries its Undo button.
    """
    found = list(messages.get_messages(request))
    if not found:
        return ""
    try:
        undo_url = reverse("designer_undo", args=[number]) if number else ""
    except NoReverseMatch:  # a number stored before numbers were checked: no Undo rather than a 500
        undo_url = ""
    ctx = {
        "alerts": [m for m in found if m.level_tag == "error"],
        "notes": [m for m in found if m.level_tag != "error"],
        "undo_url": undo_url,
    }
    return render_to_string(f"{TEMPLATE}#messages-oob", ctx, request)


def not_htmx(request: HttpRequest, number: str, anchor: str = ""):
    """Fragments are for htmx; a plain request lands on the designer page at the object."""
    url = reverse("designer", args=[number])
    return redirect(f"{url}#{anchor}" if anchor else url)
