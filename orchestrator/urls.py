from django.contrib import admin
from django.urls import include, path

from .views import auth, health

urlpatterns = [
    path("", auth.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/login/", auth.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # Each screen's routes live beside its views.
    path("", include("orchestrator.views.designer_urls")),
    path("", include("orchestrator.views.publish_urls")),
    path("", include("orchestrator.views.review_urls")),
    path("", include("orchestrator.views.outreach_urls")),
    path("", include("orchestrator.views.rehearsal_urls")),
]
