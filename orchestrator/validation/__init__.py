"""Rules that span objects: what makes a draft complete and publishable.

The models only hold single-field rules, because a draft may be incomplete
while it is being designed and must still save. Everything else lives here
and is reported as a list of `Problem`s: the designer's problems panel, the
review gate, the importer and the publisher all ask `validate_orchestration`.

- `rules`: the checker, the per-object rules and the entry points.
- `flow`: which steps of a stage can run and whether the stage leads on; "reachable" is defined there.
- `wording`: how messages name objects.
"""

from .rules import (
    COMPLETENESS_CODES,
    SETTING_LABELS,
    Problem,
    StageFacts,
    problems_by_stage,
    validate_orchestration,
    validate_reusing,
    validate_stages,
)

__all__ = [
    "COMPLETENESS_CODES",
    "SETTING_LABELS",
    "Problem",
    "StageFacts",
    "problems_by_stage",
    "validate_orchestration",
    "validate_reusing",
    "validate_stages",
]
