"""The payload builder: schema-valid, deterministic stage bodies and a hash that ignores the remote."""

import json

import pytest
from django.db import transaction
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from orchestrator.models import (
    AssignedTo,
    Orchestration,
    Stage,
    StageObjective,
    Step,
    StepObjectiveAssociation,
    StepTask,
    StepType,
)
from orchestrator.selectors import orchestration_tree
from orchestrator.services.payload import (
    PayloadInvalid,
    build_stage_payloads,
    canonical_bytes,
    header_payload,
    validate_stage_body,
)
from orchestrator.validation import validate_orchestration
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db


def test_one_payload_per_stage_in_display_order(orchestration):
    payloads = build_stage_payloads(orchestration_tree(orchestration.number), orchestration_id=42)
    stages = list(orchestration.stages.order_by("display_sequence"))
    assert [p.stage_number for p in payloads] == [s.number for s in stages]
    assert [p.display_sequence for p in payloads] == [1, 2, 3]
    body = payloads[0].body
    assert list(body)[:2] == ["OrchestrationId", "OrchestrationStageNumber"]
    assert body["OrchestrationId"] == 42
    assert validate_stage_body(body) == []


def test_hash_ignores_the_orchestration_id_so_it_is_the_same_on_every_connection(orchestration):
    tree = orchestration_tree(orchestration.number)
    dev = build_stage_payloads(tree, orchestration_id=1)
    prod = build_stage_payloads(tree, orchestration_id=999)
    assert [p.document_hash for p in dev] == [p.document_hash for p in prod]
    assert dev[0].body_bytes != prod[0].body_bytes


def test_a_changed_step_changes_only_its_stage_hash(orchestration):
    before = build_stage_payloads(orchestration_tree(orchestration.number))
    step = Step.objects.filter(stage__orchestration=orchestration, stage__display_sequence=2).first()
    step.name = "Renamed"
    step.save()
    after = build_stage_payloads(orchestration_tree(orchestration.number))
    changed = [a.stage_number for a, b in zip(after, before, strict=True) if a.document_hash != b.document_hash]
    assert changed == [step.stage.number]


def test_body_bytes_are_compact_utf8_in_contract_order(orchestration):
    payload = build_stage_payloads(orchestration_tree(orchestration.number), orchestration_id=7)[0]
    assert payload.body_bytes == json.dumps(payload.body, ensure_ascii=False, separators=(",", ":")).encode()
    assert json.loads(payload.body_bytes) == payload.body


def test_a_body_breaking_the_schema_is_refused_with_every_problem(orchestration):
    # The validation module would report this too; the schema check is the last line before the wire.
    Stage.objects.filter(orchestration=orchestration).update(name="")
    with pytest.raises(PayloadInvalid) as caught:
        build_stage_payloads(orchestration_tree(orchestration.number), orchestration_id=1)
    assert len(caught.value.problems) == 3
    assert caught.value.problems[0].path == "$.StageName"
    assert "stage ORCH-STG-" in str(caught.value)


def test_building_issues_no_queries(orchestration, django_assert_num_queries):
    tree = orchestration_tree(orchestration.number)
    with django_assert_num_queries(0):
        build_stage_payloads(tree, orchestration_id=1)


def test_header_payload_is_the_contract_header(orchestration):
    header = header_payload(orchestration)
    assert header == {
        "OrchestrationNumber": orchestration.number,
        "OrchestrationName": "Test playbook",
        "OrchestrationDescription": "Built by tests",
        "ObjectCode": "Opportunity",
        "LifecycleAttributeName": "SalesStage",
        "AssociationRank": 1,
    }


def test_header_payload_refuses_a_name_too_long():
    orch = Orchestration(number="ORCH-X", name="n" * 101, object_code="Lead", lifecycle_attribute_name="Status")
    with pytest.raises(PayloadInvalid):
        header_payload(orch)


# -- property: any valid draft builds a schema-valid, deterministic payload ----------------------------------------

# Names as a designer might type them: any script, no control characters (PostgreSQL refuses NUL).
_text_chars = st.characters(exclude_categories=("Cs", "Cc"))
names = st.text(_text_chars, min_size=1, max_size=100).filter(lambda s: s.strip())
descriptions = st.one_of(st.just(""), st.text(_text_chars, max_size=2000))
oracle_ids = st.integers(min_value=1, max_value=10**18 - 1)
small = st.integers(min_value=0, max_value=10_000)
json_objects = st.dictionaries(st.text(_text_chars, min_size=1, max_size=10), st.integers() | st.text(max_size=10))

# Step types that go on to the next step: every non-last stage ends with one NEXT_STAGE step and the
# last with one STOP step (a step after either could never run).
other_types = st.sampled_from(
    [
        StepType.TASK,
        StepType.APPOINTMENT,
        StepType.WAIT,
        StepType.FIELD_UPDATE,
        StepType.EMAIL_AUTOMATION,
    ]
)


@st.composite
def step_specs(draw):
    step_type = draw(other_types)
    spec = {"step_type": step_type, "name": draw(names), "suggestion_text": draw(st.one_of(st.just(""), names))}
    spec["allow_skip"] = draw(st.booleans())
    if step_type in (StepType.TASK, StepType.APPOINTMENT):
        spec["activity_template_id"] = draw(st.none() | oracle_ids)
        spec["grace_period"] = draw(st.none() | small)
    if step_type == StepType.TASK:
        spec["smart_action_id"] = draw(st.none() | oracle_ids)
        spec["tasks"] = draw(
            st.lists(
                st.tuples(oracle_ids, oracle_ids, st.none() | oracle_ids, st.sampled_from(["", *AssignedTo.values])),
                max_size=3,
            )
        )
    if step_type == StepType.WAIT:
        days, hours = draw(st.tuples(st.none() | small, st.none() | small).filter(lambda t: t != (None, None)))
        spec.update(days_to_wait=days, hours_to_wait=hours)
    if step_type == StepType.FIELD_UPDATE:
        spec["field_update_json"] = json.dumps(draw(json_objects), ensure_ascii=False)
    if step_type == StepType.EMAIL_AUTOMATION:
        spec.update(email_template_id=draw(oracle_ids), wait_for_replies=draw(st.booleans()))
    return spec


@st.composite
def stop_specs(draw):
    return {
        "step_type": StepType.STOP,
        "name": draw(names),
        "suggestion_text": draw(st.one_of(st.just(""), names)),
        "allow_skip": draw(st.booleans()),
        "exit_orchestration": draw(st.booleans()),
    }


@st.composite
def drafts(draw):
    stage_count = draw(st.integers(min_value=1, max_value=4))
    stages = []
    for index in range(stage_count):
        objectives = draw(st.lists(st.tuples(names, descriptions), min_size=1, max_size=3))
        steps = draw(st.lists(step_specs(), min_size=1, max_size=4))
        if index == stage_count - 1:
            steps.append(draw(stop_specs()))
        stages.append(
            {
                "name": draw(names),
                "description": draw(descriptions),
                "value": f"{index:02d} {draw(names)}"[:100],
                "objectives": objectives,
                "steps": steps,
                # each objective is served by one step; a success link to the next step sometimes
                "serves": [draw(st.integers(min_value=0, max_value=len(steps) - 1)) for _ in objectives],
                "success_links": draw(st.booleans()),
                # a failure link needs success criteria (JSON text)
                "failure_criteria": draw(st.none() | json_objects.map(lambda d: json.dumps(d, ensure_ascii=False))),
            }
        )
    return {
        "name": draw(names),
        "description": draw(descriptions),
        "object_code": draw(st.sampled_from(["Opportunity", "Lead"])),
        "stages": stages,
    }


def _create(spec) -> Orchestration:
    orch = Orchestration.objects.create(
        name=spec["name"], description=spec["description"], object_code=spec["object_code"], association_rank=1
    )
    for s_index, s in enumerate(spec["stages"], start=1):
        stage = Stage.objects.create(
            orchestration=orch,
            display_sequence=s_index,
            name=s["name"],
            description=s["description"],
            lifecycle_attr_value=s["value"],
        )
        objectives = [
            StageObjective.objects.create(stage=stage, display_sequence=i, name=n, description=d)
            for i, (n, d) in enumerate(s["objectives"], start=1)
        ]
        steps = []
        for i, step_spec in enumerate(s["steps"], start=1):
            fields = {k: v for k, v in step_spec.items() if k != "tasks"}
            step = Step.objects.create(stage=stage, display_sequence=i, **fields)
            for t, (template, activity, smart, assigned) in enumerate(step_spec.get("tasks", []), start=1):
                StepTask.objects.create(
                    step=step,
                    display_sequence=t,
                    activity_template_id=template,
                    activity_id=activity,
                    smart_action_id=smart,
                    assigned_to=assigned,
                )
            steps.append(step)
        if s_index < len(spec["stages"]):
            steps.append(
                Step.objects.create(
                    stage=stage,
                    display_sequence=len(steps) + 1,
                    name="Advance",
                    step_type=StepType.NEXT_STAGE,
                    next_stage_value=spec["stages"][s_index]["value"],
                )
            )
        for objective, step_index in zip(objectives, s["serves"], strict=True):
            StepObjectiveAssociation.objects.get_or_create(step=steps[step_index], objective=objective)
        # Links only point forward from the first step, so they never form a loop, and skip no step.
        if s["success_links"] and len(steps) > 1:
            steps[0].success_step = steps[1]
            if s["failure_criteria"] is not None:
                steps[0].failure_step = steps[-1]
                steps[0].success_criteria = s["failure_criteria"]
            steps[0].save()
    return orch


class _Rollback(Exception):
    pass


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(spec=drafts(), orchestration_id=oracle_ids)
def test_any_valid_draft_builds_schema_valid_deterministic_payloads(spec, orchestration_id):
    try:
        with transaction.atomic():
            orch = _create(spec)
            tree = orchestration_tree(orch.number)
            assume(validate_orchestration(tree) == [])
            first = build_stage_payloads(tree, orchestration_id=orchestration_id)
            again = build_stage_payloads(orchestration_tree(orch.number), orchestration_id=orchestration_id)
            assert len(first) == len(spec["stages"])
            for payload, repeat in zip(first, again, strict=True):
                assert validate_stage_body(payload.body) == []
                assert payload.body_bytes == repeat.body_bytes
                assert payload.document_hash == repeat.document_hash
                assert canonical_bytes(json.loads(payload.body_bytes)) == payload.body_bytes
            raise _Rollback
    except _Rollback:
        pass


def test_factory_tree_is_valid_for_the_property_test_baseline():
    orch = build_orchestration(stages=2)
    assert validate_orchestration(orchestration_tree(orch.number)) == []
