"""The compatibility report and a publish's findings: what refuses, in words that say how to fix it."""

from orchestrator.remote.connections import Connection
from orchestrator.services.compatibility import compatibility_report, payload_findings, resolve_dialect
from tests.fakes.samples import orchestration_header, stage_document

from .describes import describe, strict_like


def connection(name="prod", **overrides):
    return Connection(name=name, base_url="https://pod.example.com", **overrides)


def report(pod, name="prod", **overrides):
    return compatibility_report(resolve_dialect(pod, connection(name, **overrides)), name)


def test_the_contract_pod_is_compatible_with_only_notes():
    result = report(describe())
    assert result.compatible and result.warnings == []
    assert {f.kind for f in result.findings} == {"codes_unconfirmed", "strategy"}


def test_the_strict_pod_needs_a_status_code_and_says_how_to_set_it():
    result = report(strict_like())
    assert not result.compatible
    [error] = result.errors
    assert error.kind == "mandatory_uncovered" and error.attribute == "StatusCode"
    assert """CX_PROD_HEADER_DEFAULTS='{"StatusCode": "<value>"}'""" in error.message
    assert report(strict_like(), header_defaults={"StatusCode": "DRAFT"}).compatible


def test_a_missing_required_attribute_names_the_closest_and_the_variable():
    pod = describe(renames={"Stages": {"LifecycleAttrValue": "LifecycleAttribValue"}})
    result = report(pod, name="default")
    [error] = result.errors
    assert error.kind == "missing_attribute"
    assert "neither LifecycleAttrValue nor LifecycleAttributeValue" in error.message
    assert "Closest names it offers: LifecycleAttribValue" in error.message
    assert """CX_FIELD_NAMES='{"Stages.LifecycleAttrValue": "LifecycleAttribValue"}'""" in error.message
    fixed = report(pod, name="default", field_names={"Stages.LifecycleAttrValue": "LifecycleAttribValue"})
    assert fixed.compatible


def test_a_missing_optional_attribute_is_only_a_warning():
    result = report(describe(drop={"Steps": {"EmailTemplateId"}}))
    assert result.compatible
    assert [w.attribute for w in result.warnings] == ["EmailTemplateId"]


def test_shorter_and_unknown_lengths_are_warnings():
    pod = describe(types={"Stages": {"StageName": {"precision": 80}, "StageDescription": {"precision": None}}})
    kinds = {(w.kind, w.attribute) for w in report(pod).warnings}
    assert kinds == {("shorter", "StageName"), ("length_unknown", "StageDescription")}


def test_a_pod_without_step_tasks_anywhere_is_not_compatible():
    pod = describe()
    del pod["Resources"]["orchestrations"]["children"]["Stages"]["children"]["StepTasks"]
    [error] = report(pod).errors
    assert error.kind == "no_resource" and "neither under Stages nor under Steps" in error.message


def test_rows_show_each_attribute_and_the_pods_name():
    result = report(strict_like(), header_defaults={"StatusCode": "DRAFT"})
    stages = next(r for r in result.resources if r.resource == "Stages")
    row = next(r for r in stages.rows if r.contract == "LifecycleAttrValue")
    assert (row.pod, row.status, row.our_length, row.pod_length) == ("LifecycleAttributeValue", "renamed", 100, 100)
    steps = next(r for r in result.resources if r.resource == "Steps")
    success = next(r for r in steps.rows if r.contract == "SuccessStepNumber")
    assert success.pod == "SuccessStepId" and "linked by numeric id" in success.notes
    assert result.as_dict()["strategy"] == "stepwise"


def _documents(**overrides):
    document = stage_document(1, **overrides)
    return [document]


def test_a_publish_is_refused_for_what_it_would_send_and_not_for_what_it_does_not():
    dialect = resolve_dialect(describe(drop={"Steps": {"SuccessCriteria"}}), connection())
    findings = payload_findings(dialect, "prod", documents=_documents())
    [finding] = findings
    assert (finding.kind, finding.attribute, finding.count) == ("missing_attribute", "SuccessCriteria", 1)
    assert "This draft sends it in 1 step (first ORCH-S1-STP-1 of stage ORCH-S1-STG)" in finding.message
    dialect = resolve_dialect(describe(drop={"Steps": {"EmailTemplateId"}}), connection())
    assert payload_findings(dialect, "prod", documents=_documents()) == []


def test_too_long_values_are_counted_per_attribute():
    pod = describe(types={"Steps": {"OrchestrationStepName": {"precision": 5}}})
    [finding] = payload_findings(resolve_dialect(pod, connection()), "prod", documents=_documents())
    assert finding.kind == "too_long" and finding.count == 2  # "Stop" fits
    assert "longer than the pod allows (5 characters; longest 14, first in ORCH-S1-STP-1" in finding.message


def test_a_mapped_code_is_measured_as_sent():
    pod = describe(types={"Steps": {"StepType": {"precision": 5}}})
    mapped = connection(codes={"Steps.StepType": {"TASK": "T", "WAIT": "W", "STOP": "S"}})
    assert payload_findings(resolve_dialect(pod, mapped), "prod", documents=_documents()) == []


def test_the_header_is_checked_only_when_it_must_be_created():
    dialect = resolve_dialect(strict_like(), connection())
    documents = [{k: v for k, v in d.items()} for d in _documents()]
    assert payload_findings(dialect, "prod", documents=documents) == []
    [finding] = payload_findings(dialect, "prod", documents=documents, header=orchestration_header())
    assert finding.kind == "mandatory_uncovered" and finding.attribute == "StatusCode"
