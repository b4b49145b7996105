"""Query strings, paths and campaign tags, derived from a page URL (reference/plausible.md §1.4).

Everything here runs once per event, so each function is total (never raises on malformed input)
and the pure string work is cached on the raw string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

# A stored tag longer than this is cut, not refused: Umami lost whole events to overlong UTM values.
MAX_PARAM_LEN = 2000
# Only this much of a query string is read; trackers send at most a few kilobytes of URL.
MAX_QUERY_LEN = 8192
# Strings longer than this are decoded without the cache, so a flood of huge URLs cannot fill memory.
_MAX_CACHED_LEN = 2048

_ESCAPE_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")

# Plausible's order first; the rest are the click ids Umami records, so a Umami hit keeps its ad network.
CLICK_ID_PARAMS = ("gclid", "gbraid", "wbraid", "msclkid", "fbclid", "twclid", "ttclid", "li_fat_id", "epik", "rdt_cid")
TAGGED_SOURCE_PARAMS = ("utm_source", "source", "ref")


def _decode_run(match: re.Match[str]) -> str:
    raw = match.group(0)
    data = bytes.fromhex(raw.replace("%", ""))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # A byte that is not part of valid UTF-8 keeps its original escape text, so the stored value
    # is still a faithful (if partly encoded) copy of what the browser sent.
    out: list[str] = []
    pos = 0
    for char in data.decode("utf-8", "surrogateescape"):
        if "\udc80" <= char <= "\udcff":
            out.append(raw[3 * pos : 3 * pos + 3])
            pos += 1
        else:
            out.append(char)
            pos += len(char.encode("utf-8"))
    return "".join(out)


def percent_decode(text: str) -> str:
    """Decode %XX escapes as UTF-8; malformed escapes and invalid bytes stay as they were."""
    if "%" not in text:
        return text
    return _ESCAPE_RUN.sub(_decode_run, text)


@lru_cache(maxsize=8192)
def _decode_path_cached(path: str) -> str:
    return _ESCAPE_RUN.sub(_decode_run, path)


def decode_path(path: str) -> str:
    """Percent-decode a URL path ('+' stays '+'). Upstream Plausible answers 500 on `/%zz`; we keep it raw."""
    if "%" not in path:
        return path
    if len(path) > _MAX_CACHED_LEN:
        return _ESCAPE_RUN.sub(_decode_run, path)
    return _decode_path_cached(path)


def _form_decode(text: str) -> str:
    if "+" in text:
        text = text.replace("+", " ")
    return percent_decode(text)


@lru_cache(maxsize=4096)
def _query_pairs(query: str) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for piece in query.split("&"):
        if not piece:
            continue
        key, _, value = piece.partition("=")
        pairs.append((_form_decode(key), _form_decode(value)))
    return tuple(pairs)


def parse_query(query: str, first_values: bool = False) -> dict[str, str]:
    """Decode an application/x-www-form-urlencoded query string (without or with its leading '?').

    A repeated key keeps its last value (Plausible); `first_values=True` keeps the first (Umami).
    A key without '=' maps to "". Keys are case-sensitive, as in both upstreams.
    """
    if query.startswith("?"):
        query = query[1:]
    if not query:
        return {}
    if len(query) > MAX_QUERY_LEN:
        query = query[:MAX_QUERY_LEN]
    pairs = _query_pairs(query)
    if not first_values:
        return dict(pairs)
    result: dict[str, str] = {}
    for key, value in pairs:
        result.setdefault(key, value)
    return result


@dataclass(frozen=True, slots=True)
class Campaign:
    """Campaign tags from a page URL's query; "" means absent (the store has no NULL for these)."""

    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    utm_content: str = ""
    utm_term: str = ""
    click_id_param: str = ""
    tagged_source: str = ""


NO_CAMPAIGN = Campaign()


def _bounded(value: str) -> str:
    return value if len(value) <= MAX_PARAM_LEN else value[:MAX_PARAM_LEN]


def campaign_from_query(params: Mapping[str, str]) -> Campaign:
    """UTM tags, tagged source and click-id parameter name, as Plausible derives them (§1.4)."""
    if not params:
        return NO_CAMPAIGN
    tagged = ""
    for key in TAGGED_SOURCE_PARAMS:
        # The first *present* key wins, even when its value is empty.
        if key in params:
            tagged = params[key]
            break
    click_id = ""
    for key in CLICK_ID_PARAMS:
        if key in params:
            click_id = key
            break
    get = params.get
    return Campaign(
        utm_source=_bounded(get("utm_source", "")),
        utm_medium=_bounded(get("utm_medium", "")),
        utm_campaign=_bounded(get("utm_campaign", "")),
        utm_content=_bounded(get("utm_content", "")),
        utm_term=_bounded(get("utm_term", "")),
        click_id_param=click_id,
        tagged_source=_bounded(tagged),
    )


def infer_medium(utm_medium: str, source: str, click_id_param: str) -> str:
    """The medium to store once the referrer source is known: a Google or Bing ad click without an
    explicit utm_medium is recorded as "(gclid)" / "(msclkid)", as Plausible does. The source is
    the normalised one, so "Google"/"Bing" are exact. An empty medium counts as absent."""
    if utm_medium:
        return utm_medium
    if click_id_param == "gclid" and source == "Google":
        return "(gclid)"
    if click_id_param == "msclkid" and source == "Bing":
        return "(msclkid)"
    return utm_medium
