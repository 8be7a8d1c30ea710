"""Routes of the rehearsal screens: the form and plan per orchestration, a rehearsal's report and its clean-up."""

from django.urls import path

from . import rehearsal

ORCH = "orchestrations/<str:number>/rehearse/"

urlpatterns = [
    path(ORCH, rehearsal.rehearsal_page, name="rehearsal_page"),
    path(ORCH + "plan/", rehearsal.rehearsal_plan_view, name="rehearsal_plan"),
    path(ORCH + "start/", rehearsal.rehearsal_start_view, name="rehearsal_start"),
    path("rehearsals/<int:rehearsal_id>/", rehearsal.rehearsal_report, name="rehearsal_report"),
    path("rehearsals/<int:rehearsal_id>/cleanup/", rehearsal.rehearsal_cleanup_view, name="rehearsal_cleanup"),
]
