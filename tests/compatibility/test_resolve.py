"""Resolving a pod's dialect from its describe and the connection's overrides."""

import pytest

from orchestrator.remote.connections import Connection
from orchestrator.services.compatibility.resolve import (
    NESTED,
    STEPWISE,
    resolve_dialect,
    spec_is_binary,
    spec_length,
)

from .describes import describe, strict_like


def connection(**overrides):
    return Connection(name="prod", base_url="https://pod.example.com", **overrides)


def test_a_pod_that_matches_the_contract_resolves_every_name_to_itself_nested():
    dialect = resolve_dialect(describe(), connection())
    assert dialect.strategy == NESTED
    for resource in dialect.resources.values():
        assert resource.present
        assert all(a.pod == a.contract and a.source == "contract" for a in resource.attributes.values())
    assert dialect["Steps"].attributes["SuccessStepNumber"].link_kind == "number"
    assert dialect.location("StepTasks") == "Stages"


def test_the_strict_reading_resolves_alternatives_ids_and_step_level_children():
    dialect = resolve_dialect(strict_like(), connection())
    assert dialect.strategy == STEPWISE
    lifecycle = dialect["Stages"].attributes["LifecycleAttrValue"]
    assert (lifecycle.pod, lifecycle.source) == ("LifecycleAttributeValue", "alternative")
    success = dialect["Steps"].attributes["SuccessStepNumber"]
    assert (success.pod, success.link_kind) == ("SuccessStepId", "id")
    assert dialect["StepObjectivesAssociations"].attributes["StageObjectiveNumber"].pod == "StageObjectiveId"
    assert dialect.location("StepTasks") == dialect.location("StepObjectivesAssociations") == "Steps"
    assert dialect["Stages"].attributes["StageName"].length == 100  # "maxLength": "100", a string
    assert dialect["Steps"].attributes["FieldUpdateJson"].binary
    assert dialect["Steps"].attributes["SuccessCriteria"].binary  # "format": "byte"
    assert not dialect["Steps"].attributes["StepSuggestionText"].binary


def test_header_extras_take_the_environment_then_the_describe_default():
    dialect = resolve_dialect(strict_like(), connection(header_defaults={"StatusCode": "DRAFT"}))
    extras = {e.name: (e.value, e.source) for e in dialect["orchestrations"].extras}
    assert extras == {"OrchestrationType": ("STANDARD", "describe"), "StatusCode": ("DRAFT", "environment")}
    uncovered = resolve_dialect(strict_like(), connection())
    assert {e.name: e.covered for e in uncovered["orchestrations"].extras} == {
        "OrchestrationType": True,
        "StatusCode": False,
    }


def test_the_environment_wins_over_the_describe_default():
    dialect = resolve_dialect(strict_like(), connection(header_defaults={"OrchestrationType": "CUSTOM"}))
    assert {e.name: e.value for e in dialect["orchestrations"].extras}["OrchestrationType"] == "CUSTOM"


def test_an_override_wins_over_the_describe_even_when_the_contract_name_exists():
    pod = describe(extra={"Stages": [{"name": "OrchestrationStageName", "type": "string", "maxLength": "80"}]})
    dialect = resolve_dialect(pod, connection(field_names={"Stages.StageName": "OrchestrationStageName"}))
    attribute = dialect["Stages"].attributes["StageName"]
    assert (attribute.pod, attribute.source, attribute.length, attribute.in_describe) == (
        "OrchestrationStageName",
        "override",
        80,
        True,
    )


def test_an_override_the_describe_does_not_list_is_used_but_flagged():
    dialect = resolve_dialect(describe(), connection(field_names={"Steps.StepSuggestionText": "Guidance"}))
    attribute = dialect["Steps"].attributes["StepSuggestionText"]
    assert attribute.pod == "Guidance" and not attribute.in_describe


def test_a_missing_attribute_offers_the_closest_names():
    pod = describe(renames={"Stages": {"LifecycleAttrValue": "LifecycleAttribValue"}})
    attribute = resolve_dialect(pod, connection())["Stages"].attributes["LifecycleAttrValue"]
    assert attribute.missing
    assert attribute.closest[0] == "LifecycleAttribValue"


def test_mixed_links_mean_stepwise():
    pod = describe(
        renames={"StepObjectivesAssociations": {"StageObjectiveNumber": "StageObjectiveId"}},
        types={"StepObjectivesAssociations": {"StageObjectiveId": {"type": "integer"}}},
    )
    dialect = resolve_dialect(pod, connection())
    assert dialect.strategy == STEPWISE
    assert dialect.location("StepObjectivesAssociations") == "Stages"


def test_step_level_parent_reference_is_not_a_mandatory_extra():
    pod = describe(
        under_steps=("StepTasks",),
        drop={"StepTasks": {"OrchestrationStepNumber"}},
        extra={"StepTasks": [{"name": "OrchestrationStepId", "type": "integer", "mandatory": True}]},
    )
    dialect = resolve_dialect(pod, connection())
    assert dialect["StepTasks"].extras == ()
    assert dialect.strategy == STEPWISE


def test_codes_come_from_the_connection():
    dialect = resolve_dialect(describe(), connection(codes={"Steps.StepType": {"TASK": "ORA_TASK"}}))
    assert dict(dialect["Steps"].attributes["StepType"].codes) == {"TASK": "ORA_TASK"}


def test_the_fingerprint_follows_what_would_be_sent_not_the_lengths():
    base = resolve_dialect(describe(), connection()).fingerprint
    assert resolve_dialect(describe(lengths="maxLength"), connection()).fingerprint == base
    assert resolve_dialect(strict_like(), connection()).fingerprint != base
    mapped = connection(codes={"StepTasks.AssignedTo": {"TEAM_MEMBER": "TEAM MEMBER"}})
    assert resolve_dialect(describe(), mapped).fingerprint != base


def test_a_describe_without_stages_has_nothing_present():
    dialect = resolve_dialect({"Resources": {}}, connection())
    assert not any(r.present for r in dialect.resources.values())


@pytest.mark.parametrize(
    ("spec", "length"),
    [
        ({"precision": 100}, 100),
        ({"maxLength": "1", "precision": 1}, 1),
        ({"maxLength": " 30 "}, 30),
        ({"maxLength": "30", "precision": 100}, 30),
        ({"maxLength": "many"}, None),
        ({"precision": True}, None),
        ({"precision": 0}, None),
        ({}, None),
    ],
)
def test_lengths(spec, length):
    assert spec_length(spec) == length


@pytest.mark.parametrize(
    ("spec", "binary"),
    [
        ({"type": "blob"}, True),
        ({"type": "string (byte)"}, True),
        ({"type": "string", "format": "byte"}, True),
        ({"type": "string", "contentEncoding": "base64"}, True),
        ({"type": "string"}, False),
        ({"type": "clob"}, False),
    ],
)
def test_binary(spec, binary):
    assert spec_is_binary(spec) is binary
