"""The tableau de pilotage's web server (aiohttp): one-time link → session cookie → the pages.

Every response carries a strict Content-Security-Policy (no script at all, styles and fonts from
this process only), and is never cached but the static files. Without a valid session, every
request but the link's own and the static files gets 401 and the page that says to ask the bot.
The server keeps no access log: a link's token would be in it."""

from __future__ import annotations

import csv
import io
import json
import logging
import mimetypes
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined

from dialogs.tr import Tr
from lte_core.clock import Clock
from lte_core.config import Settings, WebSettings
from lte_core.domain import NeedStatus, Refused
from lte_core.services import tableau
from lte_core.services.export import CSV_BOM, CSV_DELIMITER, csv_cells
from lte_core.store import Database, UnitOfWork

from . import charts, sections
from .labels import SOCLE, Cells

log = logging.getLogger(__name__)

COOKIE = "lte_tableau"
STATIC = Path(__file__).resolve().parent / "static"
PUBLIC_PREFIXES = ("/login", "/static/", "/bye")
CSP = (
    "default-src 'none'; style-src 'self'; font-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # a link's token never leaves for another site
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
mimetypes.add_type("font/woff2", ".woff2")
mimetypes.add_type("image/svg+xml", ".svg")

# Keys of what the guard found, on the request (typed keys where aiohttp has them, 3.12+).
_RequestKey: Any = getattr(web, "RequestKey", None)
VIEWER: Any = _RequestKey("viewer", tableau.Viewer) if _RequestKey else "viewer"
SESSION: Any = _RequestKey("session", str) if _RequestKey else "session"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def environment() -> Environment:
    """Jinja2, autoescaping every template (user text is text, never markup)."""
    env = Environment(
        loader=PackageLoader("bots.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["charts"] = charts
    return env


class Tableau:
    """The web application over the database the bot uses, for the settings' territory."""

    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db = db
        self.settings = settings
        self.web = settings.web or WebSettings(0)
        self.clock = clock
        self.env = environment()
        self.cache = True  # the bench turns it off to measure what a page costs to compute
        self._cached: dict[str, tuple[int, float, datetime, tableau.Section]] = {}

    # Plumbing ------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard], client_max_size=64 * 1024)
        app.on_response_prepare.append(self._headers)
        r = app.router
        r.add_get("/", self._home)
        r.add_get("/dashboard", self._home)
        r.add_get("/login/{token}", self._link)
        r.add_post("/login", self._login)
        r.add_get("/bye", self._bye)
        r.add_post("/logout", self._logout)
        r.add_post("/tableau/socle", self._socle)
        r.add_get("/tableau", self._page)
        r.add_get(r"/tableau/data/{section}/{table}.{fmt:csv|json}", self._download)
        r.add_get("/tableau/{page}", self._page)
        r.add_static("/static", STATIC, append_version=False)
        return app

    async def _headers(self, request: web.Request, response: web.StreamResponse) -> None:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "public, max-age=3600"
            if request.path.endswith(".woff2"):  # aiohttp's own table may not know it
                response.headers["Content-Type"] = "font/woff2"
        else:
            response.headers["Cache-Control"] = "no-store"

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Let in a valid session; everything but the public paths is refused without one."""
        public = request.path == "/favicon.ico" or request.path.startswith(PUBLIC_PREFIXES)
        if request.method == "POST" and not self._same_origin(request):
            return self.refused(request, "csrf", status=403)
        if not public:
            token = request.cookies.get(COOKIE, "")
            who = None
            if token:
                async with UnitOfWork(self.db) as uow:
                    who = await tableau.session_viewer(uow, token, self.clock.now())
            if who is None:
                return self.refused(request, "session", status=401, forget_cookie=bool(token))
            request[VIEWER] = who
            request[SESSION] = token
        try:
            return await handler(request)
        except web.HTTPNotFound:
            if public and request.path != "/favicon.ico":
                return self.refused(request, "session", status=401)
            return self.refused(request, "not_found", status=404)
        except web.HTTPMethodNotAllowed:
            return self.refused(request, "not_found", status=405)

    def _same_origin(self, request: web.Request) -> bool:
        """A form posted from another site is refused (the browser says where it comes from);
        the public address counts as this site (behind a proxy that speaks TLS)."""
        origin = request.headers.get("Origin")
        if origin is None or origin == "null":
            return True  # no origin said: the CSRF token and SameSite decide
        ours = {request.host, urlsplit(self.web.base_url).netloc}
        return urlsplit(origin).netloc in ours

    def tr_for(self, request: web.Request, locale: str | None = None) -> Tr:
        if locale is None:
            wanted = request.headers.get("Accept-Language", "")
            locale = next(
                (
                    part.strip()[:2].lower()
                    for part in wanted.split(",")
                    if part.strip()[:2].lower() in ("fr", "en")
                ),
                self.settings.default_locale,
            )
        return Tr(locale, self.settings.tz)

    def render(self, name: str, tr: Tr, *, status: int = 200, **context: Any) -> web.Response:
        context.setdefault("viewer", None)
        context.setdefault("pages", ())
        context.setdefault("current", "")
        context.setdefault("csrf", "")
        html = self.env.get_template(name).render(
            _=tr._, ngettext=tr.ngettext, plain=tr.plain, lang=tr.locale, **context
        )
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    def refused(
        self,
        request: web.Request,
        reason: str,
        *,
        status: int,
        forget_cookie: bool = False,
        locale: str | None = None,
    ) -> web.Response:
        """The page that says why, and to ask the bot for a new link (`/tableau`)."""
        who: tableau.Viewer | None = request.get(VIEWER)
        tr = self.tr_for(request, locale or (who.locale if who else None))
        response = self.render("refused.html", tr, status=status, reason=reason, viewer=who)
        if forget_cookie:
            response.del_cookie(COOKIE, path="/")
        return response

    async def figures(
        self, uow: UnitOfWork, section: sections.Section, query: tableau.Query, version: int
    ) -> tuple[tableau.Section, datetime]:
        """A section's figures and when they were computed: again while the database has not
        changed, and for `cache_seconds` after it did (the heaviest sections only)."""
        if not (self.cache and section.cache_seconds):
            return await section.query(uow, query), query.now
        hit = self._cached.get(section.key)
        now = time.monotonic()
        if hit is not None and (hit[0] == version or now - hit[1] < section.cache_seconds):
            return hit[3], hit[2]
        data = await section.query(uow, query)
        self._cached[section.key] = (version, now, query.now, data)
        return data, query.now

    # Links and sessions --------------------------------------------------------------------

    async def _home(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPSeeOther("/tableau")

    async def _link(self, request: web.Request) -> web.StreamResponse:
        """The link the bot sent: a button that uses it. Opening the link alone uses nothing, so
        that a chat app fetching it for a preview does not spend it."""
        token = request.match_info["token"]
        now = self.clock.now()
        async with UnitOfWork(self.db, read_only=True) as uow:
            valid = await tableau.link_is_valid(uow, token, now)
        if not valid:
            return self.refused(request, "link", status=401)
        return self.render("login.html", self.tr_for(request), token=token)

    async def _login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        token = str(form.get("token", ""))
        async with UnitOfWork(self.db) as uow:
            session = await tableau.open_session(uow, token, self.clock.now())
        if session is None:
            return self.refused(request, "link", status=401)
        response = web.Response(status=303, headers={"Location": "/tableau"})
        response.set_cookie(
            COOKIE,
            session,
            httponly=True,
            samesite="Strict",
            secure=self.web.secure,
            path="/",
            max_age=int(tableau.SESSION_MAX.total_seconds()),
        )
        log.info("tableau: a session opened")
        return response

    async def _logout(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        if not tableau.csrf_ok(request[SESSION], str(form.get("csrf", ""))):
            return self.refused(request, "csrf", status=403)
        async with UnitOfWork(self.db) as uow:
            await tableau.close_session(uow, request[SESSION])
        response = web.Response(status=303, headers={"Location": "/bye"})
        response.del_cookie(COOKIE, path="/")
        return response

    async def _bye(self, request: web.Request) -> web.StreamResponse:
        return self.render("bye.html", self.tr_for(request))

    # Pages ---------------------------------------------------------------------------------

    async def _page(self, request: web.Request) -> web.StreamResponse:
        who: tableau.Viewer = request[VIEWER]
        slug = request.match_info.get("page", "needs")
        page = sections.page(slug)
        if page is None:
            return self.refused(request, "not_found", status=404)
        now = self.clock.now()
        query = tableau.Query(now, self.settings.tz, dict(request.query))
        async with UnitOfWork(self.db, read_only=True) as uow:
            present = await tableau.present_tables(uow)
            shown = page.shown(present)
            if not shown:
                return self.refused(request, "not_found", status=404)
            version = await tableau.data_version(uow)
            data, as_of = [], now
            for section in shown:
                figures, at = await self.figures(uow, section, query, version)
                data.append((section, figures))
                as_of = min(as_of, at)
            themes = await uow.themes.all(active_only=False)
        tr = Tr(who.locale, self.settings.tz)
        return self.render(
            "page.html",
            tr,
            viewer=who,
            page=page,
            pages=sections.visible_pages(present),
            current=page.slug,
            sections=data,
            cells=Cells(tr, themes),
            csrf=tableau.csrf_token(request[SESSION]),
            statuses=list(NeedStatus),
            socle_labels=SOCLE,
            query_string=request.query_string,
            now=as_of,
        )

    async def _download(self, request: web.Request) -> web.StreamResponse:
        """One table of a section as CSV (for a French spreadsheet, as `lte-bot export`) or JSON."""
        key, table_key, fmt = (request.match_info[k] for k in ("section", "table", "fmt"))
        section = sections.section(key)
        if section is None:
            return self.refused(request, "not_found", status=404)
        query = tableau.Query(self.clock.now(), self.settings.tz, dict(request.query))
        async with UnitOfWork(self.db, read_only=True) as uow:
            present = await tableau.present_tables(uow)
            if not all(t in present for t in section.requires):
                return self.refused(request, "not_found", status=404)
            if key == "needs":
                data = await tableau.needs_table(uow, query, everything=True)
            else:
                data, _ = await self.figures(uow, section, query, await tableau.data_version(uow))
        table = data.get(table_key)
        if not isinstance(table, tableau.Table):
            return self.refused(request, "not_found", status=404)
        if fmt == "json":
            body = json.dumps(table.rows, ensure_ascii=False, indent=2) + "\n"
            content_type = "application/json"
        else:
            buf = io.StringIO()
            buf.write(CSV_BOM)
            writer = csv.DictWriter(
                buf, fieldnames=list(table.columns), delimiter=CSV_DELIMITER, lineterminator="\n"
            )
            writer.writeheader()
            for row in table.rows:
                writer.writerow(csv_cells({c: row.get(c) for c in table.columns}))
            body, content_type = buf.getvalue(), "text/csv"
        return web.Response(
            text=body,
            content_type=content_type,
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="lte-{key}-{table_key}.{fmt}"'},
        )

    async def _socle(self, request: web.Request) -> web.StreamResponse:
        """The noyau ticks (or unticks) an item of the socle commun."""
        form = await request.post()
        if not tableau.csrf_ok(request[SESSION], str(form.get("csrf", ""))):
            return self.refused(request, "csrf", status=403)
        who: tableau.Viewer = request[VIEWER]
        try:
            async with UnitOfWork(self.db) as uow:
                await tableau.tick(
                    uow,
                    who.person_id,
                    str(form.get("item", ""))[:40],
                    form.get("done") == "1",
                    self.clock.now(),
                )
        except Refused as err:
            return self.refused(
                request, "not_allowed" if err.code == "not_allowed" else "not_found", status=403
            )
        raise web.HTTPSeeOther("/tableau/year")


class WebChannel:
    """The tableau served beside the chat channels by `lte-bot run` (LTE_WEB_PORT), or alone by
    `lte-bot web`: bound to LTE_WEB_HOST (127.0.0.1 unless told otherwise)."""

    name = "web"

    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        if settings.web is None:
            raise ValueError("LTE_WEB_PORT is not set")
        self.settings = settings
        self.tableau = Tableau(db, settings, clock)
        self._runner: web.AppRunner | None = None
        self.port = settings.web.port

    async def start(self) -> None:
        assert self.settings.web is not None
        runner = web.AppRunner(self.tableau.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.web.host, self.settings.web.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        log.info(
            "tableau de pilotage at %s (listening on %s:%s)",
            self.settings.web.base_url,
            self.settings.web.host,
            self.port,
        )

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
