"""The pipeline: map, enrich, render and report, behind one object per app."""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Mapping, Sequence
from typing import Protocol

import attrs

from ._builtin_types import INTERNAL_ERROR_DETAIL, InternalError
from ._config import Config, ProblemFactory
from ._flow_id import is_valid_flow_id, new_flow_id
from ._mapping import ExceptionMapper
from ._negotiate import negotiate
from ._problem import Problem
from ._render import XML_MEDIA_TYPE, problem_to_dict, to_json, to_xml
from ._report import ErrorReport, Reporter
from ._response import ProblemResponse

_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Field values may hold visible ASCII, spaces and tabs; anything else (CR, LF,
# NUL, non-ASCII) could split a response or be mangled by a server.
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
_FALLBACK_STATUS = 500
_MAX_DEBUG_TEXT = 4096


class HeaderLookup(Protocol):
    """Read access to request headers; case-insensitive in every framework."""

    def get(self, key: str, /) -> str | None:
        """Return the value of header *key*, or None."""
        ...


def _no_headers() -> Mapping[str, str]:
    return {}


@attrs.frozen(kw_only=True)
class RequestInfo:
    """The facts about a request that the pipeline and reporting hooks use.

    Adapters build it only when a request fails.

    Attributes:
        method: the HTTP method.
        url: the full request URL.
        path: the request path (percent-encoded, as sent).
        headers: the request headers, looked up case-insensitively.
    """

    method: str | None = None
    url: str | None = None
    path: str | None = None
    headers: HeaderLookup = attrs.field(factory=_no_headers)


def _safe_text(value: object) -> str:
    try:
        text = str(value)
    except Exception:  # noqa: BLE001 - debug output of a broken exception
        return f"<{type(value).__name__} whose str() failed>"
    return text[:_MAX_DEBUG_TEXT]


def _fallback_body(flow_id: str, member: str) -> bytes:
    # Only validated ids and member names get here: plain formatting is safe.
    return (
        '{"type":"about:blank","title":"Internal Server Error","status":500,'
        f'"detail":"{INTERNAL_ERROR_DETAIL}","{member}":"{flow_id}"}}'
    ).encode("ascii")


class ProblemHandler:
    """Turns exceptions and problems into problem responses, safely.

    One is built per application at set-up; adapters call `handle` for
    exceptions and `render` for problems returned rather than raised.
    Neither ever raises: if anything fails, the client gets a minimal valid
    ``application/problem+json`` 500 with the flow id, and the failure is
    logged.

    Args:
        config: the settings; defaults when omitted.
        defaults: mappings an adapter supplies for its framework's exceptions;
            the user's ``config.mappings`` take precedence at equal specificity.

    Example:
        >>> handler = ProblemHandler(Config(mappings={KeyError: NotFound}))  # doctest: +SKIP
        >>> handler.handle(KeyError("x")).status  # doctest: +SKIP
        404
    """

    def __init__(
        self,
        config: Config | None = None,
        *,
        defaults: Mapping[type[BaseException], ProblemFactory] | None = None,
    ) -> None:
        self.config = config = config or Config()
        tables: Sequence[Mapping[type[BaseException], ProblemFactory]] = (
            config.mappings,
            defaults or {},
        )
        self._mapper = ExceptionMapper(tables)
        self._logger = logging.getLogger(config.logger_name)
        self._reporter = Reporter(self._logger, config.report_hooks, config.report_timeout)
        self._offers = config.media_types
        # Headers the pipeline sets itself; a problem's headers cannot replace them.
        self._own_headers = frozenset(
            ("content-type", "content-length", (config.flow_id_header or "").lower())
        )

    def flow_id(self, request: RequestInfo | None) -> str:
        """Return the request's flow id if it is safe to echo, else a new one."""
        header = self.config.flow_id_header
        if request is not None and header is not None:
            incoming = request.headers.get(header)
            if incoming is not None and is_valid_flow_id(incoming, self.config.flow_id_max_length):
                return incoming
        flow_id = self.config.flow_id_factory()
        if is_valid_flow_id(flow_id, self.config.flow_id_max_length):
            return flow_id
        return new_flow_id()

    def to_problem(self, exception: BaseException) -> Problem:
        """Map *exception* to the problem the client will see (the generic 500 if unmapped).

        Raises:
            Exception: whatever a mapping factory raises.
        """
        problem = self._mapper.to_problem(exception)
        if problem is None:
            problem = self._internal_error(exception)
        return problem

    def _internal_error(self, exception: BaseException) -> Problem:
        if not self.config.debug:
            return InternalError()
        lines = traceback.format_exception(type(exception), exception, exception.__traceback__)
        return InternalError(
            detail=f"{type(exception).__qualname__}: {_safe_text(exception)}",
            extensions={"traceback": [_safe_text(line) for line in lines][-50:]},
        )

    def handle(
        self, exception: BaseException, request: RequestInfo | None = None
    ) -> ProblemResponse:
        """Map, render and report *exception*; never raises."""
        try:
            problem = self.to_problem(exception)
        except Exception:  # noqa: BLE001 - the error path cannot fail
            self._reporter.failed(
                f"mapping {type(exception).__name__} to a problem", None, status=500
            )
            problem = self._internal_error(exception)
        return self.render(problem, request, exception=exception)

    def render(
        self,
        problem: Problem,
        request: RequestInfo | None = None,
        *,
        exception: BaseException | None = None,
    ) -> ProblemResponse:
        """Enrich, render and report *problem*; never raises.

        Args:
            problem: the problem to send.
            request: the request it answers, for negotiation and the flow id.
            exception: the exception it came from, for logging and hooks.
        """
        flow_id = new_flow_id()
        try:
            flow_id = self._flow_id_for(problem, request)
            response = self._render(problem, request, flow_id)
        except Exception:  # noqa: BLE001 - the error path cannot fail
            # Logged here, once, with the rendering failure's traceback; the
            # hooks still hear of the 500 the client got.
            self._reporter.failed(f"rendering a {type(problem).__name__}", flow_id, status=500)
            report = ErrorReport(
                problem=InternalError(), exception=exception, request=request, flow_id=flow_id
            )
            self._reporter.report(report, log=False)
            return self._fallback(flow_id)
        self._reporter.report(
            ErrorReport(problem=problem, exception=exception, request=request, flow_id=flow_id)
        )
        return response

    def _flow_id_for(self, problem: Problem, request: RequestInfo | None) -> str:
        own = problem.flow_id
        if own is not None and is_valid_flow_id(own, self.config.flow_id_max_length):
            return own
        return self.flow_id(request)

    def _instance_for(self, request: RequestInfo | None) -> str | None:
        source = self.config.instance
        if source is None or request is None:
            return None
        if source == "path":
            return request.path
        if source == "url":
            return request.url
        return source(request)

    def _render(
        self, problem: Problem, request: RequestInfo | None, flow_id: str
    ) -> ProblemResponse:
        config = self.config
        accept = request.headers.get("Accept") if request is not None else None
        media_type = negotiate(accept, self._offers)
        members = problem_to_dict(
            problem,
            flow_id_member=config.flow_id_member,
            flow_id=flow_id,
            instance=None if problem.instance else self._instance_for(request),
            base_uri=config.type_base_uri,
        )
        body = to_xml(members) if media_type == XML_MEDIA_TYPE else to_json(members)
        headers = [("Content-Type", media_type)]
        if config.flow_id_header is not None:
            headers.append((config.flow_id_header, flow_id))
        for name, value in problem.http_headers():
            if not _HEADER_NAME.fullmatch(name) or not _HEADER_VALUE.fullmatch(value):
                raise ValueError(f"problem header {name!r} is not a valid HTTP field")
            if name.lower() not in self._own_headers:
                headers.append((name, value))
        return ProblemResponse(problem.status, tuple(headers), body)

    def _fallback(self, flow_id: str) -> ProblemResponse:
        headers = [("Content-Type", "application/problem+json")]
        if self.config.flow_id_header is not None:
            headers.append((self.config.flow_id_header, flow_id))
        return ProblemResponse(
            _FALLBACK_STATUS, tuple(headers), _fallback_body(flow_id, self.config.flow_id_member)
        )

    def __repr__(self) -> str:
        return f"<ProblemHandler {self.config!r}>"


_default: ProblemHandler | None = None


def default_handler() -> ProblemHandler:
    """Return the process-wide handler with default settings (for ``to_response``)."""
    global _default  # noqa: PLW0603 - built on first use, then shared
    if _default is None:
        _default = ProblemHandler()
    return _default
