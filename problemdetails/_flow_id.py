"""Enrich: the flow id that correlates a response with the server's logs."""

from __future__ import annotations

import os
import re

# Token characters of the common id formats (UUIDs, base64, W3C trace ids,
# "service:id" pairs), nothing that could split a header or script a page.
_FLOW_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~+/=:\-]*")

DEFAULT_MAX_LENGTH = 128


def new_flow_id() -> str:
    """Return a fresh random flow id: 128 random bits as 32 hex digits."""
    # os.urandom directly: uuid.uuid4().hex costs four times as much for 122 bits.
    return os.urandom(16).hex()


def is_valid_flow_id(value: object, max_length: int = DEFAULT_MAX_LENGTH) -> bool:
    """Return whether *value* may be echoed as a flow id (charset and length)."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= max_length
        and _FLOW_ID.fullmatch(value) is not None
    )
