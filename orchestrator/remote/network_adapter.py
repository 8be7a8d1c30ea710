"""The transport for real remotes: requests' adapter with an address check at connect time.

The client checks the destination (resolving its name) before each attempt;
this adapter checks the address each new socket actually reached, before a
single request byte is written, so a DNS answer that changes between the two
(rebinding) cannot route a request with our credentials to a private address.
It also turns urllib3's own retries off: the client owns the retry policy.
"""

from __future__ import annotations

import socket
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .errors import UnsafeURLError
from .url_safety import BaseURL, check_peer


def _guarded(base_cls: type[HTTPConnection], destination: BaseURL) -> type[HTTPConnection]:
    """A connection class that refuses a socket whose peer breaks the address rules.

    The pre-request check resolves the name; this one looks at the address the
    socket really reached, so a DNS answer that changes in between (rebinding)
    cannot slip a private address in. No request byte is sent before it passes.
    """

    class GuardedConnection(base_cls):  # type: ignore[valid-type,misc]
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            try:
                check_peer(destination, sock.getpeername()[0])
            except UnsafeURLError:
                sock.close()
                raise
            return sock

    return GuardedConnection


class GuardedAdapter(HTTPAdapter):
    """requests' adapter with guarded connections and no urllib3-level retries (we retry ourselves)."""

    def __init__(self, destination: BaseURL) -> None:
        self._destination = destination
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        http_pool = type("GuardedHTTPPool", (HTTPConnectionPool,), {})
        https_pool = type("GuardedHTTPSPool", (HTTPSConnectionPool,), {})
        http_pool.ConnectionCls = _guarded(HTTPConnection, self._destination)
        https_pool.ConnectionCls = _guarded(HTTPSConnection, self._destination)
        self.poolmanager.pool_classes_by_scheme = {"http": http_pool, "https": https_pool}
