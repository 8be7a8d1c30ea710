"""What the designer costs on the server at 5 and at 200 stages (issue 13's table; `make bench` prints it).

Each figure is the median of interleaved rounds through the whole middleware
stack (`django.test.Client`, logged in as a Designer), on the benchmark shape
(tests/benchmarks/shapes.py). An edit is reported as the ratio of its time at
200 stages to its time at 5 (goal: at most 1.2); the page as milliseconds and
kilobytes per stage, (t200 - t5) / 195 (goal: at most 1 ms), with every stage
rendered and with the stages' markup kept from an earlier load. The bounds below
are generous on purpose: they catch a change that makes an edit cost the whole
tree again, not a busy machine. The query-count tests
(tests/test_designer_queries.py) are what keep the counts from growing.

Templates render as they do in production: the test environment's
instrumented `Template._render`, which makes the test client copy the whole
context for every template and include rendered (about 45 per stage), is put
back to Django's own for these measurements.
"""

import gzip
import re

import pytest
from django.core.cache import caches
from django.template.base import PartialTemplate, Template
from django.test.utils import _TestState
from django.urls import reverse

from orchestrator.models import Step
from orchestrator.views import designer_cache
from tests.benchmarks.shapes import build_bench_orchestration, interleaved, median_ms, production_heap, rounds

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
SIZES = (5, 200)


REVISION = re.compile(rb'id="last-changed" class="muted" data-revision="(\d+)"')
shown: dict[str, bytes] = {}  # orchestration number -> the revision its page shows


def _headers(orch) -> dict[str, str]:
    """What the page's htmx requests carry: designer.js sends the revision of the problems on screen."""
    return {**HTMX, "HTTP_X_DESIGNER_REVISION": shown[orch.number].decode()}


def _seen(orch, response) -> None:
    if match := REVISION.search(response.content):
        shown[orch.number] = match.group(1)


@pytest.fixture(autouse=True)
def production_rendering(monkeypatch):
    """Django's own template rendering, not the test environment's instrumented one (see the docstring)."""
    saved = _TestState.saved_data
    monkeypatch.setattr(Template, "_render", saved.template_render)
    monkeypatch.setattr(PartialTemplate, "_render", saved.partial_template_render)


@pytest.fixture
def trees(designer_client):
    """The two orchestrations, each opened once in the designer (an edit starts from the page)."""
    orchestrations = {size: build_bench_orchestration(size, f"D{size}") for size in SIZES}
    for orch in orchestrations.values():
        response = designer_client.get(reverse("designer", args=[orch.number]))
        assert response.status_code == 200
        _seen(orch, response)
    return orchestrations


def _first_stage(orch):
    return orch.stages.order_by("display_sequence").first()


def _report(benchmark, what: str, times: dict[int, list[float]], goal: str) -> float:
    small, large = median_ms(times[SIZES[0]]), median_ms(times[SIZES[1]])
    ratio = large / small
    benchmark.extra_info[what] = {"5": round(small, 1), "200": round(large, 1), "ratio": round(ratio, 2)}
    print(
        f"\n{what}: {small:.1f} ms at 5 stages, {large:.1f} ms at 200 stages = {ratio:.2f} x ({goal}; "
        f"median of {len(times[SIZES[0]])})"
    )
    return ratio


def test_step_save(benchmark, designer_client, trees):
    """POST step_edit of the first step of stage 1: the service, the row and what depends on it."""
    steps = {size: Step.objects.get(stage=_first_stage(o), display_sequence=1) for size, o in trees.items()}
    toggle = {size: 0 for size in SIZES}

    def save(size):
        step = steps[size]
        version = Step.objects.values_list("version", flat=True).get(pk=step.pk)
        toggle[size] ^= 1
        data = {
            "name": f"Call {toggle[size]}",
            "step_type": "TASK",
            "activity_template_id": "300100000000101",
            "grace_period": "48",
            "version": version,
        }
        url = reverse("step_edit", args=[trees[size].number, step.number])
        response = designer_client.post(url, data, **_headers(trees[size]))
        assert response.status_code == 200, response.content[:500]
        _seen(trees[size], response)
        assert f"Saved step “Call {toggle[size]}”".encode() in response.content

    times = interleaved({size: (lambda s=size: save(s)) for size in SIZES}, rounds(benchmark, 15))
    benchmark.pedantic(lambda: save(200), rounds=rounds(benchmark, 3))
    assert _report(benchmark, "step save (server)", times, "goal <= 1.2 x") < 5


def test_add_step(benchmark, designer_client, trees):
    """POST step_new in stage 1; the step is deleted again outside the timing, so every round adds the fourth."""
    stages = {size: _first_stage(o) for size, o in trees.items()}

    def add(size):
        url = reverse("step_new", args=[trees[size].number, stages[size].number])
        data = {"name": "Pause", "step_type": "WAIT", "days_to_wait": "2"}
        response = designer_client.post(url, data, **_headers(trees[size]))
        assert response.status_code == 200, response.content[:500]
        _seen(trees[size], response)
        assert "Added step “Pause”".encode() in response.content

    def tidy(size):
        Step.objects.filter(stage=stages[size], name="Pause").delete()

    times = interleaved({size: (lambda s=size: add(s)) for size in SIZES}, rounds(benchmark, 15), setup=tidy)
    benchmark.pedantic(lambda: add(200), setup=lambda: tidy(200), rounds=rounds(benchmark, 3))
    assert _report(benchmark, "add step (server)", times, "goal <= 1.2 x") < 5


def test_reorder_steps(benchmark, designer_client, trees):
    """POST step_reorder in stage 1, swapping the first two steps back and forth."""
    stages = {size: _first_stage(o) for size, o in trees.items()}

    def reorder(size):
        numbers = list(stages[size].steps.order_by("display_sequence").values_list("number", flat=True))
        order = [numbers[1], numbers[0], *numbers[2:]]
        url = reverse("step_reorder", args=[trees[size].number, stages[size].number])
        response = designer_client.post(url, {"order": order, "moved": numbers[1]}, **_headers(trees[size]))
        assert response.status_code == 200, response.content[:500]
        _seen(trees[size], response)
        assert b"to position 1 of 5." in response.content

    times = interleaved({size: (lambda s=size: reorder(s)) for size in SIZES}, rounds(benchmark, 15))
    benchmark.pedantic(lambda: reorder(200), rounds=rounds(benchmark, 3))
    assert _report(benchmark, "reorder steps (server)", times, "goal <= 1.2 x") < 5


def test_designer_page(benchmark, designer_client, trees):
    """GET the whole page, gzip accepted: milliseconds and kilobytes per stage beyond the 5-stage page.

    Three ways: every stage rendered (the stage cache emptied first), stages from the cache (a page
    loaded again, or after an edit of one stage), and that again with the heap frozen and the collector's
    threshold raised as `orchestrator.wsgi` does in production (the test process carries pytest's heap).
    """
    sizes: dict[int, tuple[int, int]] = {}

    def load(size):
        response = designer_client.get(reverse("designer", args=[trees[size].number]), HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 200
        plain = gzip.decompress(response.content) if response.get("Content-Encoding") == "gzip" else response.content
        assert plain.count(b'class="stage item"') == size
        sizes[size] = (len(plain), len(response.content))

    def setup(name):
        if name.endswith("rendered"):
            caches[designer_cache.CACHE].clear()

    count = rounds(benchmark, 9)
    cases = {f"{size} {way}": (lambda s=size: load(s)) for way in ("rendered", "kept") for size in SIZES}
    times = interleaved(cases, count, setup=setup)
    with production_heap():
        frozen = interleaved({size: (lambda s=size: load(s)) for size in SIZES}, count)
    benchmark.pedantic(lambda: load(200), rounds=rounds(benchmark, 3))

    figures = {}
    for way, small, large in (
        ("every stage rendered", times["5 rendered"], times["200 rendered"]),
        ("stages kept", times["5 kept"], times["200 kept"]),
        ("stages kept, heap frozen (production)", frozen[5], frozen[200]),
    ):
        a, b = median_ms(small), median_ms(large)
        figures[way] = (a, b, (b - a) / (SIZES[1] - SIZES[0]))
        benchmark.extra_info[f"designer page, {way}"] = {
            "5": round(a, 1),
            "200": round(b, 1),
            "ms_per_stage": round(figures[way][2], 2),
        }
    html_kb = (sizes[200][0] - sizes[5][0]) / (SIZES[1] - SIZES[0]) / 1000
    sent_kb = (sizes[200][1] - sizes[5][1]) / (SIZES[1] - SIZES[0]) / 1000
    lines = "; ".join(
        f"{way}: {a:.1f} ms at 5, {b:.1f} ms at 200 = {per:.2f} ms per stage" for way, (a, b, per) in figures.items()
    )
    print(
        f"\ndesigner page (server, goal <= 1 ms per stage): {lines}. HTML {html_kb:.1f} KB per stage, "
        f"{sent_kb:.1f} KB per stage sent gzipped ({sizes[200][0] / 1e6:.2f} MB → {sizes[200][1] / 1e6:.2f} MB at "
        f"200 stages; median of {count})"
    )
    assert figures["stages kept"][2] < 10
    assert figures["every stage rendered"][2] < 30
