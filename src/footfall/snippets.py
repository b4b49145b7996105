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


def umami_snippet(base_url: str, site: Site) -> str:
    # The site id is the Umami website id (`footfall sites add DOMAIN --id <website-uuid>`).
    return (
        f'<script defer src="https://cloud.umami.is/script.js" data-website-id="{site.id}"\n'
        f'        data-host-url="{base_url}"></script>'
    )


def medama_snippet(base_url: str, site: Site) -> str:
    # Medama's tracker is not published as a package: serve its script (tracker/dist/default.js
    # of a Medama release) from your site. `data-api` is host/path, without the scheme.
    api = base_url.split("://", 1)[-1].rstrip("/") + "/api"
    return f'<script defer src="/medama.js" data-api="{api}"></script>'


# Each protocol module that is served adds its snippet here (name -> function).
SNIPPETS = {"Plausible": plausible_snippet, "Umami": umami_snippet, "Medama": medama_snippet}


def snippets(base_url: str, site: Site) -> dict[str, str]:
    return {name: make(base_url, site) for name, make in SNIPPETS.items()}
