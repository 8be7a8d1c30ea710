"""Routes of the publish, sandbox and connection screens."""

urlpatterns: list = []
