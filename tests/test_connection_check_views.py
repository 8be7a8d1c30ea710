"""The compatibility report on the Connections page: roles, htmx fragment, full page, errors, no secrets."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orchestrator.models import PublishReason, PublishRun, PublishRunStatus
from tests.factories import build_orchestration
from tests.fakes.cx_server import PASSWORD, FakeCxServer

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true", "HX-Target": "connection-check"}


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def publisher_client(publisher):
    return _client_for(publisher)


@pytest.fixture
def strict_pod(monkeypatch, settings):
    settings.CX_CLIENT_OPTIONS = {"connect_timeout": 1.0, "read_timeout": 2.0, "max_attempts": 2, "backoff_base": 0.01}
    server = FakeCxServer(profile="strict").start()
    monkeypatch.setenv("CX_CONNECTIONS", "pod")
    monkeypatch.setenv("CX_POD_BASE_URL", server.url)
    monkeypatch.setenv("CX_POD_USERNAME", server.username)
    monkeypatch.setenv("CX_POD_PASSWORD", server.password)
    try:
        yield server
    finally:
        server.stop()


def check_url(name):
    return reverse("connection_check", args=[name])


def test_the_connections_page_offers_a_check_per_usable_connection(publisher_client, strict_pod):
    html = publisher_client.get(reverse("connections")).content.decode()
    assert f'href="{check_url("default")}"' in html and f'href="{check_url("pod")}"' in html
    assert 'hx-target="#connection-check"' in html


def test_htmx_check_answers_the_report_fragment(publisher_client, strict_pod):
    response = publisher_client.get(check_url("pod"), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and 'id="check-report"' in html
    assert "Compatible:" in html and "by ids" in html
    assert '<code>LifecycleAttributeValue</code> <span class="muted">(renamed)</span>' in html
    assert "<code>OrchestrationType</code> — sent as <code>STANDARD</code> (the describe's default)" in html
    assert PASSWORD not in html
    assert strict_pod.writes == [] and [r.path for r in strict_pod.requests] == ["/orchestrations/describe"]


def test_an_incompatible_pod_lists_what_refuses_and_how_to_fix_it(publisher_client, strict_pod):
    strict_pod.header_attribute("StatusCode", mandatory=True, default=None)
    html = publisher_client.get(check_url("pod"), headers=HTMX).content.decode()
    assert "Not compatible:" in html and "What would refuse a publish" in html
    assert "CX_POD_HEADER_DEFAULTS=&#x27;{&quot;StatusCode&quot;: &quot;&lt;value&gt;&quot;}&#x27;" in html


def test_a_plain_request_gets_the_whole_page_with_the_report(publisher_client):
    response = publisher_client.get(check_url("default"))
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert 'id="check-report"' in html and "Compatibility of default" in html


def test_an_unreachable_pod_is_a_message_not_a_500(publisher_client, monkeypatch, settings):
    settings.CX_CLIENT_OPTIONS = {"max_attempts": 1}
    monkeypatch.setenv("CX_CONNECTIONS", "gone")
    monkeypatch.setenv("CX_GONE_BASE_URL", "http://127.0.0.1:9")
    response = publisher_client.get(check_url("gone"), headers=HTMX)
    assert response.status_code == 200
    assert "Connection gone is unreachable" in response.content.decode()


def test_an_unknown_connection_is_a_clear_422(publisher_client):
    response = publisher_client.get(check_url("nosuch"), headers=HTMX)
    assert response.status_code == 422
    assert "There is no connection called “nosuch”" in response.content.decode()


def test_checking_needs_the_publish_role(designer, viewer, client):
    for user in (designer, viewer):
        assert _client_for(user).get(check_url("default")).status_code == 403
    assert client.get(check_url("default"))["Location"].startswith(reverse("login"))


def test_designers_see_no_check_link(designer):
    html = _client_for(designer).get(reverse("connections")).content.decode()
    assert check_url("default") not in html


def test_the_check_costs_a_fixed_number_of_queries(publisher_client):
    with CaptureQueriesContext(connection) as queries:
        publisher_client.get(check_url("default"), headers=HTMX)
    assert len(queries) <= 12  # session, user, permissions and the describe cache; never grows with anything


def test_a_refused_publish_links_to_the_report(publisher_client):
    orch = build_orchestration(stages=1)
    run = PublishRun.objects.create(
        orchestration=orch,
        connection_name="default",
        status=PublishRunStatus.REFUSED,
        reason=PublishReason.DESCRIBE,
        message="Not published.",
        describe_report=[{"severity": "error", "message": "Stages.StageName: missing."}],
    )
    html = publisher_client.get(reverse("publish_run", args=[run.pk])).content.decode()
    assert f'href="{check_url("default")}"' in html and "Stages.StageName: missing." in html
