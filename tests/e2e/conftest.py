"""Browser tests: Debian's Chromium driven by Playwright against live_server.

No browser download is possible here, so Playwright launches the system
Chromium with flags that keep it off the network.
"""

import contextlib
import os
import shutil
import threading
import time

import pytest
from django.core.signals import request_finished, request_started

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(items):
    # This hook sees the whole session's items: mark only the ones in this folder.
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--disable-dev-shm-usage",
        ],
    }


@pytest.fixture
def login(page, live_server):
    """Log in through the real form; returns a function taking a user."""

    def _login(user, password="pw-for-tests-only"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/orchestrations/")
        return page

    return _login


class _InFlight:
    """Requests the live server is still serving (Django's request_started / request_finished)."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def started(self, **kwargs) -> None:
        with self.lock:
            self.count += 1

    def finished(self, **kwargs) -> None:
        with self.lock:
            self.count -= 1


@pytest.fixture(autouse=True)
def _live_server_quiet_before_the_flush(request):
    """At the end of a browser test: stop the page, then wait for the server's last request to finish.

    A test may end while a request its last action started (an HTMX swap's
    follow-up, a poll) is still being served; the flush of the test database
    then meets that request's open SQLite cursor ("database table is locked")
    and the test errors at teardown. Requested here so this teardown runs
    before the page's and the database's.
    """
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("live_server")
    page = request.getfixturevalue("page") if "page" in request.fixturenames else None
    in_flight = _InFlight()
    request_started.connect(in_flight.started, dispatch_uid="e2e-in-flight-started")
    request_finished.connect(in_flight.finished, dispatch_uid="e2e-in-flight-finished")
    try:
        yield
    finally:
        if page is not None and not page.is_closed():
            with contextlib.suppress(Exception):  # a page that refuses to leave (beforeunload) still waits below
                page.goto("about:blank", timeout=5000)  # no more requests from the page's scripts
        deadline = time.monotonic() + 10
        while in_flight.count > 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        request_started.disconnect(dispatch_uid="e2e-in-flight-started")
        request_finished.disconnect(dispatch_uid="e2e-in-flight-finished")
