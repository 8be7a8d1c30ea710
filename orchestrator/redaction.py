"""Keep credentials out of everything we write down.

Secrets only ever come from the environment, so the environment tells us what
to look for: any variable whose name marks it as a credential. The same
function serves the logging filter and the publish journal.

A remote may echo a credential in any spelling, so each one is looked for
raw, base64-encoded (standard and URL-safe, with or without padding), as the
base64 of ``user:password`` that HTTP Basic sends (the user from the sibling
``…USERNAME`` variable), and each of those percent-encoded — with or without
the word "Basic" in front (issue 12, F8).
"""

import base64
import logging
import os
import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote

REDACTED = "«redacted»"
_SECRET_NAME = re.compile(r"(PASSWORD|TOKEN|SECRET|SECRET_KEY|API_KEY)$")
_AUTH_HEADER = re.compile(r"(?i)\b(Basic|Bearer)\s+[A-Za-z0-9._~+/=-]+")
# The letters IGNORECASE also matches in "basic"/"bearer" (the re module's documented extras), folded first.
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})


def _may_hold_auth(text: str) -> bool:
    """Whether `text` holds "basic" or "bearer" in any case the pattern's IGNORECASE matches."""
    lowered = text.translate(_FOLD).lower()
    return "basic" in lowered or "bearer" in lowered


def _scrub_auth(text: str) -> str:
    """Authorization payloads ("Basic …", "Bearer …") replaced; the regex runs only where the word can be.

    The substring check is a tenth of the regex's cost on a body of some KB, and
    most texts a publish journals (every request and reply body) have neither word.
    """
    if not _may_hold_auth(text):
        return text
    return _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)


def credential_forms(secret: str, username: str = "") -> set[str]:
    """Every spelling of `secret` a remote might echo back (see the module docstring); short ones left out."""
    if len(secret) < 4:
        return set()
    encoded: set[str] = set()
    for raw in (secret, f"{username}:{secret}" if username else ""):
        if not raw:
            continue
        data = raw.encode("utf-8")
        for text in (base64.b64encode(data).decode("ascii"), base64.urlsafe_b64encode(data).decode("ascii")):
            encoded |= {text, text.rstrip("=")}
    forms = {secret} | {text for text in encoded if len(text) >= 8}
    forms |= {quote(form, safe="") for form in forms}
    return {form for form in forms if form}


def _username_for(name: str, environ) -> str:
    """The user that goes with a …PASSWORD variable: CX_DEV_PASSWORD → CX_DEV_USERNAME."""
    if not name.endswith("PASSWORD"):
        return ""
    return environ.get(name[: -len("PASSWORD")] + "USERNAME", "").strip()


@lru_cache(maxsize=8)
def _forms_for(items: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    environ = dict(items)
    forms: set[str] = set()
    for name, value in environ.items():
        if _SECRET_NAME.search(name):
            forms |= credential_forms(value, _username_for(name, environ))
    return tuple(sorted(forms, key=len, reverse=True))


def secret_values() -> list[str]:
    """Every credential in the environment in every spelling, longest first (cached per environment)."""
    return list(_environment_forms(_environment()))


def _environment() -> frozenset:
    # What the cache is keyed on, read on every call (tests and operators change the environment): the
    # bytes mapping behind os.environ where CPython has one, which is hashed without decoding each item.
    data = getattr(os.environ, "_data", None)
    return frozenset(data.items() if isinstance(data, dict) else os.environ.items())


@lru_cache(maxsize=8)
def _environment_forms(_key: frozenset) -> tuple[str, ...]:
    relevant = tuple(sorted((k, v) for k, v in os.environ.items() if _SECRET_NAME.search(k) or k.endswith("USERNAME")))
    return _forms_for(relevant)


class Redactor:
    """`redact` with the credential forms worked out once: for a job that scrubs many texts (a publish).

    The environment is read when the redactor is made; `extra` adds secrets
    that may not be in it (a connection's own). Scrubbing a text is then a
    handful of substring checks, not a scan of the environment.
    """

    def __init__(self, extra: Iterable[str] = ()):
        forms = set(secret_values())
        for secret in extra:
            if secret:
                forms.add(secret)
        self.forms = tuple(sorted(forms, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        if not text:
            return text
        for value in self.forms:
            if value in text:
                text = text.replace(value, REDACTED)
        return _scrub_auth(text)

    def clean(self, text: str) -> bool:
        """True when `text` holds no credential form and no Authorization payload: scrubbing would not change it."""
        return not any(value in text for value in self.forms) and not _may_hold_auth(text)

    def headers(self, headers: dict[str, str]) -> dict[str, str]:
        """A copy of headers with credential-bearing ones masked and every value scrubbed.

        The values are first looked through together, once: a publish journals two sets of headers per
        request and they almost never hold anything (a tenth of the scans). A value cannot hold a newline,
        so a form found in the joined text but in no value (one spanning two) only costs the slow way.
        """
        masked = {
            name: REDACTED if name.lower() in SENSITIVE_HEADERS else str(value) for name, value in headers.items()
        }
        if self.clean("\n".join(value for value in masked.values() if value is not REDACTED)):
            return masked
        return {name: value if value is REDACTED else self(value) for name, value in masked.items()}


def redact(text: str, extra: tuple[str, ...] = ()) -> str:
    """Replace credentials (the environment's, and `extra` forms) and Authorization payloads in text."""
    if not text:
        return text
    for value in (*extra, *secret_values()):
        if value in text:
            text = text.replace(value, REDACTED)
    return _scrub_auth(text)


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """A copy of headers with credential-bearing ones masked and values redacted."""
    return {
        name: REDACTED if name.lower() in SENSITIVE_HEADERS else redact(str(value)) for name, value in headers.items()
    }


# A record whose arguments its caller has scrubbed already, with a Redactor that knows every form this
# filter looks for and more (`extra={SCRUBBED: True}`): the remote client's one line per HTTP exchange.
SCRUBBED = "orchestrator_scrubbed"


class RedactSecretsFilter(logging.Filter):
    """Logging filter: the formatted message never carries a credential."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, SCRUBBED, False):
            return True
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
