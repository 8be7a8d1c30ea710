"""What fits and what does not between the contract and one pod, in words a CRM administrator can act on.

Two readings of a `Dialect`:

- `compatibility_report(dialect, connection)`: the connection on its own
  (``manage.py check_connection``, the Connections page): per resource, each
  contract attribute → the pod's name or *missing* (with the closest names),
  both lengths, the mandatory pod attributes we do not cover, code maps,
  encodings, where step tasks and associations live and the link strategy.
  Errors make it *not compatible*: a publish would be refused.
- `payload_findings(dialect, connection, header=…, documents=…)`: what one
  publish would send — an attribute the pod lacks, a value longer than the
  pod allows, a mandatory pod attribute with no value. Any error refuses the
  publish before its first write.

Every message names the variable that fixes it (``CX_FIELD_NAMES``,
``CX_CODES``, ``CX_HEADER_DEFAULTS``, or their ``CX_<NAME>_…`` forms).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ...remote.cx_fields import (
    ASSOCIATIONS,
    KEY_ATTRIBUTES,
    ORCHESTRATIONS,
    RESOURCE_LABELS,
    RESOURCES,
    STAGE_CHILDREN,
    STAGES,
    STEPS,
    TASKS,
    catalogue,
)
from .resolve import STRATEGY_LABELS, Attribute, Dialect
from .wire import STEP_LINK

ERROR, WARNING, INFO = "error", "warning", "info"


def variable(connection_name: str, suffix: str) -> str:
    """The environment variable for `suffix` on this connection: CX_FIELD_NAMES or CX_PROD_FIELD_NAMES."""
    return f"CX_{suffix}" if connection_name in ("", "default") else f"CX_{connection_name.upper()}_{suffix}"


@dataclass(frozen=True)
class Finding:
    """One thing an administrator should know; `error` ones refuse a publish."""

    severity: str  # "error" | "warning" | "info"
    kind: str
    resource: str
    attribute: str
    message: str
    count: int = 1
    first_item: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AttributeRow:
    contract: str
    pod: str
    status: str  # "ok" | "renamed" | "override" | "missing" | "unlisted override"
    our_length: int | None
    pod_length: int | None
    notes: tuple[str, ...] = ()
    required: bool = False


@dataclass
class ResourceReport:
    resource: str
    label: str
    present: bool
    location: str
    rows: list[AttributeRow] = field(default_factory=list)
    extras: list[dict[str, Any]] = field(default_factory=list)  # {"name", "value", "source"}
    codes: list[dict[str, Any]] = field(default_factory=list)  # {"attribute", "map", "configured"}


@dataclass
class CompatibilityReport:
    connection_name: str
    strategy: str
    strategy_label: str
    resources: list[ResourceReport]
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def compatible(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "connection": self.connection_name,
            "compatible": self.compatible,
            "strategy": self.strategy,
            "strategy_label": self.strategy_label,
            "resources": [asdict(r) for r in self.resources],
            "findings": [f.as_dict() for f in self.findings],
        }


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _missing_message(a: Attribute, connection_name: str, *, sent: str = "") -> str:
    tried = " nor ".join(catalogue()[a.resource][a.contract].candidates)
    where = f"{a.resource}.{a.contract}"
    closest = f" Closest names it offers: {', '.join(a.closest)}." if a.closest else " It offers no similar name."
    suggestion = a.closest[0] if a.closest else "<the pod's name>"
    fix = (
        f" If the pod calls it something else, set {variable(connection_name, 'FIELD_NAMES')}="
        f"'{_json({f'{a.resource}.{a.contract}': suggestion})}'."
    )
    return f"{where}: the pod's describe lists neither {tried}.{sent}{closest}{fix}"


def _resource_missing_message(resource: str) -> str:
    if resource in (TASKS, ASSOCIATIONS):
        return (
            f"{resource}: the pod's describe has no {RESOURCE_LABELS[resource]} collection, neither under Stages "
            "nor under Steps, so stages with them cannot be published."
        )
    return f"{resource}: the pod's describe has no such resource; nothing can be published to it."


def _attribute_row(a: Attribute) -> AttributeRow:
    field_ = catalogue()[a.resource][a.contract]
    notes = []
    if a.missing:
        status = "missing"
        if a.closest:
            notes.append(f"closest: {', '.join(a.closest)}")
    elif a.source == "override":
        status = "override" if a.in_describe else "unlisted override"
    else:
        status = "renamed" if a.source == "alternative" else "ok"
    if a.link_kind:
        notes.append("linked by numeric id" if a.link_kind == "id" else "linked by number")
    if a.binary:
        notes.append("binary: sent base64")
    if a.codes:
        notes.append("codes mapped")
    if not a.missing and field_.max_length and a.pod_type.lower() in ("", "string") and a.length is None:
        notes.append("length unknown")
    return AttributeRow(
        contract=a.contract,
        pod=a.pod,
        status=status,
        our_length=field_.max_length,
        pod_length=a.length,
        notes=tuple(notes),
        required=field_.required,
    )


def compatibility_report(dialect: Dialect, connection_name: str) -> CompatibilityReport:
    """The connection-level report: every attribute, every gap, the strategy."""
    findings: list[Finding] = []
    resources = []
    unmapped: list[Attribute] = []
    for resource in RESOURCES:
        rd = dialect[resource]
        report = ResourceReport(resource, RESOURCE_LABELS[resource], rd.present, rd.location)
        resources.append(report)
        if not rd.present:
            findings.append(Finding(ERROR, "no_resource", resource, "", _resource_missing_message(resource)))
            continue
        for a in rd.attributes.values():
            row = _attribute_row(a)
            report.rows.append(row)
            findings += _attribute_findings(dialect, a, connection_name)
        for extra in rd.extras:
            report.extras.append({"name": extra.name, "value": extra.value, "source": extra.source})
            findings.append(_extra_finding(extra, connection_name, dialect))
        for a in rd.attributes.values():
            field_ = catalogue()[resource][a.contract]
            if field_.kind == "code" and not a.missing:
                report.codes.append(
                    {
                        "attribute": a.contract,
                        "map": {code: a.codes.get(code, code) for code in field_.codes},
                        "configured": bool(a.codes),
                    }
                )
                if a.codes:
                    findings.append(_code_finding(a, connection_name))
                else:
                    unmapped.append(a)
    if unmapped:
        findings.append(_unmapped_codes_finding(unmapped, connection_name))
    for name in dialect.header_defaults_unknown:
        findings.append(
            Finding(
                WARNING,
                "unknown_default",
                ORCHESTRATIONS,
                name,
                f"{variable(connection_name, 'HEADER_DEFAULTS')} sets {name}, which the pod's describe of "
                "orchestrations does not list; it is sent anyway when an orchestration is created.",
            )
        )
    findings.append(
        Finding(
            INFO,
            "strategy",
            STAGES,
            "",
            f"Stages are written {STRATEGY_LABELS[dialect.strategy]}; step tasks live under "
            f"{dialect.location(TASKS)}, associations under {dialect.location(ASSOCIATIONS)}.",
        )
    )
    return CompatibilityReport(connection_name, dialect.strategy, dialect.strategy_label, resources, findings)


def _attribute_findings(dialect: Dialect, a: Attribute, connection_name: str) -> list[Finding]:
    field_ = catalogue()[a.resource][a.contract]
    where = f"{a.resource}.{a.contract}"
    if a.missing:
        implied = a.contract == STEP_LINK and dialect.location(a.resource) == STEPS
        if implied:
            return []
        severity = ERROR if field_.required else WARNING
        sent = (
            " Every publish sends it."
            if field_.required
            else " A publish whose draft sets it is refused until this is fixed."
        )
        return [
            Finding(
                severity, "missing_attribute", a.resource, a.contract, _missing_message(a, connection_name, sent=sent)
            )
        ]
    out = []
    if a.source == "override" and not a.in_describe:
        out.append(
            Finding(
                WARNING,
                "unlisted_override",
                a.resource,
                a.contract,
                f"{where}: {variable(connection_name, 'FIELD_NAMES')} names it {a.pod}, which the pod's describe "
                "does not list; it is sent as configured.",
            )
        )
    if field_.max_length and a.in_describe and a.pod_type.lower() in ("", "string") and not a.binary:
        if a.length is None:
            out.append(
                Finding(
                    WARNING,
                    "length_unknown",
                    a.resource,
                    a.contract,
                    f"{where} ({a.pod}): the describe gives no length, so values are not checked before "
                    f"sending (the designer allows {field_.max_length}).",
                )
            )
        elif a.length < field_.max_length and field_.kind != "code":
            out.append(
                Finding(
                    WARNING,
                    "shorter",
                    a.resource,
                    a.contract,
                    f"{where} ({a.pod}): the pod holds at most {a.length} characters, the designer allows "
                    f"{field_.max_length}; a longer value is refused at publish, naming its item.",
                )
            )
    if a.binary:
        out.append(
            Finding(
                INFO,
                "binary",
                a.resource,
                a.contract,
                f"{where} ({a.pod}) is binary on the pod: sent base64-encoded, decoded on pull.",
            )
        )
    return out


def _claimed_by(dialect: Dialect, extra) -> str:
    """The missing contract attribute this unmodelled pod attribute most likely is, or ""."""
    for a in dialect[extra.resource].attributes.values():
        if a.missing and a.closest and a.closest[0] == extra.name:
            return a.contract
    return ""


def _extra_finding(extra, connection_name: str, dialect: Dialect | None = None) -> Finding:
    where = f"{extra.resource}.{extra.name}"
    claimed = _claimed_by(dialect, extra) if dialect is not None else ""
    if claimed and not extra.covered:
        return Finding(
            ERROR,
            "mandatory_uncovered",
            extra.resource,
            extra.name,
            f"{where} is mandatory on the pod and Orchestrator sends nothing under that name; it is most likely "
            f"what the contract calls {extra.resource}.{claimed}: set {variable(connection_name, 'FIELD_NAMES')}="
            f"'{_json({f'{extra.resource}.{claimed}': extra.name})}' if so.",
        )
    if extra.source == "environment":
        return Finding(
            INFO,
            "extra_default",
            extra.resource,
            extra.name,
            f"{where} is not modelled by Orchestrator; {variable(connection_name, 'HEADER_DEFAULTS')} gives "
            f"{_json(extra.value)}, sent when an orchestration is created.",
        )
    if extra.source == "describe":
        return Finding(
            INFO,
            "extra_default",
            extra.resource,
            extra.name,
            f"{where} is mandatory on the pod and not modelled by Orchestrator; its describe's default "
            f"{_json(extra.value)} is sent on create.",
        )
    if extra.resource == ORCHESTRATIONS:
        fix = (
            f" Set {variable(connection_name, 'HEADER_DEFAULTS')}='{_json({extra.name: '<value>'})}' "
            "to the value new orchestrations should get."
        )
        return Finding(
            ERROR,
            "mandatory_uncovered",
            extra.resource,
            extra.name,
            f"{where} is mandatory on the pod, has no default in its describe, and Orchestrator does not model "
            f"it: creating an orchestration there would be refused.{fix}",
        )
    return Finding(
        ERROR,
        "mandatory_uncovered",
        extra.resource,
        extra.name,
        f"{where} is mandatory on the pod and has no default in its describe; Orchestrator does not send it, "
        f"so every {RESOURCE_LABELS[extra.resource]} would be refused. It needs a default (or to be optional) "
        "on the pod before publishing there.",
    )


def _code_finding(a: Attribute, connection_name: str) -> Finding:
    field_ = catalogue()[a.resource][a.contract]
    pairs = ", ".join(f"{code} → {a.codes.get(code, code)}" for code in field_.codes)
    return Finding(
        INFO,
        "codes",
        a.resource,
        a.contract,
        f"{a.resource}.{a.contract}: {pairs} ({variable(connection_name, 'CODES')}; mapped back on pull).",
    )


def _unmapped_codes_finding(attributes: list[Attribute], connection_name: str) -> Finding:
    names = ", ".join(f"{a.resource}.{a.contract}" for a in attributes)
    first = attributes[0]
    example = _json(
        {f"{first.resource}.{first.contract}": {catalogue()[first.resource][first.contract].codes[0]: "<pod code>"}}
    )
    return Finding(
        INFO,
        "codes_unconfirmed",
        "",
        "",
        f"Codes are sent as Orchestrator spells them for {names}: the describe does not list a pod's values. "
        f"If the pod spells one differently (its refusal names the value), map it with "
        f"{variable(connection_name, 'CODES')}='{example}'.",
    )


# -- one publish ---------------------------------------------------------------------------------------------------


class _Groups:
    """Findings of the same kind on the same attribute, counted: forty long names give one line."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str, str], dict[str, Any]] = {}

    def add(self, kind: str, resource: str, attribute: str, item: str, **extra: Any) -> None:
        group = self.groups.setdefault((kind, resource, attribute), {"count": 0, "first": item, **extra})
        group["count"] += 1
        if "longest" in extra:
            group["longest"] = max(group["longest"], extra["longest"])


def _label(resource: str, item: Mapping[str, Any], stage: str) -> str:
    number = str(item.get(KEY_ATTRIBUTES[resource], "")) or "(unnamed)"
    return number if resource == STAGES else f"{number} of stage {stage}"


def payload_findings(
    dialect: Dialect,
    connection_name: str,
    *,
    documents: Iterable[Mapping[str, Any]],
    header: Mapping[str, Any] | None = None,
) -> list[Finding]:
    """Everything a publish of these stage documents (and `header`, when it must be created) would be refused for."""
    groups = _Groups()
    items: list[tuple[str, Mapping[str, Any], str]] = []
    if header is not None:
        items.append((ORCHESTRATIONS, header, ""))
    for document in documents:
        stage = str(document.get(KEY_ATTRIBUTES[STAGES], ""))
        items.append((STAGES, {k: v for k, v in document.items() if k not in STAGE_CHILDREN}, stage))
        for resource in STAGE_CHILDREN:
            items += [(resource, child, stage) for child in document.get(resource) or []]

    used = {resource for resource, _, _ in items}
    for resource, item, stage in items:
        rd = dialect[resource]
        label = _label(resource, item, stage)
        if not rd.present:
            groups.add("no_resource", resource, "", label)
            continue
        for name, value in item.items():
            attribute = rd.attributes.get(name)
            if attribute is None:
                continue
            if attribute.missing:
                if not (name == STEP_LINK and rd.location == STEPS):
                    groups.add("missing_attribute", resource, name, label)
                continue
            if isinstance(value, str) and attribute.length and not attribute.binary:
                sent = attribute.codes.get(value, value)
                if len(sent) > attribute.length:
                    groups.add("too_long", resource, name, label, length=attribute.length, longest=len(sent))
    for resource in used:
        for extra in dialect[resource].extras:
            if not extra.covered:
                groups.add("mandatory_uncovered", resource, extra.name, "")

    findings = []
    for (kind, resource, name), group in groups.groups.items():
        findings.append(_payload_finding(dialect, connection_name, kind, resource, name, group))
    return findings


def _payload_finding(
    dialect: Dialect, connection_name: str, kind: str, resource: str, name: str, group: dict[str, Any]
) -> Finding:
    count, first = group["count"], group["first"]
    items = f"{count} {RESOURCE_LABELS[resource]}{'s' if count != 1 else ''}"
    if kind == "no_resource":
        message = f"{_resource_missing_message(resource)} This draft has {items} (first {first})."
    elif kind == "missing_attribute":
        sent = f" This draft sends it in {items} (first {first})."
        message = _missing_message(dialect[resource].attributes[name], connection_name, sent=sent)
    elif kind == "too_long":
        pod = dialect[resource].pod(name)
        message = (
            f"{resource}.{name} ({pod}): {count} value{'s' if count != 1 else ''} longer than the pod allows "
            f"({group['length']} characters; longest {group['longest']}, first in {first}). Shorten "
            f"{'them' if count != 1 else 'it'} in the designer."
        )
    else:
        extra = next(e for e in dialect[resource].extras if e.name == name)
        message = _extra_finding(extra, connection_name, dialect).message
    return Finding(ERROR, kind, resource, name, message, count, first)
