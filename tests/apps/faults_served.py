"""The Flask and WSGI fault apps as gunicorn serves them (``apps.faults_served:flask_app``).

The root logger gets the `BreakingHandler`, so that logging fails for real
inside the server for the requests that ask for it.
"""

from __future__ import annotations

from apps.faults_common import FAULT_SETTINGS, install_breaking_handler
from apps.faults_flask import create_app as create_flask_app
from apps.faults_wsgi import create_app as create_wsgi_app

install_breaking_handler()

flask_app = create_flask_app(**FAULT_SETTINGS)
wsgi_app = create_wsgi_app(**FAULT_SETTINGS)
