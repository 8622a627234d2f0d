"""Shared fixtures."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import django
import pytest
from django.core import mail
from django.test import override_settings
from django.utils.log import AdminEmailHandler
from hypothesis import HealthCheck, settings

from problemdetails import Problem, registry

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "leaks", deadline=None, max_examples=10_000, suppress_health_check=list(HealthCheck)
)
settings.load_profile("default")


@pytest.fixture(name="throwaway_types")
def _throwaway_types() -> Iterator[list[type[Problem]]]:
    """Collect problem classes a test declares and unregister them afterwards."""
    declared: list[type[Problem]] = []
    yield declared
    for cls in declared:
        registry.unregister(cls)


LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(name="admin_mail")
def _admin_mail() -> Iterator[list[Any]]:
    """The mails Django's AdminEmailHandler sends for django.request records at ERROR."""
    handler = AdminEmailHandler()
    handler.setLevel(logging.ERROR)
    logger = logging.getLogger("django.request")
    # Django 6.1 configures mail backends in MAILERS (EMAIL_BACKEND is
    # deprecated there) and wants ADMINS as addresses (6.0 on).
    backend: dict[str, Any] = (
        {"MAILERS": {"default": {"BACKEND": LOCMEM}}}
        if hasattr(mail, "mailers")
        else {"EMAIL_BACKEND": LOCMEM}
    )
    admins: list[Any] = (
        ["ops@example.com"] if django.VERSION >= (6,) else [("Ops", "ops@example.com")]
    )
    logger.addHandler(handler)
    try:
        with override_settings(ADMINS=admins, **backend):
            mail.outbox = []
            yield mail.outbox
    finally:
        logger.removeHandler(handler)
