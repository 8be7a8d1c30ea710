"""The sandbox page shows what the emulated Outreach holds; its reset empties it with everything else."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orchestrator.models import OutreachStageLink, PublishRunStatus, SandboxOutreachStage
from orchestrator.services.outreach_sync import outreach_sync
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db


@pytest.fixture
def publisher_client(publisher):
    client = Client()
    client.force_login(publisher)
    return client


@pytest.fixture
def orch():
    orch = build_orchestration(stages=3)
    orch.stages.filter(display_sequence=2).update(outreach_color="#59a14f", outreach_is_closed=False)
    return orch


# -- the sandbox page -------------------------------------------------------------------------------------------------


def test_the_sandbox_page_shows_outreach_and_the_reset_empties_it(publisher_client, orch):
    outreach_sync(orchestration=orch)
    html = publisher_client.get(reverse("sandbox")).content.decode()
    section = html.split('id="sandbox-outreach"', 1)[1]
    assert re.findall(r'data-outreach-id="(\d+)"', section) == ["1", "2", "3"]
    assert "<code>#59a14f</code>" in section and "Outreach connection syncing to it: default" in section
    response = publisher_client.post(reverse("sandbox_reset"), {"confirm": "yes"}, follow=True)
    assert "Outreach: removed 3 opportunity stage(s)." in response.content.decode()
    assert not SandboxOutreachStage.objects.exists() and not OutreachStageLink.objects.exists()


def test_an_empty_outreach_says_so_and_odd_values_do_not_break_the_page(publisher_client):
    html = publisher_client.get(reverse("sandbox")).content.decode()
    assert "The sandbox's Outreach holds no opportunity stages." in html
    SandboxOutreachStage.objects.create(remote_id=5, attributes={"name": "<b>x</b>", "order": "two", "color": "red"})
    SandboxOutreachStage.objects.create(remote_id=6, attributes=[1, 2])
    html = publisher_client.get(reverse("sandbox")).content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<code>red</code>" in html and 'fill="red"' not in html


def test_the_page_queries_do_not_grow_with_outreach_stages(publisher_client):
    counts = []
    for size in (2, 8):
        SandboxOutreachStage.objects.all().delete()
        OutreachStageLink.objects.all().delete()
        run = outreach_sync(orchestration=build_orchestration(stages=size))
        assert run.status == PublishRunStatus.DONE
        with CaptureQueriesContext(connection) as queries:
            assert publisher_client.get(reverse("sandbox")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
