"""Attribute/value rows for the JSON settings of a step (FieldUpdateJson, SuccessCriteria).

Neither Oracle's pages nor the contract define the inside of these JSON texts
(payload-contract §2 says "string (JSON text)"; the reference calls the
criteria "the rule deciding success"). What the project itself writes and
accepts is a flat JSON object of attribute names and scalar values — the demo's
``{"WinProb": 40, "ForecastCategory": "PIPELINE"}`` and
``{"ActivityStatus": "COMPLETE", "Outcome": "WORKSHOP_HELD"}`` — so that is the
one shape the rows represent: one row per attribute, its value text, a number,
true/false or null. Anything else (nested objects or lists, a top-level list or
scalar, an attribute named twice, NaN) stays in the raw JSON editor.

Round trip: the text produced from rows is compared, as an ordered list of
(attribute, type, literal) pairs, with the text the form was rendered from; when
they agree the original text is kept byte for byte, so opening and saving a step
never reformats what is stored (the export would show that as a change). Numbers
keep the literal the user typed (``40.0`` stays ``40.0``).

Rows are posted as indexed fields, ``<name>-<i>-attribute``, ``<name>-<i>-kind``
and ``<name>-<i>-value``, in the order of their index (gaps allowed, so a
script may remove a row without renumbering the others).
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .models.text import json_limit_problem, text_problem

TEXT, NUMBER, BOOLEAN, NULL = "text", "number", "boolean", "null"
KIND_CHOICES = ((TEXT, "Text"), (NUMBER, "Number"), (BOOLEAN, "Yes/No"), (NULL, "Empty (null)"))
KINDS = frozenset(k for k, _ in KIND_CHOICES)
ROWS, JSON = "rows", "json"  # the two ways of editing a setting
# Rows shown per setting: two settings this long post ~600 fields, under Django's 1,000
# (DATA_UPLOAD_MAX_NUMBER_FIELDS); a longer object (4,000 characters hold ~600 tiny pairs) stays JSON.
ROWS_MAX = 100

# JSON's own number grammar (RFC 8259 §6): what the user types is sent as typed, so it must be one.
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_TRUE, _FALSE = frozenset({"true", "yes"}), frozenset({"false", "no"})
_ROW_KEY = re.compile(r"^(?P<index>[0-9]{1,4})-(?P<part>attribute|kind|value)$")


class _Number(str):
    """A JSON number as its literal, so 40.0 and 40 stay apart."""


class _Pairs(list):
    """A JSON object as its (key, value) pairs in order, so duplicates and order show (arrays stay lists)."""


@dataclass
class Row:
    attribute: str = ""
    kind: str = TEXT
    value: str = ""
    errors: list[str] = field(default_factory=list)
    invalid: str = ""  # the part the error is about ("attribute", "kind" or "value"): it is marked and focused

    def flag(self, part: str, message: str) -> None:
        self.errors.append(message)
        self.invalid = self.invalid or part

    @property
    def blank(self) -> bool:
        return not self.attribute.strip() and not self.value.strip()


def _pairs_of(value) -> list[tuple[str, str, object]] | None:
    """(attribute, kind, literal) for a parsed flat object, else None."""
    if not isinstance(value, _Pairs):
        return None
    pairs = []
    for key, item in value:
        if isinstance(item, bool):
            pairs.append((key, BOOLEAN, item))
        elif item is None:
            pairs.append((key, NULL, None))
        elif isinstance(item, _Number):
            pairs.append((key, NUMBER, str(item)))
        elif isinstance(item, str) and not isinstance(item, _Number):
            pairs.append((key, TEXT, item))
        else:
            return None
    return pairs


class _NotJsonNumber(ValueError):
    pass


def _constant(name: str):
    raise _NotJsonNumber(name)  # NaN and Infinity are not JSON; rows cannot spell them


def parse_pairs(text: str) -> tuple[list[tuple[str, str, object]] | None, str]:
    """The text as (attribute, kind, literal) pairs, or (None, why rows cannot show it)."""
    if not text.strip():
        return [], ""
    if problem := json_limit_problem(text):
        return None, f"it {problem}"
    try:
        value = json.loads(
            text, object_pairs_hook=_Pairs, parse_int=_Number, parse_float=_Number, parse_constant=_constant
        )
    except _NotJsonNumber as exc:
        return None, f"it holds {exc}, which is not a JSON number"
    except (ValueError, RecursionError):
        return None, "it is not valid JSON"
    if not isinstance(value, _Pairs):
        return None, "it is not a JSON object of attributes"
    pairs = _pairs_of(value)
    if pairs is None:
        return None, "it nests lists or objects"
    if len(pairs) > ROWS_MAX:
        return None, f"it has more than {ROWS_MAX} attributes"
    keys = [key for key, _, _ in pairs]
    if len(set(keys)) != len(keys):
        return None, "an attribute appears more than once"
    if any(not key or key != key.strip() or text_problem(key) for key in keys):
        return None, "an attribute name is empty or starts or ends with a space"
    # A one-line input drops line breaks (HTML's value sanitization): such a value would change unseen.
    if any(kind == TEXT and ("\n" in literal or "\r" in literal) for _, kind, literal in pairs):
        return None, "a value spans several lines"
    return pairs, ""


def rows_from_text(text: str) -> tuple[list[Row] | None, str]:
    """Rows showing `text`, or (None, why it stays in the JSON editor)."""
    pairs, reason = parse_pairs(text)
    if pairs is None:
        return None, reason
    rows = []
    for key, kind, literal in pairs:
        shown = {BOOLEAN: "true" if literal else "false", NULL: ""}.get(kind, literal)
        rows.append(Row(attribute=key, kind=kind, value=shown))
    return rows, ""


def rows_from_data(data: Mapping, name: str) -> list[Row]:
    """The rows posted for setting `name` (indexed fields), in index order."""
    found: dict[int, dict[str, str]] = {}
    start = f"{name}-"
    for key in data:
        if not key.startswith(start) or not (match := _ROW_KEY.match(key[len(start) :])):
            continue
        # Django caps a request at 1,000 fields, so this loop is bounded; the index has at most 4 digits.
        value = data.get(key)
        found.setdefault(int(match["index"]), {})[match["part"]] = value if isinstance(value, str) else ""
    return [
        Row(attribute=parts.get("attribute", ""), kind=parts.get("kind", TEXT), value=parts.get("value", ""))
        for _, parts in sorted(found.items())
    ]


def _pair_of(row: Row) -> tuple[str, str, object] | None:
    """The row as a pair; on a problem, records it on the row and returns None."""
    attribute = row.attribute.strip()
    if not attribute:
        row.flag("attribute", "Name the attribute, or clear the value to drop this row.")
        return None
    if problem := text_problem(attribute):
        row.flag("attribute", f"The attribute name {problem}.")
        return None
    kind = row.kind if row.kind in KINDS else None
    if kind is None:
        row.flag("kind", "Choose a kind: text, number, yes/no or empty.")
        return None
    if kind == TEXT:
        if problem := text_problem(row.value):
            row.flag("value", f"The value {problem}.")
            return None
        return attribute, TEXT, row.value
    value = row.value.strip()
    if kind == NUMBER:
        if not _NUMBER.fullmatch(value):
            row.flag("value", "Write a number such as 40, -3 or 12.5 (a point for decimals, no spaces or separators).")
            return None
        return attribute, NUMBER, value
    if kind == BOOLEAN:
        if value.lower() in _TRUE:
            return attribute, BOOLEAN, True
        if value.lower() in _FALSE:
            return attribute, BOOLEAN, False
        row.flag("value", "A yes/no value is true or false.")
        return None
    if value:
        row.flag("value", "An empty (null) value has no text: clear the value or choose another kind.")
        return None
    return attribute, NULL, None


def _literal(kind: str, literal) -> str:
    if kind == TEXT:
        return json.dumps(literal, ensure_ascii=False)
    if kind == BOOLEAN:
        return "true" if literal else "false"
    if kind == NULL:
        return "null"
    return literal


def text_from_rows(rows: list[Row], *, original: str = "") -> tuple[str | None, str]:
    """(the JSON text of the rows, "") or (None, a problem of the whole setting).

    Problems of single rows are recorded on the rows (and also make the text
    None). Blank rows are skipped. `original` is the text the rows were shown
    from: when the rows say the same, it is returned unchanged.
    """
    pairs, first_row = [], {}
    for number, row in enumerate(rows, start=1):
        row.errors, row.invalid = [], ""
        if row.blank:
            continue
        pair = _pair_of(row)
        if pair is None:
            continue
        if pair[0] in first_row:
            row.flag("attribute", f"“{pair[0]}” is already set in row {first_row[pair[0]]}: an attribute appears once.")
            continue
        first_row[pair[0]] = number
        pairs.append(pair)
    if any(row.errors for row in rows):
        return None, ""
    if original.strip() and parse_pairs(original)[0] == pairs:
        return original, ""
    if not pairs:
        return "", ""
    text = "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {_literal(kind, v)}" for k, kind, v in pairs) + "}"
    if problem := json_limit_problem(text):
        return None, f"These rows make a JSON text that {problem}."
    return text, ""


def summary(text: str, *, shown: int = 3) -> str:
    """The pairs as a phrase for a row ('WinProb = 40, Stage = “WON”'), "" when rows cannot show the text."""
    pairs, _ = parse_pairs(text)
    if not pairs:
        return ""

    def short(value: str) -> str:  # a row is one line: a long value is cut, the form shows it whole
        return value if len(value) <= 40 else value[:39] + "…"

    words = [
        f"{short(k)} = {'“' + short(v) + '”' if kind == TEXT else short(_literal(kind, v))}"
        for k, kind, v in pairs[:shown]
    ]
    if len(pairs) > shown:
        words.append(f"{len(pairs) - shown} more")
    return ", ".join(words)
