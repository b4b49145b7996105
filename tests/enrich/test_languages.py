"""Accept-Language: the preferred tag, and whether the header is malformed (a Medama bot signal)."""

from __future__ import annotations

import pytest

from footfall.enrich.languages import parse_accept_language


@pytest.mark.parametrize(
    ("header", "tag", "malformed"),
    [
        ("", "", False),
        ("en-GB,en;q=0.9", "en-GB", False),
        ("de;q=0.5, fr-ch", "fr-CH", False),
        ("EN-us", "en-US", False),
        ("zh-hant-tw", "zh-Hant-TW", False),
        ("es-419", "es-419", False),
        ("*", "", False),
        ("fr;q=0, de;q=0.1", "de", False),
        ("en;q=0.5, de;q=0.5", "en", False),  # ties keep the header's order
        ("en;q=2", "", True),
        ("en;q=abc", "", True),
        ("en_US", "", True),
        ("toolonglanguage", "", True),
        ("en, ;;;", "en", True),
    ],
)
def test_accept_language(header, tag, malformed):
    result = parse_accept_language(header)
    assert (result.tag, result.malformed) == (tag, malformed)


def test_a_huge_header_is_read_only_up_to_a_whole_entry():
    header = "de," + ",".join(["en"] * 1000)
    result = parse_accept_language(header)
    assert (result.tag, result.malformed) == ("de", False)
