"""Services on whole orchestrations: create, header update, clone, archive, restore."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orchestrator import selectors
from orchestrator.models import IssuedNumber, Orchestration, OrchestrationStatus, Step
from orchestrator.services import orchestrations as services
from orchestrator.services.documents import orchestration_document
from orchestrator.services.drafts import OrchestrationArchived, StaleEdit
from orchestrator.validation import validate_orchestration
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db


def test_suggested_numbers_are_short_and_unused():
    number = services.orchestration_suggest_number()
    assert number.startswith("ORCH-") and len(number) == 13
    assert not IssuedNumber.objects.filter(number=number).exists()


def test_create_registers_the_number_as_issued(designer):
    orch = services.orchestration_create(user=designer, number="ORCH-NEW", values={"name": "New"})
    assert (orch.status, orch.updated_by, orch.version) == ("DRAFT", designer, 1)
    assert IssuedNumber.objects.filter(number="ORCH-NEW", kind="orchestration").exists()


def test_create_refuses_a_number_used_before_even_after_deletion(designer):
    services.orchestration_create(user=designer, number="ORCH-ONCE", values={"name": "First"})
    Orchestration.objects.filter(number="ORCH-ONCE").delete()
    with pytest.raises(ValidationError) as exc:
        services.orchestration_create(user=designer, number="ORCH-ONCE", values={"name": "Second"})
    assert "never reused" in exc.value.message_dict["number"][0]


@pytest.mark.parametrize("number", ["", "has space", "a/b", "x" * 65, "-lead"])
def test_create_refuses_unsafe_numbers(designer, number):
    with pytest.raises(ValidationError) as exc:
        services.orchestration_create(user=designer, number=number, values={"name": "x"})
    assert "number" in exc.value.message_dict


def test_header_update_checks_the_version(designer):
    orch = build_orchestration(stages=1)
    updated = services.orchestration_update(
        orchestration=orch, user=designer, expected_version=1, values={"name": "Renamed", "association_rank": 3}
    )
    assert (updated.name, updated.version, updated.updated_by) == ("Renamed", 2, designer)
    with pytest.raises(StaleEdit) as exc:
        services.orchestration_update(orchestration=orch, user=designer, expected_version=1, values={"name": "Late"})
    assert exc.value.current.name == "Renamed"


def test_archive_makes_it_read_only_and_restore_brings_it_back(designer):
    orch = build_orchestration(stages=1)
    services.orchestration_archive(orchestration=orch, user=designer)
    assert Orchestration.objects.get(pk=orch.pk).status == OrchestrationStatus.ARCHIVED
    with pytest.raises(OrchestrationArchived):
        services.orchestration_update(orchestration=orch, user=designer, expected_version=2, values={"name": "x"})
    services.orchestration_restore(orchestration=orch, user=designer)
    assert Orchestration.objects.get(pk=orch.pk).status == OrchestrationStatus.DRAFT


def _without_numbers(doc):
    """The document with every number replaced by its position of first appearance."""
    seen: dict[str, str] = {}

    def walk(value):
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str) and value.startswith("ORCH-"):
            return seen.setdefault(value, f"#{len(seen)}")
        return value

    return walk(doc)


def test_clone_copies_the_whole_tree_under_new_numbers(designer):
    source = build_orchestration(stages=3)
    _call, meeting, advance = list(source.stages.first().steps.order_by("display_sequence"))
    meeting.success_step = advance
    meeting.save()
    copy = services.orchestration_clone(orchestration=source, user=designer)
    assert copy.name == "Copy of Test playbook"
    original_doc = orchestration_document(selectors.orchestration_tree(source.number))
    copy_doc = orchestration_document(selectors.orchestration_tree(copy.number))
    original_doc.pop("OrchestrationName"), copy_doc.pop("OrchestrationName")
    assert _without_numbers(copy_doc) == _without_numbers(original_doc)
    old_numbers = set(Step.objects.filter(stage__orchestration=source).values_list("number", flat=True))
    new_numbers = set(Step.objects.filter(stage__orchestration=copy).values_list("number", flat=True))
    assert not old_numbers & new_numbers
    copied_meeting = Step.objects.get(stage__orchestration=copy, name="Meeting 1")
    assert copied_meeting.success_step.stage.orchestration_id == copy.pk
    assert validate_orchestration(selectors.orchestration_tree(copy.number)) == []
    assert IssuedNumber.objects.filter(number__in=new_numbers).count() == len(new_numbers)


def test_clone_costs_the_same_queries_at_any_size(designer):
    def count(stages):
        source = build_orchestration(stages=stages)
        with CaptureQueriesContext(connection) as ctx:
            services.orchestration_clone(orchestration=source, user=designer)
        return len(ctx.captured_queries)

    assert count(2) == count(40)


def test_clone_shortens_a_long_name(designer):
    source = build_orchestration(stages=1, name="x" * 100)
    assert len(services.orchestration_clone(orchestration=source, user=designer).name) == 100
