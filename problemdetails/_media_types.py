"""The media types of problem documents (RFC 9457 sections 3 and appendix B)."""

from __future__ import annotations

#: ``application/problem+json``: the JSON form, sent by default.
JSON_MEDIA_TYPE = "application/problem+json"
#: ``application/problem+xml``: the XML form of RFC 9457 appendix B.
XML_MEDIA_TYPE = "application/problem+xml"
#: The XML namespace of the appendix B form (kept from RFC 7807).
XML_NAMESPACE = "urn:ietf:rfc:7807"
