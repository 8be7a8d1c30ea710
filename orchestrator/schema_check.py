"""JSON Schema checks that cost next to nothing when the instance is valid (issue 13).

Every document, payload and emulated request is checked against a Draft 2020-12 schema, and almost all of them
are valid. `jsonschema` (pure Python) took about 40 % of a 200-stage import and 2 to 3 ms of every stage a
publish sends; `jsonschema-rs` answers "valid?" for the same schema in a fraction of that. Only the answer
"valid" is taken from it: when it finds anything wrong, or cannot read the instance (a type that is not JSON),
`jsonschema` lists the errors as before, so every message, path and order the interface shows stays the same.

The two implementations agree on these schemas (both follow the JSON-Schema-Test-Suite). The one place they may
differ is `pattern`: Python's `$` also matches before a final newline, ECMA 262's (Rust's) does not. That
direction is safe: the fast check says "invalid", the slow one lists what it finds, possibly nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError


class SchemaCheck:
    """A Draft 2020-12 validator with a fast path for valid instances; `iter_errors` as in `jsonschema`."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.full = Draft202012Validator(schema)
        self.fast = jsonschema_rs.Draft202012Validator(schema)

    def is_valid(self, instance: Any) -> bool:
        try:
            return self.fast.is_valid(instance)
        except (ValueError, TypeError, OverflowError):  # not JSON data (or an int past 64 bits): ask jsonschema
            return self.full.is_valid(instance)

    def iter_errors(self, instance: Any) -> Iterator[ValidationError]:
        if self.is_valid(instance):
            return iter(())
        return self.full.iter_errors(instance)
