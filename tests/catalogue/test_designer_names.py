"""Names instead of ids in the designer: rows, pickers in the step, step-task and stage forms, one query."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orchestrator.models import CatalogueEntry, CatalogueKind, Step
from orchestrator.selectors_catalogue import SESSION_KEY
from tests.factories import build_orchestration, catalogue_entry
from tests.test_designer_endpoints import HTMX, stage, step, task

pytestmark = pytest.mark.django_db

CALL_ID, MEETING_ID, OTHER_ID = "300100000000101", "300100000000102", "300100000000999"


@pytest.fixture
def catalogue(db):
    """A catalogue that knows the factory's call template but not its meeting template."""
    CatalogueEntry.objects.bulk_create(
        [
            catalogue_entry(CatalogueKind.ACTIVITY_TEMPLATE, CALL_ID, "Discovery call", position=1, detail="A call"),
            catalogue_entry(CatalogueKind.ACTIVITY_TEMPLATE, OTHER_ID, "Proposal review", position=2),
            catalogue_entry(CatalogueKind.ACTIVITY, "300100000000201", "Book the call", position=1),
            catalogue_entry(CatalogueKind.SALES_STAGE, "1", "01 - Stage 1", position=1),
            catalogue_entry(CatalogueKind.SALES_STAGE, "2", "02 - Stage 2", position=2),
        ]
    )


@pytest.fixture
def orch(db):
    return build_orchestration(stages=3)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_rows_show_the_name_with_the_id_secondary_and_flag_an_unknown_id(designer_client, orch, catalogue):
    page = designer_client.get(reverse("designer", args=[orch.number])).content.decode()
    assert f'activity template Discovery call <span class="ref-id">{CALL_ID}</span>' in page
    assert f'activity template <span class="ref-id">{MEETING_ID}</span> <span class="ref-unknown">' in page
    assert 'activity Book the call <span class="ref-id">300100000000201</span>' in page
    # Stage 3 mirrors a value the sales method does not have; stage 1 one that it has.
    assert page.count("not a sales stage in the catalogue") == 2  # stage 3's value and stage 2's Next-stage step
    # The unknown id is shown and kept, never rewritten.
    assert Step.objects.filter(activity_template_id=int(MEETING_ID)).count() == 3


def test_without_a_catalogue_rows_show_the_ids_as_before(designer_client, orch):
    page = designer_client.get(reverse("designer", args=[orch.number])).content.decode()
    assert f"activity template {CALL_ID}" in page
    assert "ref-unknown" not in page


def test_the_page_shows_new_names_after_a_refresh_despite_the_stage_cache(designer_client, orch, catalogue):
    url = reverse("designer", args=[orch.number])
    assert "Discovery call" in designer_client.get(url).content.decode()
    CatalogueEntry.objects.filter(ref_id=CALL_ID).update(name="Renamed call")
    page = designer_client.get(url).content.decode()
    assert "Renamed call" in page and "Discovery call" not in page


def test_the_step_form_offers_a_combobox_of_names_and_keeps_the_id_field(designer_client, orch, catalogue):
    s = step(orch)
    html = designer_client.get(reverse("step_edit", args=[orch.number, s.number]), **HTMX).content.decode()
    prefix = f"step-{s.number}-activity_template_id"
    assert f'id="{prefix}-search" role="combobox"' in html
    assert f'aria-controls="{prefix}-options"' in html
    assert 'value="Discovery call" data-picker-search' in html
    assert f'role="listbox" id="{prefix}-options"' in html
    assert f'data-value="{OTHER_ID}" data-name="Proposal review"' in html
    assert f'name="activity_template_id" value="{CALL_ID}"' in html  # the stored id, in its own field
    # Kinds the catalogue has nothing of get a hint instead of an empty list.
    assert "to pick smart actions by name" in html


def test_an_unknown_id_is_flagged_beside_the_field_and_kept(designer_client, orch, catalogue):
    s = step(orch, 2)
    html = designer_client.get(reverse("step_edit", args=[orch.number, s.number]), **HTMX).content.decode()
    assert f"Id {MEETING_ID} is not in the catalogue of default; it is kept as it is." in html
    assert f'name="activity_template_id" value="{MEETING_ID}"' in html


def test_saving_a_picked_id_stores_it(designer_client, orch, catalogue):
    s = step(orch)
    data = {
        "version": s.version,
        "name": s.name,
        "step_type": s.step_type,
        "activity_template_id": OTHER_ID,
        "grace_period": "48",
    }
    response = designer_client.post(reverse("step_edit", args=[orch.number, s.number]), data, **HTMX)
    assert response.status_code == 200, response.content.decode()[:500]
    assert Step.objects.get(pk=s.pk).activity_template_id == int(OTHER_ID)
    assert "activity template Proposal review" in response.content.decode()


def test_the_step_task_form_picks_template_and_activity(designer_client, orch, catalogue):
    t = task(orch)
    html = designer_client.get(reverse("step_task_edit", args=[orch.number, t.number]), **HTMX).content.decode()
    assert f'id="step_task-{t.number}-activity_template_id-search"' in html
    assert f'id="step_task-{t.number}-activity_id-search"' in html
    assert 'value="Book the call" data-picker-search' in html


def test_the_stage_value_is_a_combobox_of_the_sales_stages_and_free_text_stays(designer_client, orch, catalogue):
    st = stage(orch)
    html = designer_client.get(reverse("stage_edit", args=[orch.number, st.number]), **HTMX).content.decode()
    field = re.search(r'<input[^>]*name="lifecycle_attr_value"[^>]*>', html).group(0)
    assert 'role="combobox"' in field and 'value="01 - Stage 1"' in field
    assert 'data-value="02 - Stage 2" data-name="02 - Stage 2"' in html
    data = {"version": st.version, "name": st.name, "lifecycle_attr_value": "Something else", "description": ""}
    response = designer_client.post(reverse("stage_edit", args=[orch.number, st.number]), data, **HTMX)
    assert response.status_code == 200
    st.refresh_from_db()
    assert st.lifecycle_attr_value == "Something else"


def test_a_next_stage_target_that_is_no_sales_stage_is_flagged_in_the_form(designer_client, orch, catalogue):
    advance = stage(orch, 2).steps.get(step_type="NEXT_STAGE")  # to "03 - Stage 3", unknown to the method
    html = designer_client.get(reverse("step_edit", args=[orch.number, advance.number]), **HTMX).content.decode()
    assert "“03 - Stage 3” is not a sales stage of the sales method in the catalogue of default." in _text(html)


def test_the_designer_uses_the_catalogue_chosen_for_the_session(designer_client, orch, catalogue):
    CatalogueEntry.objects.bulk_create([catalogue_entry(CatalogueKind.ACTIVITY_TEMPLATE, CALL_ID, "Prod call", "prod")])
    session = designer_client.session
    session[SESSION_KEY] = "prod"
    session.save()
    page = designer_client.get(reverse("designer", args=[orch.number])).content.decode()
    assert "Prod call" in page and "Discovery call" not in page
    assert "<dt>Names from</dt><dd>the catalogue of prod" in page


def _catalogue_queries(ctx):
    return [q["sql"] for q in ctx.captured_queries if "orchestrator_catalogueentry" in q["sql"]]


def test_the_catalogue_costs_one_query_on_the_page_and_on_a_form_whatever_its_size(designer_client, orch):
    url = reverse("designer", args=[orch.number])
    form_url = reverse("step_edit", args=[orch.number, step(orch).number])
    counts = []
    for size in (0, 500):
        CatalogueEntry.objects.all().delete()
        CatalogueEntry.objects.bulk_create(
            [catalogue_entry(CatalogueKind.ACTIVITY_TEMPLATE, str(300100000100000 + i), f"T{i}") for i in range(size)]
        )
        designer_client.get(url)  # the first load stores the problems; measure the next one
        with CaptureQueriesContext(connection) as page:
            designer_client.get(url)
        with CaptureQueriesContext(connection) as form:
            designer_client.get(form_url, **HTMX)
        assert len(_catalogue_queries(page)) == 1
        assert len(_catalogue_queries(form)) == 1
        counts.append((len(page.captured_queries), len(form.captured_queries)))
    # No absolute page budget is asserted elsewhere (tests/test_designer_queries.py compares 5 and 100
    # stages); the catalogue adds exactly one query, the same for an empty catalogue and 500 entries.
    assert counts[0] == counts[1]


def test_the_bulk_bar_picks_the_activity_template_by_name(designer_client, orch, catalogue):
    page = designer_client.get(reverse("designer", args=[orch.number])).content.decode()
    assert 'id="bulk-activity_template_id-search" role="combobox"' in page
    refused = designer_client.post(
        reverse("step_tasks_bulk", args=[orch.number]), {"activity_template_id": OTHER_ID}, **HTMX
    )
    assert refused.status_code == 422
    assert 'id="bulk-activity_template_id-search"' in refused.content.decode()
    assert 'value="Proposal review" data-picker-search' in refused.content.decode()


def test_with_no_catalogue_the_form_says_where_to_fill_it_but_the_bulk_bar_stays_short(designer_client, orch):
    form = designer_client.get(reverse("step_edit", args=[orch.number, step(orch).number]), **HTMX)
    assert "to pick activity templates by name" in form.content.decode()
    page = designer_client.get(reverse("designer", args=[orch.number])).content.decode()
    bulk = page[page.index('id="bulk-step_tasks"') :]
    bulk = bulk[: bulk.index("</form>")]
    assert "Activity template ID" in bulk and "Connections page" not in bulk
