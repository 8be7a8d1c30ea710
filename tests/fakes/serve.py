"""Run the fake CX Sales server as a process, for scripts (.ci/publish-smoke) and manual tries.

    python -m tests.fakes.serve --print-url --username u --password p --log /tmp/requests.jsonl
    python -m tests.fakes.serve --print-url --profile strict

Binds 127.0.0.1 on a free port, prints its base URL as the first line of
stdout once it accepts connections, and serves until SIGTERM or Ctrl-C. With
`--log`, every request that reaches the emulator (credentials accepted) is
appended to the file as one JSON line ({"method", "path", "status"}) before
the reply is sent, so a script that reads the log after a command finished
sees every request that command made.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from orchestrator.remote.emulator_profiles import PROFILES

from .cx_server import PASSWORD, USERNAME, FakeCxServer


def _log_requests(server: FakeCxServer, path: Path) -> None:
    handle = server.emulator.handle
    lock = threading.Lock()

    def logged(method: str, url_path: str, query: Any, headers: Any, body: bytes):
        status, reply_headers, reply_body = handle(method, url_path, query, headers, body)
        with lock, path.open("a", encoding="utf-8") as log:
            log.write(json.dumps({"method": method, "path": url_path, "status": status}) + "\n")
        return status, reply_headers, reply_body

    server.emulator.handle = logged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--print-url", action="store_true", help="print the base URL on the first line of stdout")
    parser.add_argument("--username", default=USERNAME)
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--token", default="", help="accept this Bearer token instead of Basic credentials")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    parser.add_argument("--log", type=Path, help="append one JSON line per handled request to this file")
    parser.add_argument(
        "--profile", choices=sorted(PROFILES), default="documented", help="the pod profile to play (default documented)"
    )
    args = parser.parse_args(argv)

    server = FakeCxServer(username=args.username, password=args.password, token=args.token, profile=args.profile)
    server.latency = args.latency
    if args.log:
        _log_requests(server, args.log)
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    server.start()
    if args.print_url:
        print(server.url, flush=True)
    else:
        print(f"fake CX Sales ({args.profile}) at {server.url} (Ctrl-C stops it)", file=sys.stderr, flush=True)
    stopped.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
