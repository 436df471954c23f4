"""What the tableau's tables and figures are called, in the catalogs (msgids), and how a cell is
shown: a status or a theme by its label, a time in the territory's zone, a number the person's way."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

from dialogs.tr import N_, Tr
from lte_core.domain import CircleKind, NeedStatus, Theme

COLUMNS: dict[str, str] = {
    "figure": N_("figure"),
    "value": N_("value"),
    "status": N_("status"),
    "outbox_status": N_("status"),
    "reached": N_("reached this step"),
    "now": N_("there now"),
    "median_days": N_("median days there (those who left)"),
    "median_waiting_days": N_("median days waiting (those still there)"),
    "theme": N_("theme"),
    "needs": N_("needs"),
    "open": N_("open"),
    "place": N_("commune"),
    "ref": N_("reference"),
    "text": N_("need"),
    "supports": N_("supports"),
    "updated_at": N_("last change"),
    "days": N_("days waiting"),
    "created_at": N_("expressed on"),
    "history": N_("history"),
    "channel": N_("channel"),
    "people": N_("people"),
    "identities": N_("accounts"),
    "unreachable": N_("unreachable"),
    "week": N_("week of"),
    "new_people": N_("new people"),
    "active_people": N_("active people"),
    "id": N_("number"),
    "name": N_("name"),
    "kind": N_("kind"),
    "need": N_("need"),
    "members": N_("members"),
    "coordinators": N_("coordinators"),
    "title": N_("title"),
    "circle": N_("circle"),
    "starts_at": N_("date"),
    "places": N_("places"),
    "taken": N_("places taken"),
    "state": N_("state"),
    "due_on": N_("due on"),
    "done_at": N_("done on"),
    "done_by": N_("done by"),
    "item": N_("item"),
    "done": N_("done"),
    "pending": N_("pending"),
    "sending": N_("being sent"),
    "sent": N_("sent"),
    "failed": N_("failed"),
    "attempts": N_("attempts"),
    "at": N_("when"),
    "error": N_("error"),
    "capacity": N_("capacity"),
    "registered": N_("registered"),
    "waiting": N_("waiting list"),
    "attended": N_("attended"),
    "programme": N_("programme"),
    "question": N_("question"),
    "method": N_("method"),
    "poll_state": N_("state"),
    "eligible": N_("eligible"),
    "voters": N_("voters"),
    "quorum_met": N_("quorum met"),
    "winner": N_("winner"),
    "poll": N_("poll"),
    "label": N_("option"),
    "votes": N_("votes"),
    "median": N_("median grade"),
}

FIGURES: dict[str, str] = {
    "needs": N_("needs"),
    "supports": N_("supports"),
    "people": N_("people"),
    "people_consented": N_("people who consented"),
    "circles": N_("circles"),
    "memberships": N_("memberships"),
    "missions": N_("missions"),
    "mission_places": N_("mission places"),
    "places_taken": N_("places taken"),
    "assets": N_("assets offered"),
}

SOCLE: dict[str, str] = {
    "cadrage": N_("A clear framing with the collectivité"),
    "noyau": N_("A joint preparation noyau formed"),
    "lecture": N_("A first active reading of the territory"),
    "mobilisation": N_("Progressive mobilisation"),
    "methode": N_("A growing understanding of the method"),
    "bascule": N_("Support, materials, roles and the conditions for the switch prepared"),
}

MISSION_STATES: dict[str, str] = {
    "open": N_("open"),
    "full": N_("full"),
    "past": N_("past"),
    "cancelled": N_("cancelled"),
}

EVENT_KINDS: dict[str, str] = {
    "meeting": N_("meeting"),
    "screening": N_("screening"),
    "discussion": N_("discussion group"),
    "workshop": N_("workshop"),
    "training": N_("training"),
    "conference": N_("conference"),
    "simulation": N_("simulation"),
    "other": N_("other"),
}

POLL_STATES: dict[str, str] = {
    "scheduled": N_("scheduled"),
    "open": N_("open"),
    "closed": N_("closed"),
}

POLL_METHODS: dict[str, str] = {
    "single": N_("single choice"),
    "approval": N_("approval"),
    "judgment": N_("majority judgment"),
}

CIRCLE_KINDS: dict[str, str] = {
    CircleKind.MISSION.value: N_("mission circle"),
    CircleKind.WORK.value: N_("work circle"),
    CircleKind.ACTIVITIES.value: N_("activities circle"),
    CircleKind.THEMATIC.value: N_("thematic circle"),
    CircleKind.PROJECT.value: N_("project circle"),
}
KINDS = CIRCLE_KINDS | EVENT_KINDS

NUMERIC = {
    "capacity",
    "registered",
    "attended",
    "eligible",
    "voters",
    "votes",
    "reached",
    "now",
    "needs",
    "open",
    "supports",
    "people",
    "identities",
    "unreachable",
    "new_people",
    "active_people",
    "members",
    "places",
    "taken",
    "pending",
    "sending",
    "sent",
    "failed",
    "attempts",
    "value",
}


class Cells:
    """How the cells of the tables read for one viewer."""

    def __init__(self, tr: Tr, themes: list[Theme]) -> None:
        self.tr = tr
        self.themes = themes

    def column(self, key: str) -> str:
        return self.tr.plain(COLUMNS.get(key, key))

    def status(self, code: str | None) -> str:
        try:
            return self.tr.status(NeedStatus(code or ""))
        except ValueError:
            return code or ""

    def theme(self, code: str | None) -> str:
        return self.tr.theme(code, self.themes)

    def number(self, value: float | None) -> str:
        return "–" if value is None else self.tr.fmt.number(value)

    def when(self, iso: str | None) -> str:
        return "" if not iso else self.moment(datetime.fromisoformat(iso))

    def moment(self, value: datetime) -> str:
        """« 25 nov. 2026 à 10 h » / "25 Nov 2026, 10:00": short, in the territory's zone."""
        day = self.tr.fmt.day(value, "d MMM y")
        sep = " à " if self.tr.locale == "fr" else ", "
        return day + sep + self.tr.fmt.time(value)

    def day(self, iso: str | None, fmt: str = "medium") -> str:
        if not iso:
            return ""
        noon = datetime.fromisoformat(iso[:10]).replace(hour=12, tzinfo=self.tr.fmt.tz)
        return self.tr.fmt.day(noon, fmt)

    def week_labels(self, rows: list[dict[str, Any]]) -> list[str]:
        return [self.day(r["week"], "d MMM") for r in rows]

    def cell(self, key: str, value: Any, row: dict[str, Any]) -> Markup:
        """One cell, escaped; the history of a need is a list that unfolds (no script)."""
        if key == "status":
            return escape(self.status(value))
        if key == "theme":
            return escape(self.theme(value))
        if key == "figure":
            return escape(self.tr.plain(FIGURES.get(str(value), str(value))))
        if key == "item":
            return escape(self.tr.plain(SOCLE.get(str(value), str(value))))
        if key == "state":
            return escape(self.tr.plain(MISSION_STATES.get(str(value), str(value))))
        if key == "kind":
            return escape(self.tr.plain(KINDS.get(str(value), str(value))))
        if key == "outbox_status":
            return escape(self.tr.plain(COLUMNS.get(str(value), str(value))))
        if key == "poll_state":
            return escape(self.tr.plain(POLL_STATES.get(str(value), str(value))))
        if key == "method":
            return escape(self.tr.plain(POLL_METHODS.get(str(value), str(value))))
        if key == "quorum_met":
            return escape(self.tr.plain("yes") if value else self.tr.plain("not yet"))
        if key == "coordinators" and isinstance(value, list):
            return escape(self.number(len(value)))
        if key == "done":
            return escape(self.tr.plain("yes") if value else self.tr.plain("not yet"))
        if key == "week" or key == "due_on":
            return escape(self.day(value))
        if key.endswith("_at") or key == "at":
            return escape(self.when(value))
        if key in ("median_days", "median_waiting_days", "days"):
            return escape(self.number(value))
        if key == "history":
            return self.history(value or [])
        if key in NUMERIC and isinstance(value, int | float):
            return escape(self.number(value))
        return escape("" if value is None else str(value))

    def label(self, key: str, value: Any) -> str:
        """A value as a chart's label (plain text: the chart escapes it)."""
        if key == "status":
            return self.status(value)
        if key == "theme":
            return self.theme(value)
        if key == "kind":
            return self.tr.plain(KINDS.get(str(value), str(value)))
        if key == "week":
            return self.day(value)
        return "" if value is None else str(value)

    def items(
        self, rows: list[dict[str, Any]], label_key: str, value_key: str, limit: int | None = None
    ) -> list[tuple[str, float, str]]:
        """(label, value, value as shown) for a chart, from a table's rows."""
        chosen = rows if limit is None else rows[:limit]
        return [
            (self.label(label_key, r[label_key]), float(r[value_key] or 0), self.number(r[value_key] or 0))
            for r in chosen
        ]

    def series(self, rows: list[dict[str, Any]], key: str) -> list[float]:
        return [float(r[key] or 0) for r in rows]

    def history(self, moves: list[dict[str, Any]]) -> Markup:
        if not moves:
            return Markup("")
        items = []
        for m in moves:
            step = (
                f"{self.status(m['from'])} → {self.status(m['to'])}"
                if m.get("from")
                else self.status(m["to"])
            )
            note = f" — {m['note']}" if m.get("note") else ""
            items.append(Markup("<li><time>{}</time> {}{}</li>").format(self.when(m["at"]), step, note))
        summary = self.tr.ngettext("{n} step", "{n} steps", len(moves))
        return Markup("<details><summary>{}</summary><ol>{}</ol></details>").format(
            summary, Markup("").join(items)
        )
