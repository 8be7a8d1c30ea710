"""SchemaCheck: jsonschema-rs answers "valid?", jsonschema words the errors; the two must never disagree the
dangerous way (the fast check passing what the full one refuses)."""

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator import demo
from orchestrator.schema_check import SchemaCheck
from orchestrator.services.documents import checks
from orchestrator.services.payload import _stage_validators

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=300),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=20), children, max_size=3),
    max_leaves=6,
)


def _paths(node, prefix=()):
    """Every (container, key) of a JSON document, so one value can be swapped for another."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


DOCUMENT = demo.demo_document()
PATHS = list(_paths(DOCUMENT))


def _swapped(path, value):
    document = copy.deepcopy(DOCUMENT)
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return document


def test_a_valid_document_never_reaches_the_slow_validator(monkeypatch):
    check = checks._schema_validator()
    assert isinstance(check, SchemaCheck)

    class Refuse:
        def is_valid(self, _instance):
            raise AssertionError("the full validator ran for a valid document")

        iter_errors = is_valid

    monkeypatch.setattr(check, "full", Refuse())
    assert list(check.iter_errors(DOCUMENT)) == []


def test_an_invalid_document_gets_jsonschemas_own_errors():
    check = checks._schema_validator()
    document = _swapped(("Stages", 0, "StageName"), 42)
    fast = [(list(e.absolute_path), e.message) for e in check.iter_errors(document)]
    full = [(list(e.absolute_path), e.message) for e in check.full.iter_errors(document)]
    assert fast == full and fast  # the same errors, worded by jsonschema


def test_what_is_not_json_is_left_to_jsonschema():
    check = SchemaCheck({"type": "object", "properties": {"a": {"type": "string"}}})
    assert check.is_valid({"a": object()}) is False  # jsonschema-rs cannot read it; jsonschema says no
    assert check.is_valid({"a": "text"}) is True


@pytest.mark.parametrize("value", [10**18, 2**63, -(2**63) - 1, 999_999_999_999_999_999])
def test_integers_beyond_float_precision_are_compared_exactly(value):
    check = SchemaCheck({"type": "integer", "maximum": 999_999_999_999_999_999})
    assert check.fast.is_valid(value) == check.full.is_valid(value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), value=JSON_VALUES)
def test_the_fast_check_never_passes_a_document_the_full_one_refuses(path, value):
    document = _swapped(path, value)
    check = checks._schema_validator()
    if not check.full.is_valid(document):
        assert not check.fast.is_valid(document), json.dumps(value)[:200]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(min_value=0, max_value=len(DOCUMENT["Stages"]) - 1), value=JSON_VALUES, data=st.data())
def test_the_stage_payload_check_agrees_too(index, value, data):
    stage = copy.deepcopy(DOCUMENT["Stages"][index])
    stage.pop("Outreach", None)
    paths = list(_paths(stage))
    path = data.draw(st.sampled_from(paths))
    node = stage
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    for check in _stage_validators():
        if not check.full.is_valid(stage):
            assert not check.fast.is_valid(stage), json.dumps(value)[:200]
