"""Reading a describe into catalogue attributes: both shapes, both length spellings, what is left out, bad bodies."""

import pytest

from orchestrator.remote.cx_attributes import attributes_of
from orchestrator.remote.errors import RemoteError


def _rows(document, resource="opportunities"):
    return [(ref.name, ref.detail) for ref in attributes_of(document, resource).items]


ATTRIBUTES = [
    {"name": "WinProb", "type": "number", "updatable": True, "title": "Win probability"},
    {"name": "BudgetedFlag", "type": "boolean", "precision": 1, "maxLength": "1", "title": "Budgeted"},
    {"name": "ForecastCategory", "type": "string", "maxLength": "30", "title": "Forecast category"},
    {"name": "StatusCode", "type": "string", "precision": 30},
    {"name": "Revenue", "type": "number", "updatable": "false"},
    {"name": "OptyNumber", "type": "string", "allowChanges": "inCreate"},
    {"name": "RiskLevelCode", "type": "string", "allowChanges": "never"},
    {"name": "OptyId", "type": "integer", "updatable": True},
    {"name": "LastUpdateDate", "type": "datetime", "updatable": True},
    {"name": "WinProb", "type": "string", "title": "Listed twice"},
]
EXPECTED = [
    ("WinProb", "Win probability · number"),
    ("BudgetedFlag", "Budgeted · boolean"),
    ("ForecastCategory", "Forecast category · string (30)"),
    ("StatusCode", "StatusCode · string (30)"),
]


def test_the_resource_under_resources_and_the_node_alone_read_the_same():
    nested = {"Resources": {"opportunities": {"title": "Opportunity", "attributes": ATTRIBUTES}}}
    assert _rows(nested) == EXPECTED
    assert _rows({"title": "Opportunity", "attributes": ATTRIBUTES}) == EXPECTED


def test_unusable_names_are_counted_and_positions_follow_the_kept_ones():
    document = {"attributes": [{"name": ""}, {"name": "x" * 41}, {"type": "string"}, "junk", {"name": "Rank"}]}
    result = attributes_of(document, "leads")
    assert [(ref.name, ref.position) for ref in result.items] == [("Rank", 1)]
    assert result.skipped == 4


def test_the_lead_s_own_id_is_left_out_but_an_opportunity_id_on_a_lead_is_not():
    document = {"attributes": [{"name": "LeadId", "type": "integer"}, {"name": "OptyId", "type": "integer"}]}
    assert [name for name, _ in _rows(document, "leads")] == ["OptyId"]


@pytest.mark.parametrize(
    "document",
    [None, "text", [], {"Resources": {"leads": {"attributes": []}}}, {"Resources": {}}, {"attributes": "no"}],
)
def test_a_describe_that_is_not_one_of_this_resource_is_an_error(document):
    with pytest.raises(RemoteError, match="without an attribute list") as caught:
        attributes_of(document, "opportunities")
    assert caught.value.permanent
