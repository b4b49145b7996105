"""Names shared by the SQL builders: tables and their aliases, the column of each dimension on
each table, the labels empty values are shown as, and the parameter-collecting SQL buffer."""

from __future__ import annotations

from footfall.query.dialect import Dialect

EVENTS, SESSIONS, ENGAGEMENT = "events", "sessions", "engagement"
ALIAS = {EVENTS: "ev", SESSIONS: "se", ENGAGEMENT: "en"}

# visit:* dimension -> column; the same name on events (inherited) and sessions.
VISIT_COLUMNS = {
    "visit:source": "referrer_source",
    "visit:channel": "channel",
    "visit:referrer": "referrer",
    "visit:utm_medium": "utm_medium",
    "visit:utm_source": "utm_source",
    "visit:utm_campaign": "utm_campaign",
    "visit:utm_content": "utm_content",
    "visit:utm_term": "utm_term",
    "visit:screen": "screen",
    "visit:device": "device",
    "visit:browser": "browser",
    "visit:browser_version": "browser_version",
    "visit:os": "os",
    "visit:os_version": "os_version",
    "visit:country": "country",
    "visit:region": "region",
    "visit:city": "city",
    "visit:country_name": "country",
    "visit:region_name": "region",
    "visit:city_name": "city",
}
SESSION_COLUMNS_BY_DIM = {
    "event:page": "entry_page",  # on visits, a page means the entry page (Plausible's bounce rate by page)
    "event:hostname": "hostname",
    "visit:entry_page": "entry_page",
    "visit:exit_page": "exit_page",
    "visit:entry_page_hostname": "hostname",
    "visit:exit_page_hostname": "hostname",
}
EVENT_COLUMNS_BY_DIM = {"event:page": "pathname", "event:hostname": "hostname", "event:name": "name"}

# The label an empty value is shown as; a filter on the label matches the empty value.
EMPTY_LABELS = {
    "visit:source": "Direct / None",
    "visit:referrer": "Direct / None",
    "visit:channel": "Direct",
    **{
        f"visit:{k}": "(not set)"
        for k in ("utm_medium", "utm_source", "utm_campaign", "utm_content", "utm_term", "device", "browser")
    },
    **{f"visit:{k}": "(not set)" for k in ("browser_version", "os", "os_version", "screen")},
}
PROPS_EMPTY = "(none)"


class Sql:
    """Text and its parameters, appended together so placeholders and values stay in order."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.params: list[object] = []

    def add(self, text: str, *params: object) -> None:
        assert text.count("?") == len(params), text
        self.parts.append(text)
        self.params.extend(params)

    def text(self) -> str:
        return "".join(self.parts)


def column(dialect: Dialect, side: str, dim: str) -> tuple[str, tuple[object, ...]]:
    """The SQL expression of a dimension on one side (and its parameters)."""
    if dim == "event:props":  # the keys themselves (Footfall extension): rows multiply per key
        return dialect.prop_keys(), ()
    if dim.startswith("event:props:"):
        return dialect.prop(), (dim[len("event:props:") :],)
    if side == SESSIONS and dim in SESSION_COLUMNS_BY_DIM:
        return SESSION_COLUMNS_BY_DIM[dim], ()
    if dim in EVENT_COLUMNS_BY_DIM:
        return EVENT_COLUMNS_BY_DIM[dim], ()
    if dim == "event:goal":
        return "name", ()
    return VISIT_COLUMNS[dim], ()
