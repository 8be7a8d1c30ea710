"""The admin speaks words: columns and labels from the REST names, split ("Orchestration stage number")."""

import pytest
from django.urls import reverse

from orchestrator.admin import human_label
from tests.factories import build_orchestration, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("verbose", "label"),
    [
        ("OrchestrationStageNumber", "Orchestration stage number"),
        ("ActivityTemplateId", "Activity template ID"),
        ("LifecycleAttrValue", "Lifecycle attr value"),
        ("remote id", "remote id"),
        ("ID", "ID"),
    ],
)
def test_rest_names_become_words(verbose, label):
    assert human_label(verbose) == label


@pytest.fixture
def admin_client(client):
    client.force_login(make_user(superuser=True, username="root"))
    return client


@pytest.mark.parametrize(
    ("model", "column"),
    [
        ("orchestration", "Orchestration name"),
        ("stage", "Orchestration stage number"),
        ("stageobjective", "Stage objective number"),
        ("step", "Step type"),
        ("steptask", "Activity template ID"),
        ("stepobjectiveassociation", "number"),
    ],
)
def test_change_lists_show_words_not_rest_names(admin_client, model, column):
    build_orchestration(stages=2)
    html = admin_client.get(reverse(f"admin:orchestrator_{model}_changelist")).content.decode()
    assert column in html
    for rest in (
        "OrchestrationName",
        "OrchestrationNumber",
        "ObjectCode",
        "StageName",
        "OrchestrationStepName",
        "StepType",
    ):
        assert f">{rest}<" not in html and f">{rest.upper()}<" not in html


def test_change_forms_and_inlines_label_in_words_and_keep_the_rest_name_as_help(admin_client):
    orch = build_orchestration(stages=2)
    stage = orch.stages.first()
    html = admin_client.get(reverse("admin:orchestrator_stage_change", args=[stage.pk])).content.decode()
    assert "Stage name" in html and "REST attribute StageName." in html
    html = admin_client.get(reverse("admin:orchestrator_orchestration_change", args=[orch.pk])).content.decode()
    assert "Orchestration name" in html and "Lifecycle attr value" in html  # the stages inline
    step = stage.steps.first()
    assert admin_client.get(reverse("admin:orchestrator_step_change", args=[step.pk])).status_code == 200
