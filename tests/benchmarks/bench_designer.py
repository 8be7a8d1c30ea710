"""How long the designer takes to answer, at 5 and at 100 stages (`make bench` prints the table).

Not a timed test: in the normal suite (`--benchmark-disable`) each case runs
once as a plain test that checks the response; `make bench` measures. The
query-count tests (tests/test_designer_queries.py) are what guarantee that
the cost does not grow per row; these figures show the rendering cost.
"""

import pytest
from django.urls import reverse

from orchestrator.models import Step
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _report(benchmark, what: str, stages: int) -> None:
    stats = getattr(benchmark, "stats", None)
    if stats is not None:  # None when benchmarks are disabled (the normal test run)
        print(
            f"\n{what} at {stages} stages: mean {stats.stats.mean * 1000:.1f} ms, min {stats.stats.min * 1000:.1f} ms"
        )


@pytest.mark.parametrize("stages", [5, 100])
def test_designer_page(benchmark, designer_client, stages):
    orch = build_orchestration(stages=stages)
    url = reverse("designer", args=[orch.number])

    def load():
        response = designer_client.get(url)
        assert response.status_code == 200
        return response

    response = benchmark(load)
    assert response.content.count(b'class="stage item"') == stages
    benchmark.extra_info["stages"] = stages
    _report(benchmark, "designer page", stages)


@pytest.mark.parametrize("stages", [5, 100])
def test_step_save_fragment(benchmark, designer_client, stages):
    """Saving a step: the service, then its row, the problems panel, every stage badge and the messages."""
    orch = build_orchestration(stages=stages)
    step = Step.objects.get(stage__orchestration=orch, name="Call 1")
    url = reverse("step_edit", args=[orch.number, step.number])
    data = {"name": "Call 1", "step_type": "TASK", "activity_template_id": "300100000000101", "grace_period": "48"}

    def save():
        version = Step.objects.values_list("version", flat=True).get(pk=step.pk)
        response = designer_client.post(url, {**data, "version": version}, **HTMX)
        assert response.status_code == 200
        return response

    response = benchmark(save)
    assert response.content.count(b'-badge" class="badge') == stages
    benchmark.extra_info["stages"] = stages
    _report(benchmark, "step save fragment", stages)
