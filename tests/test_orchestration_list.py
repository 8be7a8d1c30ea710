"""The orchestration list: search, status filter, last change, create, clone, archive and restore."""

import pytest
from django.urls import reverse

from orchestrator.models import Orchestration, OrchestrationStatus
from orchestrator.views.orchestrations import PAGE_SIZE
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
URL = "/orchestrations/"


@pytest.fixture
def three(designer):
    a = Orchestration.objects.create(number="ORCH-A", name="Alpha playbook", updated_by=designer)
    b = Orchestration.objects.create(number="ORCH-B", name="Beta playbook", description="renewals")
    c = Orchestration.objects.create(number="ORCH-C", name="Old playbook", status=OrchestrationStatus.ARCHIVED)
    return a, b, c


def names(response) -> list[str]:
    return [o.name for o in response.context["orchestrations"]]


def test_lists_drafts_and_active_ones_most_recently_changed_first(designer_client, three):
    response = designer_client.get(URL)
    assert names(response) == ["Beta playbook", "Alpha playbook"]
    body = response.content.decode()
    assert "Old playbook" not in body  # archived ones leave the default list
    assert f"by {three[0].updated_by.username}" in body
    assert reverse("designer", args=["ORCH-A"]) in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "alpha"}, ["Alpha playbook"]),
        ({"q": "ORCH-B"}, ["Beta playbook"]),
        ({"q": "renewals"}, ["Beta playbook"]),
        ({"status": "ARCHIVED"}, ["Old playbook"]),
        ({"status": "all"}, ["Old playbook", "Beta playbook", "Alpha playbook"]),
        ({"status": "bogus"}, ["Beta playbook", "Alpha playbook"]),
        ({"q": "nothing like it"}, []),
    ],
)
def test_search_and_status_filter(designer_client, three, query, expected):
    assert names(designer_client.get(URL, query)) == expected


def test_htmx_search_answers_only_the_results(designer_client, three):
    response = designer_client.get(URL, {"q": "beta"}, HTTP_HX_TARGET="results", **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">')
    assert "Beta playbook" in body and "<h1>" not in body


def test_long_lists_are_paged(designer_client):
    Orchestration.objects.bulk_create(
        [Orchestration(number=f"ORCH-P{i:03d}", name=f"Playbook {i}") for i in range(PAGE_SIZE + 5)]
    )
    first = designer_client.get(URL)
    assert len(names(first)) == PAGE_SIZE
    assert "Page 1 of 2" in first.content.decode()
    assert len(names(designer_client.get(URL, {"page": 2}))) == 5


def test_a_viewer_sees_no_create_clone_or_archive(viewer_client, three):
    body = viewer_client.get(URL).content.decode()
    assert "New orchestration" not in body
    assert ">Clone</button>" not in body and ">Archive</button>" not in body
    assert '<form method="post"' not in body[body.index("<main") :]
    assert viewer_client.get(reverse("orchestration_create")).status_code == 403


def test_the_create_form_suggests_an_unused_number(designer_client):
    body = designer_client.get(reverse("orchestration_create"), **HTMX).content.decode()
    assert 'id="new-number"' in body and 'value="ORCH-' in body
    assert "autofocus" in body


def test_create_without_htmx_redirects_to_the_designer(designer_client):
    data = {"number": "ORCH-PLAIN", "name": "Plain", "object_code": "Lead", "lifecycle_attribute_name": "Status"}
    response = designer_client.post(reverse("orchestration_create"), data)
    # At the "Add stage" slot: designer.js opens its form there with the focus in the first field.
    designer = reverse("designer", args=["ORCH-PLAIN"])
    assert response.status_code == 302 and response["Location"] == f"{designer}#new-stage-ORCH-PLAIN"
    page = designer_client.get(designer).content.decode()
    assert "Created Plain (ORCH-PLAIN). Add its first stage." in page
    assert '<div id="new-stage-ORCH-PLAIN" class="add-slot">' in page


def test_create_refuses_a_taken_number_beside_the_field(designer_client, three):
    data = {"number": "ORCH-A", "name": "Again", "object_code": "Lead", "lifecycle_attribute_name": "Status"}
    response = designer_client.post(reverse("orchestration_create"), data, **HTMX)
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="new-number_error"' in body and "already used" in body
    assert 'value="Again"' in body  # what was typed is kept
    plain = designer_client.post(reverse("orchestration_create"), data)
    assert plain.status_code == 422 and "already used" in plain.content.decode()


def test_clone_opens_the_copy(designer_client):
    source = build_orchestration(stages=1, name="Source")
    response = designer_client.post(reverse("orchestration_clone", args=[source.number]), **HTMX)
    copy = Orchestration.objects.get(name="Copy of Source")
    assert response["HX-Redirect"] == reverse("designer", args=[copy.number])


def test_archive_and_restore_answer_the_row(designer_client, three):
    alpha = three[0]
    response = designer_client.post(reverse("orchestration_archive", args=[alpha.number]), **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<tr id="row-ORCH-A">')
    assert "Archived" in body and "Restore" in body
    assert "Archived Alpha playbook (ORCH-A)." in body  # the message, out of band
    response = designer_client.post(reverse("orchestration_restore", args=[alpha.number]), **HTMX)
    assert "Archive" in response.content.decode()
    assert Orchestration.objects.get(pk=alpha.pk).status == OrchestrationStatus.DRAFT


def test_archive_from_the_designer_reloads_the_designer(designer_client, three):
    response = designer_client.post(reverse("orchestration_archive", args=["ORCH-B"]), {"next": "designer"}, **HTMX)
    assert response["HX-Redirect"] == reverse("designer", args=["ORCH-B"])
    without_htmx = designer_client.post(reverse("orchestration_restore", args=["ORCH-B"]))
    assert without_htmx.status_code == 302 and without_htmx["Location"] == reverse("orchestration_list")
