"""Shared set-up for the publish tests: a `ci` connection to the fake CX server, fast retries."""

import pytest

from orchestrator.selectors import orchestration_tree
from orchestrator.services.documents import dumps_document, orchestration_document, stage_document
from orchestrator.services.publishing import orchestration_publish
from tests.fakes.cx_server import FakeCxServer

STAGES_PATH = r"/child/Stages$"


@pytest.fixture
def sleeps():
    """Back-off waits the client asked for (recorded instead of slept, so tests stay fast)."""
    return []


@pytest.fixture(autouse=True)
def fast_client(settings, sleeps):
    """Short timeouts and recorded back-off for every CxClient the services create."""
    settings.CX_CLIENT_OPTIONS = {
        "connect_timeout": 1.0,
        "read_timeout": 0.4,
        "max_attempts": 3,
        "backoff_base": 0.01,
        "backoff_cap": 0.05,
        "retry_after_cap": 30.0,
        "sleep": sleeps.append,
    }


def use_server(monkeypatch, server: FakeCxServer, name: str = "ci", **overrides: str) -> str:
    """Point connection `name` at `server` through the environment, as an operator would."""
    prefix = f"CX_{name.upper()}_"
    monkeypatch.setenv("CX_CONNECTIONS", name)
    env = {"BASE_URL": server.url}
    if server.token:
        env["TOKEN"] = server.token
    else:
        env.update(USERNAME=server.username, PASSWORD=server.password)
    env.update(overrides)
    for suffix, value in env.items():
        monkeypatch.setenv(prefix + suffix, value)
    return name


@pytest.fixture
def ci(cx_server, monkeypatch):
    """The connection name `ci`, pointing at the `cx_server` fake with its credentials."""
    return use_server(monkeypatch, cx_server)


def publish(orch, connection="ci", **kwargs):
    return orchestration_publish(orchestration=orch, connection_name=connection, **kwargs)


def export(orch) -> str:
    """The draft as its export document: the content a publish must never change."""
    return dumps_document(orchestration_document(orchestration_tree(orch.number)))


CHILD_KEYS = {
    "StageObjectives": "StageObjectiveNumber",
    "Steps": "OrchestrationStepNumber",
    "StepTasks": "StepTasksNumber",
    "StepObjectivesAssociations": "StepObjectiveAssocNumber",
}


def draft_view(number: str) -> list[dict]:
    """The draft's stage documents as a fake's `contract_view` renders a pod's: children sorted by number."""
    tree = orchestration_tree(number)
    out = []
    for position, stage in enumerate(tree.stages.all(), start=1):
        document = stage_document(stage, display_sequence=position)
        for resource, key in CHILD_KEYS.items():
            document[resource] = sorted(document[resource], key=lambda item, key=key: item[key])
        out.append(document)
    return out


def stage_posts(server: FakeCxServer) -> list:
    return [r for r in server.requests if r.method == "POST" and r.path.endswith("/child/Stages")]
