"""URI-reference checks (RFC 3986 section 4.1) for ``type`` and ``instance``."""

from __future__ import annotations

import functools
import re
from urllib.parse import urljoin, urlsplit

# RFC 3986 appendix A, collapsed: a URI-reference is made of unreserved,
# reserved and percent-encoded characters only, with a well-formed scheme if it
# has one. What matters most is that nothing outside the URI alphabet (spaces,
# quotes, angle brackets, controls, non-ASCII) gets in; of the grammar's finer
# points, an IP literal's brackets are checked by the URL parser, which refuses
# an authority such as "//[" (and so would every resolution against it).
_URI_CHAR = r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})"
_URI_REFERENCE = re.compile(rf"(?:[A-Za-z][A-Za-z0-9+.\-]*:)?{_URI_CHAR}*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_FIRST_SEGMENT_COLON = re.compile(r"[^/?#]*:")


def is_uri_reference(value: str) -> bool:
    """Return whether *value* is a syntactically valid URI reference."""
    if not _URI_REFERENCE.fullmatch(value):
        return False
    # A relative reference whose first segment holds a colon would be read as
    # a scheme (RFC 3986 section 4.2); "1abc:x" has no valid scheme at all.
    if _SCHEME.match(value) is None and _FIRST_SEGMENT_COLON.match(value):
        return False
    if "[" in value or "]" in value:
        try:
            urlsplit(value)
            _check_ip_literal(value)
        except ValueError:  # an unclosed or invalid IP literal
            return False
    return True


def is_absolute(value: str) -> bool:
    """Return whether the URI reference *value* carries a scheme."""
    return _SCHEME.match(value) is not None


# An IP literal (RFC 3986 section 3.2.2): an IPv6 address or an IPvFuture.
_IP_LITERAL = r"\[(?:[0-9A-Fa-f:.]+|[vV][0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+)\]"
_AUTHORITY_HOST = r"(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//(?:[^/?#@]*@)?(\[[^/?#]*)"


@functools.cache
def _ip_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    # Compiled when first needed: few URI references hold an IP literal.
    return re.compile(_AUTHORITY_HOST), re.compile(_IP_LITERAL)


def _check_ip_literal(value: str) -> None:
    # Newer Pythons' URL parser refuses a bracketed host that is no IP
    # literal ("//[xyz]"); Python 3.10's does not. The same rule everywhere.
    if "[" not in value:
        return
    authority_host, ip_literal = _ip_patterns()
    match = authority_host.match(value)
    if match is not None and not ip_literal.match(match.group(1)):
        raise ValueError(f"invalid IP literal in {value[:64]!r}")


def resolve(reference: str, base: str | None) -> str:
    """Resolve *reference* against *base* (RFC 3986 section 5); absolute ones pass through.

    Raises:
        ValueError: the URL parser refuses *reference* or *base* (``"//["``,
            ``"//[xyz]"``); never for references that pass `is_uri_reference`,
            against a base that does.
    """
    if base is None or is_absolute(reference):
        return reference
    _check_ip_literal(reference)
    _check_ip_literal(base)
    return urljoin(base, reference)
