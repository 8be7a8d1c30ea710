"""A real HTTP server on 127.0.0.1 that plays CX Sales, with fault injection.

It wraps the same CxEmulator the built-in sandbox uses (over a MemoryStore),
so tests exercise real sockets, real timeouts and real dropped connections.
`profile` picks the pod it plays ("documented", "strict" or a PodProfile;
see orchestrator/remote/emulator_profiles.py).

    server = FakeCxServer().start()          # or the `cx_server` fixture
    server = FakeCxServer(profile="strict").start()
    server.fail("POST", r"/child/Stages$", status=503, retry_after=2, times=2)
    server.delay("GET", r"/orchestrations/", seconds=1.0)
    server.drop("POST", r"/child/Stages$", when="after")   # stored, reply lost
    server.latency = 0.05
    server.requests[-1].json, server.writes, server.store.stage_documents("ORCH-1")
    server.rename_attribute("Stages", "StageName", "OrchestrationStageName")
    server.set_codes("Steps", "StepType", {"TASK": "ORA_TASK"})
    server.header_attribute("StatusCode", default=None)    # mandatory, no defaultValue
    server.contract_view("ORCH-1")                         # what the pod holds, in contract form

Path patterns are matched with re.search against the path below the REST root
(e.g. "/orchestrations/ORCH-1/child/Stages"). Faults fire in the order they
were added, each `times` times; the first matching one handles a request.
Interactions and phone calls (``/interactions``, ``/phoneCalls``) are answered
by the sandbox's CxActivitiesEmulator over `activity_store`; activity templates,
the sales method's sales stages and the describes of opportunities and leads by
its CxCatalogueEmulator (`catalogue`: replace ``catalogue.templates`` /
``catalogue.stages`` / ``catalogue.attributes``, rename the fields, or set
``describe_nested`` / ``describe_lengths`` for the other describe readings).
The loopback server and the faults are http_fake.FakeHTTPServer's, shared
with the fake Outreach (outreach_server.py) and B2C Service (b2c_server.py).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from orchestrator.remote import emulator_describe
from orchestrator.remote.client import CxClient
from orchestrator.remote.connections import Connection
from orchestrator.remote.emulator import CxEmulator
from orchestrator.remote.emulator_profiles import PodProfile, profile_named
from orchestrator.remote.store import MemoryStore, StoredOrchestration
from orchestrator.remote.url_safety import REST_ROOT
from orchestrator.sandbox.cx_activities_emulator import CxActivitiesEmulator
from orchestrator.sandbox.cx_catalogue_emulator import CxCatalogueEmulator
from orchestrator.sandbox.record_store import MemoryRecordStore

from .http_fake import DropWhen, FakeHTTPServer, RecordedRequest, Reply

__all__ = ["PASSWORD", "USERNAME", "DropWhen", "FakeCxServer", "RecordedRequest"]

USERNAME = "fake.integration.user"
PASSWORD = "fake-pw-SENTINEL-3f9a1c"


class FakeCxServer(FakeHTTPServer):
    """CX Sales on a loopback port. Requires credentials unless `require_auth=False`."""

    root = REST_ROOT

    def __init__(
        self,
        *,
        username: str = USERNAME,
        password: str = PASSWORD,
        token: str = "",
        require_auth: bool = True,
        profile: str | PodProfile = "documented",
    ) -> None:
        super().__init__()
        self.username, self.password, self.token = username, password, token
        self.require_auth = require_auth
        self._initial_profile = profile_named(profile)
        self.store = MemoryStore()
        self.emulator = CxEmulator(self.store, profile=self._initial_profile)
        self.emulator.base_url = self.url
        self.activity_store = MemoryRecordStore()
        self.activities = CxActivitiesEmulator(self.activity_store, base_url=self.url)
        self.catalogue = CxCatalogueEmulator(base_url=self.url)

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeCxServer:
        return super().start()

    def reset(self) -> None:
        """Empty store, log and fault queue; no latency; the profile it started with, untouched by knobs."""
        super().reset()
        self.store.reset()
        self.activity_store.reset()
        self.catalogue = CxCatalogueEmulator(base_url=self.url)
        self.describe_override = None
        self.emulator.profile = self._initial_profile

    # -- knobs ----------------------------------------------------------------------------

    @property
    def describe_override(self) -> Any:
        """A function rewriting the describe; the emulator then also accepts only what it describes."""
        return self.emulator.describe_override

    @describe_override.setter
    def describe_override(self, value: Any) -> None:
        self.emulator.describe_override = value

    @property
    def profile(self) -> PodProfile:
        """The pod profile being played (a copy owned by this server; the knobs below change it)."""
        return self.emulator.profile

    @profile.setter
    def profile(self, value: str | PodProfile) -> None:
        self.emulator.profile = value

    def remove_attribute(self, resource: str, name: str) -> None:
        """Simulate a remote without attribute `name` (pod name) on `resource` ("Stages", "Steps", "Stages.Steps"…)."""
        previous = self.describe_override or (lambda d: d)
        self.describe_override = lambda d: emulator_describe.drop_attribute(previous(d), resource, name)

    def limit_attribute(self, resource: str, name: str, precision: int) -> None:
        """Simulate a remote whose attribute `name` holds fewer characters (as precision or maxLength)."""
        previous = self.describe_override or (lambda d: d)
        self.describe_override = lambda d: emulator_describe.set_length(previous(d), resource, name, precision)

    def rename_attribute(self, resource: str, contract_name: str, pod_name: str) -> None:
        """The pod calls `resource`.`contract_name` `pod_name`: the describe and the accepted name change together."""
        self.profile = self.profile.renamed(resource, contract_name, pod_name)

    def set_codes(self, resource: str, attribute: str, codes: dict[str, str]) -> None:
        """The pod spells `attribute`'s codes {contract code: pod code}; it accepts and shows the pod codes."""
        self.profile = self.profile.with_codes(resource, attribute, codes)

    def header_attribute(self, name: str, *, mandatory: bool = True, default: str | None = None) -> None:
        """Declare (or redefine) an extra header attribute; `default` is its describe defaultValue (None: none).

        The pod never applies the default itself: a mandatory one must be sent.
        """
        self.profile = self.profile.with_header_attribute(name, mandatory=mandatory, default=default)

    def contract_view(self, orchestration_number: str) -> list[dict[str, Any]]:
        """The test oracle: the stages the pod holds, in display order, in contract form.

        Contract names and codes, LOBs decoded, links as numbers, StepTasks and
        StepObjectivesAssociations as stage-level arrays, no ids, who-columns
        or links, each child array sorted by its number — comparable with the
        draft's stage documents whichever profile is played.
        """
        return self.emulator.contract_view(orchestration_number)

    # -- inspection and helpers -----------------------------------------------------------

    def connection(self, **overrides: Any) -> Connection:
        """A Connection to this server with its credentials (override any field)."""
        values: dict[str, Any] = {"name": "fake", "base_url": self.url}
        if self.token:
            values["token"] = self.token
        else:
            values.update(username=self.username, password=self.password)
        return Connection(**{**values, **overrides})

    def client(self, **options: Any) -> CxClient:
        """A CxClient for this server with test-friendly defaults (short timeouts, tiny backoff)."""
        defaults: dict[str, Any] = {
            "connect_timeout": 1.0,
            "read_timeout": 2.0,
            "max_attempts": 3,
            "backoff_base": 0.01,
            "backoff_cap": 0.05,
            "retry_after_cap": 0.2,
        }
        return CxClient(self.connection(), **{**defaults, **options})

    def add_orchestration(self, number: str = "ORCH-FAKE-0001", **attributes: Any) -> StoredOrchestration:
        """Put an orchestration header straight into the store (no request logged); return it.

        It carries what the profile's header requires (e.g. OrchestrationType
        and StatusCode at their describe defaults on the strict pod); `attributes`
        are stored as given, under the pod's names.
        """
        return self.emulator.add_orchestration(number, **attributes)

    # -- request handling (called from the handler threads) -------------------------------

    def answer(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Reply:
        if CxActivitiesEmulator.handles(path):
            return self.activities.handle(method, path, query, headers, body)
        if CxCatalogueEmulator.handles(path):
            return self.catalogue.handle(method, path, query, headers, body)
        return self.emulator.handle(method, path, query, headers, body)

    def authorized(self, headers: dict[str, str]) -> bool:
        if not self.require_auth:
            return True
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if self.token and auth == f"Bearer {self.token}":
            return True
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return bool(self.username) and auth == f"Basic {expected}"

    def unauthorized(self) -> Reply:
        payload = json.dumps({"title": "Unauthorized", "status": 401, "detail": "Authentication failed."})
        return 401, {"WWW-Authenticate": 'Basic realm="fake-cx"', "Content-Type": "application/json"}, payload.encode()
