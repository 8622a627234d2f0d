"""Content negotiation: pick the problem media type from an ``Accept`` header."""

from __future__ import annotations

from ._media_types import JSON_MEDIA_TYPE, XML_MEDIA_TYPE

# Media types a client may name for each representation; the problem types
# themselves and the general ones they refine.
_ALIASES = {
    "application/problem+json": JSON_MEDIA_TYPE,
    "application/json": JSON_MEDIA_TYPE,
    "application/problem+xml": XML_MEDIA_TYPE,
    "application/xml": XML_MEDIA_TYPE,
    "text/xml": XML_MEDIA_TYPE,
}
# An Accept header is untrusted input: only this much of it is read.
MAX_ACCEPT_LENGTH = 2048
_MAX_RANGES = 32
_MAX_CACHED = 256
_cache: dict[tuple[str, tuple[str, ...]], str] = {}


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def _negotiate(accept: str, offers: tuple[str, ...]) -> str:
    # For each offer: (specificity of the best matching range, its q).
    best: dict[str, tuple[int, float]] = {}
    for part in accept[:MAX_ACCEPT_LENGTH].split(",")[:_MAX_RANGES]:
        media_range, *params = part.split(";")
        media_range = media_range.strip().lower()
        q = _quality(params)
        if media_range == "*/*":
            matches = [(offer, 0) for offer in offers]
        elif media_range in ("application/*", "text/*"):
            prefix = media_range[:-1]
            matches = [(offer, 1) for offer in offers if offer.startswith(prefix)]
            if prefix == "text/" and XML_MEDIA_TYPE in offers:
                matches.append((XML_MEDIA_TYPE, 1))
        else:
            offer = _ALIASES.get(media_range)
            specificity = 3 if offer == media_range else 2
            matches = [(offer, specificity)] if offer in offers else []
        for offer, specificity in matches:
            if offer not in best or specificity > best[offer][0]:
                best[offer] = (specificity, q)
    chosen, chosen_q = offers[0], 0.0
    for offer in offers:
        q = best.get(offer, (0, 0.0))[1]
        if q > chosen_q:
            chosen, chosen_q = offer, q
    # Nothing acceptable: RFC 9110 section 12.5.1 lets a server send its default
    # rather than a 406, and an error response is no place for a second error.
    return chosen


def negotiate(accept: str | None, offers: tuple[str, ...] = (JSON_MEDIA_TYPE,)) -> str:
    """Return the offer the ``Accept`` header prefers, the first offer by default.

    Args:
        accept: the raw header value, or None when absent.
        offers: media types this server renders, most preferred first.
    """
    if not accept or len(offers) == 1:
        return offers[0]
    key = (accept, offers)
    chosen = _cache.get(key)
    if chosen is None:
        chosen = _negotiate(accept, offers)
        if len(accept) <= MAX_ACCEPT_LENGTH:
            if len(_cache) >= _MAX_CACHED:
                _cache.clear()
            _cache[key] = chosen
    return chosen
