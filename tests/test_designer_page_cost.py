"""What makes the designer page cheap: stage markup kept by content, gzip, and a frozen heap in production."""

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import caches
from django.template.base import Variable, VariableDoesNotExist
from django.urls import reverse

from orchestrator.models import Step, bump_tree_revision
from orchestrator.selectors import orchestration_tree
from orchestrator.validation import rules, validate_orchestration
from orchestrator.views import designer_cache
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1]
FILE_CACHE = "django.core.cache.backends.filebased.FileBasedCache"


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
    kept = [key.split(":")[2] for key in caches[designer_cache.CACHE]._cache]
    assert sorted(kept) == ["problems"] * 4 + ["stage"] * 4
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


def _page_problems(client, orch) -> list:
    response = client.get(reverse("designer", args=[orch.number]))
    assert response.status_code == 200
    return list(response.context["problems"])


def _fresh_problems(orch) -> list:
    return validate_orchestration(orchestration_tree(orch.number))


@pytest.fixture
def checked(monkeypatch):
    """The stages the validator checks afresh, by name, request after request."""
    names: list[str] = []
    original = rules._Checker.check_stage

    def spy(self, stage, first):
        names.append(stage.name)
        return original(self, stage, first)

    monkeypatch.setattr(rules._Checker, "check_stage", spy)
    return names


def test_a_stage_whose_rows_are_unchanged_is_not_validated_again_and_its_problems_stay(designer_client, checked):
    orch = build_orchestration(stages=3)
    Step.objects.filter(stage__orchestration=orch, name="Call 2").update(name="")
    first = _page_problems(designer_client, orch)
    assert checked == ["Stage 1", "Stage 2", "Stage 3"]
    assert [p.code for p in first] == ["step.name_required"]
    checked.clear()
    again = _page_problems(designer_client, orch)
    assert checked == []
    assert again == first == _fresh_problems(orch)
    Step.objects.filter(stage__orchestration=orch, name="Call 3").update(name="")
    bump_tree_revision(orch.pk)
    checked.clear()
    now = _page_problems(designer_client, orch)
    assert checked == ["Stage 3"]
    assert now == _fresh_problems(orch) and len(now) == 2


def test_what_a_stage_reads_of_the_others_changing_validates_every_stage_again(designer_client, checked):
    """Stage 1 leads on to stage 2's sales stage value: renaming that value is a problem of stage 1."""
    orch = build_orchestration(stages=3)
    assert _page_problems(designer_client, orch) == []
    orch.stages.filter(display_sequence=2).update(lifecycle_attr_value="02 - Renamed")
    bump_tree_revision(orch.pk)
    checked.clear()
    now = _page_problems(designer_client, orch)
    assert sorted(checked) == ["Stage 1", "Stage 2", "Stage 3"]
    assert now == _fresh_problems(orch)
    assert any(p.stage_number == orch.stages.get(display_sequence=1).number for p in now)


def test_a_stage_linking_outside_itself_is_validated_on_every_load(designer_client, checked):
    """Its problem names where the other step is: that step moving changes no row of this stage."""
    orch = build_orchestration(stages=3)
    meeting = Step.objects.get(stage__orchestration=orch, name="Meeting 1")
    call = Step.objects.get(stage__orchestration=orch, name="Call 2")
    Step.objects.filter(pk=meeting.pk).update(success_step=call)
    before = _page_problems(designer_client, orch)
    assert [p.code for p in before] == ["step.link_other_stage"] and "Stage 2" in before[0].message
    Step.objects.filter(pk=call.pk).update(stage=orch.stages.get(display_sequence=3), display_sequence=9)
    bump_tree_revision(orch.pk)
    checked.clear()
    after = _page_problems(designer_client, orch)
    assert checked == ["Stage 1", "Stage 2", "Stage 3"]  # 2 and 3 lost and gained a step
    assert after == _fresh_problems(orch)
    assert "Stage 3" in after[0].message and "Stage 2" not in after[0].message


def test_no_row_makes_the_template_look_up_a_missing_attribute(designer_client, monkeypatch):
    """A missing attribute costs Django's lookup a dir() of the model instance: on 200 stages, a tenth of a page."""
    orch = build_orchestration(stages=2)
    failed: list[str] = []
    original = Variable._resolve_lookup

    def spy(self, context):
        try:
            return original(self, context)
        except VariableDoesNotExist:
            failed.append(self.var)
            raise

    monkeypatch.setattr(Variable, "_resolve_lookup", spy)
    assert designer_client.get(reverse("designer", args=[orch.number])).status_code == 200
    assert not [name for name in failed if name.endswith(".open_comments")], failed


def test_workers_sharing_a_file_cache_render_a_stage_once(designer_client, tmp_path, settings, checked):
    """DESIGNER_CACHE_URL=filecache://…: markup and problems (pickled) come back as they went in."""
    settings.CACHES = {**settings.CACHES, designer_cache.CACHE: {"BACKEND": FILE_CACHE, "LOCATION": str(tmp_path)}}
    orch = build_orchestration(stages=2)
    Step.objects.filter(stage__orchestration=orch, name="Call 2").update(name="")
    url = reverse("designer", args=[orch.number])
    first = designer_client.get(url)
    assert len(list(tmp_path.iterdir())) == 4  # two stages' markup, two stages' problems
    checked.clear()
    again = designer_client.get(url)
    assert checked == []
    assert _outline(again.content.decode()) == _outline(first.content.decode())
    assert list(again.context["problems"]) == list(first.context["problems"]) and first.context["problems"]
