"""403 and 404 are pages of the app: styled, with the navigation, saying who is signed in and where to go."""

import pytest
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_a_viewer_refused_an_action_reads_why_and_can_go_on(viewer_client, orchestration):
    response = viewer_client.get(reverse("publish_page", args=[orchestration.number]))
    html = response.content.decode()
    assert response.status_code == 403
    assert '<h1 id="error-title">You may not do this</h1>' in html
    assert 'class="app-header"' in html and "Log out" in html  # the navigation is there
    assert "Viewer" in html and reverse("orchestration_list") in html
    assert "style=" not in html and "<script>" not in html  # the strict CSP holds on error pages too


def test_a_refusal_with_a_reason_shows_the_reason(client, orchestration):
    """A service's PermissionDenied text ("Only reviewers may approve.") is what the person needs to read."""
    from orchestrator.roles import DESIGNER

    client.force_login(make_user(DESIGNER, username="dora"))
    response = client.post(reverse("review_approve", args=[orchestration.number]), {"content_hash": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "dora" in html and "Designer" in html


def test_a_user_without_a_role_is_told_so(client):
    client.force_login(make_user(None, username="nobody"))
    html = client.get(reverse("orchestration_list")).content.decode()
    assert "with no role yet" in html and "admin" in html


def test_an_unknown_address_is_a_page_with_the_navigation(viewer_client):
    response = viewer_client.get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "There is nothing at this address" in html and 'class="app-header"' in html
