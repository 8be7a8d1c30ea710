"""The transport for ``sandbox://builtin``: requests hands the request to the in-process emulator.

Mounted by CxClient for the built-in sandbox, so publishing to the sandbox
runs exactly the code that publishing to CX Sales runs (headers, retries,
journal); only the last step differs. No socket, no web server: it works
from a management command too. The sandbox does not check credentials.

The pod profile is the SANDBOX_PROFILE setting, read on every request (so a
test's settings override applies at once); the data it stores records which
profile wrote it, and the emulator answers 409 to a request that touches an
orchestration written by the other one.
"""

from __future__ import annotations

import io
import logging
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse

from .emulator import CxEmulator
from .emulator_profiles import DEFAULT_PROFILE, PodProfile
from .store import Store
from .url_safety import SANDBOX_BASE_URL

logger = logging.getLogger("orchestrator.remote.sandbox")


class SandboxAdapter(HTTPAdapter):
    """Answers sandbox:// requests with CxEmulator over the database store (or the given one).

    `profile` fixes the pod profile; by default it is settings.SANDBOX_PROFILE.
    """

    def __init__(self, store: Store | None = None, *, profile: str | PodProfile | None = None) -> None:
        super().__init__(max_retries=0)
        self._store = store
        self._profile = profile
        self._emulator: CxEmulator | None = None

    @property
    def emulator(self) -> CxEmulator:
        wanted = self._profile if self._profile is not None else _configured_profile()
        name = wanted.name if isinstance(wanted, PodProfile) else wanted
        if self._emulator is None or self._emulator.profile.name != name:
            if self._store is None:
                from .sandbox_store import DbStore  # the ORM only when a request is made

                self._store = DbStore()
            self._emulator = CxEmulator(self._store, base_url=SANDBOX_BASE_URL, profile=wanted)
        return self._emulator

    def send(self, request: PreparedRequest, stream: bool = False, timeout: Any = None, **kwargs: Any) -> Response:
        url = urlsplit(request.url or "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        try:
            status, headers, content = self.emulator.handle(
                request.method or "GET", url.path, query, dict(request.headers), body
            )
        except Exception:
            # Like a real server: an internal failure is a 500 to the client, the details go to the log.
            logger.exception("built-in sandbox failed on %s %s", request.method, url.path)
            status, headers = 500, {"Content-Type": "application/json"}
            content = b'{"title": "Internal Server Error", "detail": "The built-in sandbox failed; see the log."}'
        raw = HTTPResponse(
            body=io.BytesIO(content),
            headers={**headers, "Content-Length": str(len(content))},
            status=status,
            reason=HTTPStatus(status).phrase,
            preload_content=False,
            decode_content=False,
        )
        return self.build_response(request, raw)


def _configured_profile() -> str:
    from django.conf import settings  # only the sandbox reads settings; the emulator never does

    return getattr(settings, "SANDBOX_PROFILE", DEFAULT_PROFILE)
