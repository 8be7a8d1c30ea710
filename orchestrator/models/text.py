"""Rules for text values that every way in shares (the models, the forms, import and so pull).

No text may hold a NUL character (PostgreSQL refuses it: a 500 or a crash)
or a lone surrogate such as "\\ud800" (a half of a UTF-16 pair that JSON can
spell but no database stores and no terminal prints). Messages name the
problem, never the value, so printing them cannot fail in turn.

JSON settings (FieldUpdateJson, SuccessCriteria) are rules CX Sales
evaluates: a real one is a few hundred characters and a handful of levels
deep. They are capped well above that, so that no value can make a parser
recurse until it crashes (a RecursionError was a 500 in the form and a
traceback in import) or make a review page megabytes long.
"""

import json
from typing import Any

from django.core.exceptions import ValidationError

NUL = "a NUL character (\\x00)"
SURROGATE = "a lone surrogate (half of a UTF-16 pair, \\ud800 to \\udfff)"
NUL_PROBLEM = f"contains {NUL}, which cannot be stored; remove it"
SURROGATE_PROBLEM = f"contains {SURROGATE}, which is not text; remove it"

JSON_TEXT_MAX = 4000  # characters
JSON_DEPTH_MAX = 20  # levels of nested arrays and objects
JSON_LIMITS = f"JSON settings may have at most {JSON_TEXT_MAX:,} characters and {JSON_DEPTH_MAX} levels of nesting"


def text_flaw(value: str) -> str:
    """The character that keeps `value` from being text we can store (NUL or SURROGATE), or ""."""
    if "\x00" in value:
        return NUL
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # only a lone surrogate fails: json.loads joins a proper pair into one character
        return SURROGATE
    return ""


def text_problem(value: str) -> str:
    """Why `value` cannot be stored as text ("contains a NUL character …"), or ""."""
    return {NUL: NUL_PROBLEM, SURROGATE: SURROGATE_PROBLEM}.get(text_flaw(value), "")


def validate_plain_text(value: str) -> None:
    """Model validator of every free-text field."""
    if isinstance(value, str) and (problem := text_problem(value)):
        raise ValidationError(f"This {problem}.", code="unstorable_text")


def _nests_deeper_than(text: str, limit: int) -> bool:
    """True when arrays/objects nest more than `limit` deep; a flat scan, so it cannot recurse itself."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def json_limit_problem(text: str) -> str:
    """What keeps `text` outside the limits, as the rest of a sentence ("is 5,000 characters long; …"), or ""."""
    if len(text) > JSON_TEXT_MAX:
        return f"is {len(text):,} characters long; {JSON_LIMITS}"
    if _nests_deeper_than(text, JSON_DEPTH_MAX):
        return f"nests more than {JSON_DEPTH_MAX} levels deep; {JSON_LIMITS}"
    return ""


def validate_json_setting(text: str) -> None:
    """Model validator of the JSON settings: within the limits (whether it is valid JSON is the rules' business)."""
    if text and (problem := json_limit_problem(text)):
        raise ValidationError(f"This {problem}.", code="json_limits")


def parse_json_setting(text: str) -> tuple[Any, str]:
    """(value, "") for JSON within the limits, else (None, the reason as the rest of a sentence)."""
    if problem := json_limit_problem(text):
        return None, problem
    try:
        return json.loads(text), ""
    except json.JSONDecodeError as exc:
        return None, f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
    except (RecursionError, ValueError) as exc:  # the limits should make this unreachable; never a 500 all the same
        return None, f"cannot be read as JSON ({type(exc).__name__}); {JSON_LIMITS}"
