"""The snippet a site owner pastes, for each tracker Footfall speaks."""

from __future__ import annotations

from footfall.model import Site


def plausible_snippet(base_url: str, site: Site) -> str:
    return (
        f'<script defer data-domain="{site.domain}" data-api="{base_url}/api/event"\n'
        '        src="https://plausible.io/js/script.js"></script>\n'
        "<!-- or, with the npm package @plausible-analytics/tracker: -->\n"
        f"<!-- init({{ domain: '{site.domain}', endpoint: '{base_url}/api/event' }}) -->"
    )


# Each protocol module that is served adds its snippet here (name -> function).
SNIPPETS = {"Plausible": plausible_snippet}


def snippets(base_url: str, site: Site) -> dict[str, str]:
    return {name: make(base_url, site) for name, make in SNIPPETS.items()}
