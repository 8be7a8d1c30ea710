"""runserver as WhiteNoise wraps it (static files from WhiteNoise, `--nostatic`), on orchestrator.devserver.

This app is first in INSTALLED_APPS so that this command is the one Django
finds for `runserver`; WhiteNoise's, which it extends, still finds the
staticfiles one below it.
"""

from whitenoise.runserver_nostatic.management.commands.runserver import Command as WhiteNoiseRunserver

from ...devserver import DevServer


class Command(WhiteNoiseRunserver):
    server_cls = DevServer
