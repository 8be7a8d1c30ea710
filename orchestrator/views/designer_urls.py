"""Routes of the orchestration list and the designer.

Tree objects are addressed by their public numbers under their
orchestration: /orchestrations/<number>/steps/<item>/edit/. The four levels
share one set of views; the URL names say the kind (`step_edit`,
`step_task_delete`, …).
"""

from django.urls import path

from . import designer, designer_items, designer_steps, diagram, orchestrations

ORCH = "orchestrations/<number:number>/"

urlpatterns = [
    path("orchestrations/", orchestrations.orchestration_list, name="orchestration_list"),
    path("orchestrations/new/", orchestrations.orchestration_create, name="orchestration_create"),
    path(ORCH, designer.designer, name="designer"),
    path(ORCH + "clone/", orchestrations.orchestration_clone, name="orchestration_clone"),
    path(ORCH + "archive/", orchestrations.orchestration_archive, name="orchestration_archive"),
    path(ORCH + "restore/", orchestrations.orchestration_restore, name="orchestration_restore"),
    path(ORCH + "header/", designer.orchestration_header, name="orchestration_header"),
    path(ORCH + "diagram/", diagram.diagram, name="diagram"),
    path(ORCH + "diagram/stages/<number:item>/", diagram.diagram_stage, name="diagram_stage"),
    path(ORCH + "header/edit/", designer.orchestration_header_edit, name="orchestration_header_edit"),
    path(ORCH + "undo/", designer_items.designer_undo, name="designer_undo"),
    path(ORCH + "steps/bulk/", designer_steps.steps_bulk, name="steps_bulk"),
    path(ORCH + "tasks/bulk/", designer_steps.step_tasks_bulk, name="step_tasks_bulk"),
    path(ORCH + "steps/<number:item>/objectives/", designer_steps.step_objectives, name="step_objectives"),
    # Adding and reordering happen in a parent's list.
    path(ORCH + "stages/new/", designer_items.item_new, {"kind": "stage"}, name="stage_new"),
    path(ORCH + "stages/reorder/", designer_items.item_reorder, {"kind": "stage"}, name="stage_reorder"),
]

# (kind, URL segment of the kind, URL segment of its parent's list)
_LEVELS = [
    ("stage", "stages", None),
    ("objective", "objectives", "stages"),
    ("step", "steps", "stages"),
    ("step_task", "tasks", "steps"),
]
for kind, segment, parent in _LEVELS:
    extra = {"kind": kind}
    if parent:
        children = f"{ORCH}{parent}/<number:parent>/{segment}/"
        urlpatterns += [
            path(children + "new/", designer_items.item_new, extra, name=f"{kind}_new"),
            path(children + "reorder/", designer_items.item_reorder, extra, name=f"{kind}_reorder"),
        ]
    item = f"{ORCH}{segment}/<number:item>/"
    urlpatterns += [
        path(item, designer_items.item_row, extra, name=f"{kind}_row"),
        path(item + "edit/", designer_items.item_edit, extra, name=f"{kind}_edit"),
        path(item + "delete/", designer_items.item_delete, extra, name=f"{kind}_delete"),
    ]
