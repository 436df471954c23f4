"""Issue 14's "done when", through the real bot against the fake Bot API: a resident with needs,
supports, a circle and a mission asks /mesdonnees and receives the JSON document, then /oublier;
their needs remain without author and a byte scan of the database files finds neither their name
nor their Telegram id; three residents report a need, it leaves /besoins for others until the
noyau restores it."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from lte_core.domain import CircleKind
from lte_core.services import circles, needs

from .harness import NOYAU, Bot, Resident

pytestmark = pytest.mark.e2e

ZOE = 730061994
NAME = "Zoélandrine"
SHOWN_NAME = "Zoé Affichée-Par-Telegram"


async def onboard_fr(person: Resident, first_name: str | None = None) -> None:
    await person.say("/start")
    await person.press("Français")
    await person.press("J'accepte")
    if first_name:
        await person.say(first_name)
    else:
        await person.press("Passer")
    await person.press("Passer")
    await person.press("Terminé")


def scan(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())


async def test_my_data_then_forget_leaves_nothing_in_the_file(bot: Bot) -> None:
    zoe = Resident(bot, ZOE, lang="fr", name=SHOWN_NAME)
    other = Resident(bot, 555, lang="fr", name="Bernard")
    await onboard_fr(other, "Bernard")
    await onboard_fr(zoe, NAME)
    assert bot.app is not None
    now = bot.app.clock.now()
    async with bot.uow() as uow:
        ids = {
            r[1]: r[0]
            for r in await uow.conn.execute_fetchall("SELECT person_id, external_id FROM identities")
        }
        bancs = (await needs.express_need(uow, ids["555"], "Des bancs au parc des Tilleuls", now=now)).id
        await needs.express_need(uow, ids[str(ZOE)], "Un composteur collectif au square Pasteur", now=now)
        await needs.support_need(uow, ids[str(ZOE)], bancs, now)
        circle = await circles.create_circle(
            uow, None, CircleKind.MISSION, "Marché", "Tenir le stand", now=now
        )
        await circles.appoint_coordinator(uow, None, circle.id, ids["555"], now)
        await circles.join_circle(uow, ids[str(ZOE)], circle.id, now)
        mission, _ = await circles.create_mission(
            uow, ids["555"], circle.id, "Stand du marché", "", now + timedelta(days=3), 4, now=now
        )
        await circles.take_place(uow, ids[str(ZOE)], mission.id, now)
    await zoe.say("/mesdonnees")
    [document] = [m for m in zoe.messages if m.kind == "document"]
    assert document.file is not None and document.file.data is not None
    assert (document.file.filename or "").startswith("mesdonnees-") and document.file.filename.endswith(
        ".json"
    )
    data = json.loads(document.file.data)
    assert data["profile"]["first_name"] == NAME
    assert data["identities"][0] == {**data["identities"][0], "channel": "telegram", "id": str(ZOE)}
    assert [n["text"] for n in data["needs"]] == ["Un composteur collectif au square Pasteur"]
    assert data["supports"][0]["need"] == f"B-{bancs}"
    assert data["circles"][0]["circle"] == "Marché" and data["missions"][0]["mission"] == "Stand du marché"
    assert "Ce que nous gardons de vous" in zoe.last
    await zoe.say("/oublier")
    assert "Ce qui reste" in zoe.last
    await zoe.press("Tout effacer")
    assert "effacé" in zoe.last
    before_close = scan(bot.db_path)
    rows = await bot.rows("SELECT author_id, text FROM needs ORDER BY id")
    assert (None, "Un composteur collectif au square Pasteur") in rows
    await bot.close()
    for data_bytes in (before_close, scan(bot.db_path)):
        for secret in (NAME, str(ZOE), SHOWN_NAME, "Zoé"):
            assert secret.encode() not in data_bytes, f"{secret!r} still in the database files"
        assert b"Un composteur collectif" in data_bytes
    await bot.open()


async def test_three_reports_hide_a_need_until_the_noyau_restores_it(bot: Bot) -> None:
    author = Resident(bot, 201, lang="fr", name="Vendeur")
    reporters = [Resident(bot, 202 + i, lang="fr", name=f"R{i}") for i in range(3)]
    reader = Resident(bot, 210, lang="fr", name="Lectrice")
    noyau = Resident(bot, NOYAU, lang="fr", name="Camille")
    for person in (author, *reporters, reader, noyau):
        await onboard_fr(person)
    assert bot.app is not None
    async with bot.uow() as uow:
        pid = (await uow.conn.execute_fetchall("SELECT person_id FROM identities WHERE external_id = '201'"))[
            0
        ][0]
        need = (
            await needs.express_need(
                uow, pid, "Achetez mes montres en or à prix cassés", now=bot.app.clock.now()
            )
        ).id
    for person in reporters:
        await person.say(f"/besoins B-{need}")
        await person.press("Signaler")
        await person.press("Spam ou publicité")
        assert "Merci pour votre signalement" in person.last
    await reader.say("/besoins")
    assert "montres" not in reader.last
    # The noyau's alert and the author's notice go through the outbox.
    await bot.tg.wait_for(lambda c: "masqué après 3" in json.dumps(c.params, ensure_ascii=False))
    await bot.tg.wait_for(lambda c: "Des habitants ont signalé" in json.dumps(c.params, ensure_ascii=False))
    assert any(f"B-{need}" in m.text and "masqué après 3 signalements" in m.text for m in noyau.messages)
    assert any("Des habitants ont signalé votre besoin" in m.text for m in author.messages)
    assert not any(r.name in m.text for r in reporters for m in author.messages + noyau.messages)
    await noyau.press("L’examiner")
    await noyau.press("Le rétablir")
    assert "de nouveau visible" in noyau.messages[-2].text or "de nouveau visible" in noyau.last
    await reader.say("/besoins")
    assert "montres" in reader.last
