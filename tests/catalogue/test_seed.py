"""seed_demo fills the built-in sandbox's catalogue, so the demo shows names from the first visit."""

import io

import pytest
from django.core.management import call_command

from orchestrator.models import CatalogueEntry, CatalogueKind

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_the_sandbox_catalogue(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "Catalogue of the built-in sandbox: 28 activity template(s)" in out.getvalue()
    kinds = set(CatalogueEntry.objects.values_list("kind", flat=True))
    assert kinds == set(CatalogueKind.values)
    CatalogueEntry.objects.filter(kind=CatalogueKind.ACTIVITY).update(name="From the admin's file")
    again = io.StringIO()
    call_command("seed_demo", stdout=again)  # every `make run`: what is there is kept
    assert "already filled; left as it is" in again.getvalue()
    assert set(CatalogueEntry.objects.filter(kind=CatalogueKind.ACTIVITY).values_list("name", flat=True)) == {
        "From the admin's file"
    }


def test_seed_demo_leaves_a_real_pod_alone(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv("CX_BASE_URL", "https://pod.example.com")
    monkeypatch.setenv("CX_USERNAME", "u")
    monkeypatch.setenv("CX_PASSWORD", "p")
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "the default connection is a real pod" in out.getvalue()
    assert not CatalogueEntry.objects.exists()
