"""Text from elsewhere, made fit for one log line or message."""

from __future__ import annotations

import unicodedata

# Text from the wire must not forge log lines, hide in escapes, or reorder
# what a reader sees: control characters (Cc), format characters (Cf: the
# bidirectional overrides and isolates, zero-width ones, U+061C), line and
# paragraph separators, lone surrogates (which no log file can encode) and
# unassigned code points (tomorrow's format characters) are escaped.
_ESCAPED_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Cn", "Zl", "Zp"))


def _escape(character: str) -> str:
    code = ord(character)
    if code <= 0xFF:  # noqa: PLR2004
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"  # noqa: PLR2004


def escape_unprintable(text: str, keep: str = "") -> str:
    r"""Return *text* with every character that could forge or disguise a line escaped.

    Escaped as Python does (``\x0a``, ``\u202e``): control and format
    characters (bidirectional controls included), line and paragraph
    separators, surrogates and unassigned code points; the characters in
    *keep* (say ``"\n"`` for a multi-line message) are left alone.
    """
    if text.isprintable():  # the common case, checked in C
        return text
    return "".join(
        _escape(character)
        if character not in keep and unicodedata.category(character) in _ESCAPED_CATEGORIES
        else character
        for character in text
    )


def printable(text: str, limit: int) -> str:
    """Return *text* fit for one log line: unprintable characters escaped, length capped."""
    if len(text) > limit:
        text = text[:limit] + "..."
    return escape_unprintable(text)
