"""Where we may send requests: the base-URL and address rules.

A base URL is configuration, but it decides where the server opens sockets and
sends credentials, so it is treated like user input (server-side request
forgery). The rules, applied without opening any socket:

- ``https://host[:port]`` only; ``http`` only for loopback (``127.0.0.0/8``,
  ``::1``, ``localhost``), which is where the local fakes listen;
- no user info, path, query or fragment (the REST root is added by the client);
  a system whose base URL names its API root (Outreach: ``https://…/api/v2``)
  may carry exactly that path, and nothing else;
- IP literals, in whatever spelling the C resolver accepts (``2130706433``,
  ``0xA9FEA9FE``, ``0251.0376.0251.0376``, ``127.1``), are decoded and must be
  public or loopback: private, CGNAT, link-local, cloud-metadata, unspecified,
  multicast, broadcast, reserved and IPv4-mapped/6to4/NAT64 forms of those are refused;
- host names must be plain DNS names (no trailing dot, no raw Unicode) and not
  a known metadata name.

Then, when asked to (and before each request), the host name is resolved and
every address must pass the same rules. A host *name* that resolves to
loopback is refused too: only a loopback literal or ``localhost`` may mean
"this machine". Messages name the host, never the whole URL, because a
refused URL may carry a password or a token in its user info or query.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import RemoteError, UnsafeURLError

SANDBOX_BASE_URL = "sandbox://builtin"
REST_ROOT = "/crmRestApi/resources/11.13.18.05"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_HOSTNAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.internal",
        "metadata.tencentyun.com",
        "metadata.platformequinix.com",
    }
)
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OCI
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud classic
    )
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_ULA = ipaddress.ip_network("fc00::/7")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_BROADCAST = ipaddress.ip_address("255.255.255.255")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class BaseURL:
    """A base URL that passed the static rules."""

    scheme: str
    host: str  # as written (lower case, IPv6 without brackets)
    port: int | None
    address: IPAddress | None  # decoded literal, None for a host name
    normalized: str  # scheme://host[:port][api root] with the address in canonical form

    @property
    def is_loopback(self) -> bool:
        """True for a loopback literal or ``localhost``: the only hosts that may mean this machine."""
        return self.host == "localhost" or (self.address is not None and _is_plain_loopback(self.address))


def _is_plain_loopback(ip: IPAddress) -> bool:
    return ip.is_loopback and not (isinstance(ip, ipaddress.IPv6Address) and _embedded_ipv4(ip))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address smuggles (mapped, 6to4, NAT64), if any."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(ip: IPAddress) -> str | None:
    """Why requests must not go to `ip`, or None when it is public or loopback."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "an IPv6 address with a zone index"
        inner = _embedded_ipv4(ip)
        if inner is not None:
            problem = address_problem(inner) or ("a loopback address" if inner.is_loopback else None)
            return f"an IPv6 form of {inner}, {problem}" if problem else None
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata endpoint"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_loopback:
        return None
    if ip == _BROADCAST:
        return "the broadcast address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip in _CGNAT:
        return "a carrier-grade NAT (100.64.0.0/10) address"
    if ip in _ULA:
        return "a unique local (private) IPv6 address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private network address"
    if not ip.is_global:
        return "not a public address"
    return None


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Decode an IPv4 literal the way inet_aton (and so getaddrinfo) does, or None.

    Accepts 1-4 parts, each decimal, octal (leading 0) or hex (0x); the last
    part fills the remaining bytes. ``2130706433`` and ``127.1`` are 127.0.0.1.
    """
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values = []
    for part in parts:
        try:
            if part.startswith("0x"):
                value = int(part[2:] or "0", 16)
            elif len(part) > 1 and part.startswith("0"):
                value = int(part, 8)
            else:
                value = int(part, 10)
        except ValueError:
            return None
        values.append(value)
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for value in head:
        number = number << 8 | value
    return ipaddress.IPv4Address(number << 8 * (4 - len(head)) | last)


def _refuse(host: str, reason: str) -> UnsafeURLError:
    shown = host if len(host) <= 80 else host[:79] + "…"
    return UnsafeURLError(f"Refused base URL host {shown!r}: {reason}.")


def _split_netloc(netloc: str) -> tuple[str, str | None]:
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise UnsafeURLError("Refused base URL: unbalanced '[' in the host.")
        host, rest = netloc[1:end], netloc[end + 1 :]
        if rest and not rest.startswith(":"):
            raise UnsafeURLError("Refused base URL: unexpected text after the IPv6 address.")
        return host, (rest[1:] if rest else None)
    if netloc.count(":") > 1:
        raise UnsafeURLError(
            "Refused base URL: an IPv6 address must be written in brackets, e.g. https://[2001:db8::1]."
        )
    host, _, port = netloc.partition(":")
    return host, (port if ":" in netloc else None)


def _parse_host(host: str, bracketed: bool) -> IPAddress | None:
    if bracketed:
        if "%" in host:
            raise _refuse(host, "IPv6 zone indexes are not allowed")
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise _refuse(host, "not a valid IPv6 address") from None
    if not host.isascii():
        raise _refuse(host, "non-ASCII host names must be written in their punycode (xn--) form")
    if host.endswith("."):
        raise _refuse(host, "host names ending with a dot are not allowed")
    labels = host.split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        # A numeric last label can only be an IP literal (no top-level domain is numeric).
        address = _legacy_ipv4(host)
        if address is None:
            raise _refuse(host, "neither a valid IP address nor a host name")
        return address
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise _refuse(host, "not a valid host name (letters, digits, '-' and '.' only)")
    if host in METADATA_HOSTNAMES:
        raise _refuse(host, "a cloud metadata host name")
    return None


def parse_base_url(url: str, *, api_root: str = "") -> BaseURL:
    """Apply every rule that needs no network; return the parsed, normalized URL.

    `api_root` ("/api/v2") is the one path the URL may carry (with or without
    a trailing slash, or none at all); the normalized URL always ends with it.
    Raises UnsafeURLError with a message that says what to change.
    """
    if not isinstance(url, str) or not url.strip():
        raise UnsafeURLError("The base URL is empty.")
    if len(url) > 2048:
        raise UnsafeURLError("The base URL is too long.")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 or c == "\\" for c in url):
        raise UnsafeURLError("The base URL must not contain spaces, control characters or backslashes.")
    try:
        parts = urlsplit(url)
    except ValueError:
        # urllib's message may quote the netloc, user info and all: do not pass it on.
        raise UnsafeURLError(
            "Refused base URL: it is not a valid URL (check the brackets around an IPv6 host)."
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = scheme[:20] or "(none)"
        raise UnsafeURLError(f"Refused base URL: scheme {shown!r} is not allowed; use https://host[:port].")
    if "@" in parts.netloc:
        raise UnsafeURLError(
            "Refused base URL: it must not contain a user name or password; "
            "use the USERNAME/PASSWORD or TOKEN settings instead."
        )
    if "?" in url or "#" in url:
        raise UnsafeURLError("Refused base URL: it must not contain a query (?…) or a fragment (#…).")
    if api_root:
        if parts.path not in ("", "/", api_root, api_root + "/"):
            raise UnsafeURLError(f"Refused base URL: its path must be {api_root} (scheme://host[:port]{api_root}).")
    elif parts.path not in ("", "/"):
        raise UnsafeURLError(
            f"Refused base URL: it must be scheme://host[:port] only, without a path; "
            f"the REST root {REST_ROOT} is added automatically."
        )
    bracketed = parts.netloc.startswith("[")
    host, port_text = _split_netloc(parts.netloc)
    host = host.lower()
    if not host:
        raise UnsafeURLError("Refused base URL: the host is empty.")
    port = None
    if port_text is not None:
        if not (port_text.isascii() and port_text.isdigit()) or not 1 <= int(port_text) <= 65535:
            raise _refuse(host, f"port {port_text[:10]!r} is not a number from 1 to 65535")
        port = int(port_text)
    address = _parse_host(host, bracketed)
    if address is not None:
        problem = address_problem(address)
        if problem:
            # Name the decoded address: "0xA9FEA9FE" alone would not tell the reader why.
            legacy = address.version == 4 and str(address) != host
            raise _refuse(host, f"that is {address}, {problem}" if legacy else problem)
    shown_host = host if address is None else (f"[{address}]" if address.version == 6 else str(address))
    shown_port = "" if port in (None, _DEFAULT_PORTS[scheme]) else f":{port}"
    parsed = BaseURL(scheme, host, port, address, f"{scheme}://{shown_host}{shown_port}{api_root}")
    if scheme == "http" and not parsed.is_loopback:
        raise _refuse(host, "plain http is only allowed for loopback (127.0.0.1, ::1, localhost); use https")
    return parsed


def resolve_checked(parsed: BaseURL) -> list[IPAddress]:
    """Resolve the host and check every address it resolves to; return them.

    A literal needs no resolution. ``localhost`` must resolve to loopback
    only, any other name to public addresses only. A failed lookup is a
    (retryable) connection error, not an unsafe URL.
    """
    if parsed.address is not None:
        return [parsed.address]
    port = parsed.port or _DEFAULT_PORTS[parsed.scheme]
    try:
        infos = socket.getaddrinfo(parsed.host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RemoteError(
            f"Could not resolve host {parsed.host!r}: {exc}", kind="connection", permanent=False
        ) from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise RemoteError(f"Host {parsed.host!r} resolves to no address.", kind="connection")
    for address in addresses:
        check_peer(parsed, address)
    return addresses


def check_peer(parsed: BaseURL, address: IPAddress | str) -> None:
    """Refuse `address` as the destination for `parsed` (resolved or actually connected)."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if parsed.is_loopback:
        if not _is_plain_loopback(ip):
            raise _refuse(parsed.host, f"resolves to {ip}, which is not a loopback address")
        return
    problem = address_problem(ip) or ("a loopback address" if ip.is_loopback else None)
    if problem:
        raise _refuse(parsed.host, f"resolves to {ip}, {problem}")


def check_base_url(url: str, *, resolve: bool = True, api_root: str = "") -> str:
    """Raise UnsafeURLError unless requests may go to `url`; return its normalized form.

    `api_root` is the path a system's base URL carries (see parse_base_url).
    The static rules run first, before any socket or DNS lookup. With
    ``resolve=True`` (the default, and what the client does before every
    request) the host name is then resolved and each address checked.
    ``sandbox://builtin`` is accepted as is: it never leaves the process.
    """
    if url == SANDBOX_BASE_URL:
        return url
    parsed = parse_base_url(url, api_root=api_root)
    if resolve:
        resolve_checked(parsed)
    return parsed.normalized
