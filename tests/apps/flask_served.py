"""The app of `apps.flask_errors` as gunicorn serves it (``apps.flask_served:app``).

Flask's debug flag is on, as ``FLASK_DEBUG=1`` would set it
(``apps.flask_served:production`` is the same app with it off), and every
record goes to stderr (gunicorn's log) with its level and logger, so that
the tests can count them.
"""

from __future__ import annotations

import logging

from apps.flask_errors import create_app

logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

app = create_app()
app.debug = True

production = create_app()
