"""Requests through ``apps.flask_errors`` with Sentry's Flask integration on; prints what it sent.

Run as ``python -m apps.flask_sentry_probe PATH...`` from the tests folder:
Sentry patches Flask for the whole process, so the tests run it apart. It
prints, for each path, the status and each event as ``[exception type,
mechanism]``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.integrations.flask import FlaskIntegration
from sentry_sdk.transport import Transport

EVENTS: list[dict[str, Any]] = []


class Capture(Transport):
    """Keeps the events instead of sending them."""

    def capture_envelope(self, envelope: Envelope) -> None:
        EVENTS.extend(
            item.payload.json
            for item in envelope.items
            if item.type == "event" and item.payload.json
        )


def main(paths: list[str]) -> None:
    sentry_sdk.init(
        dsn="http://public@127.0.0.1/1", integrations=[FlaskIntegration()], transport=Capture
    )
    from apps.flask_errors import create_app  # noqa: PLC0415 - after Sentry, as an app would

    client = create_app().test_client()
    report = []
    for path in paths:
        del EVENTS[:]
        response = client.get(path)
        response.get_data()
        sentry_sdk.flush()
        report.append(
            {
                "path": path,
                "status": response.status_code,
                "events": [
                    [
                        event["exception"]["values"][-1]["type"],
                        event["exception"]["values"][-1]["mechanism"]["type"],
                    ]
                    for event in EVENTS
                ],
            }
        )
    sys.stdout.write(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1:])
