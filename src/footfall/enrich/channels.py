"""Acquisition channel of a visit: the 18 ordered rules of reference/plausible.md §5.2.

Plausible looks sources up in Google's GA4 source-category CSV, which we cannot ship. Our category
map is built instead from the referer-parser database's own mediums (search, social, email) for
every source name and host it lists, then a short hand-written list (VIDEO, SHOPPING, and sources
the database predates), then Plausible's own overrides, later layers winning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from functools import lru_cache

from footfall.enrich.referrers import referer_database


class Category(StrEnum):
    SEARCH = "SEARCH"
    SOCIAL = "SOCIAL"
    SHOPPING = "SHOPPING"
    VIDEO = "VIDEO"
    EMAIL = "EMAIL"


class Channel(StrEnum):
    CROSS_NETWORK = "Cross-network"
    PAID_SHOPPING = "Paid Shopping"
    PAID_SEARCH = "Paid Search"
    PAID_SOCIAL = "Paid Social"
    PAID_VIDEO = "Paid Video"
    DISPLAY = "Display"
    PAID_OTHER = "Paid Other"
    ORGANIC_SHOPPING = "Organic Shopping"
    ORGANIC_SOCIAL = "Organic Social"
    ORGANIC_VIDEO = "Organic Video"
    ORGANIC_SEARCH = "Organic Search"
    EMAIL = "Email"
    AFFILIATES = "Affiliates"
    AUDIO = "Audio"
    SMS = "SMS"
    MOBILE_PUSH = "Mobile Push Notifications"
    REFERRAL = "Referral"
    DIRECT = "Direct"


_DB_MEDIUMS: Mapping[str, Category] = {
    "search": Category.SEARCH,
    "social": Category.SOCIAL,
    "email": Category.EMAIL,
}

# Ours: video and shopping sites (the database has neither medium; it calls Youtube and Vimeo
# social and Amazon a search engine), and search/social/email sources newer than the database.
_HAND_WRITTEN: Mapping[Category, tuple[str, ...]] = {
    Category.VIDEO: (
        "youtube", "youtube.com", "m.youtube.com", "youtu.be", "music.youtube.com",
        "vimeo", "vimeo.com", "twitch", "twitch.tv", "m.twitch.tv",
        "dailymotion", "dailymotion.com", "rumble", "rumble.com",
        "bilibili", "bilibili.com", "m.bilibili.com", "nicovideo", "nicovideo.jp",
        "youku", "youku.com", "iqiyi", "iqiyi.com", "wistia", "wistia.com", "ted", "ted.com",
        "netflix", "netflix.com",
    ),
    Category.SHOPPING: (
        "amazon", "amazon.com", "smile.amazon.com", "amazon.co.uk", "amazon.de", "amazon.fr", "amazon.it",
        "amazon.es", "amazon.nl", "amazon.ca", "amazon.com.mx", "amazon.com.br", "amazon.co.jp", "amazon.in",
        "amazon.com.au", "ebay", "ebay.com", "ebay.co.uk", "ebay.de", "etsy", "etsy.com",
        "walmart", "walmart.com", "aliexpress", "aliexpress.com", "alibaba", "alibaba.com",
        "shopify", "shopify.com", "shop.app", "temu", "target.com", "bestbuy.com",
        "mercadolibre", "mercadolibre.com", "zalando", "wish.com", "google shopping", "shopping.google.com",
        "igshopping",
    ),
    Category.SOCIAL: (
        "tiktok", "tiktok.com", "x.com", "bluesky", "bsky.app", "mastodon", "mastodon.social",
        "snapchat", "snapchat.com", "whatsapp", "whatsapp.com", "web.whatsapp.com",
        "messenger", "messenger.com", "wechat", "linktree", "linktr.ee",
    ),
    Category.SEARCH: (
        "chatgpt", "yahoo", "bing", "startpage", "startpage.com", "qwant", "qwant.com", "kagi", "kagi.com",
    ),
    Category.EMAIL: (
        "outlook", "outlook.live.com", "outlook.office.com", "outlook.office365.com",
        "protonmail", "mail.proton.me",
    ),
}  # fmt: skip

# Plausible's additions to the GA4 list (§5.2), applied last so they always hold.
_PLAUSIBLE_OVERRIDES: Mapping[Category, tuple[str, ...]] = {
    Category.SOCIAL: (
        "hacker news", "telegram", "slack", "producthunt", "github", "steamcommunity.com",
        "statics.teams.cdn.office.net", "vkontakte", "threads", "discord", "microsoft teams",
    ),
    Category.SEARCH: ("yahoo!", "ecosia", "perplexity", "brave", "chatgpt.com", "sogou"),
    Category.EMAIL: ("gmail",),
    Category.SHOPPING: ("temu.com",),
}  # fmt: skip

# utm_source values that say "this was an ad" by themselves: Plausible's custom-source keys ending
# in "ad"/"ads", plus "adwords".
PAID_SOURCES = frozenset(
    {
        "adwords", "facebook-ads", "facebook_ad", "facebook_ads", "facebook_feed_ad", "fb-ads", "fbad", "fbads",
        "gads", "google ads", "google-ads", "google_ads", "googleads", "reddit-ads", "tiktokads", "twitter-ads",
        "yt-ads",
    }
)  # fmt: skip

_PAID_MEDIUM = re.compile(r"^(.*cp.*|ppc|retargeting|paid.*)$")
_SHOPPING_CAMPAIGN = re.compile(r"^(.*(([^a-df-z]|^)shop|shopping).*)$")
_DISPLAY_MEDIUMS = frozenset({"display", "banner", "expandable", "interstitial", "cpm"})
_SOCIAL_MEDIUMS = frozenset({"social", "social-network", "social-media", "sm", "social network", "social media"})
_EMAIL_WORDS = ("email", "e-mail", "e_mail", "e mail", "newsletter")
_REFERRAL_MEDIUMS = frozenset({"referral", "app", "link"})


def _layer(target: dict[str, Category], layer: Mapping[Category, Iterable[str]]) -> None:
    for category, keys in layer.items():
        for key in keys:
            target[key] = category


@lru_cache(maxsize=1)
def source_categories() -> Mapping[str, Category]:
    """Lower-case source name or host -> category, built once from the installed database."""
    categories: dict[str, Category] = {}
    for entry in referer_database().entries():
        category = _DB_MEDIUMS.get(entry.medium)
        if category is None:
            continue
        # A name listed under two mediums keeps the first one met; ties are rare and harmless.
        categories.setdefault(entry.name.lower(), category)
        categories.setdefault(entry.host, category)
        if entry.host.startswith("www."):
            categories.setdefault(entry.host[4:], category)
    _layer(categories, _HAND_WRITTEN)
    _layer(categories, _PLAUSIBLE_OVERRIDES)
    return categories


def category(source: str) -> Category | None:
    """The category of a (any-case) source, or None."""
    return source_categories().get(source.lower())


def paid_medium(medium: str) -> bool:
    return _PAID_MEDIUM.match(medium) is not None


def paid_source(utm_source: str) -> bool:
    return utm_source in PAID_SOURCES


def shopping_campaign(campaign: str) -> bool:
    return _SHOPPING_CAMPAIGN.match(campaign) is not None


@lru_cache(maxsize=8192)
def channel(source: str, utm_medium: str, utm_campaign: str, utm_source: str, click_id_param: str) -> str:
    """The acquisition channel name; `source` is the stored referrer_source. Inputs repeat a lot, hence
    the cache; the result is a plain str so it stores and serialises like any other column."""
    return _channel(source, utm_medium, utm_campaign, utm_source, click_id_param).value


def _channel(source: str, utm_medium: str, utm_campaign: str, utm_source: str, click_id_param: str) -> Channel:
    # Rules are in plausible.md §5.2 order; the first that matches wins.
    source = source.lower()
    medium = utm_medium.lower()
    campaign = utm_campaign.lower()
    tag = utm_source.lower()
    cat = source_categories().get(source)
    is_paid_medium = paid_medium(medium)
    is_paid = is_paid_medium or paid_source(tag)
    is_shopping_campaign = shopping_campaign(campaign)

    if "cross-network" in campaign:
        return Channel.CROSS_NETWORK
    if (cat is Category.SHOPPING or is_shopping_campaign) and is_paid_medium:
        return Channel.PAID_SHOPPING
    if (
        (cat is Category.SEARCH and is_paid)
        or (source == "google" and click_id_param == "gclid")
        or (source == "bing" and click_id_param == "msclkid")
    ):
        return Channel.PAID_SEARCH
    if cat is Category.SOCIAL and is_paid:
        return Channel.PAID_SOCIAL
    if cat is Category.VIDEO and is_paid:
        return Channel.PAID_VIDEO
    if medium in _DISPLAY_MEDIUMS:
        return Channel.DISPLAY
    if is_paid_medium:
        return Channel.PAID_OTHER
    if cat is Category.SHOPPING or is_shopping_campaign:
        return Channel.ORGANIC_SHOPPING
    if cat is Category.SOCIAL or medium in _SOCIAL_MEDIUMS:
        return Channel.ORGANIC_SOCIAL
    if cat is Category.VIDEO or "video" in medium:
        return Channel.ORGANIC_VIDEO
    if cat is Category.SEARCH:
        return Channel.ORGANIC_SEARCH
    if cat is Category.EMAIL or any(word in tag or word in medium for word in _EMAIL_WORDS):
        return Channel.EMAIL
    if medium == "affiliate":
        return Channel.AFFILIATES
    if medium == "audio":
        return Channel.AUDIO
    if tag == "sms" or medium == "sms":
        return Channel.SMS
    if medium.endswith("push") or "mobile" in medium or "notification" in medium or source == "firebase":
        return Channel.MOBILE_PUSH
    if medium in _REFERRAL_MEDIUMS or source:
        return Channel.REFERRAL
    return Channel.DIRECT
