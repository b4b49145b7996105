"""Server-rendered HTML shells. Every interpolated value goes through `e()` (HTML escaping).

The pages carry no inline script or style (the CSP forbids both); the dashboard's data is drawn by
static/dashboard.js through the public stats API.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping

from footfall.dashboard.shares import SharedLink
from footfall.model import Site


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


# The dashboard's modules, announced up front so the browser fetches them in parallel instead of
# discovering each import only after parsing its parent.
MODULES = ("dashboard.js", "api.js", "dom.js", "chart.js", "panels.js", "map.js")


def layout(
    title: str, body: str, *, csrf: str = "", signed_in: bool = False, wide: bool = False, head: str = ""
) -> str:
    nav = ""
    if signed_in:
        nav = (
            "<nav class=top-nav><a href=/sites>Sites</a>"
            "<form method=post action=/logout class=inline>"
            f"<input type=hidden name=csrf value='{e(csrf)}'><button class=link type=submit>Sign out</button></form>"
            "</nav>"
        )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{e(title)} · Footfall</title>"
        "<link rel=stylesheet href=/static/footfall.css>"
        "<link rel=icon href=/static/icon.svg type='image/svg+xml'>"
        f"{head}</head><body>"
        "<header class=top><a class=brand href=/><img src=/static/icon.svg alt='' width=22 height=22>Footfall</a>"
        f"{nav}</header>"
        f"<main class='{'wide' if wide else 'narrow'}' id=main>{body}</main></body></html>"
    )


def login_page(*, csrf: str, email: str = "", error: str = "") -> str:
    alert = f"<p class=error role=alert>{e(error)}</p>" if error else ""
    body = (
        "<section class=card><h1>Sign in</h1>"
        f"{alert}"
        "<form method=post action=/login class=stack>"
        f"<input type=hidden name=csrf value='{e(csrf)}'>"
        "<label>Email or user name<input name=email autocomplete=username required maxlength=254 "
        f"value='{e(email)}' autofocus></label>"
        "<label>Password<input name=password type=password autocomplete=current-password required "
        "maxlength=1024></label>"
        "<button type=submit class=primary>Sign in</button></form>"
        "<p class=muted>First run? The admin password was printed by <code>footfall serve</code>; "
        "set one with <code>footfall users add EMAIL</code>.</p></section>"
    )
    return layout("Sign in", body)


def _snippets_block(snippets: Mapping[str, str]) -> str:
    parts = ["<details class=snippets><summary>Tracking snippet</summary>"]
    for name, snippet in snippets.items():
        parts.append(f"<h4>{e(name)}</h4><pre tabindex=0><code>{e(snippet)}</code></pre>")
    parts.append("</details>")
    return "".join(parts)


def _shares_block(site: Site, links: Iterable[SharedLink], base_url: str, csrf: str) -> str:
    rows = []
    for link in links:
        url = f"{base_url}/share?t={link.token}"
        rows.append(
            "<li class=share>"
            f"<a href='{e(url)}' class=share-url>{e(link.label or url)}</a>"
            f"<input readonly value='{e(url)}' aria-label='Shared link URL' class=copy-field>"
            "<form method=post action=/sites/shares/revoke class=inline>"
            f"<input type=hidden name=csrf value='{e(csrf)}'><input type=hidden name=site value='{e(site.id)}'>"
            f"<input type=hidden name=token value='{e(link.token)}'>"
            "<button type=submit class='link danger'>Revoke</button></form></li>"
        )
    return (
        "<details class=shares><summary>Shared links</summary>"
        f"<ul class=plain>{''.join(rows) or '<li class=muted>None yet.</li>'}</ul>"
        "<form method=post action=/sites/shares class=row-form>"
        f"<input type=hidden name=csrf value='{e(csrf)}'><input type=hidden name=site value='{e(site.id)}'>"
        "<input name=label maxlength=80 placeholder='Label (optional)' aria-label='Label'>"
        "<button type=submit>Create shared link</button></form></details>"
    )


def sites_page(
    *,
    sites: list[Site],
    snippets: Mapping[str, Mapping[str, str]],
    shares: Mapping[str, list[SharedLink]],
    timezones: Iterable[str],
    base_url: str,
    csrf: str,
    error: str = "",
    notice: str = "",
) -> str:
    cards = []
    for site in sites:
        cards.append(
            "<li class='card site'>"
            "<div class=site-head>"
            f"<a class=site-name href='/dashboard?site={e(site.domain)}'>{e(site.domain)}</a>"
            f"<span class=muted>{e(site.timezone)}</span>"
            f"<a class='button primary' href='/dashboard?site={e(site.domain)}'>Open dashboard</a>"
            f"<a class='button danger-outline' href='/sites/delete?site={e(site.id)}'>Delete…</a>"
            "</div>"
            f"{_snippets_block(snippets[site.id])}"
            f"{_shares_block(site, shares.get(site.id, []), base_url, csrf)}"
            "</li>"
        )
    options = "".join(f"<option{' selected' if tz == 'UTC' else ''}>{e(tz)}</option>" for tz in timezones)
    alert = f"<p class=error role=alert>{e(error)}</p>" if error else ""
    info = f"<p class=notice role=status>{e(notice)}</p>" if notice else ""
    body = (
        "<h1>Sites</h1>"
        f"{alert}{info}"
        f"<ul class='plain sites'>{''.join(cards) or '<li class=muted>No sites yet: add one below.</li>'}</ul>"
        "<section class=card><h2>Add a site</h2>"
        "<form method=post action=/sites class=row-form>"
        f"<input type=hidden name=csrf value='{e(csrf)}'>"
        "<label>Domain<input name=domain required maxlength=253 placeholder=example.com "
        "autocomplete=off spellcheck=false></label>"
        f"<label>Timezone<select name=timezone>{options}</select></label>"
        "<button type=submit class=primary>Add site</button></form></section>"
    )
    return layout("Sites", body, csrf=csrf, signed_in=True)


def confirm_delete_page(site: Site, csrf: str) -> str:
    body = (
        f"<section class=card><h1>Delete {e(site.domain)}?</h1>"
        "<p>The site, its shared links and its settings are removed; events already stored stay in the "
        "event store (exportable) until the retention period, if one is set, deletes them. "
        "This cannot be undone.</p>"
        "<form method=post action=/sites/delete class=row-form>"
        f"<input type=hidden name=csrf value='{e(csrf)}'><input type=hidden name=site value='{e(site.id)}'>"
        f"<label>Type the domain to confirm<input name=confirm required autocomplete=off "
        f"placeholder='{e(site.domain)}'></label>"
        "<button type=submit class=danger>Delete site</button> <a href=/sites>Cancel</a></form></section>"
    )
    return layout(f"Delete {site.domain}", body, csrf=csrf, signed_in=True)


def dashboard_page(site: Site, *, csrf: str = "", share: str = "", attribution: str = "") -> str:
    """The shell the script fills. `share` set: the read-only public view of a shared link."""
    data = (
        f"data-site='{e(site.domain)}' data-timezone='{e(site.timezone)}' data-csrf='{e(csrf)}' data-share='{e(share)}'"
    )
    panels = "".join(
        f"<section class='card panel' id=panel-{key} aria-labelledby=panel-{key}-title>"
        f"<div class=panel-head><h2 id=panel-{key}-title>{e(title)}</h2><div class=tabs role=tablist></div></div>"
        "<div class=panel-body aria-live=polite><p class=muted>Loading…</p></div></section>"
        for key, title in (
            ("pages", "Pages"),
            ("sources", "Sources"),
            ("locations", "Locations"),
            ("devices", "Devices"),
            ("events", "Custom events"),
        )
    )
    body = (
        f"<div id=dashboard {data}>"
        "<div class=dash-bar>"
        f"<h1 class=dash-site>{e(site.domain)}</h1>"
        "<span class=live id=live-visitors hidden></span>"
        "<div class=dash-controls>"
        "<label class=sr-only for=period>Date range</label><select id=period></select>"
        "<span id=custom-range hidden><input type=date id=range-from aria-label=From>"
        "<input type=date id=range-to aria-label=To><button type=button id=range-apply>Apply</button></span>"
        "</div></div>"
        "<div id=filters class=filters aria-label='Active filters'></div>"
        "<section class='card stats-card'><div id=top-stats class=top-stats role=group aria-label='Top stats'></div>"
        "<div class=chart-head><span id=chart-title class=muted></span>"
        "<label class=sr-only for=interval>Interval</label><select id=interval></select></div>"
        "<div id=chart class=chart></div></section>"
        f"<div class=panels>{panels}</div>"
        f"<p class='muted small'>{e(attribution)}</p>"
        "</div><script type=module src=/static/dashboard.js></script>"
    )
    preload = "".join(f"<link rel=modulepreload href=/static/{name}>" for name in MODULES)
    preload += "<link rel=preload href=/static/world.json as=fetch crossorigin>"
    return layout(site.domain, body, csrf=csrf, signed_in=not share, wide=True, head=preload)


def message_page(title: str, message: str, status_link: str = "/") -> str:
    body = (
        f"<section class=card><h1>{e(title)}</h1><p>{e(message)}</p>"
        f"<p><a href='{e(status_link)}'>Back</a></p></section>"
    )
    return layout(title, body)
