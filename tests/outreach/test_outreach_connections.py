"""Outreach connections from the environment: the sandbox by default, named ones, the token, the URL rules."""

import pytest

from orchestrator.remote.connections import SANDBOX_BASE_URL, Connection, get_connection, list_connections
from orchestrator.remote.errors import ConnectionConfigError, UnsafeURLError
from orchestrator.selectors_outreach import outreach_connections

TOKEN = "outreach-SENTINEL-b41c"


def test_unset_base_url_means_the_builtin_sandbox():
    conn = get_connection(environ={}, system="outreach")
    assert conn == Connection(name="default", base_url=SANDBOX_BASE_URL, system="outreach")
    assert conn.is_sandbox and conn.auth_kind == "none" and conn.api_url == "sandbox://builtin/api/v2"


def test_default_and_named_connections():
    env = {
        "OUTREACH_BASE_URL": "https://api.outreach.io/api/v2",
        "OUTREACH_TOKEN": TOKEN,
        "OUTREACH_CONNECTIONS": "eu, US ,eu",
        "OUTREACH_EU_BASE_URL": "https://eu.example.com/api/v2/",
        "OUTREACH_EU_TOKEN": TOKEN + "-eu",
        "OUTREACH_US_BASE_URL": "http://127.0.0.1:8001",
        "OUTREACH_US_TOKEN": TOKEN + "-us",
    }
    connections = list_connections(env, system="outreach")
    assert [(c.name, c.base_url) for c in connections] == [
        ("default", "https://api.outreach.io/api/v2"),
        ("eu", "https://eu.example.com/api/v2"),
        ("us", "http://127.0.0.1:8001/api/v2"),
    ]
    assert {c.auth_kind for c in connections} == {"bearer"} and {c.system for c in connections} == {"outreach"}
    assert get_connection("EU", env, system="outreach").token == TOKEN + "-eu"


def test_outreach_and_cx_connections_do_not_mix():
    env = {"CX_CONNECTIONS": "prod", "CX_PROD_BASE_URL": "https://cx.example.com", "OUTREACH_CONNECTIONS": "eu"}
    with pytest.raises(ConnectionConfigError, match="Unknown Outreach connection 'prod'; configured: default, eu"):
        get_connection("prod", env, system="outreach")
    assert get_connection("prod", env).system == "cx_sales"


def test_the_token_is_never_shown():
    conn = get_connection(
        environ={"OUTREACH_BASE_URL": "https://api.outreach.io", "OUTREACH_TOKEN": TOKEN}, system="outreach"
    )
    shown = repr(conn) + str(conn) + repr(conn.describe_safe())
    assert TOKEN not in shown
    assert conn.describe_safe() == {
        "name": "default",
        "system": "outreach",
        "base_url": "https://api.outreach.io/api/v2",
        "auth_kind": "bearer",
    }
    assert TOKEN in conn.secrets()  # with its encoded spellings (F8)


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"OUTREACH_BASE_URL": "https://api.outreach.io/api/v2"}, "OUTREACH_TOKEN is not set"),
        ({"OUTREACH_CONNECTIONS": "eu"}, "OUTREACH_EU_BASE_URL is not set"),
        ({"OUTREACH_CONNECTIONS": "default"}, "must not list 'default'"),
        ({"OUTREACH_CONNECTIONS": "9lives"}, "not a valid connection name"),
        ({"OUTREACH_BASE_URL": "https://x.example.com/api/v2", "OUTREACH_TOKEN": "a\nb"}, "control character"),
    ],
)
def test_unusable_settings_name_the_variable(env, words):
    with pytest.raises(ConnectionConfigError, match=words):
        list_connections(env, system="outreach")


@pytest.mark.parametrize(
    "url", ["https://api.outreach.io/api/v1", "http://api.outreach.io/api/v2", "https://169.254.169.254/api/v2"]
)
def test_base_urls_follow_the_safety_rules(url):
    with pytest.raises(UnsafeURLError):
        get_connection(environ={"OUTREACH_BASE_URL": url, "OUTREACH_TOKEN": TOKEN}, system="outreach")


def test_the_overview_lists_a_broken_connection_with_its_error_beside_the_good_ones():
    env = {
        "OUTREACH_CONNECTIONS": "eu,us",
        "OUTREACH_EU_BASE_URL": "https://eu.example.com/api/v2",
        "OUTREACH_EU_TOKEN": TOKEN,
        "OUTREACH_US_BASE_URL": "https://us.example.com/api/v2",
    }
    overview = outreach_connections(env)
    assert [(i.name, i.usable, i.system) for i in overview] == [
        ("default", True, "outreach"),
        ("eu", True, "outreach"),
        ("us", False, "outreach"),
    ]
    assert "OUTREACH_US_TOKEN is not set" in overview[2].error and TOKEN not in repr(overview)
    assert overview[0].is_sandbox and overview[0].label == "default (built-in sandbox)"
