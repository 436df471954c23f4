"""People: who is talking, their profile and consent, and the territory-wide roles."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..domain import Identity, Invalid, NotFound, Person, Role, Theme, clean_text
from ..domain.model import NAME_MAX, PLACE_MAX
from ..store import UnitOfWork
from ._common import person_of, require_noyau

SUPPORTED_LOCALES = ("fr", "en")
SEEN_PRECISION = timedelta(minutes=1)


def pick_locale(hint: str | None, default: str) -> str:
    """A supported language from a channel's hint (`en-GB` → `en`), else the territory's default."""
    if hint:
        base = hint.replace("_", "-").split("-")[0].lower()
        if base in SUPPORTED_LOCALES:
            return base
    return default


@dataclass
class Who:
    person: Person
    identity: Identity
    new: bool


async def identify(
    uow: UnitOfWork,
    channel: str,
    external_id: str,
    *,
    now: datetime,
    locale_hint: str | None = None,
    default_locale: str = "fr",
    display_name: str | None = None,
    admins: Collection[str] = (),
) -> Who:
    """The person behind a channel identity, created on first contact; `admins` hold the noyau role.
    `display_name`, the name the channel shows, is never stored (DESIGN §8: nothing beyond the
    channel's id before the consent, and after it the first name the person gives). A person the
    noyau blocked is returned as found, and nothing is written.

    An ordinary message costs one read (identity, person and roles together) and no write: last
    seen is kept to the minute, and the noyau role of an admin is granted once."""
    found = await uow.people.whois(channel, external_id)
    if found is None:
        # Nothing beyond the channel's id before the consent (DESIGN §8): the channel's display
        # name is not kept, ever (the first name is asked, once the person agreed).
        person, ident = await uow.people.add(
            channel,
            external_id,
            locale=pick_locale(locale_hint, default_locale),
            now=now,
        )
        if f"{channel}:{external_id}" in admins:
            await uow.people.grant(ident.person_id, Role.NOYAU, now, by="LTE_ADMINS")
        return Who(await person_of(uow, ident.person_id), ident, True)
    ident, person = found
    if person.blocked:  # blocked by the noyau: nothing of their message is kept, not even when
        return Who(person, ident, False)
    if ident.unreachable or ident.last_seen_at is None or now - ident.last_seen_at > SEEN_PRECISION:
        # "Last seen" to the minute is enough; not writing it on every message spares the writer.
        await uow.people.touch(ident, now)
    if Role.NOYAU not in person.roles and f"{channel}:{external_id}" in admins:
        await uow.people.grant(ident.person_id, Role.NOYAU, now, by="LTE_ADMINS")
        person.roles = person.roles | {Role.NOYAU}
    return Who(person, ident, False)


async def update_profile(
    uow: UnitOfWork,
    person_id: int,
    *,
    first_name: str | None = None,
    place: str | None = None,
    locale: str | None = None,
    interests: list[str] | None = None,
    clear_place: bool = False,
) -> Person:
    person = await person_of(uow, person_id)
    if first_name is not None:
        person.first_name = clean_text(first_name, field_name="first_name", max_len=NAME_MAX)
    if place is not None:
        person.place = clean_text(place, field_name="place", max_len=PLACE_MAX)
    if clear_place:
        person.place = None
    if locale is not None:
        if locale not in SUPPORTED_LOCALES:
            raise Invalid("unknown_locale", locale=locale)
        person.locale = locale
    if interests is not None:
        known = {t.code for t in await uow.themes.all()}
        unknown = [code for code in interests if code not in known]
        if unknown:
            raise Invalid("unknown_theme", theme=unknown[0])
        person.interests = list(dict.fromkeys(interests))
    await uow.people.save(person)
    return person


async def give_consent(uow: UnitOfWork, person_id: int, now: datetime) -> Person:
    person = await person_of(uow, person_id)
    if person.consented_at is None:
        person.consented_at = now
        await uow.people.save(person)
    return person


async def finish_onboarding(uow: UnitOfWork, person_id: int, now: datetime) -> Person:
    """The person went through the onboarding's questions (answered or skipped)."""
    person = await person_of(uow, person_id)
    if person.onboarded_at is None:
        person.onboarded_at = now
        await uow.people.save(person)
    return person


async def grant_role(uow: UnitOfWork, by: int | None, person_id: int, role: Role, now: datetime) -> bool:
    """Grant a role; `by` None is the operator at the command line, else a noyau member."""
    if by is not None:
        await require_noyau(uow, by, "grant_role")
    if role is Role.RESIDENT:
        raise Invalid("role_implicit", role=role.value)
    await person_of(uow, person_id)
    return await uow.people.grant(person_id, role, now, by=str(by) if by else "cli")


async def revoke_role(uow: UnitOfWork, by: int | None, person_id: int, role: Role) -> bool:
    if by is not None:
        await require_noyau(uow, by, "revoke_role")
    if not await uow.people.revoke(person_id, role):
        raise NotFound("role", role.value)
    return True


async def themes(uow: UnitOfWork) -> list[Theme]:
    return await uow.themes.all()


async def ensure_default_themes(uow: UnitOfWork, defaults: tuple[Theme, ...]) -> None:
    """A new territory starts with the brochure's axes; an existing list is left alone."""
    if await uow.themes.is_empty():
        for theme in defaults:
            await uow.themes.upsert(theme)


async def add_theme(uow: UnitOfWork, by: int | None, theme: Theme) -> None:
    if by is not None:
        await require_noyau(uow, by, "add_theme")
    code = theme.code.strip().lower()
    if not code or not code.replace("_", "").isalnum() or len(code) > 32:
        raise Invalid("bad_theme_code", code=theme.code)
    existing = await uow.themes.all(active_only=False)
    position = theme.position or (max((t.position for t in existing), default=0) + 1)
    await uow.themes.upsert(Theme(code, theme.label_fr.strip(), theme.label_en.strip(), position, True))
