"""The tableau de pilotage without a browser: its links and sessions over time, the roles it
admits, the socle commun, its settings, `lte-bot web` and `lte-bot run` serving it, its headers
and downloads (a real aiohttp server on 127.0.0.1, a real SQLite file)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bots.web import WebChannel
from dialogs.engine import Engine
from lte_core.clock import FixedClock
from lte_core.config import ConfigError, Settings, WebSettings, load
from lte_core.domain import DEFAULT_THEMES, Invalid, NotAllowed, Role
from lte_core.services import events, export, people, polls, tableau
from lte_core.store import Database, UnitOfWork
from tests.support.chat import Person
from tests.support.tableau import Territory, link_for, seed

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[Database, FixedClock, Territory]]:
    db = await Database(tmp_path / "lte.sqlite3").open()
    async with UnitOfWork(db) as uow:
        await people.ensure_default_themes(uow, DEFAULT_THEMES)
    clock = FixedClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    territory = await seed(db, clock)
    yield db, clock, territory
    await db.close()


async def _open(db: Database, token: str, clock: FixedClock) -> str | None:
    async with UnitOfWork(db) as uow:
        return await tableau.open_session(uow, token, clock.now())


async def _viewer(db: Database, session: str, clock: FixedClock) -> tableau.Viewer | None:
    async with UnitOfWork(db) as uow:
        return await tableau.session_viewer(uow, session, clock.now())


async def test_a_link_serves_once_and_for_15_minutes(world: tuple[Database, FixedClock, Territory]) -> None:
    db, clock, t = world
    token = await link_for(db, t.noyau, clock)
    late = await link_for(db, t.noyau, clock)
    assert len(token) >= 40 and token != late
    session = await _open(db, token, clock)
    assert session is not None
    assert await _open(db, token, clock) is None  # used
    clock.advance(minutes=15, seconds=1)
    async with UnitOfWork(db, read_only=True) as uow:
        assert not await tableau.link_is_valid(uow, late, clock.now())
    assert await _open(db, late, clock) is None  # expired
    assert await _open(db, "x" * 43, clock) is None  # never made
    assert await _open(db, "é" * 43, clock) is None  # forged


async def test_the_database_keeps_hashes_not_tokens(world: tuple[Database, FixedClock, Territory]) -> None:
    db, clock, t = world
    token = await link_for(db, t.referent, clock)
    session = await _open(db, token, clock)
    assert session is not None
    async with UnitOfWork(db, read_only=True) as uow:
        rows = await uow.conn.execute_fetchall(
            "SELECT token_hash FROM web_links UNION ALL SELECT token_hash FROM web_sessions"
        )
    stored = {r[0] for r in rows}
    assert stored == {tableau.token_hash(token), tableau.token_hash(session)}
    await db.checkpoint()
    raw = b"".join(p.read_bytes() for p in Path(db.path).parent.glob("lte.sqlite3*"))
    assert token.encode() not in raw and session.encode() not in raw


async def test_a_session_ends_idle_or_old_and_a_resident_gets_no_link(
    world: tuple[Database, FixedClock, Territory],
) -> None:
    db, clock, t = world
    async with UnitOfWork(db) as uow:
        with pytest.raises(NotAllowed):
            await tableau.issue_link(uow, t.resident, clock.now())
    session = await _open(db, await link_for(db, t.noyau, clock), clock)
    assert session is not None
    for _ in range(5):  # seen every 1 h 59: stays open while used...
        clock.advance(hours=1, minutes=59)
        who = await _viewer(db, session, clock)
        assert who is not None and who.is_noyau and who.locale == "fr"
    clock.advance(hours=2, minutes=1)  # ...and closes after two idle hours
    assert await _viewer(db, session, clock) is None
    session = await _open(db, await link_for(db, t.noyau, clock), clock)
    assert session is not None
    for _ in range(7):
        clock.advance(hours=1, minutes=50)
    assert await _viewer(db, session, clock) is None  # twelve hours at most
    async with UnitOfWork(db, read_only=True) as uow:
        rows = await uow.conn.execute_fetchall("SELECT count(*) FROM web_sessions")
    assert rows[0][0] == 0


async def test_a_revoked_role_closes_the_sessions_and_the_unused_links(
    world: tuple[Database, FixedClock, Territory],
) -> None:
    db, clock, t = world
    session = await _open(db, await link_for(db, t.referent, clock), clock)
    unused = await link_for(db, t.referent, clock)
    assert session is not None and await _viewer(db, session, clock) is not None
    async with UnitOfWork(db) as uow:
        await uow.people.grant(t.referent, Role.NOYAU, clock.now())
        await people.revoke_role(uow, None, t.referent, Role.REFERENT)  # still noyau: stays open
    assert await _viewer(db, session, clock) is not None
    async with UnitOfWork(db) as uow:
        await people.revoke_role(uow, None, t.referent, Role.NOYAU)
        rows = await uow.conn.execute_fetchall(
            "SELECT (SELECT count(*) FROM web_sessions), (SELECT count(*) FROM web_links WHERE used_at IS NULL)"
        )
    assert tuple(rows[0]) == (0, 0)
    assert await _viewer(db, session, clock) is None
    assert await _open(db, unused, clock) is None


async def test_only_the_noyau_ticks_the_socle_commun(world: tuple[Database, FixedClock, Territory]) -> None:
    db, clock, t = world
    async with UnitOfWork(db) as uow:
        with pytest.raises(NotAllowed):
            await tableau.tick(uow, t.referent, "cadrage", True, clock.now())
        with pytest.raises(Invalid):
            await tableau.tick(uow, t.noyau, "<b>nope</b>", True, clock.now())
        assert await tableau.tick(uow, t.noyau, "mobilisation", True, clock.now())
        assert not await tableau.tick(uow, t.noyau, "mobilisation", True, clock.now())
    async with UnitOfWork(db, read_only=True) as uow:
        year = await tableau.year(uow, tableau.Query(clock.now(), clock.now().tzinfo))  # type: ignore[arg-type]
    assert [r["item"] for r in year["socle"].rows] == list(tableau.SOCLE)
    assert [r["done"] for r in year["socle"].rows] == [False, False, False, True, False, False]
    assert year["socle"].rows[3]["done_by"] == "Camille"
    # The milestones of the preparation year (issue 11's table) show beside the socle.
    assert year["has_milestones"] and year["milestones"].rows == []
    async with UnitOfWork(db) as uow:
        await events.add_milestone(uow, None, "Ouvrir le <b>tableau</b>", date(2027, 1, 15))
    async with UnitOfWork(db, read_only=True) as uow:
        year = await tableau.year(uow, tableau.Query(clock.now(), clock.now().tzinfo))  # type: ignore[arg-type]
    [milestone] = year["milestones"].rows
    assert milestone["title"] == "Ouvrir le <b>tableau</b>" and not milestone["done_at"]
    async with UnitOfWork(db) as uow:
        assert await tableau.tick(uow, t.noyau, "mobilisation", False, clock.now())


async def test_the_figures_are_those_of_stats(world: tuple[Database, FixedClock, Territory]) -> None:
    db, clock, _ = world
    settings = Settings(db_path=db.path)
    async with UnitOfWork(db, read_only=True) as uow:
        stats = await export.stats(uow)
        q = tableau.Query(clock.now(), settings.tz)
        figures = await tableau.figures(uow, q)
        funnel = await tableau.funnel(uow, q)
        circles = await tableau.circles(uow, q)
    assert {r["figure"]: r["value"] for r in figures["figures"].rows}["supports"] == stats["supports"] == 11
    now = {r["status"]: r["now"] for r in funnel["funnel"].rows + funnel["closed"].rows}
    assert {k: v for k, v in now.items() if v} == stats["needs_by_status"]
    assert (circles["places"], circles["taken"]) == (stats["mission_places"], stats["places_taken"])


def test_the_web_settings() -> None:
    assert load({}).web is None
    web = load({"LTE_WEB_PORT": "8080"}).web
    assert (
        web == WebSettings(8080, "127.0.0.1", "")
        and web.base_url == "http://127.0.0.1:8080"
        and not web.secure
    )
    web = load(
        {"LTE_WEB_PORT": "8080", "LTE_PUBLIC_URL": "https://tableau.example.org/", "LTE_WEB_HOST": "::1"}
    ).web
    assert web is not None and web.base_url == "https://tableau.example.org" and web.secure
    for env, name in (
        ({"LTE_WEB_PORT": "80a"}, "LTE_WEB_PORT"),
        ({"LTE_WEB_PORT": "70000"}, "LTE_WEB_PORT"),
        ({"LTE_WEB_PORT": "8080", "LTE_WEB_HOST": "a b"}, "LTE_WEB_HOST"),
        ({"LTE_PUBLIC_URL": "tableau.example.org"}, "LTE_PUBLIC_URL"),
        ({"LTE_PUBLIC_URL": "https://x.org/?t=1"}, "LTE_PUBLIC_URL"),
    ):
        with pytest.raises(ConfigError, match=f"^{name}: "):
            load(env)


async def test_the_chat_says_when_no_web_page_is_served(
    world: tuple[Database, FixedClock, Territory],
) -> None:
    db, clock, _ = world
    camille = Person(Engine(db, Settings(db_path=db.path), clock), "camille")
    await camille.command("tableau")
    assert "LTE_WEB_PORT" in camille.text and "/login/" not in camille.text
    async with UnitOfWork(db, read_only=True) as uow:
        rows = await uow.conn.execute_fetchall("SELECT count(*) FROM web_links")
    assert rows[0][0] == 0
    https = Settings(db_path=db.path, web=WebSettings(8080, public_url="https://t.example.org"))
    camille = Person(Engine(db, https, clock), "camille")
    await camille.command("dashboard")
    assert "https://t.example.org/login/" in camille.text and "15\u00a0minutes" in camille.text


async def test_headers_cookie_and_downloads(world: tuple[Database, FixedClock, Territory]) -> None:
    db, clock, t = world
    settings = Settings(db_path=db.path, web=WebSettings(0, public_url="https://t.example.org"))
    channel = WebChannel(db, settings, clock)
    await channel.start()
    base = f"http://127.0.0.1:{channel.port}"
    try:
        token = await link_for(db, t.noyau, clock)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(f"{base}/tableau/needs") as r:
                assert r.status == 401 and r.headers["Cache-Control"] == "no-store"
                assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
                assert r.headers["X-Frame-Options"] == "DENY"
            async with http.post(f"{base}/login", data={"token": token}, allow_redirects=False) as r:
                assert r.status == 303 and r.headers["Location"] == "/tableau"
                cookie = r.headers["Set-Cookie"]
            assert all(part in cookie for part in ("HttpOnly", "SameSite=Strict", "Secure", "Path=/"))
            session = cookie.split(";")[0].split("=", 1)[1]
            headers = {"Cookie": f"lte_tableau={session}"}
            async with http.get(f"{base}/tableau/data/figures/figures.json", headers=headers) as r:
                assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
                rows = json.loads(await r.text())
            async with UnitOfWork(db, read_only=True) as uow:
                stats = await export.stats(uow)
            assert {row["figure"]: row["value"] for row in rows}["needs"] == stats["needs"]
            async with http.get(f"{base}/tableau/data/themes/by_theme.csv", headers=headers) as r:
                text = await r.text()
            assert text.startswith("\ufefftheme;needs;open\n") and "alimentation;2;2" in text
            async with http.get(f"{base}/tableau/data/themes/nothing.csv", headers=headers) as r:
                assert r.status == 404
            async with http.get(f"{base}/static/tableau.css") as r:  # public: no data in it
                assert r.status == 200 and "max-age" in r.headers["Cache-Control"]
            async with http.get(f"{base}/static/fonts/inter-latin-400-normal.woff2") as r:
                assert r.status == 200 and r.headers["Content-Type"] == "font/woff2"
            async with http.post(f"{base}/logout", data={"csrf": "forged"}, headers=headers) as r:
                assert r.status == 403
            forged = {**headers, "Origin": "https://elsewhere.example"}
            async with http.post(
                f"{base}/logout", data={"csrf": tableau.csrf_token(session)}, headers=forged
            ) as r:
                assert r.status == 403  # a form of another site, right token or not
            async with http.post(
                f"{base}/logout",
                data={"csrf": tableau.csrf_token(session)},
                headers=headers,
                allow_redirects=False,
            ) as r:
                assert r.status == 303
            async with http.get(f"{base}/tableau", headers=headers) as r:
                assert r.status == 401
    finally:
        await channel.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(db_path: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LTE_")}
    return env | {"LTE_DB_PATH": db_path, **extra}


def test_lte_bot_web_needs_a_port(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bots.cli", "web"],
        cwd=ROOT,
        env=_env(str(tmp_path / "lte.sqlite3")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "LTE_WEB_PORT" in done.stderr


@pytest.mark.parametrize("command", ["run", "web"])
def test_run_and_web_serve_the_tableau_when_the_port_is_set(tmp_path: Path, command: str) -> None:
    db_path = str(tmp_path / "lte.sqlite3")
    subprocess.run(
        [sys.executable, "-m", "bots.cli", "migrate"],
        cwd=ROOT,
        env=_env(db_path),
        check=True,
        capture_output=True,
    )
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bots.cli", command],
        cwd=ROOT,
        env=_env(db_path, LTE_WEB_PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        status = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and status is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"GET /tableau HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    status = s.recv(64).split(b" ")[1]
            except OSError:
                assert proc.poll() is None, proc.communicate()
                time.sleep(0.2)
        assert status == b"401"
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


async def test_the_events_page_shows_the_events_with_their_people(
    world: tuple[Database, FixedClock, Territory],
) -> None:
    """Issue 11's events on the tableau: the page is listed, its table holds each event with the
    figures of `export events`, the title shown as text."""
    db, clock, t = world
    async with UnitOfWork(db) as uow:
        made = await events.create_event(
            uow,
            t.noyau,
            "Atelier <script>x</script>",
            clock.now() + timedelta(days=3),
            now=clock.now(),
            capacity=1,
        )
        await events.register(uow, t.residents[0], made.id, now=clock.now(), offsets=())
        await events.register(uow, t.residents[1], made.id, now=clock.now(), offsets=())
        exported = await events.export_events(uow, clock.now().tzinfo)  # type: ignore[arg-type]
    assert (exported[0]["registered"], exported[0]["waiting"]) == (1, 1)
    channel = WebChannel(db, Settings(db_path=db.path, web=WebSettings(0)), clock)
    await channel.start()
    base = f"http://127.0.0.1:{channel.port}"
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await http.post(f"{base}/login", data={"token": await link_for(db, t.noyau, clock)})
            async with http.get(f"{base}/tableau") as r:
                assert "/tableau/events" in await r.text()
            async with http.get(f"{base}/tableau/events") as r:
                html = await r.text()
            assert r.status == 200
            assert "Atelier &lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    finally:
        await channel.stop()


async def test_the_polls_page_shows_each_poll_with_its_results(
    world: tuple[Database, FixedClock, Territory],
) -> None:
    """Issue 12's polls on the tableau: a closed poll with its winner, its question shown as text."""
    db, clock, t = world
    async with UnitOfWork(db) as uow:
        poll = await polls.create_poll(
            uow,
            None,
            "Quel <b>jardin</b> ?",
            ["Tilleuls", "Gare"],
            now=clock.now(),
            closes_at=clock.now() + timedelta(days=1),
        )
        for voter in t.residents[:3]:
            await polls.cast_ballot(uow, voter, poll.id, [0], clock.now())
        await polls.close_poll(uow, None, poll.id, clock.now())
        [exported] = await polls.all_results(uow)
    assert exported["winner"] == "Tilleuls" and exported["voters"] == 3
    channel = WebChannel(db, Settings(db_path=db.path, web=WebSettings(0)), clock)
    await channel.start()
    base = f"http://127.0.0.1:{channel.port}"
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await http.post(f"{base}/login", data={"token": await link_for(db, t.noyau, clock)})
            async with http.get(f"{base}/tableau/polls") as r:
                html = await r.text()
            assert r.status == 200
            assert "Quel &lt;b&gt;jardin&lt;/b&gt; ?" in html and "Tilleuls" in html
    finally:
        await channel.stop()


async def test_the_counts_the_funnel_and_the_top_needs_read_stay_exact(
    world: tuple[Database, FixedClock, Territory],
) -> None:
    """What migration 0014's triggers keep (supports per need, how far a need got, since when it
    is in its status) equals what the history and the supports say, after supports come and go,
    a merge and an erased person."""
    from lte_core.domain import NeedStatus
    from lte_core.services import needs

    db, clock, t = world
    async with UnitOfWork(db) as uow:
        await needs.unsupport_need(uow, t.residents[1], 1)
        await needs.move_need(uow, t.noyau, 2, NeedStatus.MERGED, now=clock.now(), merge_into=1)
        await uow.conn.execute("DELETE FROM persons WHERE id = ?", (t.residents[3],))
    async with UnitOfWork(db, read_only=True) as uow:
        drift = await uow.conn.execute_fetchall(
            "SELECT id FROM needs WHERE supports_count <> (SELECT count(*) FROM supports s WHERE s.need_id = needs.id)"
            " OR status_since IS NOT (SELECT at FROM need_moves m WHERE m.need_id = needs.id ORDER BY id DESC LIMIT 1)"
        )
        stays = await uow.conn.execute_fetchall("SELECT count(*) FROM need_stays")
        moves = await uow.conn.execute_fetchall("SELECT count(*) - count(DISTINCT need_id) FROM need_moves")
        top = await tableau.highlights(uow, tableau.Query(clock.now(), Settings().tz))
        funnel = await tableau.funnel(uow, tableau.Query(clock.now(), Settings().tz))
    assert drift == [] and stays[0][0] == moves[0][0]
    counts = [r["supports"] for r in top["most_supported"].rows]
    assert counts == sorted(counts, reverse=True) and top["most_supported"].rows[0]["ref"] == "B-1"
    reached = {r["status"]: r["reached"] for r in funnel["funnel"].rows}
    assert (reached["expressed"], reached["in_study"], reached["sorted"], reached["presented"]) == (
        6,
        3,
        2,
        1,
    )
