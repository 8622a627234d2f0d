"""settings.PROBLEMDETAILS: Django's system checks, and the same validation at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import django
import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client, override_settings

os.environ["DJANGO_SETTINGS_MODULE"] = "django_project.settings"
django.setup()

from problemdetails import ConfigurationError  # noqa: E402
from problemdetails.adapters.django import get_handler  # noqa: E402
from problemdetails.adapters.django._checks import (  # noqa: E402
    check_middleware,
    check_settings,
)

TESTS = Path(__file__).parent
KNOWN = (
    "Known settings: DEBUG, FLOW_ID_FACTORY, FLOW_ID_HEADER, FLOW_ID_MAX_LENGTH, FLOW_ID_MEMBER, "
    "INSTANCE, LOGGER_NAME, MAPPINGS, MEDIA_TYPES, PROBLEM_LOG_LEVEL, REPORT_HOOKS, "
    "REPORT_TIMEOUT, TEXT_MAX_LENGTH, TYPE_BASE_URI, UPSTREAM_STATUS."
)


def messages(settings: object) -> list[tuple[str, str, str | None]]:
    with override_settings(PROBLEMDETAILS=settings):
        return [(m.id or "", m.msg, m.hint) for m in check_settings()]


class TestSystemChecks:
    """Each wrong setting is one check message with an id and a hint."""

    @pytest.mark.parametrize("settings", [{}, {"DEBUG": True, "flow_id_header": None}])
    def test_valid(self, settings: dict[str, Any]):
        """Valid settings (any key case) give no message."""
        assert messages(settings) == []

    def test_absent(self):
        """No PROBLEMDETAILS at all gives no message."""
        assert check_settings() == []

    def test_not_a_dict(self):
        """problemdetails.E001: the setting is not a dict."""
        assert messages(["DEBUG"]) == [
            (
                "problemdetails.E001",
                "settings.PROBLEMDETAILS must be a dict, not list.",
                (
                    "Write it as PROBLEMDETAILS = {'FLOW_ID_HEADER': 'X-Request-ID', ...}, "
                    "or leave it out for the defaults."
                ),
            )
        ]

    @pytest.mark.parametrize("key", ["DEBUGG", 3])
    def test_unknown_setting(self, key: object):
        """problemdetails.E002: a key that names no setting; the hint lists them."""
        assert messages({key: True}) == [
            (
                "problemdetails.E002",
                f"settings.PROBLEMDETAILS has an unknown setting {key!r}.",
                KNOWN,
            )
        ]

    @pytest.mark.parametrize(
        ("key", "value", "message", "hint"),
        [
            (
                "DEBUG",
                "yes",
                "debug must be True or False, got 'yes'",
                "Use True or False; True only in development, as it puts tracebacks in 500s.",
            ),
            (
                "FLOW_ID_HEADER",
                "Bad Header",
                (
                    "flow_id_header must be an HTTP header name such as 'X-Request-ID' (or None to "
                    "turn it off), got 'Bad Header'"
                ),
                "Name a header such as 'X-Request-ID', or None to send no flow id header.",
            ),
            (
                "FLOW_ID_MEMBER",
                "x",
                (
                    "flow_id_member must be a member name of 3+ letters, digits or '_' "
                    "starting with a letter (RFC 9457 section 3.2), got 'x'"
                ),
                "Name a member such as 'flow_id' or 'trace_id' (letters, digits, '_').",
            ),
            (
                "FLOW_ID_MAX_LENGTH",
                4,
                "flow_id_max_length must be an int from 8 to 1024, got 4",
                "Use an int from 8 to 1024.",
            ),
            (
                "FLOW_ID_FACTORY",
                42,
                "flow_id_factory must be callable, got 42",
                "Give a callable that takes no arguments and returns a str, or its dotted path.",
            ),
            (
                "INSTANCE",
                42,
                (
                    "instance must be None (the default: RFC 9457's instance identifies the "
                    "occurrence, not the URL), 'path', 'url' or a callable, got 42"
                ),
                (
                    "Use None (the default), 'path', 'url', or a callable taking a RequestInfo "
                    "(or its dotted path)."
                ),
            ),
            (
                "TYPE_BASE_URI",
                "/problems/",
                (
                    "type_base_uri must be an absolute URI such as "
                    "'https://api.example.com/problems/', got '/problems/'"
                ),
                "Use an absolute URI ending in '/', such as 'https://api.example.com/problems/'.",
            ),
            (
                "MEDIA_TYPES",
                ["text/html"],
                (
                    "media_types must name each of application/problem+json, "
                    "application/problem+xml at most once, most preferred first; got ('text/html',)"
                ),
                (
                    "List 'application/problem+json' and/or 'application/problem+xml', the "
                    "fallback first."
                ),
            ),
            (
                "MAPPINGS",
                {KeyError: 42},
                (
                    "mappings[KeyError] must be a problem class or a callable taking the "
                    "exception, got 42"
                ),
                (
                    "Map exception classes (or dotted paths) to problem classes or to callables "
                    "that build the problem from the exception."
                ),
            ),
            (
                "REPORT_HOOKS",
                [42],
                "report_hooks: 42 is not callable",
                "List callables that take an ErrorReport (or their dotted paths).",
            ),
            (
                "REPORT_TIMEOUT",
                0,
                "report_timeout must be None or seconds in (0, 60], got 0",
                "Use None, or the seconds to wait for the hooks, more than 0 and at most 60.",
            ),
            (
                "LOGGER_NAME",
                "",
                "logger_name must be a non-empty string, got ''",
                "Name a logger, such as 'django.request' (the default here).",
            ),
            (
                "PROBLEM_LOG_LEVEL",
                "LOUD",
                (
                    "problem_log_level must be a logging level such as logging.WARNING or "
                    "'WARNING', got 'LOUD'"
                ),
                (
                    "Use a logging level such as 'WARNING' or logging.INFO, for the records of "
                    "5xx problems raised on purpose."
                ),
            ),
            (
                "UPSTREAM_STATUS",
                403,
                (
                    "upstream_status must be a 5xx status such as 502 (Bad Gateway), 503 or "
                    "504, got 403"
                ),
                (
                    "Use 502 (Bad Gateway, the default), 503 or 504: the status that answers a "
                    "problem received from another service."
                ),
            ),
        ],
    )
    def test_wrong_value(self, key: str, value: object, message: str, hint: str):
        """problemdetails.E003: a wrong value; the message says what is wrong, the hint how."""
        assert messages({key: value}) == [
            ("problemdetails.E003", f"settings.PROBLEMDETAILS: {message}", hint)
        ]

    def test_import_failure(self):
        """A dotted path that does not import names the key and the import error."""
        ((check_id, message, _),) = messages({"FLOW_ID_FACTORY": "nowhere.factory"})
        assert check_id == "problemdetails.E003"
        assert message.startswith(
            "settings.PROBLEMDETAILS['FLOW_ID_FACTORY']: cannot import 'nowhere.factory'"
        )

    def test_every_error_reported(self):
        """Every wrong key is reported at once, in order."""
        found = messages({"DEBUG": "yes", "NOPE": 1, "FLOW_ID_MAX_LENGTH": 0})
        assert [check_id for check_id, _, _ in found] == [
            "problemdetails.E003",
            "problemdetails.E002",
            "problemdetails.E003",
        ]

    def test_same_setting_twice(self):
        """A setting given twice in different case is an error too."""
        assert messages({"debug": True, "DEBUG": False}) == [
            (
                "problemdetails.E003",
                "settings.PROBLEMDETAILS: 'debug' and 'DEBUG' are the same setting; give it once",
                "See the settings of problemdetails' Config.",
            )
        ]

    def test_registered_with_django(self):
        """Django's check framework runs them (as manage.py check does)."""
        with override_settings(PROBLEMDETAILS={"DEBUG": "yes"}):
            found = checks.run_checks()
            with pytest.raises(SystemCheckError, match=r"problemdetails\.E003"):
                call_command("check")
        assert [m.id for m in found if m.id and m.id.startswith("problemdetails.")] == [
            "problemdetails.E003"
        ]


class TestMiddlewareOrder:
    """problemdetails.W001: the middleware should come before CommonMiddleware."""

    def test_first(self):
        """The test project puts it first: no warning."""
        assert check_middleware() == []

    def test_after_common(self):
        """After CommonMiddleware, DisallowedHost pages are not rewritten: a warning says so."""
        order = [
            "django.middleware.common.CommonMiddleware",
            "problemdetails.adapters.django.ProblemDetailsMiddleware",
        ]
        with override_settings(MIDDLEWARE=order):
            (warning,) = check_middleware()
        assert warning.id == "problemdetails.W001"
        assert isinstance(warning, checks.Warning)
        assert warning.hint == (
            "Put 'problemdetails.adapters.django.ProblemDetailsMiddleware' first in MIDDLEWARE."
        )

    @pytest.mark.parametrize(
        "middleware", [["django.middleware.common.CommonMiddleware"], "not a list"]
    )
    def test_not_installed(self, middleware: object):
        """Without the middleware (or a MIDDLEWARE Django would refuse), there is nothing to say."""
        with override_settings(MIDDLEWARE=middleware):
            assert check_middleware() == []


class TestStartUp:
    """The same validation runs when Django loads the middleware."""

    def test_handler_refuses_to_start(self):
        """Loading the middleware raises ImproperlyConfigured with the message of the check."""
        with (
            override_settings(PROBLEMDETAILS={"FLOW_ID_MAX_LENGTH": 4}),
            pytest.raises(ImproperlyConfigured) as raised,
        ):
            WSGIHandler()
        assert str(raised.value) == (
            "settings.PROBLEMDETAILS: flow_id_max_length must be an int from 8 to 1024, got 4"
        )
        assert isinstance(raised.value.__cause__, ConfigurationError)

    def test_not_a_dict(self):
        """A PROBLEMDETAILS that is not a dict stops start-up too."""
        with override_settings(PROBLEMDETAILS="DEBUG"), pytest.raises(ImproperlyConfigured):
            get_handler()

    def test_test_client(self):
        """The test client's first request loads the middleware, and fails the same way."""
        with (
            override_settings(PROBLEMDETAILS={"NOPE": 1}),
            pytest.raises(ImproperlyConfigured, match="unknown setting 'NOPE'"),
        ):
            Client().get("/ok/")


class TestManagePyCheck:
    """``manage.py check`` in a real process reports a wrong setting."""

    def test_reports_and_fails(self, tmp_path: Path):
        """It exits with 1 and prints the id, the message and the hint."""
        (tmp_path / "bad_settings.py").write_text(
            "from django_project.settings import *  # noqa: F403\n"
            "PROBLEMDETAILS = {'FLOW_ID_HEADER': 'Bad Header'}\n"
        )
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(TESTS)])}
        environment.pop("DJANGO_SETTINGS_MODULE")
        result = subprocess.run(
            [sys.executable, "-m", "django", "check", "--settings=bad_settings"],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 1
        assert (
            "?: (problemdetails.E003) settings.PROBLEMDETAILS: flow_id_header must be an HTTP "
            "header name such as 'X-Request-ID' (or None to turn it off), got 'Bad Header'\n"
            "\tHINT: Name a header such as 'X-Request-ID', or None to send no flow id header."
        ) in result.stderr
