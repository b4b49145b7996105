"""parse_user_agent: names folded as Plausible shows them, major.minor versions, device classes."""

from __future__ import annotations

import pytest

from footfall.enrich.useragent import MAX_UA_LENGTH, UserAgentInfo, is_spider, parse_user_agent, warm_up

# (UA, browser, browser_version, os, os_version, device): real strings as sent by current browsers.
EXPECTED = [
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
        "Safari/537.36",
        "Chrome",
        "131.0",
        "Windows",
        "10",
        "desktop",
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.1 Safari/605.1.15",
        "Safari",
        "18.1",
        "Mac",
        "10.15",
        "desktop",
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.1 Mobile/15E148 Safari/604.1",
        "Safari",
        "18.1",
        "iOS",
        "18.1",
        "mobile",
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.7 Mobile/15E148 Safari/604.1",
        "Safari",
        "17.7",
        "iOS",
        "17.7",
        "tablet",
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
        "Mobile Safari/537.36",
        "Chrome",
        "131.0",
        "Android",
        "10",
        "mobile",
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Chrome",
        "131.0",
        "Android",
        "10",
        "tablet",
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
        "Chrome",
        "131.0",
        "iOS",
        "17.7",
        "mobile",
    ),
    (
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Firefox",
        "133.0",
        "Ubuntu",
        "",
        "desktop",
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "Firefox",
        "128.0",
        "GNU/Linux",
        "",
        "desktop",
    ),
    (
        "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
        "Firefox",
        "133.0",
        "Android",
        "14",
        "mobile",
    ),
    (
        "Mozilla/5.0 (Android 13; Tablet; rv:133.0) Gecko/133.0 Firefox/133.0",
        "Firefox",
        "133.0",
        "Android",
        "13",
        "tablet",
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "FxiOS/133.0 Mobile/15E148 Safari/605.1.15",
        "Firefox",
        "133.0",
        "iOS",
        "17.7",
        "mobile",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
        "Safari/537.36 Edg/131.0.2903.70",
        "Microsoft Edge",
        "131.0",
        "Windows",
        "10",
        "desktop",
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
        "Mobile Safari/537.36 EdgA/131.0.2903.87",
        "Microsoft Edge",
        "131.0",
        "Android",
        "10",
        "mobile",
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36",
        "Samsung Browser",
        "27.0",
        "Android",
        "14",
        "mobile",
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/26.0 Chrome/122.0.0.0 Safari/537.36",
        "Samsung Browser",
        "26.0",
        "Android",
        "13",
        "tablet",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
        "Safari/537.36 OPR/115.0.0.0",
        "Opera",
        "115.0",
        "Windows",
        "10",
        "desktop",
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; VOG-L29) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
        "Mobile Safari/537.36 OPR/86.0.0.0",
        "Opera",
        "86.0",
        "Android",
        "10",
        "mobile",
    ),
    (
        "Opera/9.80 (Android; Opera Mini/36.2.2254/119.132; U; id) Presto/2.12.423 Version/12.16",
        "Opera",
        "36.2",
        "Android",
        "",
        "mobile",
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 [FBAN/FBIOS;FBAV/487.0.0.32.107;FBBV/664948563;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;"
        "FBSV/17.6.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/667165377]",
        "Mobile App",
        "",
        "iOS",
        "17.6",
        "mobile",
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.39 Mobile Safari/537.36",
        "Mobile App",
        "",
        "Android",
        "13",
        "mobile",
    ),
    (
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
        "Safari/537.36",
        "Chrome",
        "131.0",
        "Chrome OS",
        "14541.0",
        "desktop",
    ),
    (
        "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 "
        "Safari/537.36",
        "Chrome",
        "109.0",
        "Windows",
        "7",
        "desktop",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
        "Internet Explorer",
        "11.0",
        "Windows",
        "10",
        "desktop",
    ),
    (
        "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/131.3.6 "
        "like Chrome/131.0.6778.135 Safari/537.36",
        "Amazon Silk",
        "131.3",
        "Android",
        "9",
        "tablet",
    ),
    (
        "Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) 76.0.3809.146/6.0 "
        "TV Safari/537.36",
        "Safari",
        "",
        "Tizen",
        "6.0",
        "desktop",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/116.0.0.0 Safari/537.36 Edge/44.18363.8131",
        "Microsoft Edge",
        "44.18363",
        "Windows",
        "10",
        "desktop",
    ),
]


@pytest.mark.parametrize(("ua", "browser", "browser_version", "os", "os_version", "device"), EXPECTED)
def test_known_browsers(ua: str, browser: str, browser_version: str, os: str, os_version: str, device: str) -> None:
    assert parse_user_agent(ua) == UserAgentInfo(browser, browser_version, os, os_version, device)


@pytest.mark.parametrize("ua", ["", "   ", "-", "Mozilla/5.0", "\x00\x01garbage\xff", "a" * 50_000])
def test_unparseable_input_gives_empty_fields_without_raising(ua: str) -> None:
    info = parse_user_agent(ua)
    assert info.device == ""
    assert info.os == ""
    assert all(isinstance(value, str) for value in (info.browser, info.browser_version, info.os_version))


def test_crawler_is_not_a_device() -> None:
    googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    info = parse_user_agent(googlebot)
    assert info.device == ""
    assert info.browser == "Googlebot"
    assert is_spider(googlebot)
    assert not is_spider(EXPECTED[0][0])


def test_very_long_ua_is_clipped_before_parsing_and_caching() -> None:
    chrome = EXPECTED[0][0]
    padded = chrome + " " + "x" * (MAX_UA_LENGTH * 20)
    assert parse_user_agent(padded) == parse_user_agent(chrome)


def test_results_are_cached_and_immutable() -> None:
    ua = EXPECTED[1][0]
    first = parse_user_agent(ua)
    assert parse_user_agent(ua) is first
    with pytest.raises(AttributeError):
        first.browser = "Other"  # type: ignore[misc]


def test_versions_are_major_minor_only() -> None:
    for ua, *_ in EXPECTED:
        info = parse_user_agent(ua)
        assert info.browser_version.count(".") <= 1
        assert info.os_version.count(".") <= 1


def test_warm_up_is_idempotent() -> None:
    warm_up()
    warm_up()
    assert parse_user_agent(EXPECTED[0][0]).browser == "Chrome"


@pytest.mark.parametrize(
    ("ua", "device"),
    [
        # Each of these met a maker's own device regex first when all of uap-core's were compiled
        # (useragent._resolver keeps only the generic ones and those whose family is read).
        (
            "Mozilla/5.0 (Linux; Android 10; SM-T510) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Safari/537.36",
            "tablet",
        ),
        (
            "Mozilla/5.0 (Linux; Android 7.0; SAMSUNG SM-G930F Build/NRD90M) AppleWebKit/537.36 (KHTML, like "
            "Gecko) SamsungBrowser/9.2 Chrome/67.0 Mobile Safari/537.36",
            "mobile",
        ),
        (
            "Mozilla/5.0 (Linux; Android 8.1.0; Lenovo TB-X104F) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Safari/537.36",
            "tablet",
        ),
        (
            "Mozilla/5.0 (Linux; Android 11; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/110.3.1 like "
            "Chrome/110.0.5481.154 Safari/537.36",
            "tablet",
        ),
        (
            "Mozilla/5.0 (iPod touch; CPU iPhone OS 12_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/12.1 Mobile/15E148 Safari/604.1",
            "mobile",
        ),
        (
            "Mozilla/5.0 (Linux; Android 9; AFTMM) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537.36",
            "desktop",
        ),
        # A feature phone: the generic feature-phone regex now answers (before, a Nokia model regex
        # did, and the device was unknown).
        ("Nokia6300/2.0 (05.00) Profile/MIDP-2.0 Configuration/CLDC-1.1", "mobile"),
    ],
)
def test_device_class_without_the_makers_device_regexes(ua: str, device: str) -> None:
    assert parse_user_agent(ua).device == device
