"""is_bot on a realistic corpus: current browsers (desktop, mobile, tablet, in-app) must pass, and
crawlers, AI agents, link unfurlers, uptime probes, headless browsers and HTTP libraries must not."""

from __future__ import annotations

import pytest

from footfall.enrich.bots import is_bot, warm_up
from footfall.enrich.useragent import MAX_UA_LENGTH

BROWSERS = [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/131.0.0.0 Safari/537.36"
    ),
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"),
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1"
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " Version/18.1 Safari/605.1.15"
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " Version/18.1 Mobile/15E148 Safari/604.1"
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.7"
        " Mobile/15E148 Safari/604.1"
    ),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
    "Mozilla/5.0 (Android 13; Tablet; rv:133.0) Gecko/133.0 Firefox/133.0",
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " FxiOS/133.0 Mobile/15E148 Safari/605.1.15"
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0"
        " Safari/537.36 Edg/131.0.2903.70"
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile"
        " Safari/537.36 EdgA/131.0.2903.87"
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " Version/17.0 EdgiOS/131.2903.92 Mobile/15E148 Safari/605.1.15"
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045"
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko)"
        " SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36"
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-X710) AppleWebKit/537.36 (KHTML, like Gecko)"
        " SamsungBrowser/26.0 Chrome/122.0.0.0 Safari/537.36"
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0"
        " Safari/537.36 OPR/115.0.0.0"
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; VOG-L29) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0"
        " Mobile Safari/537.36 OPR/86.0.0.0"
    ),
    "Opera/9.80 (Android; Opera Mini/36.2.2254/119.132; U; id) Presto/2.12.423 Version/12.16",
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " Mobile/15E148"
        " [FBAN/FBIOS;FBAV/487.0.0.32.107;FBBV/664948563;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.6.1;"
        "FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/667165377]"
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240905.003; wv) AppleWebKit/537.36 (KHTML, like"
        " Gecko) Version/4.0 Chrome/129.0.6668.100 Mobile Safari/537.36 Instagram 352.0.0.38.100 Android"
        " (34/14; 420dpi; 1080x2205; Google/google; Pixel 8; shiba; shiba; en_US; 650327318)"
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like"
        " Gecko) Version/4.0 Chrome/131.0.6778.39 Mobile Safari/537.36"
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0"
        " YaBrowser/24.10.0.0 Safari/537.36"
    ),
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
    (
        "Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) 76.0.3809.146/6.0 TV"
        " Safari/537.36"
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/116.0.0.0 Safari/537.36 Edge/44.18363.8131"
    ),
    (
        "Mozilla/5.0 (Linux; U; Android 11; en-US; RMX2193 Build/RP1A.200720.011) AppleWebKit/537.36 (KHTML,"
        " like Gecko) Version/4.0 Chrome/100.0.4896.58 UCBrowser/13.4.2.1307 Mobile Safari/537.36"
    ),
    (
        "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/131.3.6 like"
        " Chrome/131.0.6778.135 Safari/537.36"
    ),
    "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
    (
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.0.0"
        " Mobile DuckDuckGo/5 Safari/537.36"
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " GSA/343.0.695551749 Mobile/15E148 Safari/604.1"
    ),
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0"
        " Safari/537.36 Vivaldi/7.0.3495.18"
    ),
    (
        "Mozilla/5.0 (Linux; Android 12; NOH-NX9 Build/HUAWEINOH-NX9; wv) AppleWebKit/537.36 (KHTML, like"
        " Gecko) Version/4.0 Chrome/99.0.4844.88 HuaweiBrowser/14.0.5.303 Mobile Safari/537.36"
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " Mobile/15E148 Instagram 309.0.0.28.113 (iPhone13,2; iOS 16_6; en_US; en; scale=3.00; 1170x2532;"
        " 533015386)"
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 16_7_10 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1"
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; 23090RA98G) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/131.0.6778.104 Mobile Safari/537.36 OPR/85.0.4341.79748"
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0"
        " Electron/28.1.0 Safari/537.36"
    ),
]

BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    (
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1;"
        " +http://www.google.com/bot.html)"
    ),
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0;"
        " +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36"
    ),
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " Version/17.4 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)"
    ),
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "TelegramBot (like TwitterBot)",
    "WhatsApp/2.23.20.0 A",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0;"
        " +https://perplexity.ai/perplexitybot)"
    ),
    (
        "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36"
        " (compatible; Bytespider; spider-feedback@bytedance.com)"
    ),
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
    (
        "Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36"
        " (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)"
    ),
    "CCBot/2.0 (https://commoncrawl.org/faq/)",
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0"
        " Safari/537.36 (Amazonbot/0.1; +https://developer.amazon.com/support/amazonbot)"
    ),
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
    (
        "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/131.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse"
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/131.0.0.0 Safari/537.36 Lighthouse"
    ),
    "curl/8.5.0",
    "Wget/1.21.4",
    "python-requests/2.32.3",
    "python-httpx/0.28.1",
    "Go-http-client/2.0",
    "okhttp/4.12.0",
    "axios/1.7.9",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "Java/17.0.9",
    "libwww-perl/6.77",
    "PostmanRuntime/7.43.0",
    "Scrapy/2.11.2 (+https://scrapy.org)",
    "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
    "Mozilla/5.0 (compatible; Google-InspectionTool/1.0;)",
    "AdsBot-Google (+http://www.google.com/adsbot.html)",
    "Python/3.11 aiohttp/3.11.10",
    "Apache-HttpClient/4.5.14 (Java/17.0.9)",
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; OAI-SearchBot/1.0;"
        " +https://openai.com/searchbot)"
    ),
    "Mozilla/5.0 (compatible; DotBot/1.2; +https://opensiteexplorer.org/dotbot; help@moz.com)",
    "Feedly/1.0 (+https://feedly.com/poller.html; 16 subscribers; )",
    "Python-urllib/3.11",
    "undici",
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0"
        " Safari/537.36 Edg/120.0.0.0 PTST/240201.151508"
    ),
]

# Each of these must be caught even if a future crawler list drops it: scripted fake traffic uses them.
TOOLS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36 Chrome-Lighthouse",
    "curl/8.5.0",
    "Wget/1.21.4",
    "python-requests/2.32.3",
    "python-httpx/0.28.1",
    "Go-http-client/1.1",
    "okhttp/4.12.0",
    "axios/1.7.9",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "Java/17.0.9",
    "Apache-HttpClient/4.5.14 (Java/17.0.9)",
    "libwww-perl/6.77",
    "PostmanRuntime/7.43.0",
]


def test_corpus_sizes() -> None:
    assert len(BROWSERS) >= 30
    assert len(BOTS) >= 30


@pytest.mark.parametrize("ua", BROWSERS)
def test_real_browsers_are_not_bots(ua: str) -> None:
    assert not is_bot(ua)


@pytest.mark.parametrize("ua", BOTS)
def test_bots_and_tools_are_bots(ua: str) -> None:
    assert is_bot(ua)


@pytest.mark.parametrize("ua", TOOLS)
def test_headless_browsers_and_http_libraries_are_bots(ua: str) -> None:
    assert is_bot(ua)


@pytest.mark.parametrize("ua", ["", " ", "\t"])
def test_missing_user_agent_is_left_to_the_protocols(ua: str) -> None:
    assert not is_bot(ua)


def test_case_does_not_matter_for_tool_tokens() -> None:
    assert is_bot("CURL/7.88.1")
    assert is_bot("Python-Requests/2.31")


def test_huge_user_agent_is_clipped_not_scanned_whole() -> None:
    chrome = BROWSERS[0]
    assert not is_bot(chrome + " " + "z" * (MAX_UA_LENGTH * 100))
    assert is_bot("curl/8.5.0 " + "z" * (MAX_UA_LENGTH * 100))


def test_repeated_calls_agree_and_warm_up_is_harmless() -> None:
    warm_up()
    assert [is_bot(ua) for ua in BOTS[:5] + BROWSERS[:5]] == [True] * 5 + [False] * 5
    assert [is_bot(ua) for ua in BOTS[:5] + BROWSERS[:5]] == [True] * 5 + [False] * 5
