"""Keep credentials out of everything we write down.

Secrets only ever come from the environment, so the environment tells us what
to look for: any variable whose name marks it as a credential. The same
function serves the logging filter and the publish journal.
"""

import logging
import os
import re

REDACTED = "«redacted»"
_SECRET_NAME = re.compile(r"(PASSWORD|TOKEN|SECRET|SECRET_KEY|API_KEY)$")
_AUTH_HEADER = re.compile(r"(?i)\b(Basic|Bearer)\s+[A-Za-z0-9._~+/=-]+")
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})


def secret_values() -> list[str]:
    """Every credential value currently in the environment, longest first."""
    values = {v for k, v in os.environ.items() if _SECRET_NAME.search(k) and len(v) >= 4}
    return sorted(values, key=len, reverse=True)


def redact(text: str) -> str:
    """Replace credential values and Authorization schemes' payloads in text."""
    if not text:
        return text
    for value in secret_values():
        text = text.replace(value, REDACTED)
    return _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """A copy of headers with credential-bearing ones masked and values redacted."""
    return {
        name: REDACTED if name.lower() in SENSITIVE_HEADERS else redact(str(value)) for name, value in headers.items()
    }


class RedactSecretsFilter(logging.Filter):
    """Logging filter: the formatted message never carries a credential."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
