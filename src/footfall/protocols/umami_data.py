"""Umami's typed, nested `data` in Footfall's string -> string props, recoverably.

Umami flattens `data` into rows keyed by dot-joined paths with a type per leaf (§1.10). Footfall's
props are string -> string, so the encoding is:

- A leaf's key is its path joined with ".". Inside a path segment, "\\" and "." are escaped with a
  backslash, and so is a "$" that starts the first segment; so `{"a": {"b": 1}}` is `a.b` while
  `{"a.b": 1}` is `a\\.b`, and no user key can start with "$".
- Strings are stored as they are (what queries compare against most); numbers as their JSON text
  (`9.99`, `3`), booleans as `true`/`false`, null, arrays and `{}` as compact JSON.
- The reserved key `$types` holds a compact JSON object from each non-string key to its type:
  "n" number, "b" boolean, "j" other JSON (null, array, empty or too-deep object). Absent means
  string. So "true" the string and true the boolean stay apart.

`unflatten(flatten(d)) == d` for every `d` within the bounds below. Past them we bound instead of
failing (Umami answers 500 on long values): strings and keys are cut to 500 characters (a cut
array/object then becomes a string), at most MAX_LEAVES leaves are kept (in document order), and
objects nested deeper than MAX_DEPTH are stored as JSON.
"""

from __future__ import annotations

import json
from typing import Any

TYPES_KEY = "$types"
MAX_LEAVES = 100
MAX_DEPTH = 8
MAX_KEY = 500
MAX_VALUE = 500


def _escape(segment: str, first: bool) -> str:
    segment = segment.replace("\\", "\\\\").replace(".", "\\.")
    if first and segment.startswith("$"):
        segment = "\\" + segment
    return segment


def _split(key: str) -> list[str]:
    segments, current, i = [], [], 0
    while i < len(key):
        char = key[i]
        if char == "\\" and i + 1 < len(key):
            current.append(key[i + 1])
            i += 2
            continue
        if char == ".":
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    segments.append("".join(current))
    return segments


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def flatten(data: dict[str, Any]) -> dict[str, str]:
    props: dict[str, str] = {}
    types: dict[str, str] = {}

    def leaf(key: str, text: str, kind: str) -> None:
        if len(props) >= MAX_LEAVES:
            return
        key = key[:MAX_KEY]
        if len(text) > MAX_VALUE:
            text, kind = text[:MAX_VALUE], ""  # a cut JSON text no longer parses: keep it as text
        props[key] = text
        if kind:
            types[key] = kind

    def walk(value: dict[str, Any], prefix: str, depth: int) -> None:
        for raw_key, item in value.items():
            key = prefix + _escape(str(raw_key), not prefix)
            if isinstance(item, dict) and item and depth < MAX_DEPTH:
                walk(item, key + ".", depth + 1)
            elif isinstance(item, str):
                leaf(key, item, "")
            elif isinstance(item, bool):
                leaf(key, "true" if item else "false", "b")
            elif isinstance(item, (int, float)):
                leaf(key, _json(item), "n")
            else:
                try:
                    leaf(key, _json(item), "j")
                except RecursionError:
                    continue  # nesting too deep to serialise: the value cannot be kept whole

    walk(data, "", 0)
    if types:
        props[TYPES_KEY] = _json(types)
    return props


def unflatten(props: dict[str, str]) -> dict[str, Any]:
    """The `data` object `flatten` stored (the inverse, for queries and exports)."""
    try:
        types = json.loads(props.get(TYPES_KEY, "{}"))
    except ValueError:
        types = {}
    if not isinstance(types, dict):
        types = {}
    out: dict[str, Any] = {}
    for key, text in props.items():
        if key == TYPES_KEY:
            continue
        kind = types.get(key)
        value: Any = text
        if kind == "b":
            value = text == "true"
        elif kind in ("n", "j"):
            try:
                value = json.loads(text)
            except ValueError:
                value = text
        *parents, last = _split(key)
        node = out
        for segment in parents:
            child = node.setdefault(segment, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[last] = value
    return out
