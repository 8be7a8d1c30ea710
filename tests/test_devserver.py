"""The development and test servers send without Nagle's delay (orchestrator.devserver), as gunicorn does."""

import socket

from django.core.management import get_commands, load_command_class
from django.core.servers.basehttp import WSGIRequestHandler
from django.test.testcases import LiveServerThread

from orchestrator.devserver import DevServer, ThreadedDevServer


def _accepted_nodelay(server_class) -> int:
    server = server_class(("127.0.0.1", 0), WSGIRequestHandler)
    client = socket.create_connection(server.server_address[:2])
    try:
        accepted, _ = server.get_request()
        try:
            return accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        finally:
            accepted.close()
    finally:
        client.close()
        server.server_close()


def test_connections_accepted_by_the_dev_servers_have_nagle_off():
    assert _accepted_nodelay(DevServer) == 1
    assert _accepted_nodelay(ThreadedDevServer) == 1


def test_django_own_server_leaves_nagle_on_which_is_why_ours_exists():
    from django.core.servers.basehttp import WSGIServer

    assert _accepted_nodelay(WSGIServer) == 0


def test_runserver_is_ours_and_still_leaves_static_files_to_whitenoise():
    assert get_commands()["runserver"] == "orchestrator"
    command = load_command_class("orchestrator", "runserver")
    assert command.server_cls is DevServer
    parser = command.create_parser("manage.py", "runserver")
    assert parser.get_default("use_static_handler") is False  # WhiteNoise's --nostatic default kept


def test_the_browser_tests_live_server_is_the_threaded_one():
    assert LiveServerThread.server_class is ThreadedDevServer
