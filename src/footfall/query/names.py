"""Country and region names for ISO 3166 codes, from the maintained `pycountry` tables.

Storage keeps codes (country alpha-2, region ISO 3166-2); the `*_name` dimensions render names,
and filters on names are turned into code lists here, so SQL never needs a names table.
"""

from __future__ import annotations

import functools
import re

import pycountry


@functools.cache
def country_names() -> dict[str, str]:
    out: dict[str, str] = {}
    for c in pycountry.countries:
        out[c.alpha_2] = getattr(c, "common_name", None) or c.name
    return out


@functools.cache
def region_names() -> dict[str, str]:
    return {s.code: s.name for s in pycountry.subdivisions}


def country_name(code: str) -> str:
    return country_names().get(code.upper(), code)


def region_name(code: str) -> str:
    return region_names().get(code.upper(), code)


def matching_codes(kind: str, op: str, clauses: tuple[str, ...], case_sensitive: bool) -> list[str]:
    """Codes whose name satisfies the positive form of `op` (is/contains/matches) for any clause."""
    table = country_names() if kind == "country" else region_names()
    base = op.removesuffix("_not")
    flags = 0 if case_sensitive else re.IGNORECASE
    if base == "is":
        wanted = set(clauses) if case_sensitive else {c.lower() for c in clauses}
        return [k for k, v in table.items() if (v if case_sensitive else v.lower()) in wanted]
    if base == "contains":
        needles = clauses if case_sensitive else tuple(c.lower() for c in clauses)
        return [k for k, v in table.items() if any(n in (v if case_sensitive else v.lower()) for n in needles)]
    if base == "matches_wildcard":
        patterns = [re.compile(wildcard_to_regex(c), flags) for c in clauses]
    else:
        patterns = [re.compile(c, flags) for c in clauses]
    return [k for k, v in table.items() if any(p.search(v) for p in patterns)]


def wildcard_to_regex(pattern: str) -> str:
    """Plausible's wildcards: `**` any characters, `*` any characters but `/`; anchored."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "^" + "".join(out) + "$"
