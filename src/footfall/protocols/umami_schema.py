"""Umami's `/api/send` request schema and its exact 400 bodies (reference/umami.md §1.2-§1.3).

Umami validates with zod and answers `{"error": {"message": "Bad request", "code": "bad-request",
"status": 400, ...z.treeifyError(...)}}`. `validate` reproduces the checks, the messages and the
tree (`errors` / `properties` per key), in the order zod reports them. Lengths are JavaScript's
(UTF-16 code units). Beyond Umami, `timestamp` is bounded (see `validate`).
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

from footfall.protocols.umami_url import valid_url_or_path

TYPES = ("event", "identify", "performance")
_TYPE_MESSAGE = 'Invalid option: expected one of "event"|"identify"|"performance"'
EXACTLY_ONE = "Exactly one of website, link, or pixel must be provided"

# zod 4's rule: either case for a versioned UUID, but the max UUID in lower case only. `\Z`, not
# `$`, which would also match before a trailing newline (JavaScript's `$` does not).
_UUID = re.compile(
    r"(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
    r"|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)\Z"
)
# What JavaScript's Number() reads as decimal: ASCII digits only, "Infinity" spelled exactly.
_JS_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|Infinity)\Z")

_VITALS = (("lcp", 60000), ("inp", 60000), ("cls", 100), ("fcp", 60000), ("ttfb", 60000))


@dataclasses.dataclass(slots=True)
class Payload:
    """A validated payload: every field of the schema, unknown keys dropped."""

    website: str = ""
    link: str = ""
    pixel: str = ""
    hostname: str = ""
    language: str = ""
    screen: str = ""
    title: str = ""
    url: str | None = None
    referrer: str = ""
    name: str = ""
    tag: str = ""
    ip: str = ""
    userAgent: str = ""
    timestamp: int = 0  # Unix seconds; 0 means "now"
    id: str = ""
    browser: str = ""
    os: str = ""
    device: str = ""
    data: dict[str, Any] | None = None
    vitals: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def source_id(self) -> str:
        return self.website or self.pixel or self.link


def js_length(text: str) -> int:
    """String length in UTF-16 code units, as zod measures it."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def js_type(value: Any) -> str:
    """The type name zod reports as "received ..."."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "NaN" if isinstance(value, float) and math.isnan(value) else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


# zod's invalid_type messages all start so; such an issue aborts the object's refinement.
_WRONG_TYPE = "Invalid input: expected "


def expected(kind: str, value: Any) -> str:
    return f"{_WRONG_TYPE}{kind}, received {js_type(value) if value is not _MISSING else 'undefined'}"


_MISSING: Any = object()


def js_number(value: Any) -> float:
    """JavaScript's Number(value), for what z.coerce.number() sees in JSON."""
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return (
            js_number(value[0])
            if len(value) == 1 and not isinstance(value[0], (list, dict))
            else (0.0 if not value else math.nan)
        )
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        lowered = text.lower()
        for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
            if lowered.startswith(prefix):
                try:
                    return float(int(text[2:], base))
                except ValueError:
                    return math.nan
        if _JS_NUMBER.match(text):
            return float(text)
        return math.nan
    return math.nan


class Tree:
    """z.treeifyError's shape: {"errors": [...], "properties": {...}}, built as issues come."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.properties: dict[str, Tree] = {}

    def at(self, key: str) -> Tree:
        return self.properties.setdefault(key, Tree())

    def empty(self) -> bool:
        return not self.errors and all(child.empty() for child in self.properties.values())

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {"errors": self.errors}
        if self.properties:
            out["properties"] = {k: v.render() for k, v in self.properties.items()}
        return out


def bad_request(tree: Tree | dict[str, Any]) -> dict[str, Any]:
    detail = tree.render() if isinstance(tree, Tree) else tree
    return {"error": {"message": "Bad request", "code": "bad-request", "status": 400, **detail}}


class Invalid(Exception):
    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body


# Every payload key zod knows, in the schema's order (the order it reports issues in: Umami's
# send schema), with its rule: the kind and, for strings and vitals, the maximum.
_RULES: dict[str, tuple[str, int | None]] = {
    "website": ("uuid", None),
    "link": ("uuid", None),
    "pixel": ("uuid", None),
    "data": ("record", None),
    "hostname": ("string", 100),
    "language": ("string", 35),
    "referrer": ("url", None),
    "screen": ("string", 11),
    "title": ("string", None),
    "url": ("url", None),
    "name": ("string", 50),
    "tag": ("string", 50),
    "ip": ("string", None),
    "userAgent": ("string", None),
    "timestamp": ("timestamp", None),
    "id": ("string", None),
    "browser": ("string", None),
    "os": ("string", None),
    "device": ("string", None),
    **{field: ("vital", limit) for field, limit in _VITALS},
}
_ORDER = {field: i for i, field in enumerate(_RULES)}


def _issue(kind: str, limit: int | None, value: Any, now_s: int, window: tuple[int, int]) -> str | None:
    """The zod message for one field's value, or None when it passes."""
    if kind == "string":
        if type(value) is not str:
            return expected("string", value)
        if limit is not None and js_length(value) > limit:
            return f"Too big: expected string to have <={limit} characters"
        return None
    if kind == "url":
        if type(value) is not str:
            return expected("string", value)
        return None if valid_url_or_path(value) else "Invalid URL."
    if kind == "uuid":
        if type(value) is not str:
            return expected("string", value)
        return None if _UUID.match(value) else "Invalid UUID"
    if kind == "record":
        return None if isinstance(value, dict) else expected("record", value)
    if kind == "vital":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return expected("number", value)
        if value < 0:
            return "Too small: expected number to be >=0"
        return f"Too big: expected number to be <={limit}" if limit is not None and value > limit else None
    number = js_number(value)  # timestamp: z.coerce.number().int()
    if math.isnan(number):
        return "Invalid input: expected number, received NaN"
    if math.isinf(number):
        return "Invalid input: expected number, received number"  # zod's words for Infinity
    if not number.is_integer():
        return "Invalid input: expected int, received number"
    if number:
        # Umami takes any time; Footfall keeps only the salts of today and yesterday, and a time
        # far in the future would expire live visits early: bound it, in zod's words.
        low, high = now_s - window[0], now_s + window[1]
        if number < low:
            return f"Too small: expected number to be >={low}"
        if number > high:
            return f"Too big: expected number to be <={high}"
    return None


def _check_payload(raw: dict[str, Any], tree: Tree, now_s: int, window: tuple[int, int]) -> Payload:
    p = Payload()
    wrong_type = False
    for field, value in raw.items():
        rule = _RULES.get(field)
        if rule is None:
            continue  # unknown keys are dropped, as zod's object does
        kind, limit = rule
        issue = _issue(kind, limit, value, now_s, window)
        if issue is not None:
            tree.at(field).errors.append(issue)
            wrong_type = wrong_type or issue.startswith(_WRONG_TYPE)
        elif kind == "vital":
            p.vitals[field] = float(value)
        elif kind == "timestamp":
            p.timestamp = int(js_number(value))
        else:
            setattr(p, field, value)
    if tree.properties:
        # zod reports in schema order, whatever the order of the keys in the body.
        tree.properties = dict(sorted(tree.properties.items(), key=lambda item: _ORDER[item[0]]))
    # The refinement runs last, and zod skips it once a field has the wrong type (an aborting
    # issue); a failed format or length check (e.g. "Invalid UUID") does not stop it.
    if not wrong_type and sum(1 for f in ("website", "link", "pixel") if raw.get(f)) != 1:
        tree.at("website").errors.append(EXACTLY_ONE)
    return p


def validate(body: Any, *, now_s: int, window: tuple[int, int]) -> tuple[str, Payload]:
    """(type, payload) of a decoded body (`_MISSING` when absent or not JSON), or raise Invalid.

    `window` is (seconds before now, seconds after now) a client `timestamp` may lie in.
    """
    if not isinstance(body, dict):
        raise Invalid(bad_request({"errors": [expected("object", body)]}))
    tree = Tree()
    kind = body.get("type", _MISSING)
    if kind not in TYPES:
        tree.at("type").errors.append(_TYPE_MESSAGE)
    raw = body.get("payload", _MISSING)
    payload = Payload()
    if isinstance(raw, dict):
        payload = _check_payload(raw, tree.at("payload"), now_s, window)
    else:
        tree.at("payload").errors.append(expected("object", raw))
    if not tree.empty():
        raise Invalid(bad_request(_prune(tree)))
    return str(kind), payload


def _prune(tree: Tree) -> Tree:
    """Drop children without issues (payload is created eagerly for its checks)."""
    for key in [k for k, child in tree.properties.items() if child.empty()]:
        del tree.properties[key]
    for child in tree.properties.values():
        _prune(child)
    return tree


MISSING = _MISSING
