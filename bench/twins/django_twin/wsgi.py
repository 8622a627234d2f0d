"""The WSGI application: ``gunicorn django_twin.wsgi`` from ``bench/twins``."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_twin.settings")

application = get_wsgi_application()
