from django.apps import AppConfig


class OrchestratorConfig(AppConfig):
    name = "orchestrator"
    verbose_name = "Orchestrator"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.urls import register_converter

        from .views.url_converters import PublicNumberConverter

        # Before any URLconf is imported: routes say <number:…> for public numbers.
        register_converter(PublicNumberConverter, "number")
