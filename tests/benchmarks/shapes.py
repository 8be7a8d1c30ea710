"""The orchestration the benchmarks measure, and the helpers they share.

The shape is the one of the performance report (`../shared/research/performance-2026-12-01.md`):
every stage has two objectives and five steps — two TASK steps, an APPOINTMENT
with a success and a failure link, a WAIT and a NEXT_STAGE (STOP in the last
stage) — with three step tasks and four associations, and the whole document
validates with no problem. It is built through the importer, so numbers are
fixed by the document and the same document can be imported again.

Timings are medians of interleaved rounds (`interleaved`): the cases take turns
so a noisy neighbour on the shared cores hits them alike. In the normal suite
(`--benchmark-disable`) every case runs one round and only checks its answer.
"""

import contextlib
import gc
import statistics
import time
from collections.abc import Callable, Iterator

from orchestrator.services.documents.importing import orchestration_import


def bench_document(stages: int, tag: str) -> dict:
    """A contract §6 document of `stages` stages; `tag` keeps its numbers apart from other documents'."""

    def n(kind: str, *parts: int) -> str:
        return f"ORCH-{kind}-{tag}-" + "-".join(str(p) for p in parts)

    doc_stages = []
    for i in range(1, stages + 1):
        objectives = [
            {
                "StageObjectiveNumber": n("OBJ", i, k),
                "ObjectiveName": f"Objective {i}.{k}",
                "DisplaySequence": k,
                "ObjectiveStatus": "MAPPED",
            }
            for k in (1, 2)
        ]
        call, email, meeting, wait, last = (n("STP", i, k) for k in range(1, 6))
        steps = [
            {
                "OrchestrationStepNumber": call,
                "OrchestrationStepName": f"Call {i}",
                "StepType": "TASK",
                "DisplaySequence": 1,
                "ActivityTemplateId": 300100000000101,
                "GracePeriod": 48,
            },
            {
                "OrchestrationStepNumber": email,
                "OrchestrationStepName": f"Follow up {i}",
                "StepType": "TASK",
                "DisplaySequence": 2,
                "ActivityTemplateId": 300100000000103,
            },
            {
                "OrchestrationStepNumber": meeting,
                "OrchestrationStepName": f"Meeting {i}",
                "StepType": "APPOINTMENT",
                "DisplaySequence": 3,
                "ActivityTemplateId": 300100000000102,
                "SuccessStepNumber": wait,
                "FailureStepNumber": email,
                "SuccessCriteria": '{"Status": "COMPLETE"}',
            },
            {
                "OrchestrationStepNumber": wait,
                "OrchestrationStepName": f"Pause {i}",
                "StepType": "WAIT",
                "DisplaySequence": 4,
                "DaysToWait": 2,
            },
            (
                {
                    "OrchestrationStepNumber": last,
                    "OrchestrationStepName": f"Advance {i}",
                    "StepType": "NEXT_STAGE",
                    "DisplaySequence": 5,
                    "NextStageValue": f"{i + 1:03d} - Stage {i + 1}",
                }
                if i < stages
                else {
                    "OrchestrationStepNumber": last,
                    "OrchestrationStepName": "Done",
                    "StepType": "STOP",
                    "DisplaySequence": 5,
                    "ExitOrchestrationFlag": True,
                }
            ),
        ]
        for step in steps:
            step["ExecutionMethod"] = "MANUAL" if step["StepType"] in ("TASK", "APPOINTMENT") else "AUTOMATIC"
        tasks = [
            {
                "StepTasksNumber": n("TSK", i, k),
                "OrchestrationStepNumber": call if k < 3 else email,
                "DisplaySequence": k if k < 3 else 1,
                "ActivityTemplateId": 300100000000101,
                "ActivityId": 300100000000200 + k,
                "AssignedTo": "OWNER",
            }
            for k in (1, 2, 3)
        ]
        pairs = [(call, 1), (email, 1), (meeting, 2), (wait, 2)]
        associations = [
            {
                "StepObjectiveAssocNumber": n("SOA", i, k),
                "OrchestrationStepNumber": step,
                "StageObjectiveNumber": n("OBJ", i, objective),
            }
            for k, (step, objective) in enumerate(pairs, start=1)
        ]
        doc_stages.append(
            {
                "OrchestrationStageNumber": n("STG", i),
                "DisplaySequence": i,
                "StageName": f"Stage {i}",
                "LifecycleAttrValue": f"{i:03d} - Stage {i}",
                "ContainErrorsFlag": False,
                "StageObjectives": objectives,
                "Steps": steps,
                "StepTasks": tasks,
                "StepObjectivesAssociations": associations,
            }
        )
    return {
        "FormatVersion": 1,
        "OrchestrationNumber": f"ORCH-BENCH-{tag}",
        "OrchestrationName": f"Benchmark playbook {tag}",
        "OrchestrationDescription": "The shape of the performance report",
        "ObjectCode": "Opportunity",
        "LifecycleAttributeName": "SalesStage",
        "AssociationRank": 1,
        "Stages": doc_stages,
    }


def build_bench_orchestration(stages: int, tag: str):
    """The benchmark orchestration, imported; returns the loaded tree."""
    return orchestration_import(document=bench_document(stages, tag)).orchestration


def rounds(benchmark, wanted: int) -> int:
    """`wanted` rounds under `make bench`, one in the normal suite (which only checks the answers)."""
    return 1 if benchmark.disabled else wanted


def interleaved(cases: dict[str, Callable[[], object]], count: int, *, setup=None) -> dict[str, list[float]]:
    """Run every case `count` times, taking turns, and return each one's seconds per round.

    `setup(name)` runs before each timed call, untimed. A collection runs
    before each call too, so garbage left by one case is not charged to the next.
    """
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(count):
        for name, case in cases.items():
            if setup is not None:
                setup(name)
            gc.collect()
            started = time.perf_counter()
            case()
            times[name].append(time.perf_counter() - started)
    return times


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


@contextlib.contextmanager
def production_heap() -> Iterator[None]:
    """The collector as `orchestrator.wsgi` leaves it in a web worker: the heap frozen, a higher first threshold.

    The test process carries pytest's heap, which every full collection walks;
    a worker freezes what start-up built, so what it collects is the request's own garbage.
    """
    gc.collect()
    gc.freeze()
    threshold = gc.get_threshold()
    gc.set_threshold(10_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
