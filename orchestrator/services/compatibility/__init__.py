"""How Orchestrator adapts to one CX Sales pod: names, lengths, codes, encodings and strategy from its describe.

- `resolve.resolve_dialect(describe, connection)`: the pod's `Dialect`;
- `wire`: contract documents to pod bodies and back (`item_body`, `stage_body`, `read_stage`);
- `report`: the connection's compatibility report and one publish's findings.
"""

from typing import Any

from ...remote.cx_fields import RESOURCES
from .report import ERROR, INFO, WARNING, CompatibilityReport, Finding, compatibility_report, payload_findings
from .resolve import NESTED, STEPWISE, Dialect, resolve_dialect

__all__ = [
    "ERROR",
    "INFO",
    "NESTED",
    "STEPWISE",
    "WARNING",
    "CompatibilityReport",
    "Dialect",
    "Finding",
    "compatibility_report",
    "compatibility_summary",
    "payload_findings",
    "resolve_dialect",
]


def compatibility_summary(dialect: Dialect) -> dict[str, Any]:
    """What a run records about how it spoke to the pod: strategy, names that differ from ours, maps, encodings."""
    renamed, codes, binary = {}, {}, []
    for resource in RESOURCES:
        for attribute in dialect[resource].attributes.values():
            qualified = f"{resource}.{attribute.contract}"
            if attribute.pod and attribute.pod != attribute.contract:
                renamed[qualified] = attribute.pod
            if attribute.codes:
                codes[qualified] = dict(attribute.codes)
            if attribute.binary:
                binary.append(qualified)
    return {
        "strategy": dialect.strategy,
        "strategy_label": dialect.strategy_label,
        "fingerprint": dialect.fingerprint,
        "locations": {
            "StepTasks": dialect.location("StepTasks"),
            "StepObjectivesAssociations": dialect.location("StepObjectivesAssociations"),
        },
        "renamed": renamed,
        "codes": codes,
        "binary": binary,
        "defaults": {
            f"{extra.resource}.{extra.name}": extra.value
            for resource in RESOURCES
            for extra in dialect[resource].extras
            if extra.covered
        },
    }
