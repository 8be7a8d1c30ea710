"""The role-by-action matrix of issue 10: every listed combination, through the browser, matches the rules.

Roles: Viewer, Designer, Reviewer, Designer+Reviewer, Publisher, superuser.
Actions: comment, request changes, approve one's own change, approve another's
change, publish unapproved / approved / stale content to a gated and to an
ungated connection, restore a revision, replace a draft by an import.

Outcomes: "ok" (done), "forbidden" (403, nothing done), "refused" (4xx with
the reason, nothing done: four eyes, or the approval gate), "confirm" (422:
an ungated connection asks to confirm what is unapproved, nothing queued).
"""

import itertools
import json

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from orchestrator import roles
from orchestrator.models import Approval, PublishRun, PublishRunStatus, ReviewComment, Revision, Stage
from orchestrator.selectors import orchestration_tree
from orchestrator.services import drafts
from orchestrator.services.documents import orchestration_document
from orchestrator.services.review import content_hash, orchestration_approve
from tests.factories import build_orchestration, make_user

pytestmark = pytest.mark.django_db

ROLES = ("viewer", "designer", "reviewer", "designer+reviewer", "publisher", "superuser")
PUBLISHES = [
    f"publish {state} to {gate}" for state in ("unapproved", "approved", "stale") for gate in ("gated", "ungated")
]
ACTIONS = (
    "comment",
    "request changes",
    "approve own change",
    "approve another's",
    *PUBLISHES,
    "restore",
    "import replace",
)

# The rules, as the issue and the README state them.
COMMENTERS = {"designer", "reviewer", "designer+reviewer", "publisher", "superuser"}
REVIEWERS = {"reviewer", "designer+reviewer", "superuser"}
PUBLISHERS = {"publisher", "superuser"}
DESIGNERS = {"designer", "designer+reviewer", "superuser"}


def expected(role: str, action: str) -> str:
    if action == "comment":
        return "ok" if role in COMMENTERS else "forbidden"
    if action == "request changes":
        return "ok" if role in REVIEWERS else "forbidden"
    if action == "approve own change":
        return "refused" if role in REVIEWERS else "forbidden"  # four eyes: superusers included
    if action == "approve another's":
        return "ok" if role in REVIEWERS else "forbidden"
    if action.startswith("publish"):
        if role not in PUBLISHERS:
            return "forbidden"
        if "publish approved" in action:
            return "ok"
        return "refused" if action.endswith("to gated") else "confirm"
    if action in ("restore", "import replace"):
        return "ok" if role in DESIGNERS else "forbidden"
    raise AssertionError(action)


def test_the_matrix_covers_every_listed_combination():
    assert (len(ROLES), len(ACTIONS)) == (6, 12)  # 72 combinations, each one test below
    assert {expected(r, a) for r, a in itertools.product(ROLES, ACTIONS)} == {"ok", "forbidden", "refused", "confirm"}


def make(role: str):
    if role == "superuser":
        return make_user(superuser=True, username="matrix-root")
    if role == "designer+reviewer":
        user = make_user(roles.DESIGNER)
        user.groups.add(Group.objects.get(name=roles.REVIEWER))
        return user
    return make_user(role.capitalize())


@pytest.fixture
def gated(monkeypatch, cx_server):
    monkeypatch.setenv("CX_CONNECTIONS", "ci")
    monkeypatch.setenv("CX_CI_BASE_URL", cx_server.url)
    monkeypatch.setenv("CX_CI_USERNAME", cx_server.username)
    monkeypatch.setenv("CX_CI_PASSWORD", cx_server.password)
    return "ci"


def rename(orch, user, name):
    stage = Stage.objects.filter(orchestration=orch).order_by("display_sequence").first()
    drafts.stage_update(stage=stage, user=user, expected_version=stage.version, values={"name": name})


def classify(response) -> str:
    if response.status_code in (200, 302, 204):
        return "ok"
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 422 and 'name="confirm_unapproved"' in response.content.decode():
        return "confirm" if "tick the box" in response.content.decode() else "refused"
    if response.status_code in (409, 422):
        return "refused"
    raise AssertionError((response.status_code, response.content.decode()[:300]))


@pytest.mark.parametrize(("role", "action"), list(itertools.product(ROLES, ACTIONS)))
def test_role_by_action(role, action, gated, cx_server):
    orch = build_orchestration(stages=2)
    user = make(role)
    other_designer, other_reviewer = make_user(roles.DESIGNER), make_user(roles.REVIEWER)
    client = Client()
    client.force_login(user)
    done: callable = None  # what "ok" must have done

    if action == "comment":
        response = client.post(reverse("review_comment", args=[orch.number]), {"body": "Looks fine."})
        done = lambda: ReviewComment.objects.filter(author=user, requests_changes=False).exists()  # noqa: E731
    elif action == "request changes":
        data = {"body": "Split stage 1.", "intent": "request_changes"}
        response = client.post(reverse("review_comment", args=[orch.number]), data)
        done = lambda: ReviewComment.objects.filter(author=user, requests_changes=True).exists()  # noqa: E731
    elif action in ("approve own change", "approve another's"):
        rename(orch, user if action == "approve own change" else other_designer, "Renamed")
        response = client.post(reverse("review_approve", args=[orch.number]), {"note": ""})
        done = lambda: Approval.objects.filter(reviewer=user).exists()  # noqa: E731
    elif action.startswith("publish"):
        state = action.split()[1]
        if state in ("approved", "stale"):
            orchestration_approve(orchestration=orch, user=other_reviewer)
        if state == "stale":
            rename(orch, other_designer, "Changed after the approval")
        connection = "ci" if action.endswith("to gated") else "default"
        response = client.post(reverse("publish_start", args=[orch.number]), {"connection": connection})
        done = lambda: PublishRun.objects.filter(  # noqa: E731
            orchestration=orch, connection_name=connection, status=PublishRunStatus.DONE
        ).exists()
    elif action == "restore":
        rename(orch, other_designer, "Renamed")
        first = Revision.objects.get(orchestration=orch, number=1)
        current = content_hash(orchestration_tree(orch.number))
        response = client.post(
            reverse("revision_restore", args=[orch.number, first.number]), {"expected_hash": current}
        )
        done = lambda: Revision.objects.filter(orchestration=orch, restored_from=first).exists()  # noqa: E731
    else:  # import replace
        document = orchestration_document(orchestration_tree(orch.number))
        document["Stages"][0]["StageName"] = "From a file"
        data = {
            "document": json.dumps(document),
            "mode": "replace",
            "expected_hash": content_hash(orchestration_tree(orch.number)),
        }
        response = client.post(reverse("orchestration_import_confirm"), data)
        done = lambda: Stage.objects.filter(orchestration=orch, name="From a file").exists()  # noqa: E731

    outcome = classify(response)
    assert outcome == expected(role, action), (role, action, response.status_code)
    assert done() is (outcome == "ok"), (role, action)
    if action.startswith("publish") and outcome != "ok":
        assert not PublishRun.objects.exists() and not cx_server.writes


def test_an_approved_publish_sends_the_approved_bodies_and_nothing_else(gated, cx_server):
    """The matrix's 'publish approved to gated': what the fake received is exactly the approved content."""
    orch = build_orchestration(stages=2)
    approval = orchestration_approve(orchestration=orch, user=make_user(roles.REVIEWER))
    client = Client()
    client.force_login(make_user(roles.PUBLISHER))
    client.post(reverse("publish_start", args=[orch.number]), {"connection": "ci"})
    sent = [json.loads(r.body) for r in cx_server.requests if r.method == "POST" and r.path.endswith("/child/Stages")]
    expected_bodies = orchestration_document(orchestration_tree(orch.number))["Stages"]
    for body, stage in zip(sent, expected_bodies, strict=True):
        assert {k: v for k, v in body.items() if k != "OrchestrationId"} == stage
    assert content_hash(orchestration_tree(orch.number)) == approval.content_hash
    assert PublishRun.objects.get().content_hash == approval.content_hash
