"""RFC 9457 (formerly RFC 7807) Problem Details for HTTP APIs.

Declare problem types as attrs classes, raise them anywhere, and let an
adapter (``problemdetails.adapters.flask``, ``.django``, ``.wsgi``) answer with
a correct, safe ``application/problem+json`` response. On the consuming side,
`parse_problem` turns a problem document back into a typed exception.
"""

from typing import TYPE_CHECKING, Any

from ._builtin_types import (
    FieldError,
    InternalError,
    RetryAfterProblem,
    UpstreamError,
    ValidationProblem,
    json_pointer,
)
from ._config import Config
from ._errors import (
    ConfigurationError,
    DuplicateProblemTypeError,
    InvalidProblemError,
    ProblemDefinitionError,
    ProblemDetailsError,
    ProblemParseError,
)
from ._flow_id import new_flow_id
from ._mapping import ProblemFactory
from ._media_types import JSON_MEDIA_TYPE, XML_MEDIA_TYPE
from ._parse import parse_problem
from ._pipeline import ProblemHandler, default_handler
from ._problem import ABOUT_BLANK, Problem
from ._registry import ProblemRegistry, registry
from ._report import ErrorReport, ReportHook
from ._request import HeaderLookup, RequestInfo
from ._response import ProblemResponse

if TYPE_CHECKING:
    __version__: str


def __getattr__(name: str) -> Any:
    # importlib.metadata costs more than the rest of the package together:
    # the version is looked up when asked for, as attrs does.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

        try:
            return version("problemdetails")
        except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
            return "0+unknown"
    raise AttributeError(f"module 'problemdetails' has no attribute {name!r}")


__all__ = [
    "ABOUT_BLANK",
    "JSON_MEDIA_TYPE",
    "XML_MEDIA_TYPE",
    "Config",
    "ConfigurationError",
    "DuplicateProblemTypeError",
    "ErrorReport",
    "FieldError",
    "HeaderLookup",
    "InternalError",
    "InvalidProblemError",
    "Problem",
    "ProblemDefinitionError",
    "ProblemDetailsError",
    "ProblemFactory",
    "ProblemHandler",
    "ProblemParseError",
    "ProblemRegistry",
    "ProblemResponse",
    "ReportHook",
    "RequestInfo",
    "RetryAfterProblem",
    "UpstreamError",
    "ValidationProblem",
    "__version__",
    "default_handler",
    "json_pointer",
    "new_flow_id",
    "parse_problem",
    "registry",
]
