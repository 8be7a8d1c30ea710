"""Every emulated remote behind one URL space, over the sandbox's database tables.

`SandboxRemotes(base_url).handle(method, path, query, headers, body)` sends a
request to the emulator whose API root the path starts with:

| path | emulator | store |
|---|---|---|
| ``/crmRestApi/resources/11.13.18.05/…`` | CX Sales (`remote.emulator.CxEmulator`, SANDBOX_PROFILE) | Sandbox* |
| ``…/11.13.18.05/interactions``, ``…/phoneCalls`` | CX Sales activities (`cx_activities_emulator`) | SandboxRecord |
| ``…/activityTemplates``, ``…/SalesStage`` | CX Sales reference data (`cx_catalogue_emulator`) | demo data |
| ``/api/v2/…`` | Outreach (`outreach_emulator.OutreachEmulator`) | SandboxOutreachStage |
| ``/services/rest/connect/v1.4/…`` | B2C Service tasks (`b2c_emulator.B2cEmulator`) | SandboxRecord |

Anything else is a 404. The in-process sandbox (``sandbox://builtin``) and
``manage.py sandbox_server`` answer through the same object, so what one
writes the other shows (and the sandbox page lists);
`remote.sandbox_store.sandbox_reset()` empties every emulator at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..remote.emulator import CxEmulator
from ..remote.emulator_profiles import DEFAULT_PROFILE, PodProfile
from ..remote.url_safety import REST_ROOT, SANDBOX_BASE_URL
from .b2c_emulator import API_ROOT as B2C_ROOT
from .b2c_emulator import B2cEmulator
from .cx_activities_emulator import CxActivitiesEmulator
from .cx_catalogue_emulator import CxCatalogueEmulator
from .outreach_emulator import API_ROOT as OUTREACH_ROOT
from .outreach_emulator import OutreachEmulator, RateLimiter

Reply = tuple[int, dict[str, str], bytes]

# (API root, system key, label): the emulated remotes, in the order the sandbox page and the server list them.
EMULATED = (
    (REST_ROOT, "cx_sales", "CX Sales"),
    (OUTREACH_ROOT, "outreach", "Outreach"),
    (B2C_ROOT, "b2c_service", "B2C Service"),
)


def configured_profile() -> str:
    """The CX pod profile the sandbox plays (settings.SANDBOX_PROFILE; the emulators never read settings)."""
    from django.conf import settings

    return getattr(settings, "SANDBOX_PROFILE", DEFAULT_PROFILE)


class SandboxRemotes:
    """The emulators of the built-in sandbox. Not thread-safe: one per transport (or per server thread)."""

    def __init__(
        self,
        *,
        base_url: str = SANDBOX_BASE_URL,
        profile: str | PodProfile | None = None,
        cx_store=None,
        outreach_store=None,
        rate_limiter: RateLimiter | None = None,
        record_store=None,
    ) -> None:
        self.base_url = base_url
        self._profile = profile
        self._cx_store = cx_store
        self._cx: CxEmulator | None = None
        self._outreach_store = outreach_store
        self._outreach: OutreachEmulator | None = None
        self._rate_limiter = rate_limiter
        self._record_store = record_store
        self._activities: CxActivitiesEmulator | None = None
        self._b2c: B2cEmulator | None = None
        self._catalogue: CxCatalogueEmulator | None = None

    @property
    def cx(self) -> CxEmulator:
        """The CX Sales emulator, playing `profile` (by default SANDBOX_PROFILE, read on every request)."""
        wanted = self._profile if self._profile is not None else configured_profile()
        name = wanted.name if isinstance(wanted, PodProfile) else wanted
        if self._cx is None or self._cx.profile.name != name:
            if self._cx_store is None:
                from ..remote.sandbox_store import DbStore  # the ORM only when a request is made

                self._cx_store = DbStore()
            self._cx = CxEmulator(self._cx_store, base_url=self.base_url, profile=wanted)
        return self._cx

    @property
    def outreach(self) -> OutreachEmulator:
        """The Outreach emulator over the sandbox's Outreach stages."""
        if self._outreach is None:
            if self._outreach_store is None:
                from .outreach_db import DbOutreachStore

                self._outreach_store = DbOutreachStore()
            self._outreach = OutreachEmulator(
                self._outreach_store, base_url=self.base_url, rate_limiter=self._rate_limiter
            )
        return self._outreach

    def _records(self):
        if self._record_store is None:
            from .record_db import DbRecordStore

            self._record_store = DbRecordStore()
        return self._record_store

    @property
    def activities(self) -> CxActivitiesEmulator:
        """The CX Sales interactions and phone calls emulator."""
        if self._activities is None:
            self._activities = CxActivitiesEmulator(self._records(), base_url=self.base_url)
        return self._activities

    @property
    def b2c(self) -> B2cEmulator:
        """The B2C Service tasks emulator."""
        if self._b2c is None:
            self._b2c = B2cEmulator(self._records(), base_url=self.base_url)
        return self._b2c

    @property
    def catalogue(self) -> CxCatalogueEmulator:
        """The CX Sales activity templates and sales stages (the demo pod's)."""
        if self._catalogue is None:
            self._catalogue = CxCatalogueEmulator(base_url=self.base_url)
        return self._catalogue

    def handle(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
    ) -> Reply:
        """Answer one request with the emulator of the system the path belongs to."""
        if CxActivitiesEmulator.handles(path):
            return self.activities.handle(method, path, query, headers, body)
        if CxCatalogueEmulator.handles(path):
            return self.catalogue.handle(method, path, query, headers, body)
        if B2cEmulator.handles(path):
            return self.b2c.handle(method, path, query, headers, body)
        if path == REST_ROOT or path.startswith(REST_ROOT + "/"):
            return self.cx.handle(method, path, query, headers, body)
        if path == OUTREACH_ROOT or path.startswith(OUTREACH_ROOT + "/"):
            return self.outreach.handle(method, path, query, headers, body)
        roots = ", ".join(root for root, _, _ in EMULATED)
        body_out: dict[str, Any] = {
            "title": "Not Found",
            "status": 404,
            "detail": f"No emulated remote here; try {roots}.",
        }
        return 404, {"Content-Type": "application/json"}, json.dumps(body_out).encode()
