"""The client address the login lockout counts failures by (issue 12, F11).

Behind the TLS proxy the README asks for, REMOTE_ADDR is the proxy's for
every client, so five bad logins for a username locked everyone out of it.
With TRUSTED_PROXY_COUNT proxies in front, each appending the address it
received the request from to X-Forwarded-For, the client is the entry that
many places from the right; what a client writes into the header itself is
further left and never counts. Unset (0), the header is ignored entirely.
"""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from orchestrator import roles
from orchestrator.client_address import client_address
from tests.factories import make_user

PROXY = "10.0.0.1"


def _request(forwarded_for: str | None = None, remote: str = PROXY):
    meta = {"REMOTE_ADDR": remote}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    ("count", "forwarded_for", "expected"),
    [
        (0, "198.51.100.7", PROXY),  # no trusted proxy: the header is the client's word, ignored
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client's own entry is left of the proxy's
        (1, " 6.6.6.6 ,2001:db8::7 ", "2001:db8::7"),
        (2, "6.6.6.6, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        (2, "198.51.100.7", PROXY),  # fewer entries than proxies: not through them, REMOTE_ADDR stands
        (1, None, PROXY),
        (1, "not-an-address", PROXY),
        (1, "", PROXY),
    ],
)
def test_F11_the_client_address_comes_from_the_trusted_proxies(settings, count, forwarded_for, expected):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_address(_request(forwarded_for)) == expected


def _login(client, user, password, forwarded_for):
    return client.post(
        reverse("login"), {"username": user.username, "password": password}, HTTP_X_FORWARDED_FOR=forwarded_for
    )


@pytest.mark.django_db
def test_F11_behind_a_proxy_one_client_locking_itself_out_locks_no_one_else(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    user = make_user(roles.DESIGNER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, user, "wrong", "198.51.100.7")
    assert _login(client, user, "pw-for-tests-only", "198.51.100.7").status_code == 429
    # Another client, the same proxy address: still free to log in.
    assert _login(client, user, "pw-for-tests-only", "203.0.113.9").status_code == 302


@pytest.mark.django_db
def test_F11_rotating_a_spoofed_forwarded_for_does_not_escape_the_lockout(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    user = make_user(roles.DESIGNER)
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, user, "wrong", f"6.6.6.{attempt}, 198.51.100.7")
    assert _login(client, user, "pw-for-tests-only", "6.6.6.200, 198.51.100.7").status_code == 429


@pytest.mark.django_db
def test_F11_without_a_trusted_proxy_the_header_changes_nothing(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    user = make_user(roles.DESIGNER)
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, user, "wrong", f"198.51.100.{attempt}")
    assert _login(client, user, "pw-for-tests-only", "203.0.113.9").status_code == 429


def test_F11_a_negative_proxy_count_refuses_to_start():
    from tests.test_settings import _manage

    result = _manage("check", DJANGO_DEBUG="true", TRUSTED_PROXY_COUNT="-1")
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT must be 0" in result.stderr
