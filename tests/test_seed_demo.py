"""manage.py seed_demo and the demo document."""

import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from orchestrator import selectors
from orchestrator.demo import DEMO_NUMBER, demo_document
from orchestrator.models import Orchestration, Stage, Step, StepType
from orchestrator.roles import DESIGNER, PUBLISHER, REVIEWER, VIEWER
from orchestrator.services.documents import dumps_document, orchestration_document, schema_problems
from orchestrator.validation import validate_orchestration

pytestmark = pytest.mark.django_db

ROLE_OF = {"demo-viewer": VIEWER, "demo-designer": DESIGNER, "demo-reviewer": REVIEWER, "demo-publisher": PUBLISHER}


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_first_run_creates_the_demo_and_prints_the_logins(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    output = seed()
    assert f"Created demo orchestration {DEMO_NUMBER} (5 stages," in output
    assert "http://127.0.0.1:8000/" in output
    for username, role in [*ROLE_OF.items(), ("admin", "Superuser")]:
        line = next(line for line in output.splitlines() if line.strip().startswith(username + " "))
        assert "password orchestrator-demo" in line and role in line
    assert "publish" in output and "review" in output and "/admin/" in output


def test_users_have_their_roles_and_the_printed_password(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "a-local-secret")
    seed()
    for username, role in ROLE_OF.items():
        user = User.objects.get(username=username)
        assert [g.name for g in user.groups.all()] == [role]
        assert user.is_active and not user.is_staff and not user.is_superuser
        assert user.check_password("a-local-secret")
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password("a-local-secret")


def test_twice_in_a_row_changes_nothing_and_duplicates_nothing(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    seed()
    hashes = dict(User.objects.values_list("username", "password"))
    counts = (User.objects.count(), Group.objects.count(), Orchestration.objects.count(), Step.objects.count())
    output = seed()
    assert "already exists; left as it is" in output
    assert (User.objects.count(), Group.objects.count(), Orchestration.objects.count(), Step.objects.count()) == counts
    assert counts[0] == 5 and counts[2] == 1
    # Same password, same hash: sessions of people already signed in stay valid.
    assert dict(User.objects.values_list("username", "password")) == hashes


def test_a_new_password_is_applied_on_the_next_run(monkeypatch):
    seed()
    monkeypatch.setenv("DEMO_PASSWORD", "changed-for-the-workshop")
    output = seed()
    assert "password changed-for-the-workshop" in output
    assert all(user.check_password("changed-for-the-workshop") for user in User.objects.all())


def test_a_user_moved_to_another_group_is_put_back():
    seed()
    viewer = User.objects.get(username="demo-viewer")
    viewer.groups.set([Group.objects.get(name=PUBLISHER)])
    seed()
    assert [g.name for g in viewer.groups.all()] == [VIEWER]


def test_an_edited_demo_is_kept_unless_reset():
    seed()
    orch = Orchestration.objects.get(number=DEMO_NUMBER)
    Stage.objects.filter(orchestration=orch, display_sequence=1).update(name="Qualify (our version)")
    seed()
    assert Stage.objects.get(orchestration=orch, display_sequence=1).name == "Qualify (our version)"

    output = seed("--reset")
    assert f"Restored demo orchestration {DEMO_NUMBER}" in output
    assert Stage.objects.get(orchestration=orch, display_sequence=1).name == "Qualify"
    assert Orchestration.objects.get(number=DEMO_NUMBER).pk == orch.pk


def test_reset_also_removes_objects_added_to_the_demo():
    seed()
    orch = Orchestration.objects.get(number=DEMO_NUMBER)
    extra = Stage.objects.create(orchestration=orch, display_sequence=6, name="Extra", lifecycle_attr_value="06 - X")
    seed("--reset")
    assert not Stage.objects.filter(pk=extra.pk).exists()


# -- the demo content -------------------------------------------------------------------


def test_demo_has_no_problems_and_round_trips_byte_for_byte():
    seed()
    tree = selectors.orchestration_tree(DEMO_NUMBER)
    assert validate_orchestration(tree) == []
    assert dumps_document(orchestration_document(tree)) == dumps_document(demo_document())


def test_demo_document_is_schema_valid_and_realistic():
    doc = demo_document()
    assert schema_problems(doc) == []
    assert doc["OrchestrationNumber"] == "ORCH-DEMO-B2B"
    assert [s["StageName"] for s in doc["Stages"]] == ["Qualify", "Discover", "Propose", "Negotiate", "Close"]
    assert [s["LifecycleAttrValue"] for s in doc["Stages"]] == [
        "01 - Qualify",
        "02 - Discover",
        "03 - Propose",
        "04 - Negotiate",
        "05 - Close",
    ]
    assert all(2 <= len(s["StageObjectives"]) <= 3 for s in doc["Stages"])
    steps = [step for stage in doc["Stages"] for step in stage["Steps"]]
    assert {step["StepType"] for step in steps} == set(StepType.values)
    assert doc["Stages"][-1]["Steps"][-1]["StepType"] == "STOP"
    assert any("FailureStepNumber" in s and "SuccessStepNumber" in s and "SuccessCriteria" in s for s in steps)
    assert all(stage["StepTasks"] for stage in doc["Stages"] if any(s["StepType"] == "TASK" for s in stage["Steps"]))
    assert all(o["ObjectiveStatus"] == "MAPPED" for stage in doc["Stages"] for o in stage["StageObjectives"])


def test_demo_document_is_a_fresh_copy_each_time():
    first = demo_document()
    first["Stages"].clear()
    assert len(demo_document()["Stages"]) == 5
