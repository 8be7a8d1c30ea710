"""The transport for ``sandbox://builtin``: requests hands the request to the in-process emulators.

Mounted by the client for the built-in sandbox, so publishing to the sandbox
runs exactly the code that publishing to CX Sales runs (headers, retries,
journal); only the last step differs. No socket, no web server: it works
from a management command too. The sandbox does not check credentials.
Which emulator answers is decided by the path (`sandbox.remotes`): CX Sales
under its REST root, Outreach under /api/v2.

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

from ..sandbox.remotes import SandboxRemotes
from .emulator import CxEmulator
from .emulator_profiles import PodProfile
from .store import Store

logger = logging.getLogger("orchestrator.remote.sandbox")


class SandboxAdapter(HTTPAdapter):
    """Answers sandbox:// requests with the sandbox's emulators over the database (or the given CX store).

    `profile` fixes the CX pod profile; by default it is settings.SANDBOX_PROFILE.
    """

    def __init__(self, store: Store | None = None, *, profile: str | PodProfile | None = None) -> None:
        super().__init__(max_retries=0)
        self.remotes = SandboxRemotes(profile=profile, cx_store=store)

    @property
    def emulator(self) -> CxEmulator:
        """The CX Sales emulator (the one most tests look at)."""
        return self.remotes.cx

    def send(self, request: PreparedRequest, stream: bool = False, timeout: Any = None, **kwargs: Any) -> Response:
        url = urlsplit(request.url or "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        try:
            status, headers, content = self.remotes.handle(
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
