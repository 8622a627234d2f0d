"""The fault project as gunicorn serves it (``faults_django.wsgi:application``).

The root logger gets the ``BreakingHandler``, so that logging fails for real
inside the server for the requests that ask for it.
"""

from __future__ import annotations

import os

from apps.faults_common import install_breaking_handler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faults_django.settings")
install_breaking_handler()

application = get_wsgi_application()
