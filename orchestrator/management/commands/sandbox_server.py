"""`manage.py sandbox_server [--port N]`: serve the built-in sandbox's emulated remotes over loopback HTTP.

CX Sales under /crmRestApi/resources/11.13.18.05/…, Outreach under /api/v2/…,
over the same tables as the in-process sandbox (the sandbox page shows what
scripts write here; "Reset sandbox" empties both). Loopback only, no
credentials checked. Ctrl-C (or SIGTERM) stops it.
"""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from orchestrator.sandbox.server import SandboxServer

ENVIRONMENT = {"CX Sales": "CX_BASE_URL", "Outreach": "OUTREACH_BASE_URL"}


class Command(BaseCommand):
    help = (
        "Serve every emulated remote of the built-in sandbox on 127.0.0.1 (CX Sales under /crmRestApi/…, "
        "Outreach under /api/v2/…), so scripts and other tools can be pointed at it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8001, help="port on 127.0.0.1 (default %(default)s; 0: any)")
        parser.add_argument(
            "--rate-limit",
            type=int,
            default=0,
            help="Outreach requests allowed per hour before 429 (default: no limit)",
        )

    def handle(self, *args, port, rate_limit, **options):
        if not 0 <= port <= 65535:
            raise CommandError("--port must be from 0 to 65535.")
        try:
            server = SandboxServer(port=port, rate_limit=rate_limit or None)
        except OSError as exc:
            raise CommandError(f"Cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from exc
        stopped = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopped.set())
        server.start()
        self.stdout.write(f"Sandbox at {server.url} (Ctrl-C stops it)")
        for label, where, base_url in server.endpoints():
            self.stdout.write(f"  {label:<9} {where}   {ENVIRONMENT.get(label, 'base URL')}={base_url}")
        self.stdout.flush()
        stopped.wait()
        server.stop()
        self.stdout.write("Sandbox server stopped.")
