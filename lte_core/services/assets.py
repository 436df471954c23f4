"""Assets (actifs): what people offer, matched against the open needs."""

from __future__ import annotations

from datetime import datetime

from ..domain import Asset, AssetKind, Invalid, Match, clean_text, match_needs
from ..domain.model import DESCRIPTION_MAX, PLACE_MAX
from ..notices import AssetMatches
from ..store import UnitOfWork
from ._common import consenting, notify
from .needs import OPEN_STATUSES


async def offer_asset(
    uow: UnitOfWork,
    person_id: int,
    kind: AssetKind,
    description: str,
    themes: list[str],
    *,
    now: datetime,
    availability: str | None = None,
) -> tuple[Asset, list[Match]]:
    """Offer an asset; the needs it matches are returned and their authors and carriers told."""
    await consenting(uow, person_id)
    description = clean_text(description, field_name="asset", max_len=DESCRIPTION_MAX, min_len=3)
    if availability is not None:
        availability = clean_text(availability, field_name="availability", max_len=PLACE_MAX)
    known = {t.code for t in await uow.themes.all()}
    for code in themes:
        if code not in known:
            raise Invalid("unknown_theme", theme=code)
    asset = await uow.assets.add(
        Asset(0, person_id, kind, description, list(dict.fromkeys(themes)), now, availability)
    )
    matches = await matching_needs(uow, asset)
    for m in matches:
        await notify(
            uow,
            [m.need.author_id, m.need.carrier_id],
            AssetMatches(
                need_id=m.need.id,
                ref=m.need.ref,
                asset_id=asset.id,
                asset_kind=kind.value,
                description=description[:200],
            ),
            key=f"asset:{asset.id}:need:{m.need.id}",
            now=now,
            exclude=[person_id],
        )
    return asset, matches


async def matching_needs(uow: UnitOfWork, asset: Asset, *, limit: int = 5) -> list[Match]:
    candidates = await uow.needs.query(statuses=OPEN_STATUSES, limit=5000)
    return match_needs(asset, candidates, limit=limit)


async def my_assets(uow: UnitOfWork, person_id: int) -> list[Asset]:
    return await uow.assets.all(owner_id=person_id)
