"""Settings of the fault project; the in-process tests apply `OVERRIDES` of them.

pytest runs every Django test in one process, configured by the test project;
the fault tests put these settings on top with ``override_settings``, while
gunicorn loads this module as ``DJANGO_SETTINGS_MODULE``.
"""

from __future__ import annotations

from apps.faults_common import REPORT_TIMEOUT

SECRET_KEY = "faults-only-not-a-secret"  # noqa: S105 - a test project
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
ROOT_URLCONF = "faults_django.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE = [
    "problemdetails.adapters.django.ProblemDetailsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "faults_django.middleware.RaiseGivenMiddleware",
]
PROBLEMDETAILS = {
    "INSTANCE": "apps.faults_common.instance_for",
    "REPORT_HOOKS": ["apps.faults_common.report_hook"],
    "REPORT_TIMEOUT": REPORT_TIMEOUT,
}
DATABASES: dict[str, object] = {}
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "German")]
# Records propagate to the root logger: caplog sees them, and so does the
# handler the served project installs.
LOGGING_CONFIG = None

#: The settings the in-process tests override.
OVERRIDES = (
    "DEBUG",
    "ALLOWED_HOSTS",
    "ROOT_URLCONF",
    "MIDDLEWARE",
    "PROBLEMDETAILS",
    "USE_I18N",
    "LANGUAGE_CODE",
    "LANGUAGES",
)
