"""Referrer storage and source names (reference/plausible.md §1.16, §5.1) and the spam list."""

from __future__ import annotations

from pathlib import Path

import pytest

from footfall.enrich.referrers import (
    MAX_REFERRER_LEN,
    RefererDatabase,
    RefererEntry,
    ReferrerInfo,
    SpamList,
    classify_referrer,
    is_spam_referrer,
    lookup_referer,
    normalise_source,
    parse_referral,
    referer_database,
)

PAGE = "example.com"

# (name, referrer, page host, tagged source, expected (referrer, referrer_domain, source))
CLASSIFY_CASES = [
    (
        "query and fragment are dropped and www is stripped",
        "https://www.indiehackers.com/page?query=param#hash",
        PAGE,
        "",
        ("indiehackers.com/page", "indiehackers.com", "indiehackers.com"),
    ),
    (
        "a trailing slash is dropped",
        "https://facebook.com/page/",
        PAGE,
        "",
        ("facebook.com/page", "facebook.com", "Facebook"),
    ),
    ("a bare host stores just the host", "https://www.google.com/", PAGE, "", ("google.com", "google.com", "Google")),
    (
        "every trailing slash is dropped",
        "https://news.ycombinator.com/item//",
        PAGE,
        "",
        ("news.ycombinator.com/item", "news.ycombinator.com", "Hacker News"),
    ),
    (
        "a known search engine gets its database name",
        "https://www.google.com/search?q=footfall",
        PAGE,
        "",
        ("google.com/search", "google.com", "Google"),
    ),
    (
        "a subdomain of a database host matches it by suffix",
        "https://l.instagram.com/?u=x",
        PAGE,
        "",
        ("l.instagram.com", "l.instagram.com", "Instagram"),
    ),
    (
        "a more specific database host wins over its parent",
        "https://mail.google.com/mail/u/0/",
        PAGE,
        "",
        ("mail.google.com/mail/u/0", "mail.google.com", "Gmail"),
    ),
    (
        "a database path prefix is honoured",
        "https://www.google.de/products/x",
        PAGE,
        "",
        ("google.de/products/x", "google.de", "Google Product Search"),
    ),
    (
        "DuckDuckGo comes from the database",
        "https://duckduckgo.com/",
        PAGE,
        "",
        ("duckduckgo.com", "duckduckgo.com", "DuckDuckGo"),
    ),
    ("GitHub is recognised", "https://github.com/o/r", PAGE, "", ("github.com/o/r", "github.com", "GitHub")),
    ("lnkd.in is LinkedIn", "https://lnkd.in/abc", PAGE, "", ("lnkd.in/abc", "lnkd.in", "LinkedIn")),
    ("t.co is Twitter", "https://t.co/xyz", PAGE, "", ("t.co/xyz", "t.co", "Twitter")),
    ("x.com is Twitter", "https://x.com/someone", PAGE, "", ("x.com/someone", "x.com", "Twitter")),
    (
        "Youtube keeps the database spelling",
        "https://www.youtube.com/",
        PAGE,
        "",
        ("youtube.com", "youtube.com", "Youtube"),
    ),
    ("t.me is Telegram", "https://t.me/channel", PAGE, "", ("t.me/channel", "t.me", "Telegram")),
    (
        "discord.com is Discord",
        "https://discord.com/channels/1",
        PAGE,
        "",
        ("discord.com/channels/1", "discord.com", "Discord"),
    ),
    (
        "a Discord subdomain is Discord",
        "https://ptb.discord.com/",
        PAGE,
        "",
        ("ptb.discord.com", "ptb.discord.com", "Discord"),
    ),
    ("chatgpt.com is ChatGPT", "https://chatgpt.com/", PAGE, "", ("chatgpt.com", "chatgpt.com", "ChatGPT")),
    (
        "perplexity.ai is Perplexity",
        "https://www.perplexity.ai/",
        PAGE,
        "",
        ("perplexity.ai", "perplexity.ai", "Perplexity"),
    ),
    (
        "search.brave.com is Brave",
        "https://search.brave.com/search?q=1",
        PAGE,
        "",
        ("search.brave.com/search", "search.brave.com", "Brave"),
    ),
    ("baidu.com is Baidu", "https://baidu.com/s?wd=1", PAGE, "", ("baidu.com/s", "baidu.com", "Baidu")),
    ("sogou is Sogou", "https://m.sogou.com/web", PAGE, "", ("m.sogou.com/web", "m.sogou.com", "Sogou")),
    ("ntp.msn.com is Bing", "https://ntp.msn.com/edge/ntp", PAGE, "", ("ntp.msn.com/edge/ntp", "ntp.msn.com", "Bing")),
    ("ya.ru is Yandex", "https://ya.ru/", PAGE, "", ("ya.ru", "ya.ru", "Yandex")),
    (
        "Teams is Microsoft Teams",
        "https://teams.microsoft.com/",
        PAGE,
        "",
        ("teams.microsoft.com", "teams.microsoft.com", "Microsoft Teams"),
    ),
    ("linktr.ee is Linktree", "https://linktr.ee/someone", PAGE, "", ("linktr.ee/someone", "linktr.ee", "Linktree")),
    (
        "any Wikipedia language host is Wikipedia",
        "https://de.m.wikipedia.org/wiki/X",
        PAGE,
        "",
        ("de.m.wikipedia.org/wiki/X", "de.m.wikipedia.org", "Wikipedia"),
    ),
    (
        "an android-app referrer keeps its scheme",
        "android-app://com.google.android.gm/",
        PAGE,
        "",
        ("android-app://com.google.android.gm", "com.google.android.gm", "Gmail"),
    ),
    (
        "the Reddit app is Reddit",
        "android-app://com.reddit.frontpage",
        PAGE,
        "",
        ("android-app://com.reddit.frontpage", "com.reddit.frontpage", "Reddit"),
    ),
    (
        "an unknown android app is its prefixed package name",
        "android-app://org.example.reader/path/",
        PAGE,
        "",
        ("android-app://org.example.reader/path", "org.example.reader", "android-app://org.example.reader"),
    ),
    (
        "an unknown host is its www-stripped host",
        "http://www.blog.example.org/post",
        PAGE,
        "",
        ("blog.example.org/post", "blog.example.org", "blog.example.org"),
    ),
    (
        "the host is matched case-insensitively and the port is dropped",
        "HTTPS://WWW.Bing.COM:443/search?q=1",
        PAGE,
        "",
        ("bing.com/search", "bing.com", "Bing"),
    ),
    (
        "a database host matches only whole labels",
        "https://reddit.co/",
        PAGE,
        "",
        ("reddit.co", "reddit.co", "reddit.co"),
    ),
    (
        "a tagged source wins even with a referrer",
        "https://www.google.com/",
        PAGE,
        "newsletter",
        ("google.com", "google.com", "newsletter"),
    ),
    ("utm_source=fb is Facebook", "", PAGE, "fb", ("", "", "Facebook")),
    ("utm_source=ig is Instagram", "", PAGE, "ig", ("", "", "Instagram")),
    ("utm_source=yt is Youtube", "", PAGE, "yt", ("", "", "Youtube")),
    ("utm_source=google-ads is Google", "", PAGE, "google-ads", ("", "", "Google")),
    ("utm_source=adwords is Google", "", PAGE, "adwords", ("", "", "Google")),
    ("utm_source=tik.tok is TikTok", "", PAGE, "tik.tok", ("", "", "TikTok")),
    ("a tagged database name is canonicalised", "", PAGE, "GOOGLE", ("", "", "Google")),
    ("a tagged source is looked up lower-cased", "", PAGE, "FaceBook", ("", "", "Facebook")),
    ("an unknown tagged source keeps its case", "", PAGE, "Newsletter-UK", ("", "", "Newsletter-UK")),
    ("an unknown lower-case tag stays as given", "", PAGE, "betalist", ("", "", "betalist")),
    ("a tagged Wikipedia host is Wikipedia", "", PAGE, "fr.wikipedia.org", ("", "", "Wikipedia")),
    ("a tag with an internal referrer keeps the tag", "https://example.com/a", PAGE, "fb", ("", "", "Facebook")),
    ("no referrer and no tag is direct", "", PAGE, "", ("", "", "")),
]


@pytest.mark.parametrize(
    ("referrer", "page", "tagged", "expected"), [c[1:] for c in CLASSIFY_CASES], ids=[c[0] for c in CLASSIFY_CASES]
)
def test_classify_referrer(referrer: str, page: str, tagged: str, expected: tuple[str, str, str]) -> None:
    assert classify_referrer(referrer, page, tagged) == ReferrerInfo(*expected)


NOT_REFERRALS = [
    ("the page's own host is internal", "https://example.com/a", "example.com"),
    ("www on the referrer is folded for the internal check", "https://www.example.com/a", "example.com"),
    ("www on the page is folded for the internal check", "https://example.com/a", "www.example.com"),
    ("the internal check ignores case", "https://EXAMPLE.com/a", "Example.COM"),
    ("a page host with a port is still the same host", "https://example.com/a", "example.com:8080"),
    ("localhost is not a referral", "http://localhost:3000/", "example.com"),
    ("ftp is not a referral scheme", "ftp://files.example.org/", "example.com"),
    ("a javascript URL is not a referral", "javascript:alert(1)", "example.com"),
    ("a relative referrer has no host", "/internal?x=1", "example.com"),
    ("a schemeless host is not a URL", "google.com/search", "example.com"),
    ("an empty host is not a referral", "https:///path", "example.com"),
    ("unbalanced IPv6 brackets are not a referral", "http://[::1/x", "example.com"),
    ("a host longer than any DNS name is not a referral", "https://" + "a" * 300 + ".com/", "example.com"),
    ("whitespace alone is not a referral", "   ", "example.com"),
    ("a file URL is not a referral", "file:///etc/passwd", "example.com"),
    ("about:blank is not a referral", "about:blank", "example.com"),
]


@pytest.mark.parametrize(("referrer", "page"), [c[1:] for c in NOT_REFERRALS], ids=[c[0] for c in NOT_REFERRALS])
def test_invalid_referrals_store_nothing(referrer: str, page: str) -> None:
    assert parse_referral(referrer, page) is None
    assert classify_referrer(referrer, page, "") == ReferrerInfo()


def test_an_ipv6_host_with_a_port_is_a_referral_by_its_address() -> None:
    assert classify_referrer("http://[2001:db8::1]:8080/x/", PAGE, "") == ReferrerInfo(
        "2001:db8::1/x", "2001:db8::1", "2001:db8::1"
    )


def test_a_host_with_userinfo_and_port_keeps_only_the_host() -> None:
    info = classify_referrer("https://user:pw@www.reddit.com:8443/r/python/?x=1", PAGE, "")
    assert info == ReferrerInfo("reddit.com/r/python", "reddit.com", "Reddit")


def test_an_overlong_referrer_is_cut_to_the_bound() -> None:
    info = classify_referrer("https://blog.example.org/" + "p" * 100_000, PAGE, "")
    assert info.referrer_domain == "blog.example.org"
    assert len(info.referrer) <= MAX_REFERRER_LEN


def test_an_overlong_tag_is_cut_to_the_bound() -> None:
    assert len(classify_referrer("", PAGE, "t" * 100_000).source) <= MAX_REFERRER_LEN


GARBAGE = [
    "http://",
    "https://[",
    "https://]",
    "http://exa mple.com/",
    "http://example.com:notaport/",
    "http://例え.テスト/パス",
    "https://xn--r8jz45g.xn--zckzah/",
    "\x00\x01\x02",
    "http://\udcff/",
    "%%%",
    "https://a..b..c/",
    "https://./",
    "https://.com/",
    "android-app://",
    "https://" + "a." * 200 + "com/",
    "h" * 10_000,
    "http://%zz/%zz",
    "https://host/\n\t/x",
    "https://[fe80::1%25eth0]/",
]


@pytest.mark.parametrize("referrer", GARBAGE)
def test_garbage_referrers_never_raise(referrer: str) -> None:
    info = classify_referrer(referrer, PAGE, "")
    assert isinstance(info, ReferrerInfo)
    assert isinstance(classify_referrer(referrer, "", "tag"), ReferrerInfo)
    assert isinstance(is_spam_referrer(referrer), bool)


def test_garbage_page_hostnames_never_raise() -> None:
    for page in ["", "(none)", "[::1]:80", "[", ":", "a:b:c", "é.example"]:
        assert classify_referrer("https://google.com/", page, "").source == "Google"


def test_the_installed_database_has_the_mediums_plausible_relies_on() -> None:
    mediums = {medium for _name, medium in referer_database().names()}
    assert {"search", "social", "email"} <= mediums
    assert len(referer_database()) > 1000


def _name(db: RefererDatabase, host: str, path: str) -> str | None:
    entry = db.lookup(host, path)
    return entry.name if entry is not None else None


def test_lookup_prefers_the_longest_path_prefix_then_the_longest_host() -> None:
    db = RefererDatabase(
        [
            RefererEntry("example.com", "", "Example", "search"),
            RefererEntry("example.com", "/images", "Example Images", "search"),
            RefererEntry("news.example.com", "", "Example News", "search"),
        ]
    )
    assert _name(db, "example.com", "/images/1") == "Example Images"
    assert _name(db, "www.example.com", "/") == "Example"
    assert _name(db, "news.example.com", "/images") == "Example News"
    assert db.lookup("notexample.com", "/") is None


def test_a_real_medium_beats_unknown_for_a_host_listed_twice() -> None:
    db = RefererDatabase(
        [RefererEntry("x.com", "", "Unknown X", "unknown"), RefererEntry("x.com", "", "Known X", "social")]
    )
    assert _name(db, "x.com", "/") == "Known X"


def test_snowplow_layout_tolerates_malformed_rows() -> None:
    db = RefererDatabase.from_snowplow(
        {
            "social": {"Good": {"domains": ["good.example", "good.example/path"]}, "Bad": {"domains": "nope"}},
            "search": ["not", "a", "dict"],
            "email": {"Nested": {"domains": [1, None, "mail.example"], "Stray": {"domains": ["x"]}}},
        }
    )
    assert lookup_referer("google.com") is not None
    assert _name(db, "good.example", "/path/x") == "Good"
    assert _name(db, "mail.example", "/") == "Nested"


def test_normalise_source_is_total() -> None:
    assert normalise_source("") == ""
    assert normalise_source("google") == "Google"
    assert normalise_source("android-app://com.reddit.frontpage") == "Reddit"
    assert normalise_source("some thing.with a dot") == "some thing.with a dot"


# ------------------------------------------------------------------------------------------
# Spam


@pytest.fixture
def spam_file(tmp_path: Path) -> Path:
    path = tmp_path / "spam.txt"
    path.write_text(
        "# my list\n1-best-seo.com\n\nWWW.Shouting-Spam.example  # comment\nhttps://url-form.example/path\n"
        "холодныйобзвон.рф\n",
        encoding="utf-8",
    )
    return path


SPAM_CASES = [
    ("a listed host is spam", "https://1-best-seo.com", True),
    ("www is stripped before the exact match", "https://www.1-best-seo.com", True),
    ("a path and query do not matter", "http://1-best-seo.com/a?b=c", True),
    ("a subdomain is not an exact member", "https://sub.1-best-seo.com/", False),
    ("a parent domain is not an exact member", "https://best-seo.com/", False),
    ("list entries are case-folded and www-stripped", "https://shouting-spam.example/", True),
    ("entries written as URLs are read as hosts", "https://url-form.example/", True),
    ("a punycode referrer matches a unicode entry", "http://xn--90acenikpebbdd4f6d.xn--p1ai/", True),
    ("a unicode referrer matches a unicode entry", "http://холодныйобзвон.рф/", True),
    ("an unlisted host is not spam", "https://google.com/", False),
    ("an empty referrer is not spam", "", False),
    ("garbage is not spam", "http://[::1/", False),
]


@pytest.mark.parametrize(("referrer", "expected"), [c[1:] for c in SPAM_CASES], ids=[c[0] for c in SPAM_CASES])
def test_spam_list_membership(spam_file: Path, referrer: str, expected: bool) -> None:
    spam = SpamList.from_files(spam_file)
    assert spam.is_spam_referrer(referrer) is expected
    assert is_spam_referrer(referrer, spam) is expected


def test_host_membership_folds_case_and_www(spam_file: Path) -> None:
    spam = SpamList.from_files(spam_file)
    assert "1-best-seo.com" in spam
    assert "WWW.1-Best-SEO.com" in spam
    assert "1-best-seo.com." in spam
    assert "" not in spam
    assert 42 not in spam


def test_default_list_adds_the_operator_files(spam_file: Path) -> None:
    spam = SpamList.default(extra_files=[spam_file])
    assert "1-best-seo.com" in spam
    assert len(spam) >= len(SpamList.packaged())


def test_a_missing_spam_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        SpamList.from_files(tmp_path / "missing.txt")


def test_an_empty_list_flags_nothing() -> None:
    assert not SpamList().is_spam_referrer("https://1-best-seo.com/")
    assert "1-best-seo.com" not in SpamList()


def test_the_packaged_list_is_used_when_installed() -> None:
    packaged = SpamList.packaged()
    if not len(packaged):
        pytest.skip("no package shipping Matomo's spammers.txt is installed")
    assert "semalt.com" in packaged
    assert is_spam_referrer("https://www.semalt.com/")
    assert not is_spam_referrer("https://www.google.com/")
