import pytest
from django.db import connection
from django.test.testcases import LiveServerThread

from orchestrator.devserver import ThreadedDevServer
from orchestrator.roles import DESIGNER, PUBLISHER, REVIEWER, VIEWER
from tests.factories import build_orchestration, make_user

pytest_plugins = ["tests.fakes.fixtures"]  # cx_server and the other remote fakes

# pytest-django's live_server is Django's LiveServerThread; pytest-django has no setting for its server class.
# Ours sends without Nagle's delay, as gunicorn does in production: otherwise a kept-alive HTMX answer can wait
# 40 ms for the browser's delayed ACK, which the browser tests and the save → visible benchmark would count.
LiveServerThread.server_class = ThreadedDevServer


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL, keep autovacuum off the test database's tables.

    Every test writes inside a transaction that is rolled back, so autovacuum
    keeps analyzing tables that are empty again; the planner then takes them
    for one-row tables and joins thousands of rows with nested loops inside
    the next large test (one query-count test went from 4 s to 115 s, and CI's
    PostgreSQL run from about 2 to 16 minutes).
    """
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        for (table,) in cursor.fetchall():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"ALTER TABLE {quoted} SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)")


@pytest.fixture
def viewer(db):
    return make_user(VIEWER)


@pytest.fixture
def designer(db):
    return make_user(DESIGNER)


@pytest.fixture
def reviewer(db):
    return make_user(REVIEWER)


@pytest.fixture
def publisher(db):
    return make_user(PUBLISHER)


@pytest.fixture
def admin_user(db):
    return make_user(superuser=True, username="root")


@pytest.fixture
def orchestration(db):
    return build_orchestration(stages=3)


@pytest.fixture
def designer_client(client, designer):
    client.force_login(designer)
    return client


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client
