"""The administrator's catalogue file: CSV or JSON, every bad row named by its line, nothing stored on a bad file."""

import json

import pytest

from orchestrator import demo
from orchestrator.models import CatalogueEntry, CatalogueKind, CatalogueSource
from orchestrator.remote import ConnectionConfigError
from orchestrator.services.catalogue import CatalogueFileError, catalogue_upload

pytestmark = pytest.mark.django_db

GOOD_CSV = (
    "kind,id,name,description\n"
    "smart_action,300100000030001,Log call outcome,Records the result\n"
    "email_template,300100000040001,Discovery recap,\n"
    "activity,300100000020001,Champion call,Qualification call\n"
)


def _stored():
    return sorted(CatalogueEntry.objects.values_list("kind", "ref_id", "name"))


def test_a_csv_file_is_stored_by_kind():
    result = catalogue_upload(connection_name="default", content=GOOD_CSV.encode())
    assert result.counts == {"smart_action": 1, "email_template": 1, "activity": 1}
    assert _stored() == [
        ("activity", "300100000020001", "Champion call"),
        ("email_template", "300100000040001", "Discovery recap"),
        ("smart_action", "300100000030001", "Log call outcome"),
    ]
    assert set(CatalogueEntry.objects.values_list("source", flat=True)) == {CatalogueSource.UPLOAD}


def test_the_demo_json_file_covers_every_id_the_demo_uses():
    result = catalogue_upload(connection_name="default", content=json.dumps(demo.demo_catalogue_file()).encode())
    assert sum(result.counts.values()) == len(demo.demo_catalogue_file())
    known = set(CatalogueEntry.objects.values_list("ref_id", flat=True))
    used = set()
    for stage in demo.demo_document()["Stages"]:
        for step in stage["Steps"]:
            used |= {str(step[k]) for k in ("SmartActionId", "EmailTemplateId") if step.get(k)}
        for task in stage.get("StepTasks", []):
            used |= {str(task[k]) for k in ("ActivityId", "SmartActionId") if task.get(k)}
    assert used and used <= known


def test_bad_csv_rows_are_reported_with_their_line_numbers_and_nothing_is_stored():
    content = (
        "kind,id,name\n"
        "smart_action,300100000030001,Fine\n"
        "smart_action,abc,Not a number\n"
        "\n"
        "gadget,12,Unknown kind\n"
        "email_template,300100000040001,\n"
        "smart_action,300100000030001,Again\n"
        "activity_template,300100000010001,From the pod\n"
    )
    with pytest.raises(CatalogueFileError) as caught:
        catalogue_upload(connection_name="default", content=content.encode())
    problems = caught.value.problems
    assert problems[0].startswith("line 3: id 'abc'")
    assert any(p.startswith("line 5: kind 'gadget'") for p in problems)
    assert any(p.startswith("line 6: the name is empty") for p in problems)
    assert any(p.startswith("line 7:") and "listed twice (first on line 2)" in p for p in problems)
    assert any(p.startswith("line 8:") and "read from the pod" in p for p in problems)
    assert not CatalogueEntry.objects.exists()


def test_bad_json_items_are_reported_with_their_line_numbers():
    content = (
        '[\n  {"kind": "activity", "id": 1, "name": "One"},\n  {"kind": "activity", "id": -4, "name": "x"},\n  7\n]'
    )
    with pytest.raises(CatalogueFileError) as caught:
        catalogue_upload(connection_name="default", content=content.encode())
    assert caught.value.problems == [
        "line 3: id '-4' is not a positive number of at most 18 digits.",
        "line 4: each entry must be an object with kind, id and name.",
    ]
    assert not CatalogueEntry.objects.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "The file is empty."),
        (b"name,id\nx,1\n", "line 1: the header must name the columns kind, id, name (missing: kind)."),
        (b'[{"kind": "activity", "id": 1, "name": "x"}', "line 1: expected ',' or ']'."),
        (b"[\n\n{oops}]", "line 3: not valid JSON"),
        (b"kind,id,name\n\xff\n", "line 2: not UTF-8 text."),
        (b"[]", "The file lists no entries."),
    ],
)
def test_unusable_files_say_why(content, expected):
    with pytest.raises(CatalogueFileError) as caught:
        catalogue_upload(connection_name="default", content=content)
    assert caught.value.problems[0].startswith(expected)


def test_a_file_replaces_only_the_kinds_it_contains_on_its_connection():
    catalogue_upload(connection_name="default", content=GOOD_CSV.encode())
    catalogue_upload(connection_name="default", content=b"kind,id,name\nactivity,5,Replacement\n")
    assert ("activity", "5", "Replacement") in _stored()
    assert ("activity", "300100000020001", "Champion call") not in _stored()
    assert CatalogueEntry.objects.filter(kind=CatalogueKind.SMART_ACTION).count() == 1


def test_an_oversized_file_is_refused_before_it_is_read():
    with pytest.raises(CatalogueFileError, match="larger than 2 MB"):
        catalogue_upload(connection_name="default", content=b"x" * 2_000_001)


def test_an_unknown_connection_is_refused():
    with pytest.raises(ConnectionConfigError):
        catalogue_upload(connection_name="nowhere", content=GOOD_CSV.encode())


def test_attributes_are_read_from_the_pod_not_uploaded_and_an_upload_leaves_them_alone():
    from orchestrator.models.catalogue import UPLOAD_KINDS
    from orchestrator.services.catalogue import catalogue_refresh

    assert set(UPLOAD_KINDS) == {CatalogueKind.SMART_ACTION, CatalogueKind.EMAIL_TEMPLATE, CatalogueKind.ACTIVITY}
    content = b"kind,id,name\nopportunity_attribute,1,WinProb\nLead attribute,2,Rank\n"
    with pytest.raises(CatalogueFileError) as caught:
        catalogue_upload(connection_name="default", content=content)
    assert [p[:7] for p in caught.value.problems if "read from the pod (Refresh)" in p] == ["line 2:", "line 3:"]
    assert not CatalogueEntry.objects.exists()
    catalogue_refresh(connection_name="default")
    attributes = CatalogueEntry.objects.filter(kind=CatalogueKind.OPPORTUNITY_ATTRIBUTE).count()
    assert attributes > 0
    catalogue_upload(connection_name="default", content=GOOD_CSV.encode())
    assert CatalogueEntry.objects.filter(kind=CatalogueKind.OPPORTUNITY_ATTRIBUTE).count() == attributes
