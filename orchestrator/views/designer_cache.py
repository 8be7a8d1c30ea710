"""Each stage's HTML on the designer page, kept by the hash of everything it shows.

Rendering is two thirds of a page, and a stage's markup changes only when
its rows do. So the page renders each stage's `<li>` on its own and keeps it
(compressed, in the process's `designer` cache) under a key made of what the
markup is made of:

- every stored field of the stage and of each of its objectives, steps,
  step tasks and associations (all concrete fields, so a field added to a
  model is part of the key without anyone remembering to add it);
- what the rows show of other rows: the names of linked steps and served
  objectives, how many steps serve each objective;
- the stage's position and problem count, whether the page is editable, the
  orchestration's number (in the URLs), and the template file itself.

The same signature keeps each stage's problems (`kept_problems`): with the
rules' version and what they read of the other stages (`StageFacts`), it is
all the validator reads of a stage whose links and associations stay inside
it, so such a stage is validated again only when one of those changes.

A stage whose key is known is not labelled, annotated or rendered at all.
Anything else the stage partial comes to show must be added to
`stage_signature`, or it will be served stale.
"""

import hashlib
import os
import zlib
from collections.abc import Iterable
from typing import Any

from django.core.cache import caches
from django.db.models import Model
from django.http import HttpRequest
from django.template import RequestContext
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

from ..models import Stage
from ..validation import Problem

CACHE = "designer"


def _row(obj: Model) -> tuple:
    return tuple(getattr(obj, field.attname) for field in obj._meta.concrete_fields)


def stage_signature(stage: Stage) -> tuple:
    """Every stored field of the stage's rows and what they show of other rows (see the module docstring)."""
    parts: list[Any] = [_row(stage)]
    for objective in stage.objectives.all():
        parts.append((_row(objective), len(objective.associations.all())))
    for step in stage.steps.all():
        links = tuple(
            getattr(step, link).name if getattr(step, f"{link}_id") else None
            for link in ("success_step", "failure_step")
        )
        parts.append((_row(step), links))
        parts.extend(_row(task) for task in step.tasks.all())
        parts.extend((_row(a), a.objective.name) for a in step.associations.all())
    return tuple(parts)


def _digest(value: Any) -> str:
    return hashlib.blake2b(repr(value).encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def content_digest(stage: Stage) -> str:
    """A hash of `stage_signature`: worked out once a stage, both its keys are made from it."""
    return _digest(stage_signature(stage))


def _self_contained(stage: Stage) -> bool:
    """Whether every link and association of the stage's rows stays inside it.

    Only then are the rules' answers for the stage a function of its own rows
    and the `StageFacts` of all stages: a link to a step elsewhere or an
    association with another stage's objective makes them read a row whose
    stage can change while this stage's rows do not.
    """
    steps = {step.pk for step in stage.steps.all()}
    for step in stage.steps.all():
        if any(target and target not in steps for target in (step.success_step_id, step.failure_step_id)):
            return False
        if any(a.objective.stage_id != stage.pk for a in step.associations.all()):
            return False
    return all(a.step_id in steps for objective in stage.objectives.all() for a in objective.associations.all())


def _problems_key(summary: str, digest: str) -> str:
    return "problems:" + _digest((summary, digest))


def kept_problems(summary: str, stages: Iterable[Stage], digests: dict[int, str]) -> dict[int, list[Problem]]:
    """The problems the rules found for stages with these very rows, by pk (those the cache holds).

    `summary` is `problems.facts_fingerprint`: the rules' own version and what
    they read of the other stages; with the stage's `content_digest` it is all a
    self-contained stage's problems depend on.
    """
    keys = {stage.pk: _problems_key(summary, digests[stage.pk]) for stage in stages}
    found = caches[CACHE].get_many(list(keys.values()))
    return {pk: found[key] for pk, key in keys.items() if key in found}


def keep_problems(
    summary: str, stages: Iterable[Stage], digests: dict[int, str], fresh: dict[int, list[Problem]]
) -> None:
    """Keep the problems just found for each self-contained stage (`fresh`, by pk)."""
    caches[CACHE].set_many(
        {
            _problems_key(summary, digests[stage.pk]): fresh[stage.pk]
            for stage in stages
            if stage.pk in fresh and _self_contained(stage)
        }
    )


def _template_stamp(template_name: str) -> tuple[int, int]:
    """The template file's modification time and size: a changed template is a new key."""
    origin = get_template(template_name).origin.name
    try:
        stat = os.stat(origin)
        return stat.st_mtime_ns, stat.st_size
    except OSError:  # not a file (a test's in-memory loader): the name alone
        return (0, 0)


def stage_key(template_name: str, number: str, editable: bool, signature: tuple) -> str:
    return "stage:" + _digest((_template_stamp(template_name), number, editable, signature))


def render_stages(
    request: HttpRequest,
    template_name: str,
    ctx: dict[str, Any],
    stages: Iterable[Stage],
    keys: dict[int, str],
    prepare,
) -> dict[int, SafeString]:
    """Each stage's `<li>` by pk: from the cache, else rendered (after `prepare(stages)` labels them) and kept."""
    cache = caches[CACHE]
    stages = list(stages)
    found = cache.get_many(list(keys.values()))
    html: dict[int, SafeString] = {}
    missing = []
    for stage in stages:
        packed = found.get(keys[stage.pk])
        if packed is None:
            missing.append(stage)
        else:
            html[stage.pk] = mark_safe(zlib.decompress(packed).decode())  # noqa: S308 - rendered by us
    if missing:
        prepare(missing)
        partial = get_template(f"{template_name}#stage").template
        context = RequestContext(request, {**ctx, "oob": False})
        fresh = {}
        with context.bind_template(partial):
            for stage in missing:
                with context.push(stage=stage):
                    rendered = partial.render(context)
                html[stage.pk] = mark_safe(rendered)  # noqa: S308 - the template escaped it
                fresh[keys[stage.pk]] = zlib.compress(rendered.encode(), 1)
        cache.set_many(fresh)
    return html
