"""Field update and success criteria as attribute/value rows (issue 11, item 5): rows → JSON, JSON → rows.

The rows must give back the stored text byte for byte when nothing changed,
say beside the row what is wrong with it, keep the JSON settings' limits, and
leave JSON they cannot show to the advanced editor with a note.
"""

import pytest

from orchestrator import json_rows
from orchestrator.forms import StepForm
from orchestrator.json_rows import Row
from orchestrator.models import Step, StepType
from orchestrator.models.text import JSON_TEXT_MAX
from tests.factories import build_orchestration

DEMO = '{"WinProb": 40, "ForecastCategory": "PIPELINE"}'


def rows_data(name: str, *rows: tuple[str, str, str], mode: str = "rows", shown: str | None = None) -> dict:
    data = {f"{name}-mode": mode, f"{name}-shown": shown or mode}
    for i, (attribute, kind, value) in enumerate(rows):
        data |= {f"{name}-{i}-attribute": attribute, f"{name}-{i}-kind": kind, f"{name}-{i}-value": value}
    return data


# ---------------------------------------------------------------- rows ↔ JSON, no form


def test_rows_make_a_flat_object_with_each_type():
    rows = [
        Row("WinProb", "number", "40"),
        Row("ForecastCategory", "text", "PIPELINE"),
        Row("Hot", "boolean", "yes"),
        Row("Reason", "null", ""),
        Row("Note", "text", "  spaced “quotes” \\ and é "),
    ]
    text, problem = json_rows.text_from_rows(rows)
    assert problem == ""
    assert text == (
        '{"WinProb": 40, "ForecastCategory": "PIPELINE", "Hot": true, "Reason": null, '
        '"Note": "  spaced “quotes” \\\\ and é "}'
    )


def test_numbers_keep_the_literal_typed_and_blank_rows_are_dropped():
    rows = [Row("A", "number", " 12.50 "), Row("", "text", ""), Row("B", "number", "-1e3"), Row("  ", "number", " ")]
    assert json_rows.text_from_rows(rows) == ('{"A": 12.50, "B": -1e3}', "")


def test_no_rows_is_an_empty_setting():
    assert json_rows.text_from_rows([Row()]) == ("", "")
    assert json_rows.text_from_rows([]) == ("", "")


def test_json_to_rows_shows_every_scalar_type():
    rows, reason = json_rows.rows_from_text('{"x": 1.50, "y": false, "z": null, "\\u00e9": "caf\\u00e9"}')
    assert reason == ""
    assert [(r.attribute, r.kind, r.value) for r in rows] == [
        ("x", "number", "1.50"),
        ("y", "boolean", "false"),
        ("z", "null", ""),
        ("é", "text", "café"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        DEMO,
        '{"ActivityStatus": "COMPLETE", "Outcome": "WORKSHOP_HELD"}',
        '{\n  "WinProb": 40.0,\n  "Hot": true\n}\n',
        '{"Name":"caf\\u00e9","Empty":null}',
        "{}",
    ],
)
def test_the_round_trip_is_byte_exact(text):
    rows, _ = json_rows.rows_from_text(text)
    assert json_rows.text_from_rows(rows, original=text) == (text, "")


def test_a_changed_row_writes_fresh_json_in_the_rows_order():
    rows, _ = json_rows.rows_from_text('{\n  "WinProb": 40,\n  "Hot": true\n}')
    rows[0].value = "45"
    rows.reverse()
    assert json_rows.text_from_rows(rows, original='{\n  "WinProb": 40,\n  "Hot": true\n}') == (
        '{"Hot": true, "WinProb": 45}',
        "",
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"Owner": {"Id": 1}}', "it nests lists or objects"),
        ('{"Tags": [1, 2]}', "it nests lists or objects"),
        ("[1, 2]", "it is not a JSON object of attributes"),
        ('"DONE"', "it is not a JSON object of attributes"),
        ('{"A": 1, "A": 2}', "an attribute appears more than once"),
        ('{" A": 1}', "an attribute name is empty or starts or ends with a space"),
        ('{"": 1}', "an attribute name is empty or starts or ends with a space"),
        ('{"Note": "two\\nlines"}', "a value spans several lines"),
        ('{"A": NaN}', "it holds NaN, which is not a JSON number"),
        ('{"A": ', "it is not valid JSON"),
    ],
)
def test_json_the_rows_cannot_show_says_why(text, reason):
    assert json_rows.rows_from_text(text) == (None, reason)


@pytest.mark.parametrize(
    ("row", "message", "part"),
    [
        (Row("", "text", "orphan"), "Name the attribute", "attribute"),
        (Row("A", "number", "1,5"), "Write a number such as 40", "value"),
        (Row("A", "number", "0x10"), "Write a number such as 40", "value"),
        (Row("A", "number", "NaN"), "Write a number such as 40", "value"),
        (Row("A", "boolean", "maybe"), "A yes/no value is true or false.", "value"),
        (Row("A", "null", "x"), "An empty (null) value has no text", "value"),
        (Row("A", "date", "x"), "Choose a kind", "kind"),
        (Row("A\x00", "text", "x"), "The attribute name contains a NUL character", "attribute"),
        (Row("A", "text", "x\x00"), "The value contains a NUL character", "value"),
    ],
)
def test_a_bad_row_carries_its_own_message(row, message, part):
    good = Row("Fine", "text", "ok")
    text, problem = json_rows.text_from_rows([good, row])
    assert text is None and problem == ""
    assert good.errors == []
    assert len(row.errors) == 1 and row.errors[0].startswith(message)
    assert row.invalid == part and good.invalid == ""


def test_an_attribute_set_twice_is_flagged_on_the_second_row():
    rows = [Row("WinProb", "number", "40"), Row("Other", "text", "x"), Row("WinProb", "number", "50")]
    assert json_rows.text_from_rows(rows) == (None, "")
    assert rows[2].errors == ["“WinProb” is already set in row 1: an attribute appears once."]
    assert rows[2].invalid == "attribute"
    assert rows[0].errors == rows[1].errors == []


def test_rows_beyond_the_json_limit_are_refused_as_a_whole():
    rows = [Row(f"Attribute{i:03d}", "text", "x" * 40) for i in range(JSON_TEXT_MAX // 50)]
    text, problem = json_rows.text_from_rows(rows)
    assert text is None
    assert problem.startswith("These rows make a JSON text that is ") and "at most 4,000 characters" in problem


def test_posted_rows_are_read_in_index_order_with_gaps():
    data = {
        "f-10-attribute": "C",
        "f-2-attribute": "B",
        "f-0-attribute": "A",
        "f-0-value": "1",
        "f-0-kind": "number",
        "f-x-attribute": "ignored",
        "other-1-attribute": "ignored",
    }
    rows = json_rows.rows_from_data(data, "f")
    assert [(r.attribute, r.kind, r.value) for r in rows] == [
        ("A", "number", "1"),
        ("B", "text", ""),
        ("C", "text", ""),
    ]


def test_every_posted_row_is_read_however_many_and_an_index_stays_short():
    data = {f"f-{i}-attribute": f"A{i}" for i in range(300)} | {"f-12345-attribute": "too long an index"}
    rows = json_rows.rows_from_data(data, "f")
    assert [r.attribute for r in rows] == [f"A{i}" for i in range(300)]  # none dropped unseen


def test_an_object_longer_than_the_rows_show_stays_json():
    at_most = "{" + ", ".join(f'"A{i}": {i}' for i in range(json_rows.ROWS_MAX)) + "}"
    assert len(json_rows.rows_from_text(at_most)[0]) == json_rows.ROWS_MAX
    longer = "{" + ", ".join(f'"A{i}": {i}' for i in range(json_rows.ROWS_MAX + 1)) + "}"
    assert json_rows.rows_from_text(longer) == (None, "it has more than 100 attributes")


# ---------------------------------------------------------------- the step form


@pytest.fixture
def field_update_step(db):
    orch = build_orchestration(stages=1)
    step = orch.stages.get().steps.get(display_sequence=1)
    Step.objects.filter(pk=step.pk).update(
        step_type=StepType.FIELD_UPDATE, activity_template_id=None, grace_period=None, field_update_json=DEMO
    )
    step.refresh_from_db()
    return step


def _form(step, data=None, **kwargs):
    return StepForm(data=data, instance=step, stage=step.stage, **kwargs)


def _data(step, **extra) -> dict:
    return {"name": step.name, "step_type": step.step_type, "version": step.version, **extra}


def test_the_form_opens_stored_json_as_rows(field_update_step):
    builder = _form(field_update_step).json_builders["field_update_json"]
    assert builder.mode == "rows" and builder.note == ""
    assert [(r.attribute, r.kind, r.value) for r in builder.rows] == [
        ("WinProb", "number", "40"),
        ("ForecastCategory", "text", "PIPELINE"),
    ]
    # One blank row follows, so a row can be added without a script.
    assert [f.row.attribute for f in builder.row_fields] == ["WinProb", "ForecastCategory", ""]


def test_saving_unchanged_rows_keeps_the_stored_text(field_update_step):
    pretty = '{\n    "WinProb": 40.0,\n    "ForecastCategory": "PIPELINE"\n}'
    Step.objects.filter(pk=field_update_step.pk).update(field_update_json=pretty)
    field_update_step.refresh_from_db()
    data = _data(
        field_update_step,
        field_update_json=pretty.replace("\n", "\r\n"),  # how a browser posts a text area
        **rows_data(
            "field_update_json",
            ("WinProb", "number", "40.0"),
            ("ForecastCategory", "text", "PIPELINE"),
            ("", "text", ""),
        ),
    )
    form = _form(field_update_step, data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["field_update_json"] == pretty


def test_saving_changed_rows_writes_their_json(field_update_step):
    data = _data(
        field_update_step,
        field_update_json=DEMO,
        **rows_data("field_update_json", ("WinProb", "number", "60"), ("ForecastCategory", "text", "PIPELINE")),
    )
    form = _form(field_update_step, data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["field_update_json"] == '{"WinProb": 60, "ForecastCategory": "PIPELINE"}'


def test_bad_rows_are_a_field_error_and_a_row_error(field_update_step):
    data = _data(
        field_update_step,
        field_update_json=DEMO,
        **rows_data("field_update_json", ("WinProb", "number", "forty"), ("ForecastCategory", "text", "PIPELINE")),
    )
    form = _form(field_update_step, data)
    assert not form.is_valid()
    assert form.errors["field_update_json"] == ["Fix the rows marked below."]
    rows = form.json_builders["field_update_json"].rows
    assert rows[0].errors and rows[0].errors[0].startswith("Write a number") and rows[1].errors == []


def test_a_post_without_a_mode_is_the_raw_json_as_before(field_update_step):
    form = _form(field_update_step, _data(field_update_step, field_update_json='  {"WinProb": 10}  '))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["field_update_json"] == '{"WinProb": 10}'


def test_without_a_script_the_checked_editor_is_the_one_saved(field_update_step):
    # No script: the radio changed on the page only (shown is still "rows"), then Save.
    data = _data(
        field_update_step,
        field_update_json='{"WinProb": 99}',
        **rows_data("field_update_json", ("WinProb", "number", "40"), mode="json", shown="rows"),
    )
    form = _form(field_update_step, data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["field_update_json"] == '{"WinProb": 99}'
    data |= {"field_update_json-mode": "rows", "field_update_json-shown": "json"}
    form = _form(field_update_step, data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["field_update_json"] == '{"WinProb": 40}'


def test_the_advanced_editor_keeps_stored_text_unchanged_and_validates(field_update_step):
    pretty = '{\n  "WinProb": 40\n}\n'
    Step.objects.filter(pk=field_update_step.pk).update(field_update_json=pretty)
    field_update_step.refresh_from_db()
    posted = _data(
        field_update_step, field_update_json=pretty.replace("\n", "\r\n"), **{"field_update_json-mode": "json"}
    )
    form = _form(field_update_step, posted)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["field_update_json"] == pretty
    bad = _form(field_update_step, {**posted, "field_update_json": '{"WinProb": '})
    assert not bad.is_valid()
    assert bad.errors["field_update_json"][0].startswith("This is not valid JSON")
    too_big = _form(field_update_step, {**posted, "field_update_json": '{"A": "' + "x" * JSON_TEXT_MAX + '"}'})
    assert not too_big.is_valid()
    assert "at most 4,000 characters" in too_big.errors["field_update_json"][0]


def test_json_the_rows_cannot_show_opens_in_the_advanced_editor_with_a_note(field_update_step):
    nested = '{"Owner": {"PartyId": 1}}'
    Step.objects.filter(pk=field_update_step.pk).update(field_update_json=nested)
    field_update_step.refresh_from_db()
    builder = _form(field_update_step).json_builders["field_update_json"]
    assert builder.mode == "json"
    assert builder.note == "This JSON cannot be shown as rows (it nests lists or objects): edit it here."


def test_switching_to_json_converts_the_rows_on_screen(field_update_step):
    initial = _data(
        field_update_step,
        field_update_json=DEMO,
        **rows_data("field_update_json", ("WinProb", "number", "75"), mode="json", shown="rows"),
    )
    form = _form(field_update_step, initial=initial)
    assert form.json_builders["field_update_json"].mode == "json"
    assert form["field_update_json"].value() == '{"WinProb": 75}'


def test_switching_to_json_with_a_bad_row_stays_on_the_rows(field_update_step):
    initial = _data(
        field_update_step,
        field_update_json=DEMO,
        **rows_data("field_update_json", ("", "number", "75"), mode="json", shown="rows"),
    )
    builder = _form(field_update_step, initial=initial).json_builders["field_update_json"]
    assert builder.mode == "rows"
    assert builder.note == "Fix the rows marked below, then switch to JSON."
    assert builder.rows[0].errors


def test_switching_to_rows_reads_the_json_typed(field_update_step):
    initial = _data(
        field_update_step,
        field_update_json='{"Stage": "WON"}',
        **{"field_update_json-mode": "rows", "field_update_json-shown": "json"},
    )
    builder = _form(field_update_step, initial=initial).json_builders["field_update_json"]
    assert builder.mode == "rows"
    assert [(r.attribute, r.value) for r in builder.rows] == [("Stage", "WON")]
    nested = {**initial, "field_update_json": "[1]"}
    builder = _form(field_update_step, initial=nested).json_builders["field_update_json"]
    assert builder.mode == "json" and "it is not a JSON object of attributes" in builder.note


def test_a_type_switch_keeps_the_rows_being_edited(field_update_step):
    initial = _data(
        field_update_step,
        field_update_json=DEMO,
        **rows_data("success_criteria", ("Status", "text", "DONE")),
    )
    initial["step_type"] = StepType.TASK
    builder = _form(field_update_step, initial=initial).json_builders["success_criteria"]
    assert builder.mode == "rows"
    assert [(r.attribute, r.value) for r in builder.rows] == [("Status", "DONE")]


def test_success_criteria_use_the_same_rows(field_update_step):
    data = _data(
        field_update_step,
        field_update_json=DEMO,
        **rows_data("success_criteria", ("ActivityStatus", "text", "COMPLETE"), ("Outcome", "text", "WORKSHOP_HELD")),
    )
    form = _form(field_update_step, data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["success_criteria"] == '{"ActivityStatus": "COMPLETE", "Outcome": "WORKSHOP_HELD"}'


def test_attribute_suggestions_are_offered_sorted_and_once(field_update_step):
    form = _form(field_update_step, attribute_suggestions=["WinProb", "ForecastCategory", "WinProb", "", "Budget"])
    assert form.json_builders["field_update_json"].suggestions == ["Budget", "ForecastCategory", "WinProb"]
    assert _form(field_update_step).json_builders["field_update_json"].suggestions == []


# ---------------------------------------------------------------- the row's summary


def test_the_summary_reads_the_pairs_in_words():
    assert json_rows.summary(DEMO) == "WinProb = 40, ForecastCategory = “PIPELINE”"
    assert json_rows.summary('{"A": true, "B": null, "C": 1.50, "D": "x"}') == "A = true, B = null, C = 1.50, 1 more"
    assert json_rows.summary('{"Note": "' + "x" * 100 + '"}') == "Note = “" + "x" * 39 + "…”"
    assert json_rows.summary('{"Owner": {"Id": 1}}') == ""
    assert json_rows.summary("") == json_rows.summary("{}") == ""


def test_a_step_row_says_what_the_field_update_sets_and_when_it_succeeds(field_update_step):
    from orchestrator.views.designer_support import step_summary

    field_update_step.success_criteria = '{"Status": "DONE"}'
    assert step_summary(field_update_step) == [
        "sets WinProb = 40, ForecastCategory = “PIPELINE”",
        "succeeds when Status = “DONE”",
    ]
    field_update_step.field_update_json, field_update_step.success_criteria = '{"Owner": {"Id": 1}}', "[1]"
    assert step_summary(field_update_step) == ["field update set"]
    field_update_step.field_update_json = ""
    assert step_summary(field_update_step) == ["no field update yet"]
