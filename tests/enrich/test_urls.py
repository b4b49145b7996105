"""Query, path and campaign derivations (reference/plausible.md §1.4; Umami's first-value rule)."""

from __future__ import annotations

import pytest

from footfall.enrich.urls import (
    CLICK_ID_PARAMS,
    MAX_PARAM_LEN,
    Campaign,
    campaign_from_query,
    decode_path,
    infer_medium,
    parse_query,
    percent_decode,
)

QUERY_CASES = [
    ("plus becomes a space and escapes decode", "utm_source=a+b%20c", {"utm_source": "a b c"}),
    ("an escaped percent sign decodes once", "utm_source=%25balle%25", {"utm_source": "%balle%"}),
    ("double quotes survive", 'utm_campaign="q"', {"utm_campaign": '"q"'}),
    ("a repeated key keeps the later value", "utm_source=a&utm_source=b", {"utm_source": "b"}),
    ("a key without '=' maps to the empty string", "ref&x=1", {"ref": "", "x": "1"}),
    ("empty pieces between ampersands are skipped", "&&a=1&&", {"a": "1"}),
    ("only the first '=' splits key from value", "a=b=c", {"a": "b=c"}),
    ("keys are case-sensitive", "UTM_SOURCE=x&utm_source=y", {"UTM_SOURCE": "x", "utm_source": "y"}),
    ("a leading question mark is ignored", "?a=1", {"a": "1"}),
    ("the empty query is empty", "", {}),
    ("a malformed escape stays raw", "a=%zz&b=%4", {"a": "%zz", "b": "%4"}),
    ("an invalid UTF-8 byte keeps its escape text", "a=%C3%A9%ff", {"a": "é%ff"}),
    ("a truncated UTF-8 sequence keeps its escape text", "a=%E0%A4", {"a": "%E0%A4"}),
    ("an escaped ampersand is data, not a separator", "a=x%26y", {"a": "x&y"}),
    ("escaped keys decode too", "utm%5Fsource=x", {"utm_source": "x"}),
    ("unicode passes through", "q=café", {"q": "café"}),
]


@pytest.mark.parametrize(("query", "expected"), [c[1:] for c in QUERY_CASES], ids=[c[0] for c in QUERY_CASES])
def test_parse_query_decodes_form_encoding(query: str, expected: dict[str, str]) -> None:
    assert parse_query(query) == expected


def test_first_values_keeps_the_first_of_repeated_keys_as_umami_does() -> None:
    assert parse_query("utm_source=a&utm_source=b&UTM_SOURCE=c&utm_term=", first_values=True) == {
        "utm_source": "a",
        "UTM_SOURCE": "c",
        "utm_term": "",
    }


def test_parse_query_returns_a_fresh_dict_each_time_despite_the_cache() -> None:
    first = parse_query("a=1")
    first["a"] = "changed"
    assert parse_query("a=1") == {"a": "1"}


def test_a_huge_query_is_read_only_up_to_the_bound_and_never_raises() -> None:
    params = parse_query("a=1&" + "b=" + "x" * 1_000_000)
    assert params["a"] == "1"
    assert len(params["b"]) < 10_000


PATH_CASES = [
    ("arabic text decodes", "/%D8%AC%D8%A7%D9%85%D8%B9%D8%A9", "/جامعة"),
    ("a path without escapes is returned as is", "/plain/path", "/plain/path"),
    ("plus stays a plus in a path", "/a+b", "/a+b"),
    ("an encoded slash decodes", "/a%2Fb", "/a/b"),
    ("a malformed escape keeps the raw text instead of failing", "/%zz", "/%zz"),
    ("a lone percent sign stays", "/100%", "/100%"),
    ("a truncated escape stays", "/%E0%A4%A", "/%E0%A4%A"),
    ("good sequences decode around a bad byte", "/caf%C3%A9/%FF/x", "/café/%FF/x"),
    ("an overlong encoding is not valid UTF-8 and stays", "/%C0%AF", "/%C0%AF"),
    ("lower-case hex decodes", "/caf%c3%a9", "/café"),
]


@pytest.mark.parametrize(("path", "expected"), [c[1:] for c in PATH_CASES], ids=[c[0] for c in PATH_CASES])
def test_decode_path(path: str, expected: str) -> None:
    assert decode_path(path) == expected


def test_a_huge_path_decodes_without_the_cache_and_without_raising() -> None:
    path = "/%C3%A9" * 100_000 + "/%zz"
    assert decode_path(path) == "/é" * 100_000 + "/%zz"


def test_percent_decode_keeps_the_original_case_of_bad_escapes() -> None:
    assert percent_decode("%fe%FE") == "%fe%FE"


CAMPAIGN_CASES = [
    ("no parameters give an empty campaign", {}, Campaign()),
    (
        "all five UTM tags are stored raw",
        {"utm_source": "News", "utm_medium": "Email", "utm_campaign": "Spring", "utm_content": "c", "utm_term": "t"},
        Campaign("News", "Email", "Spring", "c", "t", "", "News"),
    ),
    ("source is the tagged source without utm_source", {"source": "betalist"}, Campaign(tagged_source="betalist")),
    ("ref is the tagged source without the others", {"ref": "producthunt"}, Campaign(tagged_source="producthunt")),
    (
        "utm_source beats source and ref",
        {"ref": "r", "source": "s", "utm_source": "u"},
        Campaign(utm_source="u", tagged_source="u"),
    ),
    ("source beats ref", {"ref": "r", "source": "s"}, Campaign(tagged_source="s")),
    (
        "the first present key wins even when empty",
        {"utm_source": "", "source": "s"},
        Campaign(tagged_source=""),
    ),
    ("gclid is recorded by name only", {"gclid": "abc123"}, Campaign(click_id_param="gclid")),
    ("gbraid is a click id", {"gbraid": "x"}, Campaign(click_id_param="gbraid")),
    ("wbraid is a click id", {"wbraid": "x"}, Campaign(click_id_param="wbraid")),
    ("msclkid is a click id", {"msclkid": "x"}, Campaign(click_id_param="msclkid")),
    ("fbclid is a click id", {"fbclid": "x"}, Campaign(click_id_param="fbclid")),
    ("twclid is a click id", {"twclid": "x"}, Campaign(click_id_param="twclid")),
    ("Umami's ttclid is a click id", {"ttclid": "x"}, Campaign(click_id_param="ttclid")),
    ("Umami's li_fat_id is a click id", {"li_fat_id": "x"}, Campaign(click_id_param="li_fat_id")),
    ("Umami's epik is a click id", {"epik": "x"}, Campaign(click_id_param="epik")),
    ("Umami's rdt_cid is a click id", {"rdt_cid": "x"}, Campaign(click_id_param="rdt_cid")),
    (
        "the first click id in Plausible's order wins, whatever the URL order",
        {"fbclid": "1", "msclkid": "2", "gclid": "3"},
        Campaign(click_id_param="gclid"),
    ),
    ("Plausible's click ids win over Umami's", {"ttclid": "1", "twclid": "2"}, Campaign(click_id_param="twclid")),
    ("an unknown parameter is ignored", {"foo": "bar"}, Campaign()),
]


@pytest.mark.parametrize(("params", "expected"), [c[1:] for c in CAMPAIGN_CASES], ids=[c[0] for c in CAMPAIGN_CASES])
def test_campaign_from_query(params: dict[str, str], expected: Campaign) -> None:
    assert campaign_from_query(params) == expected


def test_click_id_order_is_plausibles_then_umamis() -> None:
    assert CLICK_ID_PARAMS[:6] == ("gclid", "gbraid", "wbraid", "msclkid", "fbclid", "twclid")


def test_overlong_tag_values_are_cut_not_refused() -> None:
    campaign = campaign_from_query({"utm_source": "s" * 10_000, "utm_term": "t" * 10_000})
    assert len(campaign.utm_source) == MAX_PARAM_LEN
    assert len(campaign.tagged_source) == MAX_PARAM_LEN
    assert len(campaign.utm_term) == MAX_PARAM_LEN


def test_campaign_from_a_parsed_query_end_to_end() -> None:
    query = "utm_source=news&utm_medium=email&gclid=abc123"
    assert campaign_from_query(parse_query(query)) == Campaign(
        utm_source="news", utm_medium="email", click_id_param="gclid", tagged_source="news"
    )


INFER_CASES = [
    ("Google with gclid and no medium gets (gclid)", ("", "Google", "gclid"), "(gclid)"),
    ("Bing with msclkid and no medium gets (msclkid)", ("", "Bing", "msclkid"), "(msclkid)"),
    ("an explicit medium is never overridden", ("cpc", "Google", "gclid"), "cpc"),
    ("Google with msclkid infers nothing", ("", "Google", "msclkid"), ""),
    ("Bing with gclid infers nothing", ("", "Bing", "gclid"), ""),
    ("another source with gclid infers nothing", ("", "Facebook", "gclid"), ""),
    ("the source match is exact (it is already normalised)", ("", "google", "gclid"), ""),
]


@pytest.mark.parametrize(("args", "expected"), [c[1:] for c in INFER_CASES], ids=[c[0] for c in INFER_CASES])
def test_infer_medium(args: tuple[str, str, str], expected: str) -> None:
    assert infer_medium(*args) == expected


GARBAGE = [
    "%",
    "%%%%",
    "%G0",
    "=",
    "&=&=&",
    "a=%" + "F" * 5000,
    "\x00=\x00",
    "a=%00",
    "é=%E9",
    "a=" + "%C3" * 3000,
    "\ud800=x",
]


@pytest.mark.parametrize("text", GARBAGE)
def test_garbage_never_raises(text: str) -> None:
    assert isinstance(parse_query(text), dict)
    assert isinstance(parse_query(text, first_values=True), dict)
    assert isinstance(decode_path(text), str)
    assert isinstance(campaign_from_query(parse_query(text)), Campaign)
