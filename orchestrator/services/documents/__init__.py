"""The stage document of payload-contract §2 and the import/export file of §6.

- `export`: build documents from a prefetched tree (`stage_document` is what
  the publish payload builder sends, plus `OrchestrationId`).
- `checks`: parse a file and find every problem before anything is written.
- `importing`: `orchestration_import`, all or nothing.
"""

from .checks import DocumentInvalid, PathProblem, parse_document, schema_problems
from .export import (
    FIELD_ATTRIBUTES,
    FORMAT_VERSION,
    STEP_SETTING_ATTRIBUTES,
    content_hash,
    dumps_document,
    orchestration_document,
    orchestration_header,
    stage_document,
    step_attributes_used,
    step_document,
)
from .importing import ImportResult, orchestration_import

__all__ = [
    "FIELD_ATTRIBUTES",
    "FORMAT_VERSION",
    "STEP_SETTING_ATTRIBUTES",
    "DocumentInvalid",
    "ImportResult",
    "PathProblem",
    "content_hash",
    "dumps_document",
    "orchestration_document",
    "orchestration_header",
    "orchestration_import",
    "parse_document",
    "schema_problems",
    "stage_document",
    "step_attributes_used",
    "step_document",
]
