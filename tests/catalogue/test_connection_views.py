"""The catalogue on the Connections page: who may refresh, upload and choose; what the page shows."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from orchestrator import demo
from orchestrator.models import CatalogueEntry, CatalogueKind
from orchestrator.selectors_catalogue import SESSION_KEY
from tests.fakes.fixtures import use_cx

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def test_the_page_lists_each_connection_s_catalogue(client, designer):
    _login(client, designer)
    page = client.get(reverse("connections")).content.decode()
    assert 'id="catalogue-default"' in page
    assert "never filled" in page
    assert "Refresh default" in page
    assert "Upload smart actions" not in page  # publish rights only


def test_a_designer_refreshes_the_sandbox_catalogue(client, designer):
    _login(client, designer)
    response = client.post(reverse("catalogue_refresh", args=["default"]), follow=True)
    assert response.redirect_chain[-1][0].endswith("/connections/#catalogue")
    page = response.content.decode()
    assert "Catalogue of default: Read 28 activity template(s), 7 sales stage(s)" in page
    assert "13 opportunity attribute(s) and 9 lead attribute(s)" in page
    assert CatalogueEntry.objects.filter(kind=CatalogueKind.ACTIVITY_TEMPLATE).count() == 28
    # The table counts the attributes of each object in their own columns.
    head = page[page.index('<table class="catalogue-table">') :]
    assert '<th scope="col">Opportunity attributes</th><th scope="col">Lead attributes</th>' in head
    row = head[head.index('<tr id="catalogue-default">') :]
    assert re.findall(r"<td>(\d+)</td>", row[: row.index("</tr>")]) == ["28", "7", "0", "0", "0", "13", "9"]


def test_a_refused_refresh_is_shown_with_its_reason(client, designer, monkeypatch, cx_server):
    name = use_cx(monkeypatch, cx_server)
    monkeypatch.setenv("CX_CI_PASSWORD", "wrong")
    _login(client, designer)
    page = client.post(reverse("catalogue_refresh", args=[name]), follow=True).content.decode()
    assert "not refreshed" in page and "refused the credentials (HTTP 401)" in page
    assert "Last refresh failed" in page


def test_viewers_may_not_refresh_and_anonymous_users_may_not_either(client, viewer):
    url = reverse("catalogue_refresh", args=["default"])
    assert client.post(url).status_code in (302, 403)
    _login(client, viewer)
    assert client.post(url).status_code == 403
    assert not CatalogueEntry.objects.exists()


def test_a_publisher_uploads_a_file(client, publisher):
    _login(client, publisher)
    upload = SimpleUploadedFile("c.json", json.dumps(demo.demo_catalogue_file()).encode(), "application/json")
    response = client.post(reverse("catalogue_upload"), {"connection": "default", "file": upload}, follow=True)
    assert "stored 3 smart actions, 4 e-mail templates, 6 activities from the file" in response.content.decode()
    assert CatalogueEntry.objects.count() == 13


def test_a_bad_file_lists_the_lines_beside_the_form_and_stores_nothing(client, publisher):
    _login(client, publisher)
    upload = SimpleUploadedFile("c.csv", b"kind,id,name\nactivity,1,One\nactivity,zz,Two\n", "text/csv")
    response = client.post(reverse("catalogue_upload"), {"connection": "default", "file": upload})
    assert response.status_code == 422
    page = response.content.decode()
    assert "line 3: id &#x27;zz&#x27;" in page
    assert "Nothing was stored" in page
    assert not CatalogueEntry.objects.exists()


def test_a_designer_may_not_upload(client, designer):
    _login(client, designer)
    upload = SimpleUploadedFile("c.csv", b"kind,id,name\nactivity,1,One\n", "text/csv")
    assert client.post(reverse("catalogue_upload"), {"connection": "default", "file": upload}).status_code == 403


def test_choosing_the_designer_s_catalogue_is_kept_in_the_session(client, designer, monkeypatch, cx_server):
    name = use_cx(monkeypatch, cx_server)
    _login(client, designer)
    client.post(reverse("catalogue_use", args=[name]))
    assert client.session[SESSION_KEY] == name
    assert "used by the designer" in client.get(reverse("connections")).content.decode()
    client.post(reverse("catalogue_use", args=["default"]))
    assert SESSION_KEY not in client.session
    page = client.post(reverse("catalogue_use", args=["nowhere"]), follow=True).content.decode()
    assert "There is no connection called" in page


def test_the_demo_file_downloads(client, designer):
    _login(client, designer)
    response = client.get(reverse("catalogue_demo_file"))
    assert response["Content-Disposition"].startswith("attachment")
    assert json.loads(response.content) == demo.demo_catalogue_file()


def test_the_admin_lists_the_catalogue_read_only(client, admin_user):
    from orchestrator.services.catalogue import catalogue_refresh

    catalogue_refresh(connection_name="default")
    _login(client, admin_user)
    html = client.get(reverse("admin:orchestrator_catalogueentry_changelist") + "?q=Qualification").content.decode()
    assert "Qualification call" in html and "300100000010001" in html
    assert client.get(reverse("admin:orchestrator_catalogueentry_add")).status_code == 403
