"""The describe check (contract §5): unknown attributes, too long values, missing mandatory ones."""

import copy

import pytest
from django.test import override_settings

from orchestrator.remote import Connection
from orchestrator.selectors import orchestration_tree
from orchestrator.services import describe_check
from orchestrator.services.describe_check import describe_problems
from orchestrator.services.payload import build_stage_payloads, header_payload

pytestmark = pytest.mark.django_db


def _attr(name, type_="string", precision=None, mandatory=False):
    spec = {"name": name, "type": type_, "updatable": True, "mandatory": mandatory}
    if precision:
        spec["precision"] = precision
    return spec


def _describe():
    """A describe accepting exactly the contract (the shape of contract §5)."""
    return {
        "Resources": {
            "orchestrations": {
                "attributes": [
                    _attr("OrchestrationId", "integer", mandatory=True),
                    _attr("OrchestrationNumber", precision=64, mandatory=True),
                    _attr("OrchestrationName", precision=100, mandatory=True),
                    _attr("OrchestrationDescription", precision=2000),
                    _attr("ObjectCode", precision=30, mandatory=True),
                    _attr("LifecycleAttributeName", precision=100, mandatory=True),
                    _attr("AssociationRank", "integer"),
                ],
                "children": {
                    "Stages": {
                        "attributes": [
                            _attr("OrchestrationId", "integer", mandatory=True),
                            _attr("OrchestrationStageId", "integer", mandatory=True),
                            _attr("OrchestrationStageNumber", precision=64, mandatory=True),
                            _attr("DisplaySequence", "integer", mandatory=True),
                            _attr("StageName", precision=100, mandatory=True),
                            _attr("StageDescription", precision=2000),
                            _attr("LifecycleAttrValue", precision=100, mandatory=True),
                            _attr("ContainErrorsFlag", "boolean"),
                        ],
                        "children": {
                            "StageObjectives": {
                                "attributes": [
                                    _attr("StageObjectiveNumber", precision=64, mandatory=True),
                                    _attr("ObjectiveName", precision=100, mandatory=True),
                                    _attr("ObjectiveDescription", precision=2000),
                                    _attr("DisplaySequence", "integer", mandatory=True),
                                    _attr("ObjectiveStatus", precision=30, mandatory=True),
                                ]
                            },
                            "Steps": {
                                "attributes": [
                                    _attr(n, t, p)
                                    for n, t, p in [
                                        ("OrchestrationStepNumber", "string", 64),
                                        ("OrchestrationStepName", "string", 100),
                                        ("StepType", "string", 30),
                                        ("ExecutionMethod", "string", 30),
                                        ("DisplaySequence", "integer", None),
                                        ("StepSuggestionText", "string", 1000),
                                        ("ActivityTemplateId", "integer", None),
                                        ("SmartActionId", "integer", None),
                                        ("EmailTemplateId", "integer", None),
                                        ("DaysToWait", "integer", None),
                                        ("HoursToWait", "integer", None),
                                        ("NextStageValue", "string", 100),
                                        ("FieldUpdateJson", "string", None),
                                        ("GracePeriod", "integer", None),
                                        ("AllowSkipFlag", "boolean", None),
                                        ("WaitForRepliesFlag", "boolean", None),
                                        ("ExitOrchestrationFlag", "boolean", None),
                                        ("SuccessStepNumber", "string", 64),
                                        ("FailureStepNumber", "string", 64),
                                        ("SuccessCriteria", "string", None),
                                    ]
                                ]
                            },
                            "StepTasks": {
                                "attributes": [
                                    _attr("StepTasksNumber", precision=64),
                                    _attr("OrchestrationStepNumber", precision=64),
                                    _attr("DisplaySequence", "integer"),
                                    _attr("ActivityTemplateId", "integer"),
                                    _attr("ActivityId", "integer"),
                                    _attr("SmartActionId", "integer"),
                                    _attr("AssignedTo", precision=30),
                                ]
                            },
                            "StepObjectivesAssociations": {
                                "attributes": [
                                    _attr("StepObjectiveAssocNumber", precision=64),
                                    _attr("OrchestrationStepNumber", precision=64),
                                    _attr("StageObjectiveNumber", precision=64),
                                ]
                            },
                        },
                    }
                },
            }
        }
    }


def _bodies(orch):
    return [{"OrchestrationId": 1, **p.document} for p in build_stage_payloads(orchestration_tree(orch.number))]


def _stages(describe):
    return describe["Resources"]["orchestrations"]["children"]["Stages"]


def test_a_matching_describe_has_no_problems(orchestration):
    assert (
        describe_problems(_describe(), stage_bodies=_bodies(orchestration), header=header_payload(orchestration)) == []
    )


def test_an_unknown_attribute_is_reported_once_with_a_count(orchestration):
    describe = _describe()
    steps = _stages(describe)["children"]["Steps"]
    steps["attributes"] = [a for a in steps["attributes"] if a["name"] != "OrchestrationStepName"]
    problems = describe_problems(describe, stage_bodies=_bodies(orchestration))
    assert [(p.kind, p.resource, p.attribute, p.count) for p in problems] == [
        ("unknown_attribute", "orchestrations.Stages.Steps", "OrchestrationStepName", 9)
    ]
    assert "does not know this attribute" in problems[0].message


def test_a_shorter_precision_reports_the_longest_value(orchestration):
    describe = _describe()
    for attribute in _stages(describe)["attributes"]:
        if attribute["name"] == "StageName":
            attribute["precision"] = 5
    problems = describe_problems(describe, stage_bodies=_bodies(orchestration))
    assert [(p.kind, p.attribute, p.count) for p in problems] == [("too_long", "StageName", 3)]
    assert "(5 characters; longest 7" in problems[0].message


def test_a_mandatory_attribute_the_payload_lacks_is_reported(orchestration):
    describe = _describe()
    _stages(describe)["attributes"].append(_attr("StageOwnerCode", mandatory=True))
    problems = describe_problems(describe, stage_bodies=_bodies(orchestration))
    assert [(p.kind, p.attribute, p.count) for p in problems] == [("missing_mandatory", "StageOwnerCode", 3)]


def test_server_assigned_ids_are_not_required(orchestration):
    # The describe marks OrchestrationStageId mandatory, but the remote assigns it.
    assert describe_problems(_describe(), stage_bodies=_bodies(orchestration)) == []


def test_the_header_is_checked_only_when_it_must_be_created(orchestration):
    describe = _describe()
    root = describe["Resources"]["orchestrations"]
    root["attributes"] = [a for a in root["attributes"] if a["name"] != "AssociationRank"]
    assert describe_problems(describe, stage_bodies=_bodies(orchestration)) == []
    problems = describe_problems(describe, stage_bodies=_bodies(orchestration), header=header_payload(orchestration))
    assert [(p.resource, p.attribute) for p in problems] == [("orchestrations", "AssociationRank")]


def test_a_missing_child_collection_and_a_missing_resource(orchestration):
    describe = _describe()
    del _stages(describe)["children"]["StepTasks"]
    problems = describe_problems(describe, stage_bodies=_bodies(orchestration))
    assert [(p.kind, p.attribute) for p in problems] == [("unknown_child", "StepTasks")]
    assert [p.kind for p in describe_problems({"Resources": {}}, stage_bodies=[])] == ["no_resource"]


def test_children_listed_as_an_array_are_understood(orchestration):
    describe = _describe()
    stages = _stages(describe)
    stages["children"] = [{"name": name, **copy.deepcopy(child)} for name, child in stages["children"].items()]
    assert describe_problems(describe, stage_bodies=_bodies(orchestration)) == []


def test_the_cache_is_keyed_by_connection_version_and_context():
    dev = Connection(name="dev", base_url="https://dev.example.com", framework_version="4")
    dev_v9 = Connection(name="dev", base_url="https://dev.example.com", framework_version="9")
    describe_check.store_describe(dev, {"Resources": {"x": 1}})
    assert describe_check.cached_describe(dev) == {"Resources": {"x": 1}}
    assert describe_check.cached_describe(dev_v9) is None
    with override_settings(CX_DESCRIBE_CACHE_SECONDS=0):
        assert describe_check.cached_describe(dev) is None
    describe_check.forget_describe(dev)
    assert describe_check.cached_describe(dev) is None
