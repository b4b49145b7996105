"""The slice of the WHATWG URL parser Umami's rules depend on (reference/umami.md §1.2, §1.10).

Umami validates `url`/`referrer` with `new URL(value, "https://localhost")` and splits the page
URL with `new URL(url, "https://" + hostname)`. Python's urllib is not WHATWG (dot segments,
backslashes, IDNA, percent-encoding of spaces and non-ASCII differ), so this module parses the
way a browser does for the inputs trackers send: `parse` returns None exactly where the browser
throws, for the cases reference/umami.md lists, and otherwise the serialised parts.

`decode_uri` / `decode_uri_component` are JavaScript's, made "safe" as Umami does: a malformed
sequence anywhere leaves the whole string as it was.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re

SPECIAL_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21", "file": ""}

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_FORBIDDEN_HOST = frozenset("\x00\t\n\r #/:<>?@[\\]^|")
_FORBIDDEN_DOMAIN = _FORBIDDEN_HOST | frozenset(chr(c) for c in range(0x20)) | {"%", "\x7f"}

# Percent-encode sets (WHATWG): C0 controls and everything above U+007E, plus these.
_PATH_SET = frozenset(' "#<>?`{}')
_QUERY_SET = frozenset(" \"#<>'")
_FRAGMENT_SET = frozenset(' "<>`')


@dataclasses.dataclass(frozen=True, slots=True)
class Url:
    scheme: str
    host: str  # serialised hostname without port ("" for opaque/hostless URLs)
    port: str  # "" when absent or the scheme's default
    path: str  # serialised, percent-encoded, starts with "/" for special schemes
    query: str  # without "?"; None-ness folded to ""
    fragment: str | None  # without "#"; None when the URL has no "#"

    @property
    def origin(self) -> str:
        if not self.host and self.scheme not in SPECIAL_PORTS:
            return f"{self.scheme}:"
        return f"{self.scheme}://{self.host}" + (f":{self.port}" if self.port else "")

    def without_fragment(self) -> str:
        return self.origin + self.path + (f"?{self.query}" if self.query else "")


_CLEAN: dict[frozenset[str], re.Pattern[str]] = {}


def _encode(text: str, extra: frozenset[str]) -> str:
    clean = _CLEAN.get(extra)
    if clean is None:
        clean = _CLEAN[extra] = re.compile(
            "[^\x20-\x7e]|[" + re.escape("".join(sorted(extra))) + "]" if extra else "[^\x20-\x7e]"
        )
    if clean.search(text) is None:
        return text
    out = []
    for char in text:
        if char in extra or char < " " or char > "~":
            out.append("".join(f"%{b:02X}" for b in char.encode("utf-8", "replace")))
        else:
            out.append(char)
    return "".join(out)


_SINGLE_DOT = frozenset({".", "%2e"})
_DOUBLE_DOT = frozenset({"..", ".%2e", "%2e.", "%2e%2e"})


def _normalise_path(segments: list[str]) -> str:
    out: list[str] = []
    last = len(segments) - 1
    for i, segment in enumerate(segments):
        lowered = segment.lower()
        if lowered in _DOUBLE_DOT:
            if out:
                out.pop()
            if i == last:
                out.append("")
        elif lowered in _SINGLE_DOT:
            if i == last:
                out.append("")
        else:
            out.append(_encode(segment, _PATH_SET))
    return "/" + "/".join(out)


def _ipv4_part(part: str) -> int | None:
    try:
        if part[:2].lower() == "0x":
            return int(part[2:] or "0", 16)
        if len(part) > 1 and part[0] == "0":
            return int(part[1:], 8)
        return int(part, 10)
    except ValueError:
        return None


def _ipv4(host: str) -> str | None:
    """WHATWG IPv4 parsing ("0x7f.1" is 127.0.0.1); raises ValueError if invalid."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4 or any(p == "" for p in parts):
        raise ValueError(host)
    numbers = [_ipv4_part(p) for p in parts]
    if any(n is None for n in numbers):
        raise ValueError(host)
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise ValueError(host)
    address = values[-1]
    for i, n in enumerate(values[:-1]):
        address += n * 256 ** (3 - i)
    return str(ipaddress.IPv4Address(address))


def _ends_in_number(host: str) -> bool:
    parts = host.split(".")
    last = parts[-1] if parts[-1] or len(parts) == 1 else parts[-2]
    if last.isdigit():
        return True
    return last[:2].lower() == "0x" and all(c in "0123456789abcdefABCDEF" for c in last[2:])


def _host(raw: str, special: bool) -> str | None:
    if raw.startswith("["):
        if not raw.endswith("]"):
            return None
        try:
            return f"[{ipaddress.IPv6Address(raw[1:-1]).compressed}]"
        except ValueError:
            return None
    if not special:
        if any(c in _FORBIDDEN_HOST for c in raw):
            return None
        return _encode(raw, frozenset())
    host = decode_uri_component(raw) if "%" in raw else raw
    labels = []
    for label in host.split("."):
        if label.isascii():
            labels.append(label.lower())
            continue
        try:
            labels.append(label.encode("idna").decode("ascii").lower())
        except UnicodeError:
            return None
    ascii_host = ".".join(labels)
    if not ascii_host or any(c in _FORBIDDEN_DOMAIN for c in ascii_host):
        return None
    if _ends_in_number(ascii_host):
        try:
            return _ipv4(ascii_host)
        except ValueError:
            return None
    return ascii_host


def _split_rest(rest: str) -> tuple[str, str | None, str | None]:
    """path-ish, query, fragment (query/fragment None when absent)."""
    fragment = None
    if "#" in rest:
        rest, fragment = rest.split("#", 1)
    query = None
    if "?" in rest:
        rest, query = rest.split("?", 1)
    return rest, query, fragment


def _authority(scheme: str, rest: str, special: bool) -> Url | None:
    """Parse `host[:port]/path?query#fragment` (the part after `//`)."""
    end = len(rest)
    for i, char in enumerate(rest):
        if char in "/?#" or (special and char == "\\"):
            end = i
            break
    authority, tail = rest[:end], rest[end:]
    if "@" in authority:
        authority = authority.rsplit("@", 1)[1]
    host_raw, port = authority, ""
    colon = authority.rfind(":")
    if colon != -1 and "]" not in authority[colon:]:
        host_raw, port = authority[:colon], authority[colon + 1 :]
        if port and (not port.isdigit() or int(port) > 65535):
            return None
        port = str(int(port)) if port else ""
    if special and not host_raw and scheme != "file":
        return None
    host = _host(host_raw, special) if host_raw else ""
    if host is None:
        return None
    if port == SPECIAL_PORTS.get(scheme):
        port = ""
    return _finish(scheme, host, port, tail, special, base_segments=None)


def _finish(scheme: str, host: str, port: str, tail: str, special: bool, base_segments: list[str] | None) -> Url:
    path_raw, query, fragment = _split_rest(tail)
    if special:
        path_raw = path_raw.replace("\\", "/")
    if path_raw.startswith("/") or base_segments is None:
        segments = path_raw[1:].split("/") if path_raw.startswith("/") else ([path_raw] if path_raw else [])
    else:
        segments = [*base_segments[:-1], *path_raw.split("/")]
    if special or host or path_raw.startswith("/"):
        path = _normalise_path(segments) if (segments or special) else ""
    else:
        path = _encode(path_raw, frozenset())  # opaque path (javascript:, mailto:)
    if special and path == "/" and not segments:
        path = "/"
    return Url(
        scheme=scheme,
        host=host,
        port=port,
        path=path,
        query=_encode(query, _QUERY_SET if special else frozenset(' "#<>')) if query else "",
        fragment=_encode(fragment, _FRAGMENT_SET) if fragment is not None else None,
    )


def parse(value: str, base: Url) -> Url | None:
    """`new URL(value, base)`, or None where the browser throws. `base` is special (https)."""
    # Pages and referrers repeat: the parse is cached, unless the string is unusually long.
    return _parse_cached(value, base) if len(value) <= _MAX_CACHED else _parse(value, base)


_MAX_CACHED = 2048


@functools.lru_cache(maxsize=8192)
def _parse_cached(value: str, base: Url) -> Url | None:
    return _parse(value, base)


def _parse(value: str, base: Url) -> Url | None:
    text = value.strip(
        "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f"
        "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "
    )
    text = _TAB_NEWLINE.sub("", text)
    match = _SCHEME.match(text)
    if match:
        scheme = match.group(1).lower()
        rest = text[match.end() :]
        special = scheme in SPECIAL_PORTS
        if not special:
            if rest.startswith("//"):
                return _authority(scheme, rest[2:], special=False)
            path_raw, query, fragment = _split_rest(rest)
            return Url(
                scheme,
                "",
                "",
                _encode(path_raw, frozenset()),
                query or "",
                _encode(fragment, _FRAGMENT_SET) if fragment is not None else None,
            )
        if scheme == base.scheme and rest[:1] not in ("/", "\\"):
            text = rest  # "https:foo" is relative to an https base
        else:
            return _authority(scheme, rest.lstrip("/\\"), special=True)
    if text[:2] in ("//", "\\\\", "/\\", "\\/"):
        return _authority(base.scheme, text[2:], special=True)
    if text == "":
        return dataclasses.replace(base, fragment=None)
    if text.startswith("?"):
        _, query, fragment = _split_rest(text)
        return dataclasses.replace(
            base,
            query=_encode(query or "", _QUERY_SET),
            fragment=_encode(fragment, _FRAGMENT_SET) if fragment is not None else None,
        )
    if text.startswith("#"):
        return dataclasses.replace(base, fragment=_encode(text[1:], _FRAGMENT_SET))
    return _finish(base.scheme, base.host, base.port, text, True, base.path[1:].split("/"))


@functools.lru_cache(maxsize=1024)
def base_url(hostname: str | None) -> Url | None:
    """The base Umami resolves page URLs against: https:// + hostname, or https://localhost."""
    return _authority("https", hostname if hostname else "localhost", special=True)


LOCALHOST = base_url(None)
assert LOCALHOST is not None


def valid_url_or_path(value: str) -> bool:
    """Umami's urlOrPathParam: anything `new URL(value, "https://localhost")` accepts."""
    assert LOCALHOST is not None
    return parse(value, LOCALHOST) is not None


# -- decodeURI / decodeURIComponent ----------------------------------------------------------

_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_URI_RESERVED = frozenset(";/?:@&=+$,#")


class _Malformed(Exception):
    pass


def _decode(text: str, keep: frozenset[str]) -> str:
    if "%" not in text:
        return text

    def run(match: re.Match[str]) -> str:
        raw = match.group(0)
        try:
            decoded = bytes.fromhex(raw.replace("%", "")).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Malformed from exc
        if not keep:
            return decoded
        # Characters decodeURI must leave escaped keep their original escape text.
        out, pos = [], 0
        for char in decoded:
            width = len(char.encode("utf-8"))
            out.append(raw[pos : pos + 3 * width] if char in keep else char)
            pos += 3 * width
        return "".join(out)

    result = _ESCAPES.sub(run, text)
    if "%" in _ESCAPES.sub("", text):
        raise _Malformed  # a "%" not followed by two hex digits
    return result


def decode_uri(text: str) -> str:
    try:
        return _decode(text, _URI_RESERVED)
    except _Malformed:
        return text


def decode_uri_component(text: str) -> str:
    try:
        return _decode(text, frozenset())
    except _Malformed:
        return text
