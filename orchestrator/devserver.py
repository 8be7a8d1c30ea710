"""The development server (`make run`, `manage.py runserver`) with Nagle's algorithm off, as gunicorn has it.

Django's server writes a response's headers and its body as two sends. On
a kept-alive connection the body then waits for the browser to acknowledge
the headers, and Linux delays that acknowledgement by up to 40 ms: a 2 KB
HTMX fragment the app built in 20 ms reached Chromium after 75 ms (issue
13's save → visible figure; python/cpython#108736 is the same stall in
http.server). gunicorn, which `make serve-prod` runs, sets TCP_NODELAY on
its listening socket; the fakes and the built-in sandbox already set it.
"""

import socket

from django.core.servers.basehttp import ThreadedWSGIServer, WSGIServer


class NoDelay:
    """A socketserver mixin: every accepted connection sends each write at once (TCP_NODELAY)."""

    def get_request(self):
        connection, address = super().get_request()
        if connection.family in (socket.AF_INET, socket.AF_INET6):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


class DevServer(NoDelay, WSGIServer):
    """runserver's server class (runserver adds the threading itself)."""


class ThreadedDevServer(NoDelay, ThreadedWSGIServer):
    """The live server of the browser tests and benchmarks: answers like production does."""
