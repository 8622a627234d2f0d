"""Settings of the test project: no database, the middleware first, every Django layer used."""

from __future__ import annotations

SECRET_KEY = "test-only-not-a-secret"  # noqa: S105 - a test project
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
ROOT_URLCONF = "django_project.urls"
WSGI_APPLICATION = "django_project.wsgi.application"

INSTALLED_APPS = ["problemdetails.adapters.django.ProblemDetailsConfig"]
MIDDLEWARE = [
    "problemdetails.adapters.django.ProblemDetailsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django_project.middleware.FailingMiddleware",
    "django_project.middleware.VaryingMiddleware",
    "django_project.middleware.RaisingMiddleware",
]
CSRF_FAILURE_VIEW = "problemdetails.adapters.django.csrf_failure"
DATABASES: dict[str, object] = {}
TEMPLATES: list[object] = []

USE_I18N = True
USE_TZ = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "German")]

# Small limits, so that the tests can reach them.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
DATA_UPLOAD_MAX_NUMBER_FILES = 2

# Django's default logging set-up stays off: every record propagates to the
# root logger, where pytest's caplog (and a server's stderr) sees it.
LOGGING_CONFIG = None
