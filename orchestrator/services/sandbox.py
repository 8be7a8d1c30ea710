"""The built-in sandbox as the app's screens change it: emptying it.

The sandbox's storage and its own reset live in `remote/sandbox_store.py`;
views do not import `remote/`, so the "Reset sandbox" button calls this.
"""

import logging
import os

from django.db import transaction

from ..models import OutreachStageLink, PublishedStage
from ..remote import list_connections
from ..remote.errors import ConnectionConfigError
from ..remote.sandbox_store import sandbox_reset as store_reset
from ..remote.systems import CX_SALES, OUTREACH

logger = logging.getLogger(__name__)


def _sandbox_connection_names(system: str = CX_SALES.key) -> list[str]:
    try:
        return [c.name for c in list_connections(system=system) if c.is_sandbox]
    except ConnectionConfigError:
        # Broken settings elsewhere: "default" is the sandbox whenever <PREFIX>_BASE_URL is unset.
        prefix = "CX" if system == CX_SALES.key else "OUTREACH"
        return [] if os.environ.get(f"{prefix}_BASE_URL") else ["default"]


def sandbox_reset(*, user=None) -> dict[str, int]:
    """Empty the built-in sandbox (every emulated remote) and forget what it was recorded to hold.

    Besides the sandbox's own tables, drops the `PublishedStage` records of the
    CX connections that point at the sandbox (they said "this stage is there,
    unchanged", which is no longer true, and the publish page plans from
    them) and the remembered Outreach ids of the Outreach connections that do.
    Returns {"orchestrations": n, "stages": n, "outreach_stages": n} removed.
    """
    names = _sandbox_connection_names()
    outreach_names = _sandbox_connection_names(OUTREACH.key)
    with transaction.atomic():
        removed = store_reset()
        PublishedStage.objects.filter(connection_name__in=names).delete()
        OutreachStageLink.objects.filter(connection_name__in=outreach_names).delete()
    who = user.get_username() if user is not None else "someone"
    logger.info(
        "sandbox reset by %s: %s orchestration(s), %s stage(s), %s Outreach stage(s)",
        who,
        removed["orchestrations"],
        removed["stages"],
        removed["outreach_stages"],
    )
    return removed
