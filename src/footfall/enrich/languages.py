"""The visitor's preferred language from an `Accept-Language` header (RFC 9110 §12.5.4).

Entries are ranked by q (descending, stable for ties); q=0 and `*` are not preferences. The
result is the top entry as a BCP 47 tag in its usual case (`en-GB`, `zh-Hant-TW`). A header that
does not follow the grammar is reported as malformed, which Medama counts as a bot signal.
"""

from __future__ import annotations

import functools
import re

__all__ = ["AcceptLanguage", "parse_accept_language"]

# Browsers send a few dozen bytes; only this much is read, cut back to a whole entry.
MAX_HEADER_LEN = 1024

_TAG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")
_QVALUE = re.compile(r"^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")


class AcceptLanguage:
    __slots__ = ("tag", "malformed")

    def __init__(self, tag: str, malformed: bool) -> None:
        self.tag = tag
        self.malformed = malformed

    def __repr__(self) -> str:
        return f"AcceptLanguage(tag={self.tag!r}, malformed={self.malformed})"


def _canonical_case(tag: str) -> str:
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())  # script
        elif (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            out.append(part.upper())  # region
        else:
            out.append(part.lower())
    return "-".join(out)


@functools.lru_cache(maxsize=1024)
def _parse(header: str) -> AcceptLanguage:
    best_tag, best_q, malformed = "", 0.0, False
    for entry in header.split(","):
        entry = entry.strip()
        if not entry:
            continue
        tag, _, params = entry.partition(";")
        tag = tag.strip()
        q = 1.0
        if params:
            name, eq, value = params.strip().partition("=")
            if name.strip().lower() != "q" or not eq or not _QVALUE.match(value.strip()):
                malformed = True
                continue
            q = float(value)
        if tag == "*":
            continue
        if not _TAG.match(tag):
            malformed = True
            continue
        if q > best_q:
            best_tag, best_q = tag, q
    return AcceptLanguage(_canonical_case(best_tag) if best_tag else "", malformed)


def parse_accept_language(header: str) -> AcceptLanguage:
    """The preferred language tag ("" when none) and whether the header was malformed."""
    if len(header) > MAX_HEADER_LEN:
        cut = header.rfind(",", 0, MAX_HEADER_LEN)
        header = header[:cut] if cut > 0 else ""
    return _parse(header)
