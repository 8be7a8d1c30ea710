from django.urls import path

from . import orchestrations

urlpatterns = [
    path("orchestrations/", orchestrations.orchestration_list, name="orchestration_list"),
]
