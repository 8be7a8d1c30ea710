"""redaction: Authorization payloads are scrubbed in any spelling the pattern matches, however long the text."""

import json
import logging

import pytest

from orchestrator import redaction
from orchestrator.redaction import REDACTED, Redactor, redact

BODY = json.dumps(
    {"StageDescription": "Find out whether the deal is real. " * 200, "Steps": [{"n": i} for i in range(50)]}
)


@pytest.mark.parametrize(
    "word",
    ["Basic", "basic", "BASIC", "bAsIc", "Bearer", "BEARER", "bearer", "Ba\u017fic", "bas\u0130c", "Bas\u0131c"],
)
@pytest.mark.parametrize("scrub", [redact, Redactor()], ids=["redact", "Redactor"])
def test_an_authorization_payload_is_scrubbed_in_every_case_the_pattern_knows(word, scrub):
    # The last three are letters re's IGNORECASE matches as s and i: the quick check before the regex must too.
    text = f'{BODY[:-1]}, "echo": "Authorization: {word} dXNlcjpwYXNzd29yZA=="}}'
    scrubbed = scrub(text)
    assert "dXNlcjpwYXNzd29yZA" not in scrubbed
    assert scrubbed.endswith(f'"echo": "Authorization: {word} {REDACTED}"}}')


@pytest.mark.parametrize("scrub", [redact, Redactor()], ids=["redact", "Redactor"])
def test_a_text_without_either_word_comes_back_as_it_was(scrub):
    assert scrub(BODY) == BODY
    assert scrub("basically bearers") == "basically bearers"  # words, not the scheme followed by a payload


def test_a_secret_put_in_the_environment_later_is_redacted_and_one_removed_is_forgotten(monkeypatch):
    redact("warm the cache")
    monkeypatch.setenv("CX_LATER_PASSWORD", "added-after-start-9f2")
    assert redact("login added-after-start-9f2 refused") == f"login {REDACTED} refused"
    monkeypatch.delenv("CX_LATER_PASSWORD")
    assert redact("login added-after-start-9f2 refused") == "login added-after-start-9f2 refused"


def test_the_log_filter_trusts_only_records_their_caller_scrubbed(monkeypatch):
    monkeypatch.setenv("CX_FILTER_PASSWORD", "filter-secret-9")
    f = redaction.RedactSecretsFilter()
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, "sent %s", ("filter-secret-9",), None)
    assert f.filter(plain) and plain.getMessage() == "sent «redacted»"
    marked = logging.LogRecord("x", logging.INFO, __file__, 1, "sent %s", ("already clean",), None)
    setattr(marked, redaction.SCRUBBED, True)
    assert f.filter(marked) and marked.args == ("already clean",)


def test_headers_are_scrubbed_value_by_value_when_the_joined_look_finds_something():
    scrub = Redactor(["s3cret-value"])
    headers = {
        "Authorization": "Basic abc",
        "X-Echo": "got s3cret-value back",
        "Link": "<https://pod/next>; rel=next",
        "X-Why": "bearer zzz999",
    }
    assert scrub.headers(headers) == {
        "Authorization": REDACTED,
        "X-Echo": f"got {REDACTED} back",
        "Link": "<https://pod/next>; rel=next",
        "X-Why": f"bearer {REDACTED}",
    }


def test_headers_without_anything_to_scrub_come_back_as_they_were_with_sensitive_ones_masked():
    scrub = Redactor(["s3cret-value"])
    headers = {"Content-Type": "application/json", "Set-Cookie": "session=s3cret-value", "ETag": 'W/"7"', "N": 12}
    assert scrub.headers(headers) == {
        "Content-Type": "application/json",
        "Set-Cookie": REDACTED,
        "ETag": 'W/"7"',
        "N": "12",
    }


def test_a_secret_split_across_two_header_values_is_not_taken_for_one_in_either():
    # Joined with a newline the values would hold the form: the slow way then finds it in neither value.
    scrub = Redactor(["half\nhalf"])
    assert scrub.headers({"A": "one half", "B": "half two"}) == {"A": "one half", "B": "half two"}
