"""The library's own errors: each says what was wrong and how to fix it."""

from __future__ import annotations


class ProblemDetailsError(Exception):
    """Base class of every error this library raises about its own use.

    These are not problems (they are never rendered to clients); they tell a
    developer that a declaration, a setting or some input was wrong.
    """


class ProblemDefinitionError(ProblemDetailsError, TypeError):
    """A problem type was declared wrongly (raised when the class is created)."""


class DuplicateProblemTypeError(ProblemDefinitionError):
    """Two problem classes claim the same type URI in one registry."""


class InvalidProblemError(ProblemDetailsError, ValueError):
    """A problem was constructed with a value RFC 9457 does not allow."""


class ConfigurationError(ProblemDetailsError, ValueError):
    """A setting is wrong; raised at set-up, never on a request."""


class ProblemParseError(ProblemDetailsError, ValueError):
    """A problem document could not be parsed (not JSON, not an object, too large, too deep).

    Attributes:
        reason: a short machine-readable reason: ``"size"``, ``"depth"``,
            ``"json"``, ``"not-object"`` or ``"encoding"``.
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
