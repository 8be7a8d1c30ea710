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


def issue_number(kind: str) -> str:
    """A fresh public number for an object of this kind, e.g. ORCH-STG-7f3a9c21b4e0."""
    prefix = PREFIXES[kind]
    for _ in range(10):
        candidate = f"{prefix}{secrets.token_hex(6)}"
        try:
            with transaction.atomic():
                IssuedNumber.objects.create(number=candidate, kind=kind)
        except IntegrityError:
            continue  # 48 random bits collided with an old number: draw again
        return candidate
    raise RuntimeError("could not issue a unique public number")


def register_numbers(kind: str, numbers: list[str]) -> None:
    """Record numbers that arrived from outside (an import, a pull) as issued."""
    existing = set(IssuedNumber.objects.filter(number__in=numbers).values_list("number", flat=True))
    IssuedNumber.objects.bulk_create(
        [IssuedNumber(number=n, kind=kind) for n in dict.fromkeys(numbers) if n not in existing]
    )
