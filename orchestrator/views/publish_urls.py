"""Routes of the publish, sandbox and connection screens."""

from django.urls import path

from . import catalogue, connections, publish, sandbox

ORCH = "orchestrations/<number:number>/publish/"
RUN = "publish/runs/<int:run_id>/"

urlpatterns = [
    path(ORCH, publish.publish_page, name="publish_page"),
    path(ORCH + "start/", publish.publish_start, name="publish_start"),
    path(ORCH + "runs/", publish.publish_runs, name="publish_runs"),
    path(RUN, publish.publish_run, name="publish_run"),
    path(RUN + "resume/", publish.publish_resume, name="publish_resume"),
    path(RUN + "cancel/", publish.publish_cancel_view, name="publish_cancel"),
    path("sandbox/", sandbox.sandbox, name="sandbox"),
    path("sandbox/reset/", sandbox.sandbox_reset, name="sandbox_reset"),
    path("connections/", connections.connections, name="connections"),
    path("connections/pull/", connections.pull_orchestration, name="pull_orchestration"),
    path("connections/<str:name>/check/", connections.connection_check, name="connection_check"),
    path("connections/catalogue/upload/", catalogue.catalogue_upload_view, name="catalogue_upload"),
    path("connections/catalogue/demo.json", catalogue.catalogue_demo_file, name="catalogue_demo_file"),
    path("connections/<str:name>/catalogue/refresh/", catalogue.catalogue_refresh_view, name="catalogue_refresh"),
    path("connections/<str:name>/catalogue/use/", catalogue.catalogue_use, name="catalogue_use"),
]
