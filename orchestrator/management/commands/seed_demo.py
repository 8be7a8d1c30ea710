"""Local demo data: the demo orchestration, the role groups and one login per role.

Safe to run on every start (`make run` does): the demo orchestration is
imported only when its number does not exist yet, so edits made in the
browser survive; `--reset` puts the original back. The built-in sandbox's
reference catalogue is filled (refresh plus the demo's file) while it is empty. Missing demo users are
created with the demo password; an existing account (the demo's own from an
earlier run, or a real `admin`) keeps its password, rights and groups unless
`--reset` asks for the demo's again.

The password is public (printed, documented), so the command refuses to run
with DJANGO_DEBUG=false, i.e. in production, unless `--force` says this is
really wanted.
"""

import json
import os

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from orchestrator.demo import DEMO_NUMBER, demo_catalogue_file, demo_document
from orchestrator.models import CatalogueEntry, Orchestration
from orchestrator.remote import ConnectionConfigError, get_connection
from orchestrator.roles import DESIGNER, PUBLISHER, REVIEWER, VIEWER, sync_role_groups
from orchestrator.services.catalogue import catalogue_refresh, catalogue_upload
from orchestrator.services.documents import DocumentInvalid, orchestration_import

DEFAULT_PASSWORD = "orchestrator-demo"  # noqa: S105 - local demo accounts, printed on purpose


def server_url() -> str:
    """Where `make run` serves: its HOST and PORT (passed on by the Makefile), 127.0.0.1:8000 by default."""
    host = os.environ.get("HOST") or "127.0.0.1"
    port = os.environ.get("PORT") or "8000"
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host  # an IPv6 literal
    return f"http://{shown}:{port}/"


# (username, role group or None for the superuser, what the role may do)
DEMO_USERS: tuple[tuple[str, str | None, str], ...] = (
    ("demo-viewer", VIEWER, "read every orchestration, its review and history; download its document"),
    ("demo-designer", DESIGNER, "create, edit, reorder, clone, archive, import and restore drafts; comment"),
    ("demo-reviewer", REVIEWER, "read, comment, request changes, approve (never their own change); rehearse"),
    (
        "demo-publisher",
        PUBLISHER,
        "read, comment, publish, promote, pull, sync to Outreach, rehearse, reset the sandbox",
    ),
    ("admin", None, "everything but approving its own change, and the admin site at /admin/"),
)


class Command(BaseCommand):
    help = "Create the demo orchestration (once), the role groups and one demo login per role, and print them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help=f"replace {DEMO_NUMBER} with the original demo even if it was edited, and give the demo "
            "accounts that exist already the demo password, rights and groups again",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="run even with DJANGO_DEBUG=false (production): the demo password is public",
        )

    def handle(self, *args, reset: bool, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo makes accounts with a public password, and DJANGO_DEBUG=false says this is production: "
                "nothing was changed. Run it with DJANGO_DEBUG=true on a local machine, or add --force."
            )
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        with transaction.atomic():
            sync_role_groups()
            users, kept = self.ensure_users(password, reset=reset)
            demo_line = self.ensure_demo(reset=reset, user=users["admin"])
        self.stdout.write(self.ensure_catalogue(user=users["admin"]))
        self.print_logins(password, demo_line, kept)

    def ensure_catalogue(self, *, user: User) -> str:
        """The built-in sandbox's catalogue (issue 11), so the designer shows names from the first visit.

        Only while the catalogue is empty: `make run` seeds on every start, and a refresh or a file
        someone made since must survive it.
        """
        if CatalogueEntry.objects.filter(connection_name="default").exists():
            return "Catalogue of the default connection already filled; left as it is."
        try:
            if not get_connection("default").is_sandbox:
                return "Catalogue: the default connection is a real pod; refresh it on the Connections page."
        except ConnectionConfigError as exc:
            return f"Catalogue not filled: {exc.message}"
        run = catalogue_refresh(connection_name="default", user=user)
        if run.status != "done":
            return f"Catalogue not filled: {run.message}"
        uploaded = catalogue_upload(connection_name="default", content=json.dumps(demo_catalogue_file()).encode())
        return f"Catalogue of the built-in sandbox: {run.message.removeprefix('Read ')} Uploaded {uploaded.summary}."

    def ensure_users(self, password: str, *, reset: bool) -> tuple[dict[str, User], set[str]]:
        """The demo accounts, and the usernames of the existing ones left as they are with another password."""
        groups = {group.name: group for group in Group.objects.filter(name__in=[VIEWER, DESIGNER, REVIEWER, PUBLISHER])}
        existing = {user.username: user for user in User.objects.filter(username__in=[u for u, _, _ in DEMO_USERS])}
        kept = set() if reset else set(existing)
        # One password hash shared by the demo accounts: hashing is slow on purpose, and keeping
        # the hash when the password did not change keeps everyone's browser session alive.
        hashes = {user.password for user in existing.values()}
        if len(existing) == len(DEMO_USERS) and len(hashes) == 1 and check_password(password, next(iter(hashes))):
            encoded = hashes.pop()
        else:
            encoded = make_password(password)
        users = {}
        for username, role, _ in DEMO_USERS:
            if username in kept:  # never overwrite an account's password or rights without --reset
                users[username] = existing[username]
                continue
            user = existing.get(username) or User(username=username)
            user.is_active = True
            user.is_staff = user.is_superuser = role is None
            user.password = encoded
            user.save()
            user.groups.set([groups[role]] if role else [])
            users[username] = user
        # An account left alone whose password is still the demo's is a login like any other.
        return users, {username for username in kept if existing[username].password != encoded}

    def ensure_demo(self, *, reset: bool, user: User) -> str:
        exists = Orchestration.objects.filter(number=DEMO_NUMBER).exists()
        if exists and not reset:
            return f"Demo orchestration {DEMO_NUMBER} already exists; left as it is (--reset restores the original)."
        try:
            result = orchestration_import(document=demo_document(), user=user)
        except DocumentInvalid as exc:  # the demo is tested; this only fires if someone broke it
            details = "; ".join(f"{path}: {message}" for path, message in exc.problems[:5])
            raise CommandError(f"The demo orchestration is invalid: {details}") from exc
        verb = "Restored" if exists else "Created"
        return f"{verb} demo orchestration {result.summary()}."

    def print_logins(self, password: str, demo_line: str, kept: set[str]) -> None:
        width = max(len(username) for username, _, _ in DEMO_USERS)
        lines = [
            "",
            demo_line,
            "",
            f"Orchestrator demo: open {server_url()} and sign in as one of",
            "",
        ]
        for username, role, can in DEMO_USERS:
            if username in kept:
                lines.append(f"  {username:<{width}}  existing account, left as it is (--reset gives it the demo's)")
            else:
                lines.append(f"  {username:<{width}}  password {password}  {role or 'Superuser':<10} {can}")
        lines += [
            "",
            "To try everything with one login, use admin; each demo-* login shows what its role alone may do.",
            "These are local demo accounts; set DEMO_PASSWORD to choose another password.",
            "",
        ]
        self.stdout.write("\n".join(lines))
