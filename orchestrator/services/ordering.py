"""Renumbering siblings: the one ordering helper every level of the tree uses.

`display_sequence` is unique per parent (a database constraint, checked row by
row on PostgreSQL), so two rows cannot simply swap numbers in one UPDATE.
`apply_order` renumbers in two phases inside the caller's transaction: the
rows that move first go to temporary numbers above the current maximum, then
every row gets its final 1..n. Both phases are single `bulk_update`s, so a
reorder costs the same number of queries for 3 siblings or 300.
"""

from collections.abc import Sequence

from django.db.models import Model


class OrderMismatch(ValueError):
    """The new order does not name exactly the current siblings (someone added or removed one)."""


def apply_order(siblings: Sequence[Model], ordered_numbers: Sequence[str]) -> list[Model]:
    """Give `siblings` the order of `ordered_numbers`; returns them in their new order.

    `siblings` must be every child of one parent, loaded (and locked) by the
    caller. Rows whose position changes also get their `version` bumped: a
    move is a change like any other. Raises OrderMismatch when the numbers
    are not exactly the siblings' numbers.
    """
    by_number = {obj.number: obj for obj in siblings}
    if len(ordered_numbers) != len(by_number) or set(ordered_numbers) != set(by_number):
        raise OrderMismatch("the list changed since it was shown")
    ordered = [by_number[number] for number in ordered_numbers]
    moved = [obj for position, obj in enumerate(ordered, start=1) if obj.display_sequence != position]
    if not moved:
        return ordered
    model = type(moved[0])
    ceiling = max(obj.display_sequence for obj in siblings)
    for offset, obj in enumerate(moved, start=1):
        obj.display_sequence = ceiling + offset
    model.objects.bulk_update(moved, ["display_sequence"])
    moved_ids = {id(obj) for obj in moved}
    for position, obj in enumerate(ordered, start=1):
        if id(obj) in moved_ids:
            obj.display_sequence = position
            obj.version += 1
    model.objects.bulk_update(moved, ["display_sequence", "version"])
    return ordered


def order_with_move(siblings: Sequence[Model], obj: Model, position: int) -> list[str]:
    """The numbers of `siblings` with `obj` moved to 1-based `position` (clamped to the list)."""
    numbers = [s.number for s in sorted(siblings, key=lambda s: s.display_sequence) if s.number != obj.number]
    index = min(max(position, 1), len(numbers) + 1) - 1
    numbers.insert(index, obj.number)
    return numbers


def next_sequence(siblings: Sequence[Model]) -> int:
    """The display sequence for a child appended after `siblings`."""
    return max((s.display_sequence for s in siblings), default=0) + 1
