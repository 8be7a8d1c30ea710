import pytest

from orchestrator.roles import DESIGNER, PUBLISHER, REVIEWER, VIEWER
from tests.factories import build_orchestration, make_user

pytest_plugins = ["tests.fakes.fixtures"]  # cx_server and the other remote fakes


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
