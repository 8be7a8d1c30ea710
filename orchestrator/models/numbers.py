"""Public numbers: the client-assigned alternate keys of payload-contract §1.

Every object gets its number when it is created locally and keeps it for good.
The number is what makes a publish idempotent (upsert by number), so two
different objects must never carry the same one, not even one after the
other: every number ever issued is written to a registry that deletions do
not touch.
"""

import re
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

NUMBER_MAX_LENGTH = 64
# A number is a path segment of our URLs and of the CX Sales REST paths: letters, digits, dots,
# dashes and underscores, starting with a letter or digit (so never "." or ".."), at most 64.
NUMBER_REGEX = rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{NUMBER_MAX_LENGTH - 1}}}"
NUMBER_PATTERN = re.compile(NUMBER_REGEX)
NUMBER_RULE = "Use 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit."
# Path segments beside numbers in the designer's URLs (orchestrations/new/, stages/reorder/, steps/bulk/).
RESERVED_NUMBERS = frozenset({"new", "reorder", "bulk"})

PREFIXES = {
    "orchestration": "ORCH-",
    "stage": "ORCH-STG-",
    "objective": "ORCH-OBJ-",
    "step": "ORCH-STP-",
    "step_task": "ORCH-TSK-",
    "association": "ORCH-SOA-",
}


def number_problem(value: object) -> str:
    """Why `value` cannot be a public number, or "" when it can. The one rule, for models, import and forms."""
    if not isinstance(value, str) or not NUMBER_PATTERN.fullmatch(value):
        return NUMBER_RULE
    if value.lower() in RESERVED_NUMBERS:
        return f"“{value}” is a reserved word; choose another number."
    return ""


def validate_public_number(value: object) -> None:
    """Django validator: refuse a number that `number_problem` objects to."""
    if problem := number_problem(value):
        raise ValidationError(problem, code="invalid_number")


class IssuedNumber(models.Model):
    """Every public number ever handed out; rows are never deleted."""

    number = models.CharField(max_length=NUMBER_MAX_LENGTH, unique=True)
    kind = models.CharField(max_length=20)
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "issued number"

    def __str__(self) -> str:
        return self.number


# Every generated number has one shape: the kind's prefix and 8 upper-case hex digits (ORCH-1FDB9F5D,
# ORCH-STG-7F3A9C21). Short enough to read out and type; the registry, not the randomness, makes it unique.
GENERATED_DIGITS = 8
GENERATED_PATTERN = re.compile(rf"[0-9A-F]{{{GENERATED_DIGITS}}}")


class NumbersExhausted(RuntimeError):
    """Ten draws in a row collided with numbers already issued: a sign of something wrong, not of bad luck."""


def draw_number(kind: str) -> str:
    """A candidate number for an object of this kind, not yet registered: the one generator of public numbers."""
    return f"{PREFIXES[kind]}{secrets.token_hex(GENERATED_DIGITS // 2).upper()}"


def issue_numbers(kind: str, count: int) -> list[str]:
    """`count` fresh public numbers of this kind, registered as issued in one insert.

    A collision with an old number (or between two concurrent batches) rolls
    the insert back; only the colliding candidates are drawn again, so a
    large batch does not start over for one unlucky draw. The usual case is
    one query, whatever `count` is.
    """
    numbers = _distinct_draws(kind, count, taken=set())
    for _ in range(10):
        try:
            with transaction.atomic():
                IssuedNumber.objects.bulk_create([IssuedNumber(number=n, kind=kind) for n in numbers])
        except IntegrityError:
            used = set(IssuedNumber.objects.filter(number__in=numbers).values_list("number", flat=True))
            kept = [n for n in numbers if n not in used]
            numbers = kept + _distinct_draws(kind, count - len(kept), taken=used | set(kept))
            continue
        return numbers
    raise NumbersExhausted(f"could not issue {count} unique public number(s) of kind {kind}")


def _distinct_draws(kind: str, count: int, *, taken: set[str]) -> list[str]:
    """`count` candidates, different from each other and from `taken` (a batch must not collide with itself)."""
    out: dict[str, None] = {}
    for _ in range(10 * count + 10):  # bounded: a broken random source must end in an error, not a hang
        if len(out) == count:
            break
        candidate = draw_number(kind)
        if candidate not in taken:
            out[candidate] = None
    if len(out) < count:
        raise NumbersExhausted(f"could not draw {count} distinct public number(s) of kind {kind}")
    return list(out)


def issue_number(kind: str) -> str:
    """A fresh public number for an object of this kind, e.g. ORCH-STG-7F3A9C21."""
    return issue_numbers(kind, 1)[0]


def register_numbers(kind: str, numbers: list[str]) -> None:
    """Record numbers that arrived from outside (an import, a pull) as issued."""
    existing = set(IssuedNumber.objects.filter(number__in=numbers).values_list("number", flat=True))
    IssuedNumber.objects.bulk_create(
        [IssuedNumber(number=n, kind=kind) for n in dict.fromkeys(numbers) if n not in existing]
    )
