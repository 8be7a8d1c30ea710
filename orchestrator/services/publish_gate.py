"""The approval gate before a publish starts (issue 10, item 2).

A connection either requires an approval of exactly the content it receives
(`CX_<NAME>_REQUIRE_APPROVAL`, the default for every connection but the
built-in sandbox) or it does not. `publish_gate(tree, connection)` says,
before any request:

- gated and approved: go;
- gated and not approved (never, an earlier content, or changes requested):
  refused, with the reason — the browser shows it instead of the Publish
  button, the CLI exits 2;
- not gated and not approved: allowed after a confirmation that names what
  is not approved (a ticked box in the browser, `--yes` or an answer on a
  terminal in the CLI).

Whoever starts the run pins the content hash the gate judged
(`PublishRun.content_hash`); the worker refuses to send a draft that changed
in between, so what goes out is what was approved (or confirmed).
"""

from dataclasses import dataclass

from django.utils import timezone

from ..models import Orchestration
from ..remote import ConnectionConfigError, get_connection
from .changes import change_summary
from .documents import orchestration_document
from .history import revision_document, revision_with_hash
from .review import APPROVED, CHANGED_SINCE, CHANGES_REQUESTED, ReviewState, review_state


class PublishGateRefused(Exception):
    """Not started: `message` says why; `field` is the form field it belongs beside ("" for the form)."""

    def __init__(self, message: str, *, field: str = "", status: int = 409):
        self.message = message
        self.field = field
        self.status = status
        super().__init__(message)


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _who(user) -> str:
    return user.get_username() if user is not None else "a deleted user"


def unapproved_reason(tree: Orchestration, state: ReviewState) -> str:
    """What is not approved about the draft's content, as a sentence; "" when it is approved."""
    if state.kind == APPROVED:
        return ""
    if state.kind == CHANGES_REQUESTED:
        request = state.change_request
        body = request.body if len(request.body) <= 120 else request.body[:119] + "…"
        return f"{_who(request.author)} requested changes on {_when(request.created_at)}: “{body}”"
    if state.kind == CHANGED_SINCE:
        approval = state.approval
        reason = f"it changed since {_who(approval.reviewer)} approved it on {_when(approval.created_at)}"
        approved = revision_with_hash(tree, approval.content_hash)
        if approved is not None:
            changes = change_summary(revision_document(approved), orchestration_document(tree))
            reason += f" ({changes.one_line().rstrip('.')})"
        return reason
    return "nobody has approved this content yet"


@dataclass(frozen=True)
class PublishGate:
    """Whether a publish of the draft's current content to one connection may start."""

    connection_name: str
    required: bool
    state: ReviewState
    unapproved: str  # what is not approved, "" when the content is

    @property
    def content_hash(self) -> str:
        return self.state.content_hash

    @property
    def allowed(self) -> bool:
        """True when no confirmation is needed either."""
        return self.state.approved

    @property
    def refused(self) -> bool:
        return self.required and not self.state.approved

    @property
    def needs_confirmation(self) -> bool:
        return not self.required and not self.state.approved

    @property
    def refusal(self) -> str:
        return (
            f"Not published: connection {self.connection_name} requires an approval of exactly the content it "
            f"receives, and {self.unapproved}. Nothing was sent."
        )

    @property
    def confirmation(self) -> str:
        """The sentence a publisher confirms on an ungated connection."""
        what = self.unapproved[0].upper() + self.unapproved[1:]
        return f"{what}. Publish it anyway? ({self.connection_name} does not require an approval.)"

    def check(self, *, confirmed: bool) -> None:
        """Raise PublishGateRefused unless the publish may start (`confirmed`: the publisher confirmed)."""
        if self.refused:
            raise PublishGateRefused(self.refusal, status=409)
        if self.needs_confirmation and not confirmed:
            raise PublishGateRefused(
                f"Confirm first: {self.unapproved}; tick the box to publish it to {self.connection_name} anyway.",
                field="confirm_unapproved",
                status=422,
            )


def connection_requires_approval(connection_name: str) -> bool:
    """The connection's setting; a connection that cannot be read counts as gated (its publish fails anyway)."""
    try:
        return get_connection(connection_name).require_approval
    except ConnectionConfigError:
        return True


def publish_gate(tree: Orchestration, connection_name: str, *, state: ReviewState | None = None) -> PublishGate:
    """The gate for publishing the prefetched `tree` to `connection_name` (2 or 3 queries, no request)."""
    state = state or review_state(tree)
    return PublishGate(
        connection_name=connection_name,
        required=connection_requires_approval(connection_name),
        state=state,
        unapproved=unapproved_reason(tree, state),
    )
