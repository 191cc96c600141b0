"""The WSGI application `textback serve` runs: Django, with the inbox's unchanged polls answered first."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "textback.settings")
django_application = get_wsgi_application()

from textback.inbox.live import answer_unchanged_polls  # noqa: E402  (needs Django set up)

application = answer_unchanged_polls(django_application, read_ahead=True)
