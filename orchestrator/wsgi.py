"""WSGI entry point (gunicorn orchestrator.wsgi)."""

import gc
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orchestrator.settings")

application = get_wsgi_application()

if not settings.DEBUG:
    # Everything loaded so far (Django, our modules, the URL conf) lives as long as the worker: move it
    # out of the collector's reach, so a collection during a request walks that request's objects only
    # (9-19% of a large designer page went to collections that walked it all). A higher first threshold
    # lets a request that builds a few thousand model instances run with fewer young collections.
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)
