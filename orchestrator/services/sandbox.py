"""The built-in sandbox as the app's screens change it: emptying it.

The sandbox's storage and its own reset live in `remote/sandbox_store.py`;
views do not import `remote/`, so the "Reset sandbox" button calls this.
"""

import logging
import os

from django.db import transaction

from ..models import PublishedStage
from ..remote import list_connections
from ..remote.errors import ConnectionConfigError
from ..remote.sandbox_store import sandbox_reset as store_reset

logger = logging.getLogger(__name__)


def _sandbox_connection_names() -> list[str]:
    try:
        return [c.name for c in list_connections() if c.is_sandbox]
    except ConnectionConfigError:
        # Broken settings elsewhere: "default" is the sandbox whenever CX_BASE_URL is unset.
        return [] if os.environ.get("CX_BASE_URL") else ["default"]


def sandbox_reset(*, user=None) -> dict[str, int]:
    """Empty the built-in sandbox and forget what it was recorded to hold.

    Besides the sandbox's own tables, drops the `PublishedStage` records of the
    connections that point at the sandbox: they said "this stage is there,
    unchanged", which is no longer true, and the publish page plans from them.
    Returns {"orchestrations": n, "stages": n} removed from the sandbox.
    """
    names = _sandbox_connection_names()
    with transaction.atomic():
        removed = store_reset()
        PublishedStage.objects.filter(connection_name__in=names).delete()
    who = user.get_username() if user is not None else "someone"
    logger.info(
        "sandbox reset by %s: %s orchestration(s), %s stage(s)", who, removed["orchestrations"], removed["stages"]
    )
    return removed
