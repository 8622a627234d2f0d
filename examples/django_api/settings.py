"""Settings of the example API: the middleware first, and its settings in one dict."""

from __future__ import annotations

SECRET_KEY = "example-only-not-a-secret"  # noqa: S105 - an example; never deploy it
DEBUG = False  # the responses are the same with DEBUG = True: nothing leaks either way
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
ROOT_URLCONF = "django_api.urls"
WSGI_APPLICATION = "django_api.wsgi.application"

INSTALLED_APPS = ["problemdetails.adapters.django.ProblemDetailsConfig"]
MIDDLEWARE = [
    "problemdetails.adapters.django.ProblemDetailsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
CSRF_FAILURE_VIEW = "problemdetails.adapters.django.csrf_failure"

PROBLEMDETAILS = {
    "FLOW_ID_HEADER": "X-Request-ID",
    "INSTANCE": "path",
}

DATABASES: dict[str, object] = {}
USE_I18N = True
USE_TZ = True

# Django leaves logging alone, so that the demo can run this API in one
# process with others; records reach the root logger (stderr by default).
LOGGING_CONFIG = None
