"""Routes of the Outreach screens: sync an orchestration's stages, a sync's page, the check, a draft from Outreach."""

from django.urls import path

from . import outreach

ORCH = "orchestrations/<str:number>/outreach/"

urlpatterns = [
    path(ORCH, outreach.outreach_page, name="outreach_page"),
    path(ORCH + "plan/", outreach.outreach_plan, name="outreach_plan"),
    path(ORCH + "sync/", outreach.outreach_sync_start, name="outreach_sync"),
    path("outreach/runs/<int:run_id>/", outreach.outreach_run, name="outreach_run"),
    path("outreach/new-orchestration/", outreach.outreach_import, name="outreach_import"),
    path("connections/outreach/<str:name>/check/", outreach.outreach_check, name="outreach_check"),
]
