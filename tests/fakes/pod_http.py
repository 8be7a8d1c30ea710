"""Plain HTTP against an emulated pod, for the remote tests (no client code: only `requests`).

`call(server, method, path, body, upsert=…, **query)` sends one request the
way test_emulator.py always did. `publish_stage(server, number, document)`
writes one contract-form stage document (tests/fakes/samples.py) in the
requests the server's profile needs, spelled out by hand here rather than
taken from the emulator's tables, so a test comparing `contract_view` with
the document checks the emulator, not the emulator against itself:

- documented: one stage POST with Upsert-Mode;
- strict: a stage POST with objectives and steps only (LifecycleAttributeValue,
  base64 LOBs, no links), then a PATCH per step that links by id, then each
  step task and association POSTed under its step (StageObjectiveId by id;
  an association that already exists is left alone: it cannot be updated).
"""

from __future__ import annotations

import base64
import copy
from typing import Any
from urllib.parse import quote, urlencode

import requests

from orchestrator.remote.emulator_profiles import PodProfile, profile_named
from orchestrator.remote.sandbox_adapter import SandboxAdapter
from orchestrator.remote.url_safety import REST_ROOT, SANDBOX_BASE_URL

from .cx_server import PASSWORD, USERNAME

ITEM = "application/vnd.oracle.adf.resourceitem+json"
AUTH = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()


def call(server, method, path, body=None, *, upsert=False, version="4", content_type=ITEM, **query):
    """One request to `server` below the REST root; returns the requests.Response.

    `server` is a FakeCxServer, or anything with `url`, `profile` and a
    `session` (a requests.Session with the sandbox adapter mounted, say).
    """
    headers = {"Authorization": AUTH, "REST-Framework-Version": version, "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = content_type
    if upsert:
        headers["Upsert-Mode"] = "true"
    session = getattr(server, "session", None) or requests
    url = f"{server.url}{REST_ROOT}{path}"
    if query:  # spelled out: requests leaves the URL of a non-HTTP scheme (sandbox://) alone
        url += "?" + urlencode(query)
    return session.request(method, url, json=body, headers=headers, timeout=5)


class SandboxPod:
    """The built-in sandbox as `call` and `publish_stage` need it: sandbox:// through its adapter, no socket.

    Its profile is whatever SANDBOX_PROFILE says at the time of each request.
    """

    url = SANDBOX_BASE_URL

    def __init__(self) -> None:
        self.session = requests.Session()
        self.session.mount("sandbox://", SandboxAdapter())

    @property
    def profile(self) -> PodProfile:
        from django.conf import settings

        return profile_named(settings.SANDBOX_PROFILE)

    def close(self) -> None:
        self.session.close()


def details(reply: requests.Response) -> list[str]:
    """The problem texts of an error reply, in either profile's shape."""
    body = reply.json()
    listed = [d["detail"] for d in body.get("o:errorDetails", [])]
    return listed or [body["detail"]]


def segment(value: str) -> str:
    return quote(value, safe="")


def b64(text: str) -> str:
    """A LOB value as the strict pod wants it: base64 of the UTF-8 text."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def items(value: Any) -> list[dict[str, Any]]:
    """A nested child collection (framework >= 3 object, or an array) as a list."""
    return value["items"] if isinstance(value, dict) else list(value or [])


class Failed(AssertionError):
    """A request of `publish_stage` was refused."""


def _ok(reply: requests.Response) -> dict[str, Any]:
    if reply.status_code not in (200, 201):
        raise Failed(f"{reply.request.method} {reply.url} -> {reply.status_code} {reply.text[:500]}")
    return reply.json()


def publish_stage(server, orchestration_number: str, document: dict[str, Any]) -> None:
    """Write one stage (contract form, OrchestrationId included) to `server` as its profile requires."""
    stages = f"/orchestrations/{segment(orchestration_number)}/child/Stages"
    if server.profile.name == "documented":
        _ok(call(server, "POST", stages, document, upsert=True))
        return
    assert server.profile.name == "strict", "publish_stage knows the documented and strict pods only"
    document = copy.deepcopy(document)
    tasks = document.pop("StepTasks", [])
    associations = document.pop("StepObjectivesAssociations", [])
    document["LifecycleAttributeValue"] = document.pop("LifecycleAttrValue")
    links = {}
    for step in document.get("Steps", []):
        links[step["OrchestrationStepNumber"]] = {
            name: step.pop(name) for name in ("SuccessStepNumber", "FailureStepNumber") if name in step
        }
        for lob in ("FieldUpdateJson", "SuccessCriteria"):
            if lob in step:
                step[lob] = b64(step[lob])
    created = _ok(call(server, "POST", stages, document, upsert=True))
    here = f"{stages}/{segment(document['OrchestrationStageNumber'])}"
    stage = _ok(call(server, "GET", here, expand="StageObjectives,Steps", onlyData="true"))
    step_ids = {s["OrchestrationStepNumber"]: s["OrchestrationStepId"] for s in items(stage["Steps"])}
    objective_ids = {o["StageObjectiveNumber"]: o["StageObjectiveId"] for o in items(stage["StageObjectives"])}
    assert created["OrchestrationStageId"] == stage["OrchestrationStageId"]
    for number, named in links.items():
        if named:
            patch = {name.replace("Number", "Id"): step_ids[value] for name, value in named.items()}
            _ok(call(server, "PATCH", f"{here}/child/Steps/{segment(number)}", patch))
    for task in tasks:
        step = task.pop("OrchestrationStepNumber")
        _ok(call(server, "POST", f"{here}/child/Steps/{segment(step)}/child/StepTasks", task, upsert=True))
    for association in associations:
        step = association.pop("OrchestrationStepNumber")
        path = f"{here}/child/Steps/{segment(step)}/child/StepObjectivesAssociations"
        if call(server, "GET", f"{path}/{segment(association['StepObjectiveAssocNumber'])}").status_code == 200:
            continue  # associations cannot be updated on this pod: one that exists stays as it is
        body = {
            "StepObjectiveAssocNumber": association["StepObjectiveAssocNumber"],
            "StageObjectiveId": objective_ids[association["StageObjectiveNumber"]],
        }
        _ok(call(server, "POST", path, body))
