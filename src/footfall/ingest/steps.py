"""The ingestion steps, in pipeline order (PIPELINE at the bottom).

Each step reads the hit, fills the event, and returns None or a DropReason.
"""

from __future__ import annotations

from functools import lru_cache

from footfall.enrich import bots
from footfall.enrich.channels import channel
from footfall.enrich.referrers import classify_referrer
from footfall.enrich.urls import NO_CAMPAIGN, Campaign, campaign_from_query, infer_medium, parse_query
from footfall.enrich.useragent import parse_user_agent
from footfall.ingest.context import Context
from footfall.ingest.identity import session_id_for, visitor_id
from footfall.ingest.pipeline import Step, Work
from footfall.ingest.sessions import LiveSession
from footfall.model import ENGAGEMENT, SCROLL_MISSING, DropReason, Event, SiteKey

_FIND = {
    SiteKey.DOMAIN: "by_domain_name",
    SiteKey.ID: "by_site_id",
    SiteKey.HOSTNAME: "by_host",
}


def find_site(w: Work, ctx: Context) -> DropReason | None:
    hit = w.hit
    site = getattr(ctx.sites, _FIND[hit.site_key])(hit.site_ref)
    if site is None:
        return DropReason.NOT_FOUND
    w.site = site
    w.event = Event(
        site_id=site.id,
        timestamp=hit.timestamp_ms,
        name=hit.name,
        protocol=hit.protocol.value,
        hostname=hit.hostname,
        pathname=hit.pathname,
        query=hit.query,
        title=hit.title,
        screen=hit.screen,
        language=hit.language,
        timezone=hit.timezone,
        props=hit.props,
        engagement_ms=hit.engagement_ms,
        scroll_depth=None if hit.scroll_depth == SCROLL_MISSING else hit.scroll_depth,
        interactive=hit.interactive,
        tag=hit.tag,
        distinct_id=hit.distinct_id,
        beacon_id=hit.beacon_id,
        is_unique_user=hit.is_unique_user,
        is_unique_page=hit.is_unique_page,
    )
    return None


def drop_spam_referrer(w: Work, ctx: Context) -> DropReason | None:
    referrer = w.hit.referrer
    return DropReason.SPAM_REFERRER if referrer and ctx.spam.is_spam_referrer(referrer) else None


def refuse_invalid(w: Work, ctx: Context) -> DropReason | None:
    """Not in PIPELINE: the dialects that defer a boundary error add it where they refuse it."""
    return DropReason.INVALID if w.hit.invalid else None


def drop_ignored_ip(w: Work, ctx: Context) -> DropReason | None:
    return DropReason.IGNORED_IP if w.hit.ip in ctx.ignore_ips else None


def drop_bot(w: Work, ctx: Context) -> DropReason | None:
    ua = w.hit.user_agent
    return DropReason.BOT if ua and bots.is_bot(ua) else None


def put_geo(w: Work, ctx: Context) -> DropReason | None:
    ev = w.event
    assert ev is not None
    geo = ctx.geo.lookup(w.hit.ip)
    ev.country = getattr(geo, "country", "")
    ev.region = getattr(geo, "region", "")
    ev.city = getattr(geo, "city", "")
    if not ev.country and w.hit.country_hint:
        ev.country = w.hit.country_hint
    return None


def put_user_agent(w: Work, ctx: Context) -> DropReason | None:
    ev = w.event
    assert ev is not None
    if w.hit.user_agent:
        ua = parse_user_agent(w.hit.user_agent)
        ev.browser, ev.browser_version = ua.browser, ua.browser_version
        ev.os, ev.os_version, ev.device = ua.os, ua.os_version, ua.device
    return None


@lru_cache(maxsize=8192)
def _campaign(query: str) -> Campaign:
    # Query strings repeat (the same campaign links), and parsing one costs more than the lookup.
    return campaign_from_query(parse_query(query)) if query else NO_CAMPAIGN


def put_source(w: Work, ctx: Context) -> DropReason | None:
    """UTM tags, click id, referrer, source and channel."""
    ev = w.event
    assert ev is not None
    campaign = _campaign(ev.query)
    ev.utm_source = campaign.utm_source
    ev.utm_medium = campaign.utm_medium
    ev.utm_campaign = campaign.utm_campaign
    ev.utm_content = campaign.utm_content
    ev.utm_term = campaign.utm_term
    ev.click_id_param = campaign.click_id_param
    ref = classify_referrer(w.hit.referrer, ev.hostname, campaign.tagged_source)
    ev.referrer, ev.referrer_domain, ev.referrer_source = ref.referrer, ref.referrer_domain, ref.source
    ev.utm_medium = infer_medium(ev.utm_medium, ref.source, ev.click_id_param)
    ev.channel = channel(ev.referrer_source, ev.utm_medium, ev.utm_campaign, ev.utm_source, ev.click_id_param)
    return None


# Bounds on what any dialect may store; the protocols enforce their own (stricter) wire limits.
_MAX_LEN = {
    "hostname": 253,
    "pathname": 2000,
    "query": 2000,
    "title": 1000,
    "referrer": 2000,
    "utm_source": 500,
    "utm_medium": 500,
    "utm_campaign": 500,
    "utm_content": 500,
    "utm_term": 500,
    "tag": 100,
    "distinct_id": 200,
}


_SMALLEST_LIMIT = min(_MAX_LEN.values())


def validate(w: Work, ctx: Context) -> DropReason | None:
    ev = w.event
    assert ev is not None
    # Nearly every event is far inside every bound: one sum decides that without the loop.
    total = (
        len(ev.hostname)
        + len(ev.pathname)
        + len(ev.query)
        + len(ev.title)
        + len(ev.referrer)
        + len(ev.utm_source)
        + len(ev.utm_medium)
        + len(ev.utm_campaign)
        + len(ev.utm_content)
        + len(ev.utm_term)
        + len(ev.tag)
        + len(ev.distinct_id)
    )
    if total <= _SMALLEST_LIMIT:
        return None
    for name, limit in _MAX_LEN.items():
        value = getattr(ev, name)
        if len(value) > limit:
            setattr(ev, name, value[:limit])
    return None


def put_visitor_id(w: Work, ctx: Context) -> DropReason | None:
    ev = w.event
    assert ev is not None and w.site is not None
    current, w.previous_salt = ctx.salts.salts(ev.timestamp)
    ev.visitor_id = visitor_id(current, w.site.id, w.hit.ip, w.hit.user_agent)
    return None


def put_session(w: Work, ctx: Context) -> DropReason | None:
    ev = w.event
    assert ev is not None
    now = ev.timestamp
    session = ctx.sessions.get(ev.site_id, ev.visitor_id, now)
    if session is None and w.previous_salt is not None:
        # A visit that began before the salt rotated keeps its id (found under yesterday's salt).
        # Hashed only here: most events continue a visit found under today's id.
        previous_id = visitor_id(w.previous_salt, ev.site_id, w.hit.ip, w.hit.user_agent)
        session = ctx.sessions.get(ev.site_id, previous_id, now)
    if session is None:
        if ev.name == ENGAGEMENT:
            return DropReason.NO_SESSION_FOR_ENGAGEMENT
        session = LiveSession(ev, session_id_for(ctx.salts.salts(now)[0], ev.visitor_id, now))
    else:
        session.record(ev)
    session.inherit(ev)
    ctx.sessions.put(session, now)
    w.session = session
    return None


PIPELINE: tuple[tuple[str, Step], ...] = (
    ("find_site", find_site),
    ("drop_spam_referrer", drop_spam_referrer),
    ("drop_ignored_ip", drop_ignored_ip),
    ("drop_bot", drop_bot),
    ("put_geo", put_geo),
    ("put_user_agent", put_user_agent),
    ("put_source", put_source),
    ("validate", validate),
    ("put_visitor_id", put_visitor_id),
    ("put_session", put_session),
)
