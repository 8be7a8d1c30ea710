"""The designer's problems, kept per draft revision so that an edit revalidates only what it touched.

Every write to a draft moves its `tree_revision` on by one, under the lock on
the orchestration row (`drafts._stamp`, the header update, the importer, the
admin). `ProblemCache` holds the validator's problems, grouped by stage, for
one revision. An edit that started from revision K (the view read it before
calling its service) and finds the draft at K + 1 knows that its own write is
the only one since; when the cache is at K and what the rules read across
stages (`StageFacts`) did not change, the problems of the stages it did not
touch are still those of the cache, and only the touched stages are loaded and
validated. Anything else — a concurrent write, a renamed or moved stage, a
cache that is missing or older — falls back to validating the whole tree.

The cache is written only for the revision it was computed from (a write
that lands meanwhile makes the store a no-op), so it never claims a state it
did not see. The designer page validates the whole tree on every load (each stage from
the problems kept for its very rows, when there are: views/designer_cache)
and rewrites the cache when it differs, so a write that was not counted
cannot outlive the next page load.
"""

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Exists

from .. import validation
from ..models import Orchestration, ProblemCache
from ..validation import Problem, StageFacts, problems_by_stage

# Rules whose message names an object of another stage: with such a problem in a draft, an edit of
# one stage may change another stage's problems, so the cache is not used for it.
_CROSS_STAGE_CODES = frozenset({"step.link_other_stage", "association.other_stage"})


# The rules themselves: problems kept by an older version of the validation package are not this version's answer.
_RULES = hashlib.sha256(
    b"".join(path.read_bytes() for path in sorted(Path(validation.__file__).parent.glob("*.py")))
).hexdigest()


def facts_fingerprint(orch: Orchestration, facts: Sequence[StageFacts]) -> str:
    """The rules, and what they read outside the stage they check: the stages' order, numbers, names, values."""
    text = json.dumps([_RULES, orch.pk, [list(f) for f in facts]], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class DraftProblems:
    """The problems of a draft at one revision, by stage number ("" the orchestration's own).

    Only groups with problems are kept: a clean 200-stage draft is an empty dict.
    """

    revision: int
    summary: str
    groups: dict[str, list[Problem]]

    def ordered(self, facts: Sequence[StageFacts]) -> list[Problem]:
        """Every problem in the validator's order: the orchestration's, then stage by stage."""
        problems = list(self.groups.get("", []))
        for stage in facts:
            problems += self.groups.get(stage.number, [])
        return problems

    def count(self, stage_number: str) -> int:
        return len(self.groups.get(stage_number, ()))

    @property
    def crosses_stages(self) -> bool:
        return any(p.code in _CROSS_STAGE_CODES for group in self.groups.values() for p in group)

    def replaced(self, revision: int, summary: str, fresh: Iterable[Problem], stage_numbers: Iterable[str]):
        """These problems with the orchestration's own and those of `stage_numbers` replaced by `fresh`."""
        replaced = {"", *stage_numbers}
        groups = {key: items for key, items in self.groups.items() if key not in replaced}
        groups.update(problems_by_stage(fresh))
        return DraftProblems(revision, summary, groups)


def draft_problems(
    orch: Orchestration, facts: Sequence[StageFacts], problems: Iterable[Problem], *, summary: str | None = None
) -> DraftProblems:
    """The problems of a whole validation, at the revision `orch` was read at (`summary`: its facts' fingerprint)."""
    summary = facts_fingerprint(orch, facts) if summary is None else summary
    return DraftProblems(orch.tree_revision, summary, problems_by_stage(problems))


def cached_problems(orch: Orchestration) -> DraftProblems | None:
    """What the cache holds for `orch` (loaded with `select_related("problem_cache")` to cost no query)."""
    try:
        row = orch.problem_cache
    except ProblemCache.DoesNotExist:
        return None
    groups = {key: [Problem(*item, stage_number=key) for item in items] for key, items in row.problems.items()}
    return DraftProblems(row.revision, row.summary, groups)


def _stored_form(problems: DraftProblems) -> dict[str, list[list[str]]]:
    return {
        key: [[p.code, p.message, p.kind, p.number, p.field] for p in items] for key, items in problems.groups.items()
    }


def problems_store(orch: Orchestration, problems: DraftProblems, cached: DraftProblems | None) -> None:
    """Keep `problems` for their revision, unless the draft has moved on since (or they are kept already)."""
    if cached is not None and cached.revision == problems.revision and cached.groups == problems.groups:
        return
    values = {"revision": problems.revision, "summary": problems.summary, "problems": _stored_form(problems)}
    current = Orchestration.objects.filter(pk=orch.pk, tree_revision=problems.revision)
    if ProblemCache.objects.filter(pk=orch.pk).filter(Exists(current)).update(**values):
        return
    if cached is None and current.exists():
        try:
            with transaction.atomic():
                ProblemCache.objects.create(orchestration_id=orch.pk, **values)
        except IntegrityError:
            pass  # another request stored its answer first: either is the answer for some revision


def reusable(
    cached: DraftProblems | None, *, since: int | None, wrote: bool = True, orch: Orchestration, summary: str
) -> bool:
    """Whether the problems of the stages an edit did not touch can come from `cached`.

    `since` is the revision the edit started from (read before its write),
    `orch` the draft as read after it; `wrote` False when the edit was refused
    and changed nothing.
    """
    return (
        cached is not None
        and since is not None
        and cached.revision == since
        and orch.tree_revision == since + (1 if wrote else 0)
        and cached.summary == summary
        and not cached.crosses_stages
    )
