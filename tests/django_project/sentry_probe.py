"""Requests through the test project with Sentry's Django integration on; prints what it sent.

Run as ``python -m django_project.sentry_probe PATH...`` from the tests folder:
Sentry patches Django for the whole process, so the tests run it apart.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.integrations.django import DjangoIntegration
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
    os.environ["DJANGO_SETTINGS_MODULE"] = "django_project.settings"
    sentry_sdk.init(
        dsn="http://public@127.0.0.1/1", integrations=[DjangoIntegration()], transport=Capture
    )
    import django  # noqa: PLC0415 - after Sentry, as a project's settings would do

    django.setup()
    from django.test import AsyncClient, Client  # noqa: PLC0415

    report = []
    for path in paths:
        for kind in ("wsgi", "asgi"):
            del EVENTS[:]
            if kind == "wsgi":
                response = Client(raise_request_exception=False).get(path)
            else:
                client = AsyncClient(raise_request_exception=False)
                response = asyncio.run(client.get(path))
            sentry_sdk.flush()
            report.append(
                {
                    "path": path,
                    "kind": kind,
                    "status": response.status_code,
                    "events": [
                        {
                            "type": event["exception"]["values"][-1]["type"],
                            "mechanism": event["exception"]["values"][-1]["mechanism"]["type"],
                        }
                        for event in EVENTS
                    ],
                }
            )
    sys.stdout.write(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1:])
