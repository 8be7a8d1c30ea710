"""How many requests a sync to Outreach makes and how long it takes: 20 stages, the fake Outreach with 50 ms latency.

Requests are the point: a first sync is the reads (one page of up to 1,000
stages each) plus one write per stage to create or change; a second sync is
the reads alone. The duration is reported against that floor (requests x 50 ms);
what is above it is our own cost (matching, the journal rows) plus loopback and
the fake's own (it builds and serialises 1,000 resources a page), which is why
a second sync is also given per 1,000 stages read.

In the normal suite (`--benchmark-disable`) each case runs once as a plain
test and still prints its figures; `make bench` measures several rounds.
"""

import time

import pytest

from orchestrator.models import OutreachStageLink, PublishRunStatus, RemoteRun
from orchestrator.services.outreach_sync import outreach_sync
from tests.factories import build_orchestration
from tests.fakes.fixtures import use_outreach
from tests.fakes.outreach_server import FakeOutreachServer

pytestmark = pytest.mark.django_db

LATENCY = 0.05
STAGES = 20
EXISTING = 2500  # already in Outreach and matching nothing: three pages of 1,000


@pytest.fixture
def outreach_server():
    server = FakeOutreachServer().start()
    try:
        yield server
    finally:
        server.stop()


def report(benchmark, what: str, durations: list[float], requests: int, writes: int) -> float:
    best = min(durations)
    floor = requests * LATENCY
    overhead_ms = (best - floor) / requests * 1000
    benchmark.extra_info.update({"seconds": round(best, 3), "requests": requests, "writes": writes})
    print(
        f"\n{what}: {requests} requests ({writes} writes), {best:.3f} s = {best / floor:.2f} x the floor of "
        f"{requests} x {LATENCY * 1000:.0f} ms; our cost {overhead_ms:.1f} ms per request (best of {len(durations)})"
    )
    return best / floor


def test_first_and_second_sync_of_20_stages_beside_2500_others(benchmark, outreach_server, monkeypatch):
    use_outreach(monkeypatch, outreach_server)
    orch = build_orchestration(stages=STAGES)
    orch.stages.update(outreach_color="#4e79a7")
    durations: list[float] = []

    def fresh_start():
        """Every round is a first sync: Outreach holds only the others, nothing is remembered."""
        outreach_server.reset()
        for i in range(EXISTING):
            outreach_server.add_stage(f"Other {i}", order=100 + i)
        outreach_server.latency = LATENCY
        RemoteRun.objects.all().delete()
        OutreachStageLink.objects.all().delete()

    def first_sync():
        started = time.perf_counter()
        run = outreach_sync(orchestration=orch, connection_name="ci")
        durations.append(time.perf_counter() - started)
        return run

    run = benchmark.pedantic(first_sync, setup=fresh_start, rounds=3, warmup_rounds=0)
    assert run.status == PublishRunStatus.DONE, run.message
    pages = (EXISTING + 999) // 1000
    assert [r.method for r in outreach_server.requests] == ["GET"] * pages + ["POST"] * STAGES
    ratio = report(benchmark, f"first sync of {STAGES} stages ({EXISTING} others)", durations, pages + STAGES, STAGES)
    assert ratio < 4, f"a first sync took {ratio:.2f} x its floor"

    before, second = len(outreach_server.requests), []
    for _ in range(3):
        started = time.perf_counter()
        again = outreach_sync(orchestration=orch, connection_name="ci")
        second.append(time.perf_counter() - started)
    assert again.status == PublishRunStatus.DONE and outreach_server.writes[STAGES:] == []
    assert len(outreach_server.requests) - before == 3 * pages
    report(benchmark, f"second sync of {STAGES} stages (nothing to write)", second, pages, 0)
    per_thousand = (min(second) - pages * LATENCY) / (EXISTING + STAGES) * 1000
    print(f"reading and matching: {per_thousand * 1000:.0f} ms per 1,000 Outreach stages, fake included")
    # Generous: it catches matching gone quadratic in the remote stages, not a busy machine.
    assert per_thousand < 0.5, f"{per_thousand * 1000:.0f} ms per 1,000 remote stages"
