"""The dashboard's pages: sign-in, sites, the site dashboard and shared links.

Each handler takes the request and answers with HTML or a redirect; the numbers on the dashboard
come from the public stats API (POST /api/v2/query), which `credential_checkers` lets the signed-in
owner and shared-link visitors call.
"""

from __future__ import annotations

import asyncio
import re
import zoneinfo
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import quote

from footfall.dashboard import pages
from footfall.dashboard.accounts import Accounts, LoginLimiter, User
from footfall.dashboard.assets import load_assets, serve
from footfall.dashboard.shares import SharedLinks, TooManyLinks
from footfall.dashboard.web import (
    PRE_COOKIE,
    SESSION_COOKIE,
    Csrf,
    cookie,
    html_page,
    is_https,
    new_pre_token,
    read_form,
    redirect,
)
from footfall.http import Handler, Request, Response
from footfall.model import Site
from footfall.protocols.common import client_ip
from footfall.snippets import snippets
from footfall.storage.meta import SiteExists, normalize_domain

if TYPE_CHECKING:
    from footfall.app import Footfall

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")
CSRF_HEADER = "x-footfall-csrf"
SHARE_HEADER = "x-footfall-share"


@cache
def _timezones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


class Dashboard:
    def __init__(self, app: Footfall) -> None:
        self.app = app
        self.accounts = Accounts(app.meta, app.clock)
        self.shares = SharedLinks(app.meta, app.clock)
        self.csrf = Csrf(app.meta.secret("dashboard_csrf"))
        self.limiter = LoginLimiter(app.clock)
        self.assets = load_assets()
        for checker in self.credential_checkers():
            app.authorizer.add(checker)

    def routes(self) -> list[tuple[tuple[str, ...], str, Handler]]:
        table: list[tuple[tuple[str, ...], str, Handler]] = [
            (("GET",), "/", self.home),
            (("GET",), "/login", self.login_form),
            (("POST",), "/login", self.login),
            (("POST",), "/logout", self.logout),
            (("GET",), "/sites", self.sites),
            (("POST",), "/sites", self.add_site),
            (("GET",), "/sites/delete", self.confirm_delete),
            (("POST",), "/sites/delete", self.delete_site),
            (("POST",), "/sites/shares", self.create_share),
            (("POST",), "/sites/shares/revoke", self.revoke_share),
            (("GET",), "/dashboard", self.site_dashboard),
            (("GET",), "/share", self.shared_dashboard),
        ]
        table += [(("GET",), path, serve(asset)) for path, asset in self.assets.items()]
        return table

    # -- who is asking -----------------------------------------------------------------------

    def user(self, request: Request) -> User | None:
        return self.accounts.session_user(request.cookies.get(SESSION_COOKIE, ""))

    def _secure(self, request: Request) -> bool:
        return is_https(request, self.app.settings.base_url)

    def _login_ip(self, request: Request) -> str:
        # Only a header the operator declared trusted counts; Plausible's default order would let
        # a guesser pick a fresh X-Plausible-IP per attempt.
        header = self.app.settings.client_ip_header
        return client_ip(request.headers, request.client_host, header) if header else request.client_host

    async def _owner_form(self, request: Request) -> tuple[User, dict[str, str]] | Response:
        """The signed-in user and their form, or the response refusing them."""
        user = self.user(request)
        if user is None:
            return redirect("/login")
        form = await read_form(request)
        if form is None:
            return html_page(pages.message_page("Bad request", "The form could not be read.", "/sites"), 400)
        if not self.csrf.valid(request.cookies.get(SESSION_COOKIE, ""), form.get("csrf", "")):
            return html_page(pages.message_page("Expired form", "Reload the page and try again.", "/sites"), 403)
        return user, form

    async def _owner_site_form(self, request: Request) -> tuple[Site, dict[str, str]] | Response:
        """An owner's form about one site (its `site` field): the site and the form, or the refusal."""
        checked = await self._owner_form(request)
        if isinstance(checked, Response):
            return checked
        _user, form = checked
        site = self._site_or_missing(form.get("site", ""))
        if isinstance(site, Response):
            return site
        return site, form

    def _site(self, ref: str) -> Site | None:
        return self.app.meta.find_site(ref) if ref and len(ref) <= 253 else None

    def _site_or_missing(self, ref: str, hint: str = "It may have been deleted.") -> Site | Response:
        """The site, or the "No such site" page every owner action answers with."""
        site = self._site(ref)
        if site is None:
            return html_page(pages.message_page("No such site", hint, "/sites"), 404)
        return site

    # -- sign in -----------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        return redirect("/sites" if self.user(request) else "/login")

    async def login_form(self, request: Request) -> Response:
        if self.user(request):
            return redirect("/sites")
        return self._login_page(request)

    def _login_page(self, request: Request, *, email: str = "", error: str = "", status: int = 200) -> Response:
        pre = request.cookies.get(PRE_COOKIE, "")
        headers: tuple[tuple[str, str], ...] = ()
        if not pre or len(pre) > 64:
            pre = new_pre_token()
            headers = (cookie(PRE_COOKIE, pre, secure=self._secure(request)),)
        body = pages.login_page(csrf=self.csrf.token(pre), email=email, error=error)
        return html_page(body, status, headers)

    async def login(self, request: Request) -> Response:
        form = await read_form(request)
        if form is None:
            return self._login_page(request, error="The form could not be read.", status=400)
        email = form.get("email", "").strip()[:254]
        if not self.csrf.valid(request.cookies.get(PRE_COOKIE, ""), form.get("csrf", "")):
            return self._login_page(request, email=email, error="The form expired; try again.", status=403)
        keys = ("ip:" + self._login_ip(request), "email:" + email.lower())
        if self.limiter.blocked(*keys):
            return self._login_page(
                request, email=email, error="Too many failed attempts. Wait 15 minutes and try again.", status=429
            )
        # Argon2 takes tens of milliseconds and much memory by design: keep it off the event loop.
        user = await asyncio.to_thread(self.accounts.authenticate, email, form.get("password", ""))
        if user is None:
            self.limiter.failed(*keys)
            return self._login_page(request, email=email, error="Wrong email or password.", status=401)
        self.limiter.succeeded(*keys)
        token = self.accounts.start_session(user)
        secure = self._secure(request)
        return redirect(
            "/sites",
            (
                cookie(SESSION_COOKIE, token, secure=secure, max_age=14 * 24 * 3600),
                cookie(PRE_COOKIE, "", secure=secure, max_age=0),
            ),
        )

    async def logout(self, request: Request) -> Response:
        checked = await self._owner_form(request)
        if isinstance(checked, Response):
            return checked
        self.accounts.end_session(request.cookies.get(SESSION_COOKIE, ""))
        return redirect("/login", (cookie(SESSION_COOKIE, "", secure=self._secure(request), max_age=0),))

    # -- sites -------------------------------------------------------------------------------

    def _sites_page(self, request: Request, *, error: str = "", notice: str = "", status: int = 200) -> Response:
        base = self.app.settings.base_url
        sites = self.app.meta.list_sites()
        body = pages.sites_page(
            sites=sites,
            snippets={s.id: snippets(base, s) for s in sites},
            shares={s.id: self.shares.for_site(s.id) for s in sites},
            timezones=_timezones(),
            base_url=base,
            csrf=self.csrf.token(request.cookies.get(SESSION_COOKIE, "")),
            error=error,
            notice=notice,
        )
        return html_page(body, status)

    async def sites(self, request: Request) -> Response:
        if self.user(request) is None:
            return redirect("/login")
        # Only a well-formed domain is echoed, so a crafted link cannot put other words on the page.
        deleted = request.query_params().get("deleted", "")
        return self._sites_page(request, notice=f"Deleted {deleted}." if _DOMAIN.match(deleted) else "")

    async def add_site(self, request: Request) -> Response:
        checked = await self._owner_form(request)
        if isinstance(checked, Response):
            return checked
        _user, form = checked
        domain = normalize_domain(form.get("domain", ""))
        timezone = form.get("timezone", "UTC")
        if not _DOMAIN.match(domain):
            return self._sites_page(
                request, error="Enter a domain such as example.com (no scheme or path).", status=400
            )
        if timezone not in _timezones():
            return self._sites_page(request, error="Choose a timezone from the list.", status=400)
        try:
            self.app.meta.add_site(domain, timezone=timezone, now_ms=self.app.clock())
        except SiteExists:
            return self._sites_page(request, error=f"{domain} is registered already.", status=409)
        # PRAGMA data_version only moves for other connections' commits: tell the directory now.
        self.app.ctx.sites.reload()
        return redirect("/sites")

    async def confirm_delete(self, request: Request) -> Response:
        if self.user(request) is None:
            return redirect("/login")
        site = self._site_or_missing(request.query_params().get("site", ""))
        if isinstance(site, Response):
            return site
        return html_page(pages.confirm_delete_page(site, self.csrf.token(request.cookies.get(SESSION_COOKIE, ""))))

    async def delete_site(self, request: Request) -> Response:
        checked = await self._owner_site_form(request)
        if isinstance(checked, Response):
            return checked
        site, form = checked
        if normalize_domain(form.get("confirm", "")) != site.domain:
            return redirect(f"/sites/delete?site={quote(site.id)}")
        self.shares.revoke_site(site.id)
        self.app.meta.delete_site(site.id)
        self.app.ctx.sites.reload()
        return redirect(f"/sites?deleted={quote(site.domain)}")

    async def create_share(self, request: Request) -> Response:
        checked = await self._owner_site_form(request)
        if isinstance(checked, Response):
            return checked
        site, form = checked
        try:
            self.shares.create(site.id, form.get("label", ""))
        except TooManyLinks as exc:
            return self._sites_page(request, error=str(exc), status=409)
        return redirect("/sites")

    async def revoke_share(self, request: Request) -> Response:
        checked = await self._owner_form(request)
        if isinstance(checked, Response):
            return checked
        _user, form = checked
        self.shares.revoke(form.get("token", "")[:64], form.get("site", "")[:64])
        return redirect("/sites")

    # -- dashboards --------------------------------------------------------------------------

    async def site_dashboard(self, request: Request) -> Response:
        if self.user(request) is None:
            return redirect("/login")
        site = self._site_or_missing(request.query_params().get("site", ""), "Add it on the sites page.")
        if isinstance(site, Response):
            return site
        csrf = self.csrf.token(request.cookies.get(SESSION_COOKIE, ""))
        return html_page(pages.dashboard_page(site, csrf=csrf, attribution=self.app.geo.attribution))

    async def shared_dashboard(self, request: Request) -> Response:
        token = request.query_params().get("t", "")
        site_id = self.shares.site_of(token)
        site = self.app.meta.find_site(site_id) if site_id else None
        if site is None:
            return html_page(
                pages.message_page("Link not found", "This shared link was revoked or never existed."), 404
            )
        return html_page(pages.dashboard_page(site, share=token, attribution=self.app.geo.attribution))

    # -- the stats API's credential checkers ---------------------------------------------------

    def credential_checkers(self) -> list[Callable[[Request, Site], bool]]:
        return [self.owner_may_read, self.share_may_read]

    def owner_may_read(self, request: Request, site: Site) -> bool:
        """A signed-in user, on a request carrying the session's CSRF token in a header.

        The header (which a cross-site form cannot set) keeps another site's page from spending
        the owner's cookie on the API.
        """
        token = request.cookies.get(SESSION_COOKIE, "")
        if not token or not self.csrf.valid(token, request.headers.get(CSRF_HEADER, "")):
            return False
        return self.accounts.session_user(token) is not None

    def share_may_read(self, request: Request, site: Site) -> bool:
        """A shared link's token reads only its own site."""
        token = request.headers.get(SHARE_HEADER, "")
        return bool(token) and self.shares.site_of(token) == site.id
