"""Configuration: validated once, with messages that say how to fix a setting."""

from __future__ import annotations

import math
from typing import Any

import attrs
import pytest

from problemdetails import (
    JSON_MEDIA_TYPE,
    XML_MEDIA_TYPE,
    Config,
    ConfigurationError,
    InternalError,
    Problem,
    new_flow_id,
)


class NeedsBalance(Problem, status=403):
    balance: int


class NotFound(Problem, status=404):
    pass


def _factory(exception: BaseException) -> Problem:
    return NotFound(detail=type(exception).__name__)


def _hook(report: object) -> None:
    pass


class UnIterable:
    """Claims to be iterable but is not."""

    def __iter__(self) -> Any:
        raise TypeError("not really")

    def __repr__(self) -> str:
        return "UnIterable()"


class TestDefaults:
    """The defaults are safe and documented."""

    def test_defaults(self):
        """Debug off, X-Flow-ID, flow_id member, no instance, JSON first, no hooks."""
        config = Config()
        assert config.debug is False
        assert config.flow_id_header == "X-Flow-ID"
        assert config.flow_id_member == "flow_id"
        assert config.flow_id_max_length == 128
        assert config.flow_id_factory is new_flow_id
        assert config.instance is None
        assert config.type_base_uri is None
        assert config.media_types == (JSON_MEDIA_TYPE, XML_MEDIA_TYPE)
        assert config.mappings == {}
        assert config.report_hooks == ()
        assert config.report_timeout is None
        assert config.logger_name == "problemdetails"

    def test_frozen(self):
        """A config cannot be changed after it is built."""
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            Config().debug = True  # type: ignore[misc]


INVALID = [
    ("debug", "yes", "debug must be True or False"),
    ("debug", 1, "debug must be True or False"),
    ("debug", None, "debug must be True or False"),
    ("flow_id_header", "X Flow", "flow_id_header must be an HTTP header name"),
    ("flow_id_header", "", "flow_id_header must be an HTTP header name"),
    ("flow_id_header", "X-Flow:", "flow_id_header must be an HTTP header name"),
    ("flow_id_header", "X-Fl\u00f6w", "flow_id_header must be an HTTP header name"),
    ("flow_id_header", 5, "flow_id_header must be an HTTP header name"),
    ("flow_id_member", "ab", r"flow_id_member must be a member name .*RFC 9457 section 3\.2"),
    ("flow_id_member", "1abc", "flow_id_member must be a member name"),
    ("flow_id_member", "flow-id", "flow_id_member must be a member name"),
    ("flow_id_member", 5, "flow_id_member must be a member name"),
    ("flow_id_member", "title", "would overwrite a standard member"),
    ("flow_id_member", "extensions", "would overwrite a standard member"),
    ("flow_id_max_length", 7, "flow_id_max_length must be an int from 8 to 1024"),
    ("flow_id_max_length", 1025, "flow_id_max_length must be an int from 8 to 1024"),
    ("flow_id_max_length", True, "flow_id_max_length must be an int from 8 to 1024"),
    ("flow_id_max_length", 64.0, "flow_id_max_length must be an int from 8 to 1024"),
    ("flow_id_factory", "uuid.uuid4", "flow_id_factory must be callable"),
    ("flow_id_factory", None, "flow_id_factory must be callable"),
    ("instance", "query", "instance must be None .*'path', 'url' or a callable"),
    ("instance", 5, "instance must be None"),
    ("type_base_uri", "/problems/", "type_base_uri must be an absolute URI"),
    ("type_base_uri", "https://ex ample.com/", "type_base_uri must be an absolute URI"),
    ("type_base_uri", 5, "type_base_uri must be an absolute URI"),
    ("media_types", [], "media_types must name each of"),
    ("media_types", ["text/html"], "media_types must name each of"),
    ("media_types", [JSON_MEDIA_TYPE, JSON_MEDIA_TYPE], "media_types must name each of"),
    ("media_types", 5, "media_types must be a sequence"),
    ("media_types", UnIterable(), "media_types must be a sequence"),
    ("mappings", [KeyError], "mappings must map exception classes"),
    ("mappings", {5: NotFound}, "mappings: 5 is not an exception class"),
    ("mappings", {int: NotFound}, "is not an exception class"),
    ("mappings", {KeyError: 5}, r"mappings\[KeyError\] must be a problem class or a callable"),
    ("mappings", {KeyError: NeedsBalance}, "NeedsBalance needs members balance"),
    ("mappings", {"no.such.Module": NotFound}, "mappings: cannot import 'no.such.Module'"),
    ("mappings", {KeyError: "builtins.NoSuchName"}, "cannot import 'builtins.NoSuchName'"),
    ("mappings", {KeyError: "nodots"}, "cannot import 'nodots'"),
    ("report_hooks", 5, "report_hooks must be a sequence of callables"),
    ("report_hooks", None, "report_hooks must be a sequence of callables"),
    ("report_hooks", [_hook, 5], "report_hooks: 5 is not callable"),
    ("report_hooks", "no.such.hook", "report_hooks: cannot import 'no.such.hook'"),
    ("report_timeout", 0, r"report_timeout must be None or seconds in \(0, 60\]"),
    ("report_timeout", -1, "report_timeout must be None or seconds"),
    ("report_timeout", 61, "report_timeout must be None or seconds"),
    ("report_timeout", True, "report_timeout must be None or seconds"),
    ("report_timeout", "1", "report_timeout must be None or seconds"),
    ("report_timeout", math.nan, "report_timeout must be None or seconds"),
    ("logger_name", "", "logger_name must be a non-empty string"),
    ("logger_name", None, "logger_name must be a non-empty string"),
]


class TestValidation:
    """Each setting is checked when the config is built."""

    @pytest.mark.parametrize(
        ("name", "value", "message"), INVALID, ids=[f"{n}={v!r}" for n, v, _ in INVALID]
    )
    def test_invalid(self, name: str, value: Any, message: str):
        """A wrong value raises ConfigurationError naming the setting and what it takes."""
        with pytest.raises(ConfigurationError, match=message):
            Config(**{name: value})

    @pytest.mark.parametrize(
        ("name", "value", "expected"),
        [
            ("debug", True, True),
            ("flow_id_header", None, None),
            ("flow_id_header", "X-Request-ID", "X-Request-ID"),
            ("flow_id_member", "trace_id", "trace_id"),
            ("flow_id_max_length", 8, 8),
            ("flow_id_max_length", 1024, 1024),
            ("instance", "path", "path"),
            ("instance", "url", "url"),
            (
                "type_base_uri",
                "https://api.example.com/problems/",
                "https://api.example.com/problems/",
            ),
            ("media_types", XML_MEDIA_TYPE, (XML_MEDIA_TYPE,)),
            ("media_types", [XML_MEDIA_TYPE, JSON_MEDIA_TYPE], (XML_MEDIA_TYPE, JSON_MEDIA_TYPE)),
            ("report_hooks", _hook, (_hook,)),
            ("report_hooks", [_hook, _hook], (_hook, _hook)),
            ("report_timeout", 0.5, 0.5),
            ("report_timeout", 60, 60),
            ("logger_name", "myapp.errors", "myapp.errors"),
        ],
    )
    def test_valid(self, name: str, value: Any, expected: Any):
        """Valid values are accepted and normalized."""
        assert getattr(Config(**{name: value}), name) == expected

    def test_mapping_targets(self):
        """Problem classes without required members and callables are mapping targets."""
        config = Config(mappings={KeyError: NotFound, LookupError: _factory})
        assert config.mappings == {KeyError: NotFound, LookupError: _factory}

    def test_dotted_paths(self):
        """Exception classes, targets and hooks may be dotted import paths."""
        config = Config(
            mappings={"builtins.KeyError": "problemdetails.InternalError"},
            report_hooks=["builtins.repr"],
        )
        assert config.mappings == {KeyError: InternalError}
        assert config.report_hooks == (repr,)

    def test_single_dotted_hook(self):
        """A single hook may be given as one dotted path."""
        assert Config(report_hooks="builtins.repr").report_hooks == (repr,)


class TestFromMapping:
    """Settings mappings (Flask's app.config, Django's settings dict)."""

    def test_keys_in_any_case(self):
        """Keys match the field names whatever their case."""
        config = Config.from_mapping(
            {"DEBUG": True, "Flow_Id_Header": "X-Request-ID", "flow_id_member": "trace_id"}
        )
        assert (config.debug, config.flow_id_header, config.flow_id_member) == (
            True,
            "X-Request-ID",
            "trace_id",
        )

    def test_unknown_key(self):
        """An unknown key names the source and lists the known settings."""
        with pytest.raises(ConfigurationError) as info:
            Config.from_mapping({"FLOW_HEADER": "X"}, source="app.config")
        message = str(info.value)
        assert message.startswith("app.config: unknown setting 'FLOW_HEADER'")
        assert "FLOW_ID_HEADER" in message
        assert "REPORT_TIMEOUT" in message

    def test_non_string_key(self):
        """A key that is not a string is refused with the source named."""
        with pytest.raises(ConfigurationError, match=r"settings: setting names are strings, got 5"):
            Config.from_mapping({5: True})  # type: ignore[dict-item]

    def test_same_key_twice(self):
        """The same setting given twice in different case is refused rather than guessed."""
        with pytest.raises(ConfigurationError, match=r"'DEBUG' and 'debug' are the same setting"):
            Config.from_mapping({"DEBUG": True, "debug": False})

    def test_bad_value_names_source(self):
        """A wrong value is reported with the source in front."""
        with pytest.raises(
            ConfigurationError, match=r"^PROBLEMDETAILS: debug must be True or False"
        ):
            Config.from_mapping({"DEBUG": "yes"}, source="PROBLEMDETAILS")

    def test_dotted_paths(self):
        """The flow id factory, instance source, mappings and hooks may be dotted paths."""
        config = Config.from_mapping(
            {
                "FLOW_ID_FACTORY": "problemdetails.new_flow_id",
                "INSTANCE": "os.path.basename",
                "MAPPINGS": {"builtins.KeyError": "problemdetails.InternalError"},
                "REPORT_HOOKS": ["builtins.repr"],
            }
        )
        import os.path  # noqa: PLC0415

        assert config.flow_id_factory is new_flow_id
        assert config.instance is os.path.basename
        assert config.mappings == {KeyError: InternalError}
        assert config.report_hooks == (repr,)

    @pytest.mark.parametrize("source", ["path", "url"])
    def test_instance_keywords_are_not_imported(self, source: str):
        """'path' and 'url' are instance sources, not import paths."""
        assert Config.from_mapping({"INSTANCE": source}).instance == source

    def test_bad_dotted_path(self):
        """A dotted path that does not import says which setting and how to write one."""
        with pytest.raises(ConfigurationError) as info:
            Config.from_mapping({"FLOW_ID_FACTORY": "no.such.factory"}, source="app.config")
        message = str(info.value)
        assert message.startswith("app.config['FLOW_ID_FACTORY']: cannot import 'no.such.factory'")
        assert "dotted path such as" in message

    def test_objects_pass_through(self):
        """Objects given as such are used as they are."""
        config = Config.from_mapping({"flow_id_factory": new_flow_id, "report_hooks": [_hook]})
        assert config.flow_id_factory is new_flow_id
        assert config.report_hooks == (_hook,)

    def test_empty(self):
        """An empty mapping gives the defaults."""
        assert Config.from_mapping({}) == Config()

    def test_base(self):
        """With base=, the settings override that config's fields and keep the rest."""
        base = Config(flow_id_header="X-Request-ID", mappings={KeyError: NotFound})
        config = Config.from_mapping({"DEBUG": True}, base=base)
        assert (config.debug, config.flow_id_header) == (True, "X-Request-ID")
        assert config.mappings == {KeyError: NotFound}
        assert base.debug is False

    def test_base_bad_value(self):
        """A wrong value over a base is reported with the source in front."""
        with pytest.raises(ConfigurationError, match=r"^app.config: debug must be True or False"):
            Config.from_mapping({"DEBUG": 1}, source="app.config", base=Config())


class TestEvolve:
    """Deriving a changed config."""

    def test_evolve(self):
        """evolve returns a changed copy and leaves the original alone."""
        config = Config()
        changed = config.evolve(debug=True, flow_id_header="X-Request-ID")
        assert (changed.debug, changed.flow_id_header) == (True, "X-Request-ID")
        assert (config.debug, config.flow_id_header) == (False, "X-Flow-ID")

    def test_evolve_validates(self):
        """A wrong value in evolve raises ConfigurationError."""
        with pytest.raises(ConfigurationError, match="report_timeout must be None or seconds"):
            Config().evolve(report_timeout=0)

    def test_evolve_unknown_setting(self):
        """A name that is no setting in evolve raises ConfigurationError naming it."""
        with pytest.raises(ConfigurationError, match="unknown setting flow_header; known"):
            Config().evolve(flow_header="X-Request-ID")

    def test_evolve_keeps_mappings(self):
        """Unchanged mappings and hooks survive evolve."""
        config = Config(mappings={KeyError: NotFound}, report_hooks=[_hook])
        changed = config.evolve(debug=True)
        assert changed.mappings == {KeyError: NotFound}
        assert changed.report_hooks == (_hook,)
