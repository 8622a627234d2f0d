"""The ASGI application: ``uvicorn django_api.asgi:application`` from the ``examples`` folder."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_api.settings")

application = get_asgi_application()
