"""Django's side of the settings: ``settings.PROBLEMDETAILS`` and its system checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import attrs
from django.conf import settings
from django.core import checks

from problemdetails import Config, ConfigurationError

SETTING = "PROBLEMDETAILS"
MIDDLEWARE = "problemdetails.adapters.django.ProblemDetailsMiddleware"
_COMMON = "django.middleware.common.CommonMiddleware"
_SOURCE = f"settings.{SETTING}"

#: Where the pipeline logs in a Django project unless ``LOGGER_NAME`` says
#: otherwise: Django's logging set-up (``mail_admins``, error trackers) already
#: listens there for 500s.
DJANGO_DEFAULTS = Config(logger_name="django.request")

_NAMES = frozenset(field.name for field in attrs.fields(Config))
_HINTS = {
    "debug": "Use True or False; True only in development, as it puts tracebacks in 500s.",
    "flow_id_header": "Name a header such as 'X-Request-ID', or None to send no flow id header.",
    "flow_id_member": "Name a member such as 'flow_id' or 'trace_id' (letters, digits, '_').",
    "flow_id_max_length": "Use an int from 8 to 1024.",
    "flow_id_factory": "Give a callable that takes no arguments and returns a str, or its "
    "dotted path.",
    "instance": "Use None (the default), 'path', 'url', or a callable taking a RequestInfo "
    "(or its dotted path).",
    "type_base_uri": "Use an absolute URI ending in '/', such as "
    "'https://api.example.com/problems/'.",
    "media_types": "List 'application/problem+json' and/or 'application/problem+xml', the "
    "fallback first.",
    "mappings": "Map exception classes (or dotted paths) to problem classes or to callables "
    "that build the problem from the exception.",
    "report_hooks": "List callables that take an ErrorReport (or their dotted paths).",
    "report_timeout": "Use None, or the seconds to wait for the hooks, more than 0 and at most 60.",
    "logger_name": "Name a logger, such as 'django.request' (the default here).",
    "text_max_length": "Use None, or the most characters of title and detail to send, "
    "an int from 64 to 1048576.",
    "problem_log_level": "Use a logging level such as 'WARNING' or logging.INFO, for the "
    "records of 5xx problems raised on purpose.",
    "upstream_status": "Use 502 (Bad Gateway, the default), 503 or 504: the status that "
    "answers a problem received from another service.",
}
_HINT = "See the settings of problemdetails' Config."


def config_from_settings() -> Config:
    """Build the `Config` from ``settings.PROBLEMDETAILS`` (absent: the defaults).

    Raises:
        ConfigurationError: the setting is not a dict, or one of its keys is wrong.
    """
    value: object = getattr(settings, SETTING, {})
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f"{_SOURCE} must be a dict such as {{'FLOW_ID_HEADER': 'X-Request-ID'}}, got {value!r}"
        )
    # Config.from_mapping checks that the keys are strings.
    return Config.from_mapping(
        cast("Mapping[str, Any]", value), source=_SOURCE, base=DJANGO_DEFAULTS
    )


@checks.register
def check_settings(**_: object) -> list[checks.CheckMessage]:
    """Report each wrong key of ``settings.PROBLEMDETAILS``, with a hint.

    ``problemdetails.E001``: not a dict; ``E002``: an unknown setting;
    ``E003``: a wrong value.
    """
    value: object = getattr(settings, SETTING, {})
    if not isinstance(value, Mapping):
        return [
            checks.Error(
                f"{_SOURCE} must be a dict, not {type(value).__name__}.",
                hint="Write it as PROBLEMDETAILS = {'FLOW_ID_HEADER': 'X-Request-ID', ...}, "
                "or leave it out for the defaults.",
                id="problemdetails.E001",
            )
        ]
    errors: list[checks.CheckMessage] = []
    for key, item in cast("Mapping[object, object]", value).items():
        name = key.lower() if isinstance(key, str) else ""
        if not isinstance(key, str) or name not in _NAMES:
            errors.append(
                checks.Error(
                    f"{_SOURCE} has an unknown setting {key!r}.",
                    hint=f"Known settings: {', '.join(sorted(n.upper() for n in _NAMES))}.",
                    id="problemdetails.E002",
                )
            )
            continue
        try:
            Config.from_mapping({key: item}, source=_SOURCE, base=DJANGO_DEFAULTS)
        except ConfigurationError as error:
            errors.append(
                checks.Error(str(error), hint=_HINTS.get(name, _HINT), id="problemdetails.E003")
            )
    if not errors:
        try:
            config_from_settings()
        except ConfigurationError as error:
            errors.append(checks.Error(str(error), hint=_HINT, id="problemdetails.E003"))
    return errors


@checks.register
def check_middleware(**_: object) -> list[checks.CheckMessage]:
    """Warn when the middleware comes after CommonMiddleware (``problemdetails.W001``)."""
    middleware: object = getattr(settings, "MIDDLEWARE", None)
    if not isinstance(middleware, (list, tuple)):
        return []
    entries = list(cast("Sequence[object]", middleware))
    if MIDDLEWARE not in entries:
        return []
    if _COMMON in entries and entries.index(_COMMON) < entries.index(MIDDLEWARE):
        return [
            checks.Warning(
                "ProblemDetailsMiddleware comes after CommonMiddleware: errors raised there "
                "(DisallowedHost for a Host header not in ALLOWED_HOSTS) are answered with "
                "Django's HTML page, not a problem.",
                hint=f"Put {MIDDLEWARE!r} first in MIDDLEWARE.",
                id="problemdetails.W001",
            )
        ]
    return []
