"""« Signaler » where people see an offer, and the noyau's way from an alert to its review."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from dialogs.choices import ModerationAction, ReportAction, unpack
from dialogs.contract import Reply, to_plain
from dialogs.notifications import render
from dialogs.tr import Tr
from lte_core.notices import AssetMatches, ItemHidden, YourItemHidden


def options(notice: object) -> list[str]:
    [reply] = render(Tr("fr", ZoneInfo("Europe/Paris")), notice)  # type: ignore[arg-type]
    assert isinstance(reply, Reply)
    return [o.token for o in reply.options]


def test_an_offer_seen_in_a_notice_can_be_reported() -> None:
    tokens = options(
        AssetMatches(need_id=3, ref="B-3", asset_id=8, asset_kind="tool", description="Une remorque")
    )
    assert ReportAction.of("asset", 8).pack() in tokens
    assert unpack("g.rpa.8") == ReportAction("asset", 8)


def test_the_alert_opens_the_review_and_never_names_a_reporter() -> None:
    tokens = options(ItemHidden(item_kind="need", item_id=12, ref="B-12", reports=3, excerpt="Achetez"))
    assert tokens[0] == ModerationAction.of("need", 12).pack() == "g.mdn.12"
    [reply] = render(
        Tr("fr", ZoneInfo("Europe/Paris")), YourItemHidden(item_kind="asset", item_id=2, ref="A-2")
    )
    assert isinstance(reply, Reply) and "votre offre A-2" in to_plain(reply.text)
