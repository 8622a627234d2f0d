"""The WSGI application: ``gunicorn django_api.wsgi`` from the ``examples`` folder."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_api.settings")

application = get_wsgi_application()
