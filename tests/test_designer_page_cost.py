"""What makes the designer page cheap: stage markup kept by content, gzip, and a frozen heap in production."""

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import caches
from django.urls import reverse

from orchestrator.models import Step, bump_tree_revision
from orchestrator.views import designer_cache
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1]


def _outline(body: str) -> str:
    """The stages' markup (the rest of the page carries per-request tokens)."""
    return body[body.index('<ol id="stages"') : body.index('<p class="empty-note">No stages yet.')]


@pytest.fixture(autouse=True)
def empty_cache():
    caches[designer_cache.CACHE].clear()


def test_a_page_rendered_from_kept_stages_is_the_page_rendered_afresh(designer_client):
    orch = build_orchestration(stages=4)
    url = reverse("designer", args=[orch.number])
    fresh = _outline(designer_client.get(url).content.decode())
    assert len(caches[designer_cache.CACHE]._cache) == 4
    kept = _outline(designer_client.get(url).content.decode())
    assert kept == fresh


def test_a_changed_stage_is_rendered_again_and_the_others_are_not(designer_client, monkeypatch):
    orch = build_orchestration(stages=3)
    url = reverse("designer", args=[orch.number])
    designer_client.get(url)
    rendered = []
    original = designer_cache.render_stages

    def spy(request, template, ctx, stages, keys, prepare):
        return original(
            request, template, ctx, stages, keys, lambda missing: rendered.extend(missing) or prepare(missing)
        )

    monkeypatch.setattr(designer_cache, "render_stages", spy)
    Step.objects.filter(stage__orchestration=orch, name="Call 2").update(name="Call two")
    bump_tree_revision(orch.pk)
    body = designer_client.get(url).content.decode()
    assert [stage.name for stage in rendered] == ["Stage 2"]
    assert "Call two" in body and "Call 2<" not in body


def test_what_a_stage_shows_of_other_rows_is_part_of_its_key(designer_client):
    """A position, a problem count, a served objective's name or the viewer's rights: each gives other markup."""
    orch = build_orchestration(stages=2)
    url = reverse("designer", args=[orch.number])
    before = _outline(designer_client.get(url).content.decode())
    first = orch.stages.get(display_sequence=1)
    first.objectives.filter(display_sequence=1).update(name="Budget known")
    body = _outline(designer_client.get(url).content.decode())
    assert body != before
    assert body.count("Budget known") >= 3  # its row, and the "serves" box of each step of the stage


def test_viewers_and_designers_never_share_markup(designer_client, viewer_client):
    orch = build_orchestration(stages=2)
    url = reverse("designer", args=[orch.number])
    designer_client.get(url)
    body = viewer_client.get(url).content.decode()
    assert "data-actions" not in body
    # The viewer's only buttons are reading aids (collapse a stage, collapse or expand all), never an edit.
    buttons = re.findall(r"<button[^>]*>", body[body.index("<main") :])
    assert len(buttons) == 2 + 2 and all("data-stage-toggle" in b or "data-collapse-all" in b for b in buttons)


def test_pages_are_gzipped_for_browsers_that_accept_it(designer_client):
    orch = build_orchestration(stages=3)
    url = reverse("designer", args=[orch.number])
    plain = designer_client.get(url)
    packed = designer_client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    html = gzip.decompress(packed.content).decode()
    assert len(packed.content) * 4 < len(html)
    assert _outline(html) == _outline(plain.content.decode())


def test_production_freezes_the_heap_after_start_up(tmp_path):
    code = "import gc, orchestrator.wsgi; print(gc.get_freeze_count() > 1000, gc.get_threshold()[0])"
    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "k" * 50,
        "DJANGO_SETTINGS_MODULE": "orchestrator.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["True", "10000"], result.stderr
    env["DJANGO_DEBUG"] = "true"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.split()[0] == "False", result.stderr


def test_the_key_changes_with_the_template_file_the_rights_and_the_orchestration(monkeypatch):
    template, signature = "orchestrator/designer.html", (("row",), 1, 0)
    key = designer_cache.stage_key(template, "ORCH-A", True, signature)
    assert re.fullmatch(r"stage:[0-9a-f]{40}", key)
    assert designer_cache.stage_key(template, "ORCH-A", True, signature) == key
    assert designer_cache.stage_key(template, "ORCH-A", False, signature) != key
    assert designer_cache.stage_key(template, "ORCH-B", True, signature) != key
    monkeypatch.setattr(designer_cache, "_template_stamp", lambda name: (1, 2))
    assert designer_cache.stage_key(template, "ORCH-A", True, signature) != key
