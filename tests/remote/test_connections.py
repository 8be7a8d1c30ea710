"""Connections from the environment: defaults, named ones, validation, no secrets shown."""

import base64

import pytest

from orchestrator.remote.connections import SANDBOX_BASE_URL, Connection, get_connection, list_connections
from orchestrator.remote.errors import ConnectionConfigError, UnsafeURLError

SECRET = "pw-SENTINEL-7f3a"
TOKEN = "tok-SENTINEL-9c21"


def test_unset_base_url_means_builtin_sandbox():
    conn = get_connection(environ={})
    assert conn == Connection(name="default", base_url=SANDBOX_BASE_URL)
    assert conn.is_sandbox and conn.auth_kind == "none" and conn.framework_version == "4"


def test_default_connection_with_basic_auth():
    env = {
        "CX_BASE_URL": "https://cx.example.com/",
        "CX_USERNAME": "integration.user",
        "CX_PASSWORD": SECRET,
        "CX_REST_FRAMEWORK_VERSION": "7",
        "CX_METADATA_CONTEXT": "Orchestrations_Sandbox",
    }
    conn = get_connection(environ=env)
    assert conn.base_url == "https://cx.example.com"  # trailing slash dropped
    assert conn.auth_kind == "basic" and not conn.is_sandbox
    assert conn.framework_version == "7"
    assert conn.metadata_context == "Orchestrations_Sandbox"


def test_token_wins_over_basic():
    env = {"CX_BASE_URL": "https://cx.example.com", "CX_USERNAME": "u", "CX_PASSWORD": SECRET, "CX_TOKEN": TOKEN}
    assert get_connection(environ=env).auth_kind == "bearer"


def test_secrets_never_shown():
    conn = get_connection(
        environ={"CX_BASE_URL": "https://cx.example.com", "CX_USERNAME": "u", "CX_PASSWORD": SECRET, "CX_TOKEN": TOKEN}
    )
    shown = repr(conn) + str(conn) + repr(conn.describe_safe())
    assert SECRET not in shown and TOKEN not in shown
    assert conn.describe_safe() == {
        "name": "default",
        "base_url": "https://cx.example.com",
        "auth_kind": "bearer",
        "framework_version": "4",
        "metadata_context": "",
    }
    assert SECRET in conn.secrets() and TOKEN in conn.secrets()
    assert base64.b64encode(f"u:{SECRET}".encode()).decode() in conn.secrets()  # what Basic sends


def test_named_connections_listed_default_first():
    env = {
        "CX_CONNECTIONS": " dev, PROD ,dev",
        "CX_DEV_BASE_URL": "http://127.0.0.1:8123",
        "CX_DEV_TOKEN": TOKEN,
        "CX_PROD_BASE_URL": "https://prod.example.com",
        "CX_PROD_USERNAME": "svc",
        "CX_PROD_PASSWORD": SECRET,
    }
    names = [c.name for c in list_connections(env)]
    assert names == ["default", "dev", "prod"]
    dev = get_connection("dev", env)
    assert dev.base_url == "http://127.0.0.1:8123" and dev.auth_kind == "bearer"
    assert get_connection("PROD", env).username == "svc"


def test_named_connection_may_be_the_sandbox():
    env = {"CX_CONNECTIONS": "demo", "CX_DEMO_BASE_URL": SANDBOX_BASE_URL}
    assert get_connection("demo", env).is_sandbox


def test_reads_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("CX_BASE_URL", "https://cx.example.com")
    monkeypatch.delenv("CX_USERNAME", raising=False)
    monkeypatch.delenv("CX_PASSWORD", raising=False)
    monkeypatch.delenv("CX_TOKEN", raising=False)
    assert get_connection().base_url == "https://cx.example.com"


@pytest.mark.parametrize(
    ("name", "env", "message"),
    [
        ("staging", {"CX_CONNECTIONS": "dev"}, "Unknown connection 'staging'; configured: default, dev."),
        ("dev", {"CX_CONNECTIONS": "dev"}, "CX_DEV_BASE_URL is not set"),
        ("default", {"CX_CONNECTIONS": "default"}, "must not list 'default'"),
        ("default", {"CX_CONNECTIONS": "9lives"}, "not a valid connection name"),
        ("default", {"CX_BASE_URL": "https://cx.example.com", "CX_USERNAME": "u"}, "CX_PASSWORD is not set"),
        ("default", {"CX_BASE_URL": "https://cx.example.com", "CX_PASSWORD": SECRET}, "CX_USERNAME is not set"),
        ("default", {"CX_USERNAME": "a:b", "CX_PASSWORD": SECRET}, "must not contain ':'"),
        ("default", {"CX_TOKEN": "abc\r\nX-Evil: 1"}, "CX_TOKEN contains a control character"),
        ("default", {"CX_REST_FRAMEWORK_VERSION": "10"}, "must be an integer from 1 to 9, not '10'"),
        ("default", {"CX_REST_FRAMEWORK_VERSION": "0"}, "must be an integer from 1 to 9"),
        ("default", {"CX_REST_FRAMEWORK_VERSION": "v4"}, "must be an integer from 1 to 9"),
        ("default", {"CX_METADATA_CONTEXT": 'x" , evil="1'}, "must be a sandbox name"),
    ],
)
def test_bad_configuration_is_refused_with_a_clear_message(name, env, message):
    with pytest.raises(ConnectionConfigError) as caught:
        get_connection(name, env)
    assert message in caught.value.message
    assert caught.value.permanent and caught.value.kind == "config"
    assert SECRET not in caught.value.message


def test_unsafe_base_url_names_the_connection_but_not_the_password():
    env = {"CX_CONNECTIONS": "prod", "CX_PROD_BASE_URL": f"https://admin:{SECRET}@cx.example.com"}
    with pytest.raises(UnsafeURLError) as caught:
        get_connection("prod", env)
    assert caught.value.message.startswith("Connection 'prod' (CX_PROD_BASE_URL): Refused base URL")
    assert SECRET not in str(caught.value) + repr(caught.value)
    with pytest.raises(UnsafeURLError):
        list_connections(env)


def test_reading_settings_does_no_dns(monkeypatch):
    import socket

    def forbidden(*args, **kwargs):
        raise AssertionError("DNS used while reading settings")

    monkeypatch.setattr(socket, "getaddrinfo", forbidden)
    assert get_connection(environ={"CX_BASE_URL": "https://cx.example.com"}).base_url == "https://cx.example.com"


# -- per-pod adaptations (issue 7) ------------------------------------------------------------------------------------

BASE = {"CX_BASE_URL": "https://cx.example.com"}


def test_field_names_codes_and_header_defaults_are_read_per_connection():
    env = {
        **BASE,
        "CX_FIELD_NAMES": '{"Stages.StageName": "OrchestrationStageName"}',
        "CX_CODES": '{"StepTasks.AssignedTo": {"TEAM_MEMBER": "TEAM MEMBER"}}',
        "CX_HEADER_DEFAULTS": '{"StatusCode": "DRAFT", "AssociationRankDefault": 3}',
        "CX_CONNECTIONS": "prod",
        "CX_PROD_BASE_URL": "https://prod.example.com",
        "CX_PROD_FIELD_NAMES": '{"Steps.OrchestrationStepName": "StepName"}',
    }
    default, prod = list_connections(env)
    assert default.field_names == {"Stages.StageName": "OrchestrationStageName"}
    assert default.codes == {"StepTasks.AssignedTo": {"TEAM_MEMBER": "TEAM MEMBER"}}
    assert default.header_defaults == {"StatusCode": "DRAFT", "AssociationRankDefault": 3}
    assert prod.field_names == {"Steps.OrchestrationStepName": "StepName"} and prod.codes == {}
    assert default.adaptations()["codes"] == {"StepTasks.AssignedTo": {"TEAM_MEMBER": "TEAM MEMBER"}}


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CX_FIELD_NAMES", "{not json", r"CX_FIELD_NAMES is not valid JSON"),
        ("CX_FIELD_NAMES", '["Stages.StageName"]', r"CX_FIELD_NAMES must be a JSON object"),
        ("CX_FIELD_NAMES", '{"Stage.StageName": "X"}', r"'Stage' is not a resource; use one of orchestrations, Stages"),
        ("CX_FIELD_NAMES", '{"Stages.Name": "X"}', r"the contract sends no attribute 'Name' on Stages"),
        ("CX_FIELD_NAMES", '{"Stages.StageName": "Stage Name"}', r"must be an attribute name"),
        ("CX_CODES", '{"Steps.StepType": {"TASKS": "ORA_TASK"}}', r"maps TASKS, which is not one of our codes"),
        ("CX_CODES", '{"Steps.StepType": "ORA_TASK"}', r"must map our codes to the pod's"),
        ("CX_CODES", '{"Steps.StepType": {"TASK": "X", "WAIT": "X"}}', r"maps two of our codes to 'X'"),
        ("CX_HEADER_DEFAULTS", '{"Status Code": "DRAFT"}', r"is not an attribute name of the pod"),
        ("CX_HEADER_DEFAULTS", '{"StatusCode": {"a": 1}}', r"must be a string, a number or true/false"),
    ],
)
def test_bad_adaptations_name_the_variable_and_what_is_wrong(variable, value, message):
    with pytest.raises(ConnectionConfigError, match=message) as caught:
        get_connection(environ={**BASE, variable: value})
    assert variable in caught.value.message


# -- the approval gate (issue 10, item 2) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "name", "required"),
    [
        ({}, "default", False),  # the built-in sandbox: harmless, ungated by default
        (BASE, "default", True),  # a real pod: gated by default
        ({**BASE, "CX_REQUIRE_APPROVAL": "false"}, "default", False),
        ({"CX_REQUIRE_APPROVAL": "true"}, "default", True),  # the sandbox may be gated too
        ({"CX_CONNECTIONS": "dev", "CX_DEV_BASE_URL": "https://dev.example.com"}, "dev", True),
        (
            {"CX_CONNECTIONS": "dev", "CX_DEV_BASE_URL": "https://dev.example.com", "CX_DEV_REQUIRE_APPROVAL": "No"},
            "dev",
            False,
        ),
        (
            {"CX_CONNECTIONS": "demo", "CX_DEMO_BASE_URL": SANDBOX_BASE_URL, "CX_DEMO_REQUIRE_APPROVAL": "1"},
            "demo",
            True,
        ),
        # One connection's setting does not leak into another's.
        (
            {
                **BASE,
                "CX_REQUIRE_APPROVAL": "false",
                "CX_CONNECTIONS": "prod",
                "CX_PROD_BASE_URL": "https://p.example.com",
            },
            "prod",
            True,
        ),
    ],
)
def test_require_approval_defaults_to_gated_except_the_builtin_sandbox(env, name, required):
    assert get_connection(name, env).require_approval is required


def test_a_bad_require_approval_value_names_the_variable():
    env = {"CX_CONNECTIONS": "prod", "CX_PROD_BASE_URL": "https://p.example.com", "CX_PROD_REQUIRE_APPROVAL": "maybe"}
    with pytest.raises(ConnectionConfigError) as caught:
        get_connection("prod", env)
    assert caught.value.message == "Connection 'prod': CX_PROD_REQUIRE_APPROVAL must be true or false, not 'maybe'."
