"""The address of the client behind the trusted proxies: what the login lockout (django-axes) counts by.

Behind a reverse proxy REMOTE_ADDR is the proxy's address for every client.
Each proxy appends the address it received the request from to
X-Forwarded-For, so with TRUSTED_PROXY_COUNT proxies in front the client is
the entry that many places from the right. Whatever a client writes into the
header itself lands further left and is never read; with no trusted proxy
(0, the default) the header is ignored altogether. A header with too few
entries (the request did not come through the proxies) or an entry that is
not an address leaves REMOTE_ADDR in force.

django-ipware is not used on purpose: it picks the "best" address, preferring
public ones, so on a private network a client could pick its own bucket by
writing a public address into the header.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address (AXES_CLIENT_IP_CALLABLE)."""
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    entries = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    entries = [entry for entry in entries if entry]
    if len(entries) < count:
        return remote
    candidate = entries[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
