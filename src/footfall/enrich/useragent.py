"""Browser, OS and device from a User-Agent string.

The regexes are ua-parser's (uap-core), run by the Rust engine in ``ua-parser-rs``; a Python
``lru_cache`` sits in front because a site sees the same few hundred UA strings over and over,
and a cache hit is ~100x cheaper than a cold parse. Names are folded the way Plausible's
dashboard shows them (``Mobile Safari`` -> ``Safari``, ``Mac OS X`` -> ``Mac``), so numbers read
the same to someone moving over from Plausible.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ua_parser import Domain, load_lazy_builtins
from ua_parser.regex import Resolver

__all__ = ["MAX_UA_LENGTH", "UserAgentInfo", "clip_user_agent", "is_spider", "parse_user_agent", "warm_up"]

# Real browsers stay well under 600 characters (in-app browsers are the longest). Clipping before
# the cache lookup bounds both the regex work and the memory the cache can hold, whatever a client sends.
MAX_UA_LENGTH = 1000

_CACHE_SIZE = 8192


@dataclass(frozen=True, slots=True)
class UserAgentInfo:
    browser: str = ""
    browser_version: str = ""
    os: str = ""
    os_version: str = ""
    device: str = ""  # "desktop", "mobile", "tablet" or "" when unknown (and for crawlers)


UNKNOWN = UserAgentInfo()

# ua-parser family -> the name Plausible (Matomo's device detector) shows. Families not listed keep
# their ua-parser name.
_BROWSER_NAMES: dict[str, str] = {
    "Mobile Safari": "Safari",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Firefox Alpha": "Firefox",
    "Firefox Beta": "Firefox",
    "Opera Mobile": "Opera",
    "Opera Mini": "Opera",
    "Opera Touch": "Opera",
    "Opera Coast": "Opera",
    "Edge": "Microsoft Edge",
    "Edge Mobile": "Microsoft Edge",
    "IE": "Internet Explorer",
    "IE Mobile": "Internet Explorer",
    "IE Large Screen": "Internet Explorer",
    "Samsung Internet": "Samsung Browser",
    "DuckDuckGo Mobile": "DuckDuckGo",
    "QQ Browser Mobile": "QQ Browser",
    "QQ Browser Mini": "QQ Browser",
    "MiuiBrowser": "MIUI Browser",
    "Other": "",
}

# Plausible files embedded web views and in-app browsers under one "Mobile App" entry (with no
# version): the app's own version number says nothing about the browser engine.
_MOBILE_APP = "Mobile App"
_APP_FAMILIES = frozenset(
    {
        "Chrome Mobile WebView",
        "Mobile Safari UI/WKWebView",
        "Facebook",
        "Facebook Messenger",
        "Instagram",
        "Twitter",
        "TikTok",
        "Weibo",
        "LINE",
        "KakaoTalk",
        "WeChat Browser",
        "Telegram",
        "Google",  # the Google Search app (GSA)
        "Roblox App",
        "ESPN",
        "Kurio App",
    }
)

_OS_NAMES: dict[str, str] = {
    "Mac OS X": "Mac",
    "Mac OS": "Mac",
    "Linux": "GNU/Linux",
    "ATV OS X": "tvOS",
    "Other": "",
}

_DESKTOP_OS = frozenset(
    {
        "Windows",
        "Mac",
        "GNU/Linux",
        "Ubuntu",
        "Chrome OS",
        "Debian",
        "Fedora",
        "Red Hat",
        "Gentoo",
        "Mint",
        "Linux Mint",
        "SUSE",
        "openSUSE",
        "Arch Linux",
        "CentOS",
        "FreeBSD",
        "OpenBSD",
        "NetBSD",
        "Solaris",
    }
)
_MOBILE_OS = frozenset(
    {
        "Windows Phone",
        "Windows Mobile",
        "KaiOS",
        "BlackBerry OS",
        "Firefox OS",
        "Symbian OS",
        "Symbian^3",
        "Nokia Series 40",
        "Nokia Series 30 Plus",
        "WatchOS",
    }
)
_PHONE_FAMILIES = frozenset({"iPhone", "iPod", "Generic Smartphone", "Generic Feature Phone"})
_TABLET_FAMILIES = frozenset({"iPad", "Generic Tablet", "Kindle"})

# Plausible counts TVs and consoles as desktops. These must be checked before the Android rule,
# because Android TV boxes and Tizen sets say "Linux"/"Android" without "Mobile".
_TV_OR_CONSOLE = re.compile(
    r"smart-?tv|hbbtv|web0s|netcast|crkey|appletv|apple tv|roku|bravia|googletv|android tv|\bTV Safari|"
    r"xbox|playstation|nintendo",
    re.IGNORECASE,
)
# Fire TV sticks identify only by model ("AFTMM", "AFTT"), so this one is case-sensitive.
_FIRE_TV = re.compile(r"\bAFT[A-Z0-9]{1,6}\b")
_TABLET_TOKENS = re.compile(r"iPad|Tablet|PlayBook|\bKF[A-Z]{2,6}\b", re.IGNORECASE)
_PHONE_TOKENS = re.compile(r"iPhone|iPod|Mobi", re.IGNORECASE)


def clip_user_agent(ua: str) -> str:
    """The part of a UA string worth looking at: trimmed and at most MAX_UA_LENGTH characters."""
    return ua[:MAX_UA_LENGTH].strip()


# The device families and brand that _parse and _device read; any other family means "decide by
# the OS and the UA's own tokens".
_SPIDER = "Spider"
_ANDROID_TABLET_BRAND = "Generic_Android_Tablet"
_DEVICE_FAMILIES_READ = _PHONE_FAMILIES | _TABLET_FAMILIES | {_SPIDER}


def _device_matcher_read(matcher: object) -> bool:
    family, brand = getattr(matcher, "family", None), getattr(matcher, "brand", None)
    if not isinstance(family, str):  # a matcher this code cannot inspect is kept
        return True
    return family in _DEVICE_FAMILIES_READ or str(brand).startswith("Generic") or brand == _SPIDER


@functools.cache
def _resolver() -> Resolver:
    """uap-core's browser and OS regexes, and 39 of its 633 device regexes.

    The ones left out each name one maker's models, which Footfall does not store; compiled, they
    were 12 MB of the server's 23 MB for the parser. Kept: those whose family is read, and the
    generic ones after them (so that "Android ...; Mobile Safari" still meets the generic Android
    phone rule before the Android tablet one). A UA that a left-out regex matched first fell
    through to the OS and token rules; a generic regex that now answers first gives the device
    class those rules would have, or "Spider", which the bot check's other lists say too.
    """
    agents, systems, devices = load_lazy_builtins()
    read = [m for m in devices if _device_matcher_read(m)]
    # Compiling the regexes takes ~0.2 s: pay it once, on first use or in warm_up().
    return Resolver((agents, systems, read))


def _version(major: str | None, minor: str | None) -> str:
    if not major:
        return ""
    return f"{major}.{minor}" if minor else major


def _device(ua: str, os_name: str, family: str, brand: str) -> str:
    if _TV_OR_CONSOLE.search(ua) or _FIRE_TV.search(ua):
        return "desktop"
    if family in _PHONE_FAMILIES:
        return "mobile"
    if family in _TABLET_FAMILIES or brand == _ANDROID_TABLET_BRAND or _TABLET_TOKENS.search(ua):
        return "tablet"
    if os_name == "Android":
        # Google's guidance, followed by every Android browser: phones say "Mobile", tablets don't.
        return "mobile" if "Mobile" in ua else "tablet"
    if os_name == "iOS" or os_name in _MOBILE_OS or _PHONE_TOKENS.search(ua):
        return "mobile"
    if os_name in _DESKTOP_OS or family == "Mac":
        return "desktop"
    return ""


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _parse(ua: str) -> tuple[UserAgentInfo, bool]:
    if not ua:
        return UNKNOWN, False
    result = _resolver()(ua, Domain.ALL)
    agent, os, dev = result.user_agent, result.os, result.device

    family = dev.family if dev else ""
    if family == _SPIDER:
        # A crawler is not a device; its browser name is still worth keeping for the drop log.
        return UserAgentInfo(browser=agent.family if agent else ""), True

    browser = browser_version = ""
    if agent:
        if agent.family in _APP_FAMILIES:
            browser = _MOBILE_APP
        else:
            browser = _BROWSER_NAMES.get(agent.family, agent.family)
            browser_version = _version(agent.major, agent.minor) if browser else ""

    os_name = os_version = ""
    if os:
        os_name = _OS_NAMES.get(os.family, os.family)
        os_version = _version(os.major, os.minor) if os_name else ""

    device = _device(ua, os_name, family, (dev.brand or "") if dev else "")
    return UserAgentInfo(browser, browser_version, os_name, os_version, device), False


def parse_user_agent(ua: str) -> UserAgentInfo:
    """Browser, OS (names as Plausible shows them, versions major.minor) and device class of ``ua``.

    Never raises; every field is "" when it cannot be told.
    """
    return _parse(clip_user_agent(ua))[0]


def is_spider(ua: str) -> bool:
    """True when ua-parser's own crawler list recognises ``ua``; shares the parse cache."""
    return _parse(clip_user_agent(ua))[1]


def warm_up() -> None:
    """Build the parser now (≈0.2 s) so the first real request does not pay for it."""
    _parse(
        clip_user_agent(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36"
        )
    )
