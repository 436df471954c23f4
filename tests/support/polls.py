"""People and presented needs written straight through the services, for the poll tests."""

from __future__ import annotations

from datetime import datetime

from lte_core.domain import NeedStatus, Role
from lte_core.services import needs, people
from lte_core.store import Database, UnitOfWork


async def resident(
    db: Database, name: str, now: datetime, *, channel: str = "terminal", noyau: bool = False
) -> int:
    """A consenting, onboarded person; their id."""
    async with UnitOfWork(db) as uow:
        who = await people.identify(uow, channel, name, now=now)
        await people.give_consent(uow, who.person.id, now)
        await people.update_profile(uow, who.person.id, first_name=name.title())
        await people.finish_onboarding(uow, who.person.id, now)
        if noyau:
            await people.grant_role(uow, None, who.person.id, Role.NOYAU, now)
        return who.person.id


async def presented(db: Database, author: int, noyau: int, texts: list[str], now: datetime) -> list[int]:
    """Needs expressed, studied, sorted and presented to the assembly."""
    ids = []
    async with UnitOfWork(db) as uow:
        for text in texts:
            need = await needs.express_need(uow, author, text, now=now, theme="alimentation")
            for status in (NeedStatus.IN_STUDY, NeedStatus.SORTED, NeedStatus.PRESENTED):
                await needs.move_need(uow, noyau, need.id, status, now=now, theme="alimentation")
            ids.append(need.id)
    return ids
