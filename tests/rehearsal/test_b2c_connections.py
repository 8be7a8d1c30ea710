"""B2C Service connections from the environment and what the system adds to every exchange."""

import pytest

from orchestrator.remote.b2c_service import B2cServiceApi
from orchestrator.remote.connections import SANDBOX_BASE_URL, get_connection, list_connections
from orchestrator.remote.errors import ConnectionConfigError, RemoteError
from orchestrator.remote.systems import B2C_SERVICE

B2C = "b2c_service"
SITE = "https://site.custhelp.com/services/rest/connect/v1.4"


def test_default_is_the_sandbox_and_named_ones_need_basic_credentials():
    default = get_connection(environ={}, system=B2C)
    assert default.base_url == SANDBOX_BASE_URL and default.app_context == "Orchestrator rehearsal"
    env = {
        "B2C_CONNECTIONS": "eu",
        "B2C_EU_BASE_URL": SITE,
        "B2C_EU_USERNAME": "agent",
        "B2C_EU_PASSWORD": "pw-1234",
        "B2C_EU_APP_CONTEXT": "Rehearsals",
    }
    eu = get_connection("eu", environ=env, system=B2C)
    assert (eu.base_url, eu.auth_kind, eu.app_context, eu.api_url) == (SITE, "basic", "Rehearsals", SITE)
    assert [c.name for c in list_connections(env, system=B2C)] == ["default", "eu"]
    assert "pw-1234" not in repr(eu) and "pw-1234" not in str(eu.describe_safe())


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"B2C_BASE_URL": SITE}, "B2C_USERNAME and B2C_PASSWORD are not set"),
        ({"B2C_BASE_URL": SITE, "B2C_USERNAME": "a"}, "B2C_PASSWORD is not set"),
        (
            {"B2C_BASE_URL": "http://example.com/services/rest/connect/v1.4", "B2C_USERNAME": "a", "B2C_PASSWORD": "b"},
            "https",
        ),
        ({"B2C_APP_CONTEXT": "x" * 41}, "at most 40"),
        ({"B2C_CONNECTIONS": "eu"}, "B2C_EU_BASE_URL is not set"),
    ],
)
def test_bad_settings_name_the_variable_never_the_value(env, words):
    name = "eu" if "B2C_CONNECTIONS" in env else "default"
    with pytest.raises(ConnectionConfigError) as caught:
        get_connection(name, environ=env, system=B2C)
    assert words in caught.value.message and "b\u0000" not in caught.value.message


def test_headers_errors_and_the_pause_the_site_asks_for(b2c_server, sleeps):
    client = b2c_server.client(sleep=sleeps.append)
    api = B2cServiceApi(client)
    b2c_server.next_request_after_ms = 800
    task = api.create_task({"name": "One"})
    assert b2c_server.requests[-1].header("OSvC-CREST-Application-Context") == "Orchestrator rehearsal"
    assert b2c_server.requests[-1].header("Content-Type") == "application/json"
    assert api.find_task("ne")["id"] == task["id"] and api.find_task("Two") is None  # ROQL like '%…%'
    b2c_server.next_request_after_ms = None
    assert len(sleeps) == 2 and all(0.5 < s <= 0.8 for s in sleeps)
    with pytest.raises(RemoteError) as caught:
        api.create_task({"dueTime": "tomorrow"})
    assert caught.value.status == 400 and caught.value.permanent
    assert caught.value.details[0]["o:errorCode"] == "OSC-CREST-00012"
    assert "dueTime must be an ISO 8601" in caught.value.message
    assert api.delete_task(task["id"]) is True and api.delete_task(task["id"]) is False
    assert B2C_SERVICE.retry_wait(503, {"osvc-crest-next-request-after": "2500"}) == 2.5
    assert B2C_SERVICE.retry_wait(503, {"retry-after": "3", "osvc-crest-next-request-after": "2500"}) == 3.0
    client.close()
