"""The exact bodies a publish sends (payload-contract §2 and §4), checked against the contract schema.

One `StagePayload` per stage, in display order. Its `document` is
`documents.stage_document(stage)` — the stage without `OrchestrationId` — and
its `document_hash` is the sha256 of that document's canonical bytes, so the
hash does not depend on which remote (which OrchestrationId) it goes to: the
same draft planned against dev and prod hashes the same, and an unchanged
stage is recognised on every connection.

Canonical bytes are compact JSON with the contract's key order (not sorted:
the order is fixed by `stage_document` and matches the schema) and unicode
kept, so the same draft always gives the same bytes.

Every body is validated against orchestrator/schemas/orchestration-stage.contract.json
(Draft 2020-12) before anything is sent; a body that does not conform raises
`PayloadInvalid` listing each problem with its JSON path.
"""

import copy
import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from ..models import Orchestration
from ..schema_check import SchemaCheck
from .documents import orchestration_header, stage_document

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "orchestration-stage.contract.json"
DOCUMENT_SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "orchestration-document.json"


@dataclass(frozen=True)
class PayloadProblem:
    """One way a body breaks the contract schema: where, and what."""

    stage_number: str  # "" for the orchestration header
    path: str  # JSON path inside the body, e.g. "$.Steps[2].StepType"
    message: str

    def __str__(self) -> str:
        where = f"stage {self.stage_number} " if self.stage_number else "orchestration header "
        return f"{where}{self.path}: {self.message}"


class PayloadInvalid(Exception):
    """The draft would produce a body the contract does not allow; nothing may be sent."""

    def __init__(self, problems: list[PayloadProblem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:5]) + (" …" if len(problems) > 5 else ""))


def canonical_bytes(doc: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON in the document's own key order: equal documents, equal bytes."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def document_hash(doc: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(doc)).hexdigest()


@dataclass(frozen=True)
class StagePayload:
    """What one stage POST carries (contract §2)."""

    stage_number: str
    stage_name: str
    display_sequence: int
    document: dict[str, Any] = field(repr=False)  # stage_document: no OrchestrationId
    document_hash: str
    orchestration_id: int | None = None

    @property
    def body(self) -> dict[str, Any]:
        """The POST body: OrchestrationId first (the schema's order), then the stage document.

        Without a known OrchestrationId (a dry run before the header exists)
        the body is the document alone; it is never sent in that state.
        """
        if self.orchestration_id is None:
            return dict(self.document)
        return {"OrchestrationId": self.orchestration_id, **self.document}

    @property
    def body_bytes(self) -> bytes:
        return canonical_bytes(self.body)


@cache
def _stage_validators() -> tuple[SchemaCheck, SchemaCheck]:
    """(full body validator, validator for a body whose OrchestrationId is not known yet)."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    without_id = copy.deepcopy(schema)
    without_id["required"] = [name for name in without_id["required"] if name != "OrchestrationId"]
    return SchemaCheck(schema), SchemaCheck(without_id)


@cache
def _header_validator() -> SchemaCheck:
    schema = json.loads(DOCUMENT_SCHEMA_PATH.read_text(encoding="utf-8"))
    header_schema = {
        "$schema": schema.get("$schema"),
        "$defs": schema["$defs"],
        **schema["$defs"]["OrchestrationHeader"],
    }
    return SchemaCheck(header_schema)


def _problems(validator: SchemaCheck, body: dict[str, Any], stage_number: str) -> list[PayloadProblem]:
    errors = sorted(validator.iter_errors(body), key=lambda e: (list(e.absolute_path), e.message))
    return [PayloadProblem(stage_number, e.json_path, e.message) for e in errors]


def validate_stage_body(body: dict[str, Any], *, stage_number: str = "") -> list[PayloadProblem]:
    """Problems of one stage POST body against the contract schema (OrchestrationId optional if absent)."""
    full, without_id = _stage_validators()
    return _problems(full if "OrchestrationId" in body else without_id, body, stage_number)


def build_stage_payloads(orch: Orchestration, *, orchestration_id: int | None = None) -> list[StagePayload]:
    """Every stage of `orch` as a schema-valid POST body, in display order.

    `orch` must come from `selectors.orchestration_tree` (prefetched; building
    issues no queries). Raises `PayloadInvalid` with every problem of every
    stage when any body breaks the contract schema.
    """
    payloads = []
    problems: list[PayloadProblem] = []
    for position, stage in enumerate(orch.stages.all(), start=1):
        doc = stage_document(stage, display_sequence=position)
        payload = StagePayload(
            stage_number=stage.number,
            stage_name=stage.name,
            display_sequence=position,
            document=doc,
            document_hash=document_hash(doc),
            orchestration_id=orchestration_id,
        )
        problems += validate_stage_body(payload.body, stage_number=stage.number)
        payloads.append(payload)
    if problems:
        raise PayloadInvalid(problems)
    return payloads


def header_payload(orch: Orchestration) -> dict[str, Any]:
    """The body of `POST …/orchestrations` (contract §4), validated like the stage bodies."""
    header = orchestration_header(orch)
    problems = _problems(_header_validator(), header, "")
    if problems:
        raise PayloadInvalid(problems)
    return header
