"""Acquisition channels: the 18 ordered rules of reference/plausible.md §5.2."""

from __future__ import annotations

import pytest

from footfall.enrich.channels import (
    PAID_SOURCES,
    Category,
    category,
    channel,
    paid_medium,
    paid_source,
    shopping_campaign,
)
from footfall.enrich.referrers import classify_referrer
from footfall.enrich.urls import campaign_from_query, infer_medium, parse_query

# (name, (source, utm_medium, utm_campaign, utm_source, click_id_param), expected channel)
RULE_CASES = [
    # 1
    ("rule 1: a cross-network campaign", ("Google", "cpc", "summer-cross-network", "", ""), "Cross-network"),
    ("rule 1 beats every other rule", ("Facebook", "cpc", "Cross-Network shop", "fb", "gclid"), "Cross-network"),
    # 2
    ("rule 2: a shopping site with a paid medium", ("amazon", "cpc", "", "amazon", ""), "Paid Shopping"),
    ("rule 2: a shopping campaign with a paid medium", ("Google", "ppc", "spring_shop", "", ""), "Paid Shopping"),
    ("rule 2: 'eshop' counts as a shopping campaign", ("newsletter", "paid", "eshop", "", ""), "Paid Shopping"),
    ("rule 2 beats rule 3 for a search engine", ("Google", "cpc", "shopping", "google", "gclid"), "Paid Shopping"),
    # 3
    ("rule 3: a search engine with a paid medium", ("Bing", "cpc", "", "bing", ""), "Paid Search"),
    ("rule 3: a search engine with a paid utm_source", ("Google", "", "", "google-ads", ""), "Paid Search"),
    ("rule 3: Google with gclid and no tags", ("Google", "", "", "", "gclid"), "Paid Search"),
    ("rule 3: Google with the inferred (gclid) medium", ("Google", "(gclid)", "", "", "gclid"), "Paid Search"),
    ("rule 3: Bing with msclkid", ("Bing", "(msclkid)", "", "", "msclkid"), "Paid Search"),
    ("rule 3: DuckDuckGo with cpc", ("DuckDuckGo", "cpc", "", "", ""), "Paid Search"),
    ("rule 3: Perplexity is search per Plausible's override", ("Perplexity", "paid", "", "", ""), "Paid Search"),
    # 4
    ("rule 4: a social network with a paid medium", ("Facebook", "paid_social", "", "facebook", ""), "Paid Social"),
    ("rule 4: a social network with a paid utm_source", ("Facebook", "", "", "fb-ads", ""), "Paid Social"),
    ("rule 4: Reddit ads", ("Reddit", "", "", "reddit-ads", ""), "Paid Social"),
    ("rule 4: TikTok ads", ("TikTok", "", "", "tiktokads", ""), "Paid Social"),
    # 5
    ("rule 5: a video site with a paid medium", ("Youtube", "cpv", "", "yt", ""), "Paid Video"),
    ("rule 5: a video site with a paid utm_source", ("Youtube", "", "", "yt-ads", ""), "Paid Video"),
    # 6
    ("rule 6: display", ("some-network", "display", "", "", ""), "Display"),
    ("rule 6: banner", ("", "banner", "", "", ""), "Display"),
    ("rule 6: expandable", ("", "expandable", "", "", ""), "Display"),
    ("rule 6: interstitial", ("", "interstitial", "", "", ""), "Display"),
    ("rule 6: cpm is display before it is paid other", ("", "cpm", "", "", ""), "Display"),
    # 7
    ("rule 7: a paid medium from an unknown source", ("adnetwork.example", "cpc", "", "", ""), "Paid Other"),
    ("rule 7: retargeting", ("", "retargeting", "", "", ""), "Paid Other"),
    ("rule 7: 'paidads' starts with paid", ("", "paidads", "", "", ""), "Paid Other"),
    ("rule 7: a paid utm_source alone is not enough", ("unknown.example", "", "", "adwords", ""), "Referral"),
    # 8
    ("rule 8: a shopping site", ("ebay", "", "", "", ""), "Organic Shopping"),
    ("rule 8: temu.com per Plausible's override", ("temu.com", "", "", "", ""), "Organic Shopping"),
    ("rule 8: a shopping campaign", ("newsletter", "", "black-friday-shopping", "", ""), "Organic Shopping"),
    ("rule 8 beats social", ("Facebook", "", "shop now", "", ""), "Organic Shopping"),
    # 9
    ("rule 9: a social network", ("Facebook", "", "", "", ""), "Organic Social"),
    ("rule 9: Hacker News per Plausible's override", ("Hacker News", "", "", "", ""), "Organic Social"),
    ("rule 9: GitHub per Plausible's override", ("GitHub", "", "", "", ""), "Organic Social"),
    ("rule 9: Telegram per Plausible's override", ("Telegram", "", "", "", ""), "Organic Social"),
    ("rule 9: Discord per Plausible's override", ("Discord", "", "", "", ""), "Organic Social"),
    ("rule 9: Microsoft Teams per Plausible's override", ("Microsoft Teams", "", "", "", ""), "Organic Social"),
    ("rule 9: steamcommunity.com", ("steamcommunity.com", "", "", "", ""), "Organic Social"),
    ("rule 9: producthunt", ("producthunt", "", "", "", ""), "Organic Social"),
    ("rule 9: medium social", ("blog.example", "social", "", "", ""), "Organic Social"),
    ("rule 9: medium social-network", ("", "social-network", "", "", ""), "Organic Social"),
    ("rule 9: medium social-media", ("", "social-media", "", "", ""), "Organic Social"),
    ("rule 9: medium sm", ("", "sm", "", "", ""), "Organic Social"),
    ("rule 9: medium 'social network'", ("", "social network", "", "", ""), "Organic Social"),
    ("rule 9: medium 'social media'", ("", "Social Media", "", "", ""), "Organic Social"),
    # 10
    ("rule 10: a video site", ("Youtube", "", "", "", ""), "Organic Video"),
    ("rule 10: vimeo", ("Vimeo", "", "", "", ""), "Organic Video"),
    ("rule 10: a medium containing video", ("", "promo-video", "", "", ""), "Organic Video"),
    # 11
    ("rule 11: a search engine", ("Google", "", "", "", ""), "Organic Search"),
    ("rule 11: Yahoo! per Plausible's override", ("Yahoo!", "", "", "", ""), "Organic Search"),
    ("rule 11: Ecosia", ("Ecosia", "", "", "", ""), "Organic Search"),
    ("rule 11: Brave", ("Brave", "", "", "", ""), "Organic Search"),
    ("rule 11: chatgpt.com", ("chatgpt.com", "", "", "", ""), "Organic Search"),
    ("rule 11: ChatGPT", ("ChatGPT", "", "", "", ""), "Organic Search"),
    ("rule 11: Sogou", ("Sogou", "", "", "", ""), "Organic Search"),
    ("rule 11: Google with msclkid is not paid", ("Google", "", "", "", "msclkid"), "Organic Search"),
    ("rule 11: Bing with gclid is not paid", ("Bing", "", "", "", "gclid"), "Organic Search"),
    # 12
    ("rule 12: an email provider", ("Gmail", "", "", "", ""), "Email"),
    ("rule 12: a database email provider", ("Outlook.com", "", "", "", ""), "Email"),
    ("rule 12: medium email", ("Newsletter-UK", "email", "", "Newsletter-UK", ""), "Email"),
    ("rule 12: medium e-mail", ("", "e-mail", "", "", ""), "Email"),
    ("rule 12: medium e_mail", ("", "e_mail", "", "", ""), "Email"),
    ("rule 12: medium 'e mail'", ("", "e mail", "", "", ""), "Email"),
    ("rule 12: utm_source containing newsletter", ("weekly-newsletter", "", "", "weekly-newsletter", ""), "Email"),
    # 13
    ("rule 13: affiliate", ("partner.example", "affiliate", "", "", ""), "Affiliates"),
    ("rule 13 needs the exact medium", ("partner.example", "affiliates", "", "", ""), "Referral"),
    # 14
    ("rule 14: audio", ("podcast", "audio", "", "podcast", ""), "Audio"),
    # 15
    ("rule 15: utm_source sms", ("sms", "", "", "sms", ""), "SMS"),
    ("rule 15: medium sms", ("", "SMS", "", "", ""), "SMS"),
    # 16
    ("rule 16: medium ending in push", ("", "web-push", "", "", ""), "Mobile Push Notifications"),
    ("rule 16: medium containing mobile", ("", "mobile-app", "", "", ""), "Mobile Push Notifications"),
    ("rule 16: medium containing notification", ("", "notifications", "", "", ""), "Mobile Push Notifications"),
    ("rule 16: source firebase", ("firebase", "", "", "firebase", ""), "Mobile Push Notifications"),
    # 17
    ("rule 17: medium referral", ("", "referral", "", "", ""), "Referral"),
    ("rule 17: medium app", ("", "app", "", "", ""), "Referral"),
    ("rule 17: medium link", ("", "link", "", "", ""), "Referral"),
    ("rule 17: any other source", ("indiehackers.com", "", "", "", ""), "Referral"),
    ("rule 17: an unknown android app", ("android-app://org.example", "", "", "", ""), "Referral"),
    # 18
    ("rule 18: nothing at all is direct", ("", "", "", "", ""), "Direct"),
    ("rule 18: an unknown medium without a source is direct", ("", "print", "", "", ""), "Direct"),
    ("rule 18: a click id alone is direct", ("", "", "", "", "fbclid"), "Direct"),
]


@pytest.mark.parametrize(("args", "expected"), [c[1:] for c in RULE_CASES], ids=[c[0] for c in RULE_CASES])
def test_channel_rules(args: tuple[str, str, str, str, str], expected: str) -> None:
    assert channel(*args) == expected


def test_channel_is_case_insensitive_on_its_text_inputs() -> None:
    assert channel("FACEBOOK", "CPC", "", "FB", "") == "Paid Social"
    assert channel("Google", "", "CROSS-NETWORK", "", "") == "Cross-network"


def test_channel_returns_a_plain_string() -> None:
    assert type(channel("Google", "", "", "", "")) is str


@pytest.mark.parametrize("medium", ["cpc", "cpm", "ppc", "paid", "paidads", "paid_social", "xcpx", "retargeting"])
def test_paid_medium_matches(medium: str) -> None:
    assert paid_medium(medium)


@pytest.mark.parametrize("medium", ["", "email", "organic", "unpaid", "ppc2", "c-p-c", "retargeting-2"])
def test_paid_medium_does_not_match(medium: str) -> None:
    assert not paid_medium(medium)


def test_paid_sources_are_the_ad_shorthands_and_adwords() -> None:
    assert {"adwords", "fb-ads", "google ads", "yt-ads", "facebook_feed_ad"} <= PAID_SOURCES
    assert paid_source("gads")
    assert not paid_source("google")
    assert not paid_source("fb")


@pytest.mark.parametrize("campaign", ["shop", "shopping", "eshop", "summer shop", "spring_shop", "x-shopping-y"])
def test_shopping_campaign_matches(campaign: str) -> None:
    assert shopping_campaign(campaign)


@pytest.mark.parametrize("campaign", ["", "workshop", "bishop", "shoes", "sho p"])
def test_shopping_campaign_does_not_match(campaign: str) -> None:
    assert not shopping_campaign(campaign)


CATEGORY_CASES = [
    ("google", Category.SEARCH),
    ("Google Images", Category.SEARCH),
    ("facebook", Category.SOCIAL),
    ("m.facebook.com", Category.SOCIAL),
    ("gmail", Category.EMAIL),
    ("youtube", Category.VIDEO),
    ("amazon", Category.SHOPPING),
    ("walmart.com", Category.SHOPPING),
    ("tiktok", Category.SOCIAL),
    ("yahoo!", Category.SEARCH),
    ("chatgpt.com", Category.SEARCH),
    ("temu.com", Category.SHOPPING),
]


@pytest.mark.parametrize(("source", "expected"), CATEGORY_CASES, ids=[c[0] for c in CATEGORY_CASES])
def test_categories(source: str, expected: Category) -> None:
    assert category(source) is expected


def test_unknown_sources_have_no_category() -> None:
    assert category("indiehackers.com") is None
    assert category("") is None


def _pipeline(url_query: str, referrer: str) -> tuple[str, str, str]:
    """The order ingestion uses: campaign, referrer source, inferred medium, channel."""
    campaign = campaign_from_query(parse_query(url_query))
    info = classify_referrer(referrer, "example.com", campaign.tagged_source)
    medium = infer_medium(campaign.utm_medium, info.source, campaign.click_id_param)
    found = channel(info.source, medium, campaign.utm_campaign, campaign.utm_source, campaign.click_id_param)
    return info.source, medium, found


PIPELINE_CASES = [
    (
        "a Google referrer with gclid is Paid Search",
        "gclid=abc",
        "https://www.google.com/",
        ("Google", "(gclid)", "Paid Search"),
    ),
    (
        "a Bing referrer with msclkid is Paid Search",
        "msclkid=abc",
        "https://www.bing.com/",
        ("Bing", "(msclkid)", "Paid Search"),
    ),
    (
        "utm_source=google with gclid is Paid Search",
        "utm_source=google&gclid=1",
        "",
        ("Google", "(gclid)", "Paid Search"),
    ),
    (
        "an explicit medium is kept with gclid",
        "utm_medium=email&gclid=1",
        "https://google.com/",
        ("Google", "email", "Paid Search"),
    ),
    ("utm_source=fb is Facebook and Organic Social", "utm_source=fb", "", ("Facebook", "", "Organic Social")),
    ("utm_source=fb with cpc is Paid Social", "utm_source=fb&utm_medium=cpc", "", ("Facebook", "cpc", "Paid Social")),
    (
        "a Google referrer alone is Organic Search",
        "",
        "https://www.google.com/search?q=x",
        ("Google", "", "Organic Search"),
    ),
    (
        "an unknown referrer is Referral",
        "",
        "https://www.indiehackers.com/page?query=param#hash",
        ("indiehackers.com", "", "Referral"),
    ),
    ("the Gmail app is Email", "", "android-app://com.google.android.gm/", ("Gmail", "", "Email")),
    ("t.me is Organic Social", "", "https://t.me/x", ("Telegram", "", "Organic Social")),
    ("nothing is Direct", "", "", ("", "", "Direct")),
    ("an internal referrer is Direct", "", "https://www.example.com/other", ("", "", "Direct")),
]


@pytest.mark.parametrize(
    ("query", "referrer", "expected"), [c[1:] for c in PIPELINE_CASES], ids=[c[0] for c in PIPELINE_CASES]
)
def test_source_medium_and_channel_together(query: str, referrer: str, expected: tuple[str, str, str]) -> None:
    assert _pipeline(query, referrer) == expected


def test_huge_and_odd_inputs_never_raise() -> None:
    big = "x" * 100_000
    for args in [
        (big, big, big, big, big),
        ("\x00", "\n", "cp\n", "\udcff", ""),
        ("ä" * 1000, "paid" + "a" * 5000, "shop" * 1000, "sms", "gclid"),
    ]:
        assert isinstance(channel(*args), str)
