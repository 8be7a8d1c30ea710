"""Defence-in-depth headers (issue 12, F10): a strict CSP, a Permissions-Policy, no-store behind the login.

The browser half of the same promise — the main journeys raise no CSP
violation in Chromium — is tests/e2e/test_csp.py.
"""

import json
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
HTMX = {"HTTP_HX_REQUEST": "true"}


def _directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


@pytest.fixture
def orch():
    return build_orchestration(stages=2)


def test_F10_every_page_carries_a_strict_content_security_policy(client, designer_client, orch):
    for response in (
        client.get(reverse("login")),
        designer_client.get(reverse("designer", args=[orch.number])),
        designer_client.get(reverse("orchestration_list"), **HTMX),
    ):
        directives = _directives(response)
        assert directives["default-src"] == ["'self'"]
        assert directives["script-src"] == ["'self'"]
        assert directives["style-src"] == ["'self'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'none'"]
        policy = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "nonce-" not in policy


def test_F10_a_permissions_policy_switches_off_what_no_page_uses(client):
    policy = client.get(reverse("login")).headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy


def test_F10_answers_to_a_signed_in_user_are_never_stored(designer_client, admin_user, orch):
    admin = Client()
    admin.force_login(admin_user)
    for response in (
        designer_client.get(reverse("designer", args=[orch.number])),
        designer_client.get(reverse("orchestration_list"), **HTMX),
        designer_client.get(reverse("review", args=[orch.number])),
        admin.get(reverse("admin:orchestrator_orchestration_changelist")),
    ):
        assert response.status_code == 200
        assert "no-store" in response.headers["Cache-Control"]
        assert "private" in response.headers["Cache-Control"]


def test_F10_static_files_stay_cacheable(designer_client):
    response = designer_client.get("/static/js/designer.js")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_F10_htmx_is_configured_to_need_no_eval_and_no_inline_style():
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", base).group(1))
    assert config["allowEval"] is False
    assert config["includeIndicatorStyles"] is False
    assert config["selfRequestsOnly"] is True


INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "style element": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "event-handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "htmx inline handler": re.compile(r"\shx-on[:-]", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "htmx js: value": re.compile(r"hx-(vals|headers)\s*=\s*['\"]\s*(js|javascript):", re.IGNORECASE),
}


def test_F10_no_template_carries_inline_script_style_or_handlers():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(ROOT)}: {what}" for what, pattern in INLINE.items() if pattern.search(text)]
    assert found == []
