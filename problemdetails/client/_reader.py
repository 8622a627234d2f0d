"""Turn an error response into the typed problem it carries."""

from __future__ import annotations

import codecs
from typing import Any, TypeVar, cast

import attrs

from problemdetails._convert import structure_plan
from problemdetails._errors import ConfigurationError, ProblemParseError
from problemdetails._flow_id import is_valid_flow_id
from problemdetails._parse import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEPTH,
    declared_arguments,
    load_document,
    split_members,
)
from problemdetails._problem import ABOUT_BLANK, Problem, lenient_construction
from problemdetails._registry import ProblemRegistry
from problemdetails._registry import registry as default_registry
from problemdetails._uri import is_uri_reference, resolve

from ._problems import GROUPS, HttpExchange, ReceivedProblem, attach, derive, regroup
from ._response import (
    JSON_PROBLEM,
    XML_PROBLEM,
    aread_body,
    attempts_of,
    charset,
    headers_of,
    media_type,
    method_of,
    read_body,
    status_of,
    url_of,
)
from ._retry import RetryPolicy, parse_retry_after

R = TypeVar("R")

_LOWEST_ERROR = 400
_HIGHEST_ERROR = 599
_FALLBACK_STATUS = 500


def _check_positive(_: ProblemReader, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not int or value < 1:
        raise ConfigurationError(f"{attribute.name} must be an int >= 1, got {value!r}")


def _check_member(_: ProblemReader, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value or value.startswith("_"):
        raise ConfigurationError(
            f"{attribute.name} must be a member name such as 'flow_id', got {value!r}"
        )


def _check_header(_: ProblemReader, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigurationError(
            f"{attribute.name} must be a header name such as 'X-Flow-ID', or None; got {value!r}"
        )


def _check_registry(_: ProblemReader, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, ProblemRegistry):
        raise ConfigurationError(f"{attribute.name} must be a ProblemRegistry, got {value!r}")


def _to_media_types(value: object) -> frozenset[str]:
    if isinstance(value, str):
        value = (value,)
    try:
        return frozenset(str(item).lower() for item in value)  # type: ignore[attr-defined]
    except TypeError:
        raise ConfigurationError(f"json_media_types must be a collection, got {value!r}") from None


@attrs.frozen(kw_only=True)
class ProblemReader:
    """Reads problems out of HTTP responses, with one set of settings.

    The module functions of `problemdetails.client` use a reader with the
    defaults; build one when a setting differs (a flow id member of another
    name, a registry of one API's types, a stricter `RetryPolicy`).

    Attributes:
        registry: where problem classes are looked up by ``type``.
        policy: decides which problems are raised as `Retryable`.
        flow_id_member: member that carries the correlation id.
        flow_id_header: response header read for the flow id when the body
            has none (a proxy's error page); None to ignore headers.
        max_bytes: largest problem document read; larger bodies are not
            parsed (and never read whole when streamed).
        max_depth: deepest nesting accepted in a document.
        excerpt_bytes: how much of a body that is not a problem document is
            kept on the problem (``problem.http.body``) for debugging.
        json_media_types: media types whose bodies are read as problem JSON;
            add ``"application/json"`` for servers that mislabel problems.
        xml: read ``application/problem+xml`` bodies too (DTDs refused).

    Raises:
        ConfigurationError: a setting is wrong.
    """

    registry: ProblemRegistry = attrs.field(default=default_registry, validator=_check_registry)
    policy: RetryPolicy = attrs.field(factory=RetryPolicy)
    flow_id_member: str = attrs.field(default="flow_id", validator=_check_member)
    flow_id_header: str | None = attrs.field(default="X-Flow-ID", validator=_check_header)
    max_bytes: int = attrs.field(default=DEFAULT_MAX_BYTES, validator=_check_positive)
    max_depth: int = attrs.field(default=DEFAULT_MAX_DEPTH, validator=_check_positive)
    excerpt_bytes: int = attrs.field(default=2048, validator=_check_positive)
    json_media_types: frozenset[str] = attrs.field(
        default=frozenset((JSON_PROBLEM,)), converter=_to_media_types
    )
    xml: bool = True

    def problem(
        self,
        response: object,
        *,
        attempts: int | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> ReceivedProblem | None:
        """Return the problem an error response carries, or None for any other status.

        Every status of 400 and above gives a problem: the registered class of
        its ``type`` (grouped, see `ReceivedProblem`), a generic one for
        unknown types, and an ``about:blank`` one with the real status for
        bodies that are no problem document (an HTML page from a proxy, an
        empty 503, a malformed or oversized document, whose parse error is the
        problem's ``__cause__``).

        Args:
            response: a response of ``requests``, ``httpx``, ``urllib3``,
                werkzeug/Flask or Django (test clients included).
            attempts: tries made so far, if the caller counted them.
            method: the request method, if the response does not tell it.
            url: the request URL, if the response does not tell it.

        Raises:
            TypeError: *response* has no HTTP status, or is an unread httpx
                response of an async client (use `aproblem`).
        """
        status = self._status(response)
        if status < _LOWEST_ERROR:
            return None
        body = read_body(response, self.max_bytes)
        return self.from_parts(status, response, body, attempts=attempts, method=method, url=url)

    async def aproblem(
        self,
        response: object,
        *,
        attempts: int | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> ReceivedProblem | None:
        """Like `problem`, reading an unread httpx response of an ``AsyncClient``."""
        status = self._status(response)
        if status < _LOWEST_ERROR:
            return None
        body = await aread_body(response, self.max_bytes)
        return self.from_parts(status, response, body, attempts=attempts, method=method, url=url)

    def raise_for_problem(
        self,
        response: R,
        *,
        attempts: int | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> R:
        """Raise the problem of an error response; return any other response as is.

        Raises:
            ReceivedProblem: the response's status is 400 or above.
            TypeError: as for `problem`.
        """
        problem = self.problem(response, attempts=attempts, method=method, url=url)
        if problem is None:
            return response
        try:
            raise problem
        finally:
            # The traceback keeps this frame: without its reference to the
            # problem, the two make no cycle for the garbage collector.
            del problem

    async def araise_for_problem(
        self,
        response: R,
        *,
        attempts: int | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> R:
        """Like `raise_for_problem`, for responses of an httpx ``AsyncClient``."""
        problem = await self.aproblem(response, attempts=attempts, method=method, url=url)
        if problem is None:
            return response
        try:
            raise problem
        finally:
            # The traceback keeps this frame: without its reference to the
            # problem, the two make no cycle for the garbage collector.
            del problem

    @staticmethod
    def _status(response: object) -> int:
        status = status_of(response)
        if status is None:
            raise TypeError(
                f"{type(response).__name__} is not an HTTP response: it has no int "
                "status_code or status"
            )
        return status

    def from_parts(
        self,
        status: int,
        response: object,
        body: bytes,
        *,
        attempts: int | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> ReceivedProblem:
        """Build the problem of an error response whose body was read already."""
        headers = headers_of(response)
        content_type = headers.get("Content-Type")
        kind = media_type(content_type)
        method = method or method_of(response)
        url = url or url_of(response)
        problem_status = status if _LOWEST_ERROR <= status <= _HIGHEST_ERROR else _FALLBACK_STATUS
        group = GROUPS[
            problem_status >= 500,  # noqa: PLR2004
            self.policy.is_retryable(problem_status, method),
        ]
        parts: _Parts | None = None
        cause: ProblemParseError | None = None
        try:
            parts = self._parse(kind, body, problem_status, url)
        except ProblemParseError as error:
            cause = error
        flow_id = None
        if self.flow_id_header is not None and (parts is None or "flow_id" not in parts[2]):
            header = headers.get(self.flow_id_header)
            if is_valid_flow_id(header):
                flow_id = header
        excerpt = None
        if parts is None:
            excerpt = self._excerpt(body, content_type) if body else None
            with lenient_construction():
                received: ReceivedProblem = group(status=problem_status, flow_id=flow_id)
        else:
            received = _received(group, parts, url, flow_id)
        attach(
            received,
            HttpExchange(
                method=method,
                url=url,
                status=status,
                media_type=kind,
                headers=headers.items,
                body=excerpt,
                attempts=attempts or attempts_of(response) or 1,
                retry_after=parse_retry_after(headers.get("Retry-After")),
                flow_id_member=self.flow_id_member,
            ),
        )
        if cause is not None:
            received.__cause__ = cause
        return received

    def _parse(self, kind: str | None, body: bytes, status: int, url: str | None) -> _Parts | None:
        document: bytes | dict[str, Any]
        if kind in self.json_media_types:
            document = body
        elif kind == XML_PROBLEM and self.xml:
            # Imported here: the XML reader (and pyexpat) only for XML documents.
            from ._xml import load_xml_document, typed_members  # noqa: PLC0415

            document = load_xml_document(body, max_bytes=self.max_bytes, max_depth=self.max_depth)
            type_uri = document.get("type")
            cls = self.registry.get(type_uri, base_uri=url) if isinstance(type_uri, str) else None
            if cls is not None:
                document = typed_members(document, structure_plan(cls))
        else:
            return None
        members = load_document(document, max_bytes=self.max_bytes, max_depth=self.max_depth)
        cls, type_uri, standard = split_members(
            members,
            status=status,
            registry=self.registry,
            base_uri=url,
            flow_id_member=self.flow_id_member,
        )
        return cls, type_uri, standard, members

    def _excerpt(self, body: bytes, content_type: str | None) -> str:
        encoding = charset(content_type) or "utf-8"
        try:
            codecs.lookup(encoding)
        except LookupError:
            encoding = "utf-8"
        try:
            return body[: self.excerpt_bytes].decode(encoding, "replace")
        except Exception:  # noqa: BLE001 - a codec that fails even with "replace"
            return body[: self.excerpt_bytes].decode("utf-8", "replace")


#: What parsing a document gives: its registered class (None when unknown), its
#: type URI, its standard members and its extension members.
_Parts = tuple[type[Problem] | None, str, dict[str, Any], dict[str, Any]]


def _received(
    group: type[ReceivedProblem], parts: _Parts, url: str | None, flow_id: str | None
) -> ReceivedProblem:
    """Build the received problem of a parsed document, constructing it once.

    The same problem as `parse_problem` makes, given *flow_id* (from a header)
    when the document has none, then regrouped: but made directly as the
    class derived from its registered class and *group*.
    """
    cls, type_uri, standard, members = parts
    arguments: dict[str, Any] = standard if flow_id is None else {**standard, "flow_id": flow_id}
    with lenient_construction():
        if cls is not None:
            declared = declared_arguments(cls, members)
            try:
                return derive(cls, group)(**arguments, **declared)
            except Exception:  # noqa: BLE001, S110 - see what the registered class makes of it
                pass
            try:
                problem = cls(**standard, **declared)
            except Exception:  # noqa: BLE001, S110 - a required member is missing or invalid
                pass
            else:  # only the derived class failed: fall back as regroup does
                if flow_id is not None:
                    problem = _evolve(problem, flow_id=flow_id)
                return regroup(problem, group)
        if type_uri != ABOUT_BLANK and url is not None:
            # RFC 9457 section 3.1.1: a relative type is resolved against the base URI.
            type_uri = _resolved(type_uri, url)
        return group(type=type_uri, extensions=members, **arguments)


def _evolve(problem: Problem, **changes: Any) -> Problem:
    try:
        with lenient_construction():
            return attrs.evolve(cast("Any", problem), **changes)  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - the error path cannot fail: keep it as it was
        return problem


def _resolved(type_uri: str, url: str) -> str:
    try:
        resolved = resolve(type_uri, url)
    except ValueError:
        return type_uri
    return resolved if is_uri_reference(resolved) else type_uri


_default_reader: ProblemReader | None = None


def default_reader() -> ProblemReader:
    """Return the reader with default settings that the module functions use."""
    global _default_reader  # noqa: PLW0603 - built on first use, then shared
    if _default_reader is None:
        _default_reader = ProblemReader()
    return _default_reader
