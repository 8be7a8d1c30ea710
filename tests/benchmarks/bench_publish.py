"""How long publishing takes: 20 stages against the fake CX server with 50 ms latency, and the payload of 100 stages.

The publish figure is reported as a ratio to 20 x 50 ms, the time the stage
POSTs alone would take one after the other. A first publish also makes three
other requests (read the header, read the describe, create the header), so
23 x 50 ms — a ratio of 1.15 — is the floor; what is above it is our own cost
(payload, schema checks, journal and progress rows) plus the loopback round trips.

In the normal suite (`--benchmark-disable`) each case runs once as a plain
test and still prints its figure; `make bench` measures several rounds.
"""

import time

import pytest

from orchestrator.models import PublishedStage, PublishRun, PublishRunStatus, RemoteDescribe
from orchestrator.selectors import orchestration_tree
from orchestrator.services.payload import build_stage_payloads
from orchestrator.services.publishing import orchestration_publish
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db

LATENCY = 0.05
STAGES = 20


@pytest.fixture
def ci(monkeypatch, cx_server):
    monkeypatch.setenv("CX_CONNECTIONS", "ci")
    monkeypatch.setenv("CX_CI_BASE_URL", cx_server.url)
    monkeypatch.setenv("CX_CI_USERNAME", cx_server.username)
    monkeypatch.setenv("CX_CI_PASSWORD", cx_server.password)
    return "ci"


def _first_publishes(benchmark, server, orch, connection: str, rounds: int):
    """(the last run, each round's seconds): every round a first publish to an empty remote, nothing recorded."""
    durations: list[float] = []

    def fresh_start():
        server.reset()
        server.latency = LATENCY
        PublishRun.objects.all().delete()
        PublishedStage.objects.all().delete()
        RemoteDescribe.objects.all().delete()

    def publish():
        started = time.perf_counter()
        run = orchestration_publish(orchestration=orch, connection_name=connection)
        durations.append(time.perf_counter() - started)
        return run

    run = benchmark.pedantic(publish, setup=fresh_start, rounds=rounds, warmup_rounds=0)
    assert run.status == PublishRunStatus.DONE, run.message
    return run, durations


def test_publish_20_stages_against_a_fake_with_50_ms_latency(benchmark, ci, cx_server):
    orch = build_orchestration(stages=STAGES)
    _, durations = _first_publishes(benchmark, cx_server, orch, ci, rounds=3)
    requests = len(cx_server.requests)
    assert requests == STAGES + 3
    assert cx_server.store.stage_numbers(orch.number) == [s.number for s in orch.stages.order_by("display_sequence")]

    best = min(durations)
    ideal = STAGES * LATENCY
    ratio = best / ideal
    overhead_ms = (best - requests * LATENCY) / requests * 1000
    benchmark.extra_info.update({"seconds": round(best, 3), "ratio_to_20x50ms": round(ratio, 3), "requests": requests})
    print(
        f"\npublish of {STAGES} stages, {LATENCY * 1000:.0f} ms latency: {best:.3f} s = {ratio:.2f} x "
        f"({STAGES} x {LATENCY * 1000:.0f} ms); {requests} requests, floor {requests * LATENCY / ideal:.2f} x, "
        f"our cost {overhead_ms:.1f} ms per request (best of {len(durations)})"
    )
    # Generous bound: it catches a publish gone quadratic or sleeping, not a busy machine.
    assert ratio < 4, f"publishing took {ratio:.2f} x 20 x 50 ms"


def test_publish_20_stages_by_ids_against_the_strict_fake_with_50_ms_latency(benchmark, monkeypatch):
    """The pessimistic pod: each stage goes by ids (stage, then its tasks and associations, then a read-back)."""
    from tests.fakes.cx_server import FakeCxServer

    server = FakeCxServer(profile="strict").start()
    try:
        monkeypatch.setenv("CX_CONNECTIONS", "pod")
        for suffix, value in {"BASE_URL": server.url, "USERNAME": server.username, "PASSWORD": server.password}.items():
            monkeypatch.setenv(f"CX_POD_{suffix}", value)
        orch = build_orchestration(stages=STAGES)
        _, durations = _first_publishes(benchmark, server, orch, "pod", rounds=2)
        requests = len(server.requests)
        best = min(durations)
        overhead_ms = (best - requests * LATENCY) / requests * 1000
        benchmark.extra_info.update({"seconds": round(best, 3), "requests": requests})
        print(
            f"\nstrict pod, {STAGES} stages by ids, {LATENCY * 1000:.0f} ms latency: {best:.3f} s; {requests} requests "
            f"({(requests - 3) / STAGES:.1f} per stage), {best / (requests * LATENCY):.2f} x their floor, "
            f"our cost {overhead_ms:.1f} ms per request (best of {len(durations)})"
        )
        assert best / (requests * LATENCY) < 4
    finally:
        server.stop()


def test_payload_build_for_100_stages(benchmark):
    orch = build_orchestration(stages=100)
    started = time.perf_counter()
    tree = orchestration_tree(orch.number)
    load = time.perf_counter() - started
    durations: list[float] = []

    def build():
        started = time.perf_counter()
        payloads = build_stage_payloads(tree)
        durations.append(time.perf_counter() - started)
        return payloads

    payloads = benchmark(build)
    assert len(payloads) == 100
    assert [p.stage_number for p in payloads] == [s.number for s in tree.stages.all()]
    assert build_stage_payloads(tree)[0].document_hash == payloads[0].document_hash  # deterministic

    best = min(durations)
    benchmark.extra_info.update({"build_ms": round(best * 1000, 1), "tree_load_ms": round(load * 1000, 1)})
    print(
        f"\npayload of 100 stages: built and schema-checked in {best * 1000:.1f} ms "
        f"({best * 10:.2f} ms per stage); loading the tree took {load * 1000:.1f} ms (best of {len(durations)})"
    )
