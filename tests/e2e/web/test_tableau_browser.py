"""The tableau de pilotage in a real headless Chromium (Debian's, `make chromium`), driven by
Playwright for Python: a noyau member asks /tableau in the chat, opens the link, reads the
figures `lte-bot stats` and `lte-bot export` give; the link does not work twice; a resident gets
no link; without a session every page is refused; user text is text; nothing is fetched from
anywhere but the process. A screenshot of each page goes to the test's temporary folder."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Route, async_playwright

from bots.web import WebChannel
from dialogs.engine import Engine
from lte_core.clock import FixedClock
from lte_core.config import Settings, WebSettings
from lte_core.domain import DEFAULT_THEMES, Role
from lte_core.services import people
from lte_core.store import Database, UnitOfWork
from tests.support.chat import Person
from tests.support.tableau import SCRIPT_TEXT, Territory, seed

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[3]
PAGES = ("needs", "participation", "circles", "year", "health")


@dataclass
class Site:
    db: Database
    engine: Engine
    clock: FixedClock
    base: str
    territory: Territory
    settings: Settings


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium")
    path = tmp_path / "lte.sqlite3"
    db = await Database(path).open()
    async with UnitOfWork(db) as uow:
        await people.ensure_default_themes(uow, DEFAULT_THEMES)
    clock = FixedClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    territory = await seed(db, clock)
    channel = WebChannel(db, Settings(db_path=str(path), web=WebSettings(0)), clock)
    await channel.start()
    base = f"http://127.0.0.1:{channel.port}"
    # The chat's settings name the address the links start with (LTE_PUBLIC_URL).
    settings = Settings(db_path=str(path), web=WebSettings(channel.port, public_url=base))
    engine = Engine(db, settings, clock)
    try:
        yield Site(db, engine, clock, base, territory, settings)
    finally:
        await channel.stop()
        await db.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


class Recorder:
    """Every request the page makes; anything outside the process is recorded and refused."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.seen: list[str] = []
        self.outside: list[str] = []

    async def route(self, route: Route) -> None:
        url = route.request.url
        self.seen.append(url)
        if url.startswith(self.base + "/"):
            await route.continue_()
        else:
            self.outside.append(url)
            await route.abort()


async def context_for(browser: Browser, site: Site, locale: str = "fr-FR") -> tuple[BrowserContext, Recorder]:
    context = await browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    recorder = Recorder(site.base)
    await context.route("**/*", recorder.route)
    return context, recorder


async def ask_link(
    site: Site, channel: str, user: str, command: str = "tableau"
) -> tuple[Person, str | None]:
    person = Person(site.engine, user, channel=channel)
    await person.command(command)
    found = re.search(r"https?://\S+/login/[A-Za-z0-9_-]+", person.text)
    return person, found.group(0) if found else None


async def log_in(page: Page, link: str) -> None:
    await page.goto(link)
    await page.click("#open")
    await page.wait_for_url("**/tableau")


def cli(site: Site, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LTE_")}
    env |= {"LTE_DB_PATH": site.db.path, "LTE_DEFAULT_LOCALE": "fr"}
    done = subprocess.run(
        [sys.executable, "-m", "bots.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def cells(rows: list[list[str]], column: int) -> list[str]:
    return [r[column] for r in rows]


async def table(page: Page, key: str) -> list[dict[str, str]]:
    """A table of the page as the person reads it: column key → text (a status or a theme by its
    code, kept in `data-value` beside the label it shows)."""
    rows: list[dict[str, str]] = await page.eval_on_selector_all(
        f"#table-{key} tbody tr",
        "rows => rows.map(r => Object.fromEntries([...r.querySelectorAll('td[data-col]')]"
        ".map(td => [td.dataset.col, td.dataset.value ?? td.innerText.trim()])))",
    )
    return [r for r in rows if r]


def number(text: str) -> int:
    return int(re.sub(r"\D", "", text) or "0")


async def test_a_noyau_member_opens_the_link_once_and_reads_the_figures_of_stats_and_export(
    site: Site, browser: Browser, tmp_path: Path
) -> None:
    _, link = await ask_link(site, "terminal", "camille")
    assert link is not None and link.startswith(site.base + "/login/")
    context, recorder = await context_for(browser, site)
    page = await context.new_page()
    await log_in(page, link)
    assert await page.title() == "Besoins · Tableau de pilotage"

    stats = json.loads(cli(site, "stats", "--format", "json"))
    exported = json.loads(cli(site, "export", "needs", "--format", "json"))
    for card in await page.query_selector_all(".card[data-figure]"):
        key = await card.get_attribute("data-figure")
        shown = number(await card.inner_text())
        assert key is not None and shown == stats[key], (key, shown, stats[key])
    assert len(await page.query_selector_all(".card[data-figure]")) == 10

    # The funnel: the needs there now, per status, are those of the export and of stats.
    funnel = {r["status"]: number(r["now"]) for r in await table(page, "funnel")}
    closed = {r["status"]: number(r["now"]) for r in await table(page, "closed")}
    by_status = Counter(n["status"] for n in exported)
    assert {k: v for k, v in (funnel | closed).items() if v} == dict(by_status) == stats["needs_by_status"]
    assert by_status["in_study"] == 1 and by_status["withdrawn"] == 1
    reached = {r["status"]: number(r["reached"]) for r in await table(page, "funnel")}
    assert reached["expressed"] == len(exported) == stats["needs"]
    assert (reached["in_study"], reached["sorted"], reached["presented"]) == (3, 2, 1)
    assert "à l'étude" in await page.inner_text("#table-funnel")
    # The themes' chart and table: the counts of the export, theme by theme.
    themes = {r["theme"]: number(r["needs"]) for r in await table(page, "by_theme")}
    assert themes == {k or "": v for k, v in Counter(n["theme"] for n in exported).items()}
    assert themes == stats["needs_by_theme"] and themes["alimentation"] == 2
    assert "Alimentation" in await page.inner_text("#table-by_theme")
    assert await page.locator("#section-funnel svg.chart rect.funnel").count() == 9
    assert await page.locator("#section-themes svg.chart rect.bar").count() >= 3
    await page.screenshot(path=str(tmp_path / "tableau-needs.png"), full_page=True)

    # Participation: the people by channel are those of `export people`.
    everyone = json.loads(cli(site, "export", "people", "--format", "json"))
    await page.click("nav a[href='/tableau/participation']")
    by_channel = {r["channel"]: number(r["people"]) for r in await table(page, "by_channel")}
    expected = Counter(i.split(":")[0] for p in everyone for i in p["identities"])
    assert by_channel == dict(expected)
    weekly = await table(page, "weekly")
    assert sum(number(r["supports"]) for r in weekly) == stats["supports"]
    assert sum(number(r["new_people"]) for r in weekly) == stats["people"]
    assert await page.locator("#section-participation svg.chart polyline").count() == 4
    await page.screenshot(path=str(tmp_path / "tableau-participation.png"), full_page=True)

    # Circles: members as `export circles` counts them; places as `stats`.
    circles = json.loads(cli(site, "export", "circles", "--format", "json", "--anonymous"))
    await page.click("nav a[href='/tableau/circles']")
    shown = {r["name"]: number(r["members"]) for r in await table(page, "circles")}
    assert shown == {c["name"]: c["members"] for c in circles}
    missions = await table(page, "missions")
    assert sum(number(r["taken"]) for r in missions) == stats["places_taken"]
    assert sum(number(r["places"]) for r in missions) == stats["mission_places"]
    await page.screenshot(path=str(tmp_path / "tableau-circles.png"), full_page=True)

    # The preparation year: the noyau ticks an item off (a form posted with its CSRF token).
    await page.click("nav a[href='/tableau/year']")
    assert await page.locator("ul.socle li").count() == 6
    await page.click("li[data-item='cadrage'] button")
    await page.wait_for_url("**/tableau/year")
    assert await page.get_attribute("li[data-item='cadrage']", "class") == "done"
    assert "coché le" in await page.inner_text("li[data-item='cadrage']")
    await page.screenshot(path=str(tmp_path / "tableau-year.png"), full_page=True)

    await page.click("nav a[href='/tableau/health']")
    outbox = await table(page, "outbox")
    assert {r["channel"]: number(r["failed"]) for r in outbox}["telegram"] == 1
    assert "blocked by the user <x>" in await page.inner_text("#table-errors")
    await page.screenshot(path=str(tmp_path / "tableau-health.png"), full_page=True)

    # The same link, again, in another browser: refused, and it says to ask the bot.
    other, _ = await context_for(browser, site)
    again = await other.new_page()
    response = await again.goto(link)
    assert response is not None and response.status == 401
    assert "Ce lien n’ouvre plus le tableau" in await again.inner_text("main")
    assert await again.locator("#open").count() == 0
    await again.screenshot(path=str(tmp_path / "tableau-link-used.png"))
    assert recorder.outside == []
    assert recorder.seen and all(url.startswith(site.base + "/") for url in recorder.seen)
    assert any(url.endswith(".woff2") for url in recorder.seen)  # the font, from the process
    await other.close()
    await context.close()
    for name in PAGES:
        assert (tmp_path / f"tableau-{name}.png").stat().st_size > 10_000


async def test_user_text_is_shown_as_text_and_no_script_runs(
    site: Site, browser: Browser, tmp_path: Path
) -> None:
    _, link = await ask_link(site, "terminal", "camille")
    assert link is not None
    context, recorder = await context_for(browser, site)
    page = await context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    await log_in(page, link)
    await page.goto(site.base + "/tableau/needs?q=alert#section-needs")
    texts = [r["text"] for r in await table(page, "needs")]
    assert texts == [SCRIPT_TEXT]  # read as typed, tags and all
    assert await page.locator("main script").count() == 0
    assert await page.locator("main td b").count() == 0
    # Its history unfolds, without a script: expressed only.
    await page.click("#table-needs details summary")
    assert "exprimé" in await page.inner_text("#table-needs details ol")
    await page.screenshot(path=str(tmp_path / "tableau-script-text.png"), full_page=True)
    assert dialogs == []
    # The CSV and the JSON of the filtered table hold the same text, exactly.
    download = await page.request.get(site.base + "/tableau/data/needs/needs.json?q=alert")
    assert [n["text"] for n in await download.json()] == [SCRIPT_TEXT]
    csv_text = await (await page.request.get(site.base + "/tableau/data/needs/needs.csv?q=alert")).text()
    assert csv_text.startswith("\ufeffref;text;") and SCRIPT_TEXT in csv_text
    headers = (await page.request.get(site.base + "/tableau/needs")).headers
    assert "script-src" not in headers["content-security-policy"]  # default-src 'none': no script at all
    assert headers["content-security-policy"].startswith("default-src 'none'")
    assert recorder.outside == []
    await context.close()


async def test_a_resident_gets_no_link_and_without_a_session_every_page_is_refused(
    site: Site, browser: Browser, tmp_path: Path
) -> None:
    resident, link = await ask_link(site, "telegram", "r1")
    assert link is None
    assert "réservé au noyau et aux référents" in resident.text
    async with UnitOfWork(site.db) as uow:
        rows = await uow.conn.execute_fetchall("SELECT count(*) FROM web_links")
    assert rows[0][0] == 0
    context, recorder = await context_for(browser, site)
    page = await context.new_page()
    for path in (
        "/tableau",
        *(f"/tableau/{p}" for p in PAGES),
        "/tableau/data/funnel/funnel.csv",
        "/tableau/data/needs/needs.json",
        "/nowhere",
        "/login/not-a-token-at-all-but-long-enough",
    ):
        response = await page.goto(site.base + path)
        assert response is not None and response.status == 401, path
        assert "/tableau" in await page.inner_text("main")  # says to ask the bot
    forged = await page.request.post(site.base + "/tableau/socle", form={"item": "cadrage", "done": "1"})
    assert forged.status == 401
    await page.screenshot(path=str(tmp_path / "tableau-refused.png"))
    assert recorder.outside == []
    await context.close()


async def test_a_referent_reads_in_english_cannot_tick_and_a_revoked_role_closes_the_session(
    site: Site, browser: Browser, tmp_path: Path
) -> None:
    _, link = await ask_link(site, "telegram", "4242", command="dashboard")
    assert link is not None
    context, _ = await context_for(browser, site, locale="en-GB")
    page = await context.new_page()
    await log_in(page, link)
    assert await page.title() == "Needs · Tableau de pilotage"
    cookie = next(c for c in await context.cookies() if c["name"] == "lte_tableau")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]
    await page.goto(site.base + "/tableau/year")
    assert await page.locator("ul.socle form").count() == 0  # the noyau ticks, referents read
    assert "A clear framing with the collectivité" in await page.inner_text("ul.socle")
    forged = await page.request.post(site.base + "/tableau/socle", form={"item": "cadrage", "done": "1"})
    assert forged.status == 403  # no CSRF token
    await page.screenshot(path=str(tmp_path / "tableau-year-referent.png"), full_page=True)
    async with UnitOfWork(site.db) as uow:
        await people.revoke_role(uow, None, site.territory.referent, Role.REFERENT)
    response = await page.goto(site.base + "/tableau/needs")
    assert response is not None and response.status == 401
    assert "Ask the bot for the tableau" in await page.inner_text("main")
    async with UnitOfWork(site.db) as uow:
        rows = await uow.conn.execute_fetchall(
            "SELECT count(*) FROM web_sessions WHERE person_id = ?", (site.territory.referent,)
        )
    assert rows[0][0] == 0
    await context.close()
