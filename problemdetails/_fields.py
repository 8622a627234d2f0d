"""HTTP field syntax: the one definition of what a header name and value may be."""

from __future__ import annotations

import re

#: An HTTP field name: an RFC 9110 token.
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: A field value this library sends: visible ASCII, spaces and tabs. Anything
#: else (CR, LF, NUL, non-ASCII) could split a response or be mangled by a server.
HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
