"""manage.py seed_demo and the demo document."""

import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError

from orchestrator import selectors
from orchestrator.demo import DEMO_NUMBER, demo_document
from orchestrator.models import Orchestration, Stage, Step, StepType
from orchestrator.roles import DESIGNER, PUBLISHER, REVIEWER, VIEWER
from orchestrator.services.documents import dumps_document, orchestration_document, schema_problems
from orchestrator.validation import validate_orchestration

pytestmark = pytest.mark.django_db

ROLE_OF = {"demo-viewer": VIEWER, "demo-designer": DESIGNER, "demo-reviewer": REVIEWER, "demo-publisher": PUBLISHER}


@pytest.fixture(autouse=True)
def debug_mode(settings):
    """seed_demo is for local runs (DJANGO_DEBUG=true, as `make run` sets); the suite runs with DEBUG off."""
    settings.DEBUG = True


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_first_run_creates_the_demo_and_prints_the_logins(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    monkeypatch.delenv("HOST", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    output = seed()
    assert f"Created demo orchestration {DEMO_NUMBER} (5 stages," in output
    assert "http://127.0.0.1:8000/" in output
    for username, role in [*ROLE_OF.items(), ("admin", "Superuser")]:
        line = next(line for line in output.splitlines() if line.strip().startswith(username + " "))
        assert "password orchestrator-demo" in line and role in line
    assert "publish" in output and "review" in output and "/admin/" in output
    assert "To try everything with one login, use admin" in output


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("127.0.0.1", "8101", "http://127.0.0.1:8101/"),
        ("0.0.0.0", "9000", "http://0.0.0.0:9000/"),
        ("::1", "8000", "http://[::1]:8000/"),
    ],
)
def test_the_printed_address_is_the_one_make_run_serves(monkeypatch, host, port, url):
    """`make run PORT=8101` passes HOST and PORT on; the newcomer saw :8000 printed beside a server on :8101."""
    monkeypatch.setenv("HOST", host)
    monkeypatch.setenv("PORT", port)
    output = seed()
    assert f"open {url} and sign in" in output and ":8000/" not in output.replace(url, "")


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


def test_a_new_password_is_applied_with_reset(monkeypatch):
    seed()
    monkeypatch.setenv("DEMO_PASSWORD", "changed-for-the-workshop")
    output = seed("--reset")
    assert "password changed-for-the-workshop" in output
    assert all(user.check_password("changed-for-the-workshop") for user in User.objects.all())


def test_a_user_moved_to_another_group_is_put_back_with_reset():
    seed()
    viewer = User.objects.get(username="demo-viewer")
    viewer.groups.set([Group.objects.get(name=PUBLISHER)])
    seed("--reset")
    assert [g.name for g in viewer.groups.all()] == [VIEWER]


# -- production safety (issue 12, F13) -----------------------------------------------------------------------------


def test_F13_seed_demo_refuses_to_run_with_debug_off_unless_forced(settings, monkeypatch):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=false") as caught:
        seed()
    assert "--force" in str(caught.value)
    assert not User.objects.exists() and not Orchestration.objects.exists()
    monkeypatch.setenv("DEMO_PASSWORD", "a-long-local-only-password")
    assert "Created demo orchestration" in seed("--force")
    assert User.objects.get(username="admin").check_password("a-long-local-only-password")


def test_F13_an_existing_account_keeps_its_password_and_rights_without_reset(monkeypatch):
    admin = User.objects.create_user(username="admin", password="the-real-admin-password")
    viewer = User.objects.create_user(username="demo-viewer", password="chosen-by-its-owner")
    viewer.groups.set([Group.objects.get(name=PUBLISHER)])
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    output = seed()
    admin.refresh_from_db()
    viewer.refresh_from_db()
    assert admin.check_password("the-real-admin-password") and not admin.is_superuser and not admin.is_staff
    assert viewer.check_password("chosen-by-its-owner")
    assert [g.name for g in viewer.groups.all()] == [PUBLISHER]
    assert User.objects.get(username="demo-designer").check_password("orchestrator-demo")  # a new one is made
    line = next(line for line in output.splitlines() if line.strip().startswith("admin "))
    assert "orchestrator-demo" not in line and "existing account" in line
    seed("--reset")
    admin.refresh_from_db()
    assert admin.check_password("orchestrator-demo") and admin.is_superuser


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
