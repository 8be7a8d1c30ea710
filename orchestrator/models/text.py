"""Rules for text values that every way in shares (the models, the forms, import and so pull).

JSON settings (FieldUpdateJson, SuccessCriteria) are rules CX Sales
evaluates: a real one is a few hundred characters and a handful of levels
deep. They are capped well above that, so that no value can make a parser
recurse until it crashes (a RecursionError was a 500 in the form and a
traceback in import) or make a review page megabytes long.
"""

import json
from typing import Any

from django.core.exceptions import ValidationError

JSON_TEXT_MAX = 4000  # characters
JSON_DEPTH_MAX = 20  # levels of nested arrays and objects
JSON_LIMITS = f"JSON settings may have at most {JSON_TEXT_MAX:,} characters and {JSON_DEPTH_MAX} levels of nesting"


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
