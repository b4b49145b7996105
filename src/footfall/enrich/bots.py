"""Is a User-Agent a crawler, a monitoring probe, a headless browser or an HTTP library?

Three layers, cheapest first:

1. a short token list of our own for headless browsers and HTTP client libraries. The crawler
   lists are tuned for search-engine and SEO bots; these tools are what scripted fake traffic
   actually sends, so we make sure of them ourselves rather than trust each list to keep them;
2. ua-parser's "Spider" device family, whose parse is shared (same cache) with the browser/OS
   step of the pipeline, so it is free for any UA that step sees anyway;
3. crawlerdetect's maintained list (~1,500 patterns), which is the slow one (~0.5 ms a miss).

Results are cached per UA string: bots and browsers alike repeat their exact UA.
"""

from __future__ import annotations

import functools
import re

from crawlerdetect import CrawlerDetect

from footfall.enrich.useragent import clip_user_agent, is_spider

__all__ = ["is_bot", "warm_up"]

_CACHE_SIZE = 8192

_TOOLS = re.compile(
    r"headless|phantomjs|slimerjs|lighthouse|puppeteer|playwright|selenium|webdriver|"
    r"\bcurl/|\bwget/|python-requests|python-httpx|python-urllib|aiohttp|\bhttpx/|"
    r"go-http-client|\bokhttp|\baxios/|node-fetch|\bundici\b|\bgot/|"
    r"(?:^|[\s(;])java/|apache-httpclient|libwww-perl|\bLWP::|postman|insomnia/|httpie/|guzzlehttp|"
    r"\bscrapy/|\bhttpclient/|^ruby\b|faraday/|dart:io|\breqwest/",
    re.IGNORECASE,
)


@functools.cache
def _crawler_detect() -> CrawlerDetect:
    return CrawlerDetect()


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _is_bot(ua: str) -> bool:
    if not ua:
        # The dialects differ on a missing UA (Plausible drops it, others keep it): that call
        # belongs to the protocol layer, not to a bot list.
        return False
    if _TOOLS.search(ua) or is_spider(ua):
        return True
    return bool(_crawler_detect().is_crawler(ua))


def is_bot(ua: str) -> bool:
    """True for crawlers, headless browsers, uptime probes and HTTP libraries; False for "" (see above)."""
    return _is_bot(clip_user_agent(ua))


def warm_up() -> None:
    """Compile crawlerdetect's big pattern now, not on the first request."""
    _is_bot(clip_user_agent("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"))
