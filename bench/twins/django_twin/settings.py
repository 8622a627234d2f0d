"""Settings of the twin: those of ``examples/django_api`` without the library's."""

from __future__ import annotations

SECRET_KEY = "benchmark-only-not-a-secret"  # noqa: S105 - a benchmark; never deploy it
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
ROOT_URLCONF = "django_twin.urls"
WSGI_APPLICATION = "django_twin.wsgi.application"

INSTALLED_APPS: list[str] = []
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]

DATABASES: dict[str, object] = {}
USE_I18N = True
USE_TZ = True

# As in the example: Django leaves logging alone; records reach the root logger.
LOGGING_CONFIG = None
