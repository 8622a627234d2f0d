"""The pipeline: map, enrich, render and report, behind one object per app."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._builtin_types import INTERNAL_ERROR_DETAIL, InternalError, UpstreamError
from ._config import Config, InstanceSource
from ._flow_id import is_valid_flow_id, new_flow_id
from ._mapping import ExceptionMapper, ProblemFactory
from ._media_types import JSON_MEDIA_TYPE, XML_MEDIA_TYPE
from ._negotiate import negotiate
from ._problem import (
    ABOUT_BLANK,
    EMPTY,
    LOG_LEVELS,
    Problem,
    install_default_renderer,
    is_received,
)
from ._render import problem_to_dict, to_json, to_xml
from ._report import ErrorReport, Reporter
from ._request import RequestInfo
from ._response import HEADER_NAME, HEADER_VALUE, ProblemResponse
from ._uri import is_uri_reference

_FALLBACK_STATUS = 500
# Problem.http_headers itself: a class that does not override it sends its
# headers mapping, and an empty one has nothing to check.
_BASE_HTTP_HEADERS = Problem.http_headers
_MAX_DEBUG_TEXT = 4096


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
        import logging  # noqa: PLC0415 - at set-up, not when the package is imported

        self._logger = logging.getLogger(config.logger_name)
        self._reporter = Reporter(
            self._logger, config.report_hooks, config.report_timeout, config.problem_log_level
        )
        self._offers = config.media_types
        # Headers the pipeline sets itself; a problem's headers cannot replace them.
        self._own_headers = frozenset(
            ("content-type", "content-length", (config.flow_id_header or "").lower())
        )
        # The headers every response of a media type starts with, made once.
        # The body's form was chosen by Accept: caches must key on it too
        # (RFC 9110 section 12.5.5), as 404, 405 and 410 may be cached.
        vary = (("Vary", "Accept"),) if len(self._offers) > 1 else ()
        self._leading = {
            offer: (("Content-Type", offer), *vary) for offer in (*self._offers, JSON_MEDIA_TYPE)
        }
        # Settings read on every response, looked up once (the config is frozen).
        self._flow_header = config.flow_id_header
        self._flow_member = config.flow_id_member
        self._flow_max = config.flow_id_max_length
        self._base_uri = config.type_base_uri
        self._text_max = config.text_max_length
        self._instance: InstanceSource = config.instance

    def flow_id(self, request: RequestInfo | None) -> str:
        """Return the request's flow id if it is safe to echo, else a new one.

        Never raises: if the headers cannot be read, or ``flow_id_factory``
        raises or returns an id that is not valid, `new_flow_id` makes the id
        and the failure is logged as a warning.
        """
        header = self._flow_header
        try:
            if request is not None and header is not None:
                incoming = request.headers.get(header)
                if incoming is not None and is_valid_flow_id(incoming, self._flow_max):
                    return incoming
            factory = self.config.flow_id_factory
            if factory is new_flow_id:
                return new_flow_id()
            flow_id = factory()
        except Exception:  # noqa: BLE001 - the error path cannot fail
            flow_id = new_flow_id()
            self._reporter.failed("finding a flow id", flow_id, request=request)
            return flow_id
        if is_valid_flow_id(flow_id, self._flow_max):
            return flow_id
        flow_id = new_flow_id()
        self._reporter.failed(
            "flow_id_factory (it returned no valid flow id)",
            flow_id,
            exc_info=False,
            request=request,
        )
        return flow_id

    def find_problem(self, exception: BaseException) -> Problem | None:
        """Return the problem *exception* maps to, or None if nothing maps it.

        A problem maps to itself. None means the exception is unexpected: it
        would become the generic 500. Adapters use this to leave unexpected
        errors to their framework's own path (signals, propagation in tests)
        before answering them with `handle`.

        Raises:
            Exception: whatever a mapping factory raises.
        """
        return self._mapper.to_problem(exception)

    def to_problem(self, exception: BaseException) -> Problem:
        """Map *exception* to the problem the client will see.

        Unmapped exceptions give the generic 500; an unmapped problem received
        from another service gives the ``upstream_status`` problem (502 by
        default), which relays nothing of the upstream's document.

        Raises:
            Exception: whatever a mapping factory raises.
        """
        problem = self.find_problem(exception)
        return self._unexpected(exception) if problem is None else problem

    def _unexpected(self, exception: BaseException) -> Problem:
        try:
            received = is_received(exception)
        except Exception:  # noqa: BLE001 - a class whose attribute lookup raises: not received
            received = False
        if received:
            return UpstreamError(status=self.config.upstream_status)
        return self._internal_error(exception)

    def _internal_error(self, exception: BaseException) -> Problem:
        if not self.config.debug:
            return InternalError()
        try:
            import traceback  # noqa: PLC0415 - debug mode only

            lines = traceback.format_exception(type(exception), exception, exception.__traceback__)
            detail = f"{type(exception).__qualname__}: {_safe_text(exception)}"
        except Exception:  # noqa: BLE001 - debug output of a broken exception class
            return InternalError()
        return InternalError(
            detail=detail, extensions={"traceback": [_safe_text(line) for line in lines][-50:]}
        )

    def handle(
        self, exception: BaseException, request: RequestInfo | None = None
    ) -> ProblemResponse:
        """Map, render and report *exception*; never raises."""
        try:
            problem = self.find_problem(exception)
        except Exception as failure:  # noqa: BLE001 - the error path cannot fail
            return self.handle_unexpected(exception, request, mapping_failure=failure)
        if problem is None:
            return self.handle_unexpected(exception, request)
        return self._respond(problem, request, exception)

    def handle_unexpected(
        self,
        exception: BaseException,
        request: RequestInfo | None = None,
        *,
        mapping_failure: Exception | None = None,
    ) -> ProblemResponse:
        """Answer *exception* as unexpected, without asking the mappings; never raises.

        For adapters that asked `find_problem` first (to let their framework
        signal or propagate an unexpected error) and got None, or an
        exception from a mapping factory: the mappings are not run a second
        time. The answer is the generic 500, or for a problem received from
        another service the ``upstream_status`` problem; it is logged at ERROR.

        Args:
            exception: the exception nothing mapped.
            request: the request it answers.
            mapping_failure: what a mapping factory raised for *exception*,
                if one did. It is what gets logged then (with the flow id
                the client gets), and the answer is the generic 500.
        """
        if mapping_failure is None:
            return self._respond(self._unexpected(exception), request, exception, unexpected=True)
        problem = self._internal_error(exception)
        flow_id = self.flow_id(request)
        # Logged once, here, with the factory's traceback and the flow id the
        # client gets; the generic 500 that follows is not logged again.
        self._reporter.log_failure(
            LOG_LEVELS["ERROR"],
            f"mapping {type(exception).__name__} to a problem failed",
            flow_id,
            mapping_failure,
            request=request,
            status=_FALLBACK_STATUS,
            problem_type=ABOUT_BLANK,
        )
        return self._respond(problem, request, exception, flow_id, log=False, unexpected=True)

    def render(
        self,
        problem: Problem,
        request: RequestInfo | None = None,
        *,
        exception: BaseException | None = None,
        log: bool = True,
    ) -> ProblemResponse:
        """Enrich, render and report *problem*; never raises.

        Args:
            problem: the problem to send. A problem received from another
                service is not relayed: it is answered as a failed
                dependency (see `to_problem`).
            request: the request it answers, for negotiation and the flow id.
            exception: the exception it came from, for logging and hooks.
            log: False when the framework has logged this error already (a
                Django error page the adapter rewrites); the hooks still run.
        """
        if type(problem).__problem_received__ is True:
            # Rendering a problem another service sent would relay it: it is
            # answered as the failed dependency it is; map it to relay it.
            upstream = self._unexpected(problem)
            return self._respond(upstream, request, problem, log=log, unexpected=True)
        return self._respond(problem, request, exception, log=log)

    def _respond(
        self,
        problem: Problem,
        request: RequestInfo | None,
        exception: BaseException | None,
        flow_id: str | None = None,
        *,
        log: bool = True,
        unexpected: bool = False,
    ) -> ProblemResponse:
        try:
            if flow_id is None:
                # A problem's own valid flow id wins over the request's.
                # (Not a received one's: that names the upstream's response.)
                own = problem.flow_id
                if (
                    own is not None
                    and not is_received(problem)
                    and is_valid_flow_id(own, self._flow_max)
                ):
                    flow_id = own
                else:
                    flow_id = self.flow_id(request)
            response = self._render(problem, request, flow_id)
        except Exception:  # noqa: BLE001 - the error path cannot fail
            if flow_id is None:
                flow_id = new_flow_id()
            # Logged here, once, with the rendering failure's traceback; the
            # hooks still hear of the 500 the client got.
            self._reporter.failed(
                f"rendering a {type(problem).__name__}", flow_id, status=500, request=request
            )
            report = ErrorReport(
                problem=InternalError(),
                exception=exception,
                request=request,
                flow_id=flow_id,
                unexpected=True,
            )
            self._reporter.report(report, log=False)
            return self._fallback(flow_id)
        if self._reporter.wants(problem, unexpected=unexpected):
            report = ErrorReport(
                problem=problem,
                exception=exception,
                request=request,
                flow_id=flow_id,
                unexpected=unexpected,
            )
            self._reporter.report(report, log=log)
        return response

    def _instance_for(self, request: RequestInfo) -> str | None:
        """Return the ``instance`` the settings make of *request*: always a URI reference.

        A request fact an adapter could not make one of is left out; a
        callable's value that is none is a failure (the minimal 500, logged).
        """
        source = self._instance
        if source is None:
            return None
        if source == "path" or source == "url":  # noqa: PLR1714 - source may be a callable
            fact = request.path if source == "path" else request.url
            return fact if fact is not None and is_uri_reference(fact) else None
        instance = source(request)
        if instance is not None and (type(instance) is not str or not is_uri_reference(instance)):
            raise ValueError("the instance setting's callable returned no URI reference")
        return instance

    def _render(
        self, problem: Problem, request: RequestInfo | None, flow_id: str
    ) -> ProblemResponse:
        if request is None:
            media_type = self._offers[0]
            instance = None
        else:
            offers = self._offers
            media_type = (
                offers[0] if len(offers) == 1 else negotiate(request.headers.get("Accept"), offers)
            )
            instance = (
                None
                if problem.instance or self._instance is None
                else (self._instance_for(request))
            )
        members = problem_to_dict(
            problem,
            flow_id_member=self._flow_member,
            flow_id=flow_id,
            instance=instance,
            base_uri=self._base_uri,
            text_max_length=self._text_max,
        )
        body = to_xml(members) if media_type == XML_MEDIA_TYPE else to_json(members)
        headers = [*self._leading[media_type]]
        header = self._flow_header
        if header is not None:
            headers.append((header, flow_id))
        # Checked again here: http_headers() may be overridden, and a
        # problem's headers dict changed after it was made.
        if problem.headers is not EMPTY or type(problem).http_headers is not _BASE_HTTP_HEADERS:
            own_headers = self._own_headers
            for name, value in problem.http_headers():
                if not HEADER_NAME.fullmatch(name) or not HEADER_VALUE.fullmatch(value):
                    raise ValueError(f"problem header {name!r} is not a valid HTTP field")
                if name.lower() not in own_headers:
                    headers.append((name, value))
        return ProblemResponse(problem.status, tuple(headers), body)

    def _fallback(self, flow_id: str) -> ProblemResponse:
        # Always JSON, whatever was asked for: nothing here was negotiated.
        headers = [("Content-Type", JSON_MEDIA_TYPE)]
        if self.config.flow_id_header is not None:
            headers.append((self.config.flow_id_header, flow_id))
        return ProblemResponse(
            _FALLBACK_STATUS, tuple(headers), _fallback_body(flow_id, self.config.flow_id_member)
        )

    def log_failure(
        self,
        what: str,
        exception: BaseException,
        request: RequestInfo | None = None,
        *,
        status: int | None = None,
        level: int = LOG_LEVELS["ERROR"],
        flow_id: str | None = None,
    ) -> None:
        """Log a failure no problem response can answer any more; never raises.

        For what an adapter meets outside the pipeline: an exception after the
        response started (the server cuts it short), a body that fails to
        close. One record, with the attributes every record of the library
        carries (flow id, method, path, status, the request), and the
        exception in a form every log handler can format.

        Args:
            what: what happened, e.g. ``"exception after the response started; it is
                cut short"``.
            exception: the exception.
            request: the request, for the record's attributes.
            status: the status the client got (the response's own, if it started).
            level: ERROR by default; WARNING for what the client never noticed.
            flow_id: the flow id the client got, when known; else the request's.
        """
        if flow_id is None:
            try:
                flow_id = self.flow_id(request)
            except Exception:  # noqa: BLE001 - flow_id() never raises; this is a last guard
                flow_id = new_flow_id()
        self._reporter.log_failure(level, what, flow_id, exception, request=request, status=status)

    def __repr__(self) -> str:
        return f"<ProblemHandler {self.config!r}>"


_default: ProblemHandler | None = None


def default_handler() -> ProblemHandler:
    """Return the process-wide handler with default settings (for ``to_response``)."""
    global _default  # noqa: PLW0603 - built on first use, then shared
    if _default is None:
        _default = ProblemHandler()
    return _default


install_default_renderer(default_handler)
