"""Base-URL rules: hostile URLs are refused before any socket or DNS lookup."""

import socket

import pytest

from orchestrator.remote.errors import RemoteError, UnsafeURLError
from orchestrator.remote.url_safety import check_base_url, parse_base_url, resolve_checked


@pytest.fixture
def no_network(monkeypatch):
    """Any DNS lookup or socket connect fails the test: refusals must come first."""

    def forbidden(*args, **kwargs):
        raise AssertionError(f"network used: {args!r}")

    monkeypatch.setattr(socket, "getaddrinfo", forbidden)
    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr(socket.socket, "connect", forbidden)
    monkeypatch.setattr(socket.socket, "connect_ex", forbidden)


@pytest.fixture
def resolves_to(monkeypatch):
    """Make every host name resolve to the given addresses."""

    def install(*addresses: str):
        def fake(host, port, *args, **kwargs):
            family = lambda a: socket.AF_INET6 if ":" in a else socket.AF_INET  # noqa: E731
            return [(family(a), socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

        monkeypatch.setattr(socket, "getaddrinfo", fake)

    return install


HOSTILE = [
    ("http://example.com", "plain http is only allowed for loopback"),
    ("ftp://example.com", "scheme 'ftp' is not allowed"),
    ("file:///etc/passwd", "scheme 'file' is not allowed"),
    ("gopher://example.com:70", "scheme 'gopher' is not allowed"),
    ("javascript:alert(1)", "scheme 'javascript' is not allowed"),
    ("data:text/plain,hello", "scheme 'data' is not allowed"),
    ("https://user:pw@example.com", "must not contain a user name or password"),
    ("https://evil.com@10.0.0.1", "must not contain a user name or password"),
    ("https://10.0.0.1", "'10.0.0.1': a private network address"),
    ("https://172.16.5.4", "a private network address"),
    ("https://192.168.1.1:8443", "a private network address"),
    ("https://169.254.169.254", "a cloud metadata endpoint"),
    ("https://[fd00:ec2::254]", "a cloud metadata endpoint"),
    ("https://100.100.100.200", "a cloud metadata endpoint"),
    ("https://metadata.google.internal", "a cloud metadata host name"),
    ("https://169.254.10.1", "a link-local address"),
    ("https://0.0.0.0", "the unspecified address"),
    ("https://[::]", "the unspecified address"),
    ("https://[::ffff:10.0.0.1]", "an IPv6 form of 10.0.0.1, a private network address"),
    ("https://[::ffff:169.254.169.254]", "an IPv6 form of 169.254.169.254, a cloud metadata endpoint"),
    ("https://[::ffff:127.0.0.1]", "an IPv6 form of 127.0.0.1, a loopback address"),
    ("https://[2002:a00:1::]", "an IPv6 form of 10.0.0.1"),
    ("https://[64:ff9b::a9fe:a9fe]", "an IPv6 form of 169.254.169.254"),
    ("https://0xA9FEA9FE", "that is 169.254.169.254, a cloud metadata endpoint"),
    ("https://0251.0376.0251.0376", "that is 169.254.169.254, a cloud metadata endpoint"),
    ("https://2852039166", "that is 169.254.169.254, a cloud metadata endpoint"),
    ("https://0", "that is 0.0.0.0, the unspecified address"),
    ("https://10.1", "that is 10.0.0.1, a private network address"),
    ("https://localhost.", "host names ending with a dot are not allowed"),
    ("https://metadata.google.internal.", "host names ending with a dot are not allowed"),
    ("https://100.64.0.1", "carrier-grade NAT"),
    ("https://224.0.0.251", "a multicast address"),
    ("https://[ff02::1]", "a multicast address"),
    ("https://255.255.255.255", "the broadcast address"),
    ("https://240.0.0.1", "a reserved address"),
    ("https://[fd12:3456::1]", "a unique local (private) IPv6 address"),
    ("https://[fe80::1]", "a link-local address"),
    ("https://[fe80::1%25eth0]", "zone indexes are not allowed"),
    ("https://", "the host is empty"),
    ("https://:443", "the host is empty"),
    ("https://example.com:0", "is not a number from 1 to 65535"),
    ("https://example.com:65536", "is not a number from 1 to 65535"),
    ("https://example.com:http", "is not a number from 1 to 65535"),
    ("https://example.com/crmRestApi/resources/11.13.18.05", "without a path"),
    ("https://example.com?debug=1", "must not contain a query"),
    ("https://example.com/#top", "must not contain a query (?…) or a fragment"),
    ("https://exa mple.com", "must not contain spaces"),
    ("https://example.com\\@10.0.0.1", "backslashes"),
    ("https://08.1.1.1", "neither a valid IP address nor a host name"),
    ("https://bücher.example", "punycode"),
    ("https://a..b.example", "not a valid host name"),
    ("https://[::1", "not a valid URL"),
    ("https://::1", "must be written in brackets"),
    ("", "The base URL is empty"),
]


@pytest.mark.parametrize(("url", "message"), HOSTILE, ids=[u or "empty" for u, _ in HOSTILE])
def test_hostile_urls_refused_before_any_network(no_network, url, message):
    with pytest.raises(UnsafeURLError) as caught:
        check_base_url(url)  # resolve=True: the static rules must refuse before DNS
    assert message in caught.value.message
    assert caught.value.permanent and caught.value.kind == "unsafe_url"


def test_refusal_never_echoes_credentials_or_query(no_network):
    for url in ("https://admin:s3cret-sentinel@example.com", "https://example.com?token=s3cret-sentinel"):
        with pytest.raises(UnsafeURLError) as caught:
            check_base_url(url)
        assert "s3cret-sentinel" not in str(caught.value) + repr(caught.value)


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("https://example.com", "https://example.com"),
        ("https://Example.COM:8443/", "https://example.com:8443"),
        ("https://cx.example.com:443", "https://cx.example.com"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://localhost:9", "http://localhost:9"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("https://8.8.8.8", "https://8.8.8.8"),
        # Odd spellings are decoded and judged like the canonical form: loopback is allowed.
        ("http://2130706433:8000", "http://127.0.0.1:8000"),
        ("http://127.1", "http://127.0.0.1"),
        ("sandbox://builtin", "sandbox://builtin"),
    ],
)
def test_allowed_urls_are_normalized(url, normalized):
    assert check_base_url(url, resolve=False) == normalized


def test_public_literal_needs_no_dns(no_network):
    assert check_base_url("https://8.8.8.8") == "https://8.8.8.8"


@pytest.mark.parametrize(
    ("addresses", "message"),
    [
        (["10.0.0.5"], "resolves to 10.0.0.5, a private network address"),
        (["93.184.216.34", "192.168.0.7"], "resolves to 192.168.0.7, a private network address"),
        (["169.254.169.254"], "resolves to 169.254.169.254, a cloud metadata endpoint"),
        (["::ffff:169.254.169.254"], "an IPv6 form of 169.254.169.254"),
        (["127.0.0.1"], "resolves to 127.0.0.1, a loopback address"),
        (["100.64.3.3"], "carrier-grade NAT"),
        (["fd00::5"], "unique local"),
    ],
)
def test_names_resolving_to_forbidden_addresses_are_refused(resolves_to, addresses, message):
    resolves_to(*addresses)
    with pytest.raises(UnsafeURLError) as caught:
        check_base_url("https://cx.example.com")
    assert message in caught.value.message


def test_name_resolving_to_public_addresses_passes(resolves_to):
    resolves_to("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
    assert check_base_url("https://cx.example.com") == "https://cx.example.com"


def test_localhost_must_resolve_to_loopback(resolves_to):
    resolves_to("127.0.0.1", "::1")
    assert check_base_url("http://localhost:8000") == "http://localhost:8000"
    resolves_to("10.0.0.1")
    with pytest.raises(UnsafeURLError, match="not a loopback address"):
        check_base_url("http://localhost:8000")


def test_failed_lookup_is_a_retryable_connection_error(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(RemoteError) as caught:
        resolve_checked(parse_base_url("https://cx.example.com"))
    assert caught.value.kind == "connection" and not caught.value.permanent
    assert not isinstance(caught.value, UnsafeURLError)
