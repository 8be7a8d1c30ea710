"""The remote layer: everything that talks to a remote system (CX Sales, Outreach) or its emulator.

Plain data in and out, never the ORM (except sandbox_store, the built-in
sandbox's storage). This package is the only one that imports `requests`.
`systems.py` registers what differs per system; import the client and the
resources from their modules (`remote.client`, `remote.cx`,
`remote.outreach`); the names below are the ones almost every caller needs
and are cheap to import.
"""

from .connections import SANDBOX_BASE_URL, Connection, get_connection, list_connections
from .errors import ConnectionConfigError, RemoteError, UnsafeURLError
from .url_safety import check_base_url

__all__ = [
    "SANDBOX_BASE_URL",
    "Connection",
    "ConnectionConfigError",
    "RemoteError",
    "UnsafeURLError",
    "check_base_url",
    "get_connection",
    "list_connections",
]
