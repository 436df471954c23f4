"""The pages of the tableau, each a list of sections: a section is a query (in
`lte_core.services.tableau`) and a template (`templates/sections/<key>.html`).

Adding a section (events and attendance, polls and their results, once their tables land) is
writing its query and its template and listing it here, with the tables it needs: a section
whose tables this database lacks is not shown, and a page with no section shown is not listed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dialogs.tr import N_
from lte_core.services import tableau
from lte_core.services.tableau import SectionQuery
from lte_core.store import UnitOfWork


@dataclass(frozen=True)
class Section:
    key: str
    title: str  # msgid
    query: SectionQuery
    requires: tuple[str, ...] = ()  # tables it reads beyond the first migrations'
    # Seconds its figures may be served again once the database changed (0: computed each
    # time); while nothing changed they are served again as they are, exact.
    cache_seconds: float = 0

    @property
    def template(self) -> str:
        return f"sections/{self.key}.html"


@dataclass(frozen=True)
class Page:
    slug: str
    title: str  # msgid
    sections: tuple[Section, ...]

    def shown(self, tables: set[str]) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if all(t in tables for t in s.requires))


async def _needs_page(uow: UnitOfWork, q: tableau.Query) -> tableau.Section:
    return await tableau.needs_table(uow, q)


CACHE = 30.0  # the heaviest sections (a pass over the history, weeks of activity)

PAGES: tuple[Page, ...] = (
    Page(
        "needs",
        N_("Needs"),
        (
            Section("figures", N_("At a glance"), tableau.figures),
            Section("funnel", N_("The chain of needs"), tableau.funnel, cache_seconds=CACHE),
            Section("themes", N_("By theme and by commune"), tableau.themes, cache_seconds=CACHE),
            Section(
                "highlights", N_("Most supported, waiting longest"), tableau.highlights, cache_seconds=CACHE
            ),
            Section("needs", N_("Every need"), _needs_page),
        ),
    ),
    Page(
        "participation",
        N_("Participation"),
        (Section("participation", N_("Who takes part"), tableau.participation, cache_seconds=CACHE),),
    ),
    Page(
        "circles",
        N_("Circles and missions"),
        (Section("circles", N_("Circles and missions"), tableau.circles),),
    ),
    Page(
        "events", N_("Events"), (Section("events", N_("Events and attendance"), tableau.events, ("events",)),)
    ),
    Page("polls", N_("Polls"), (Section("polls", N_("Polls and their results"), tableau.polls, ("polls",)),)),
    Page(
        "year",
        N_("Preparation year"),
        (Section("year", N_("Milestones and the socle commun"), tableau.year, ("socle_items",)),),
    ),
    Page("health", N_("Health"), (Section("health", N_("Messages sent"), tableau.health),)),
)


def page(slug: str) -> Page | None:
    return next((p for p in PAGES if p.slug == slug), None)


def section(key: str) -> Section | None:
    return next((s for p in PAGES for s in p.sections if s.key == key), None)


def visible_pages(tables: set[str]) -> Sequence[Page]:
    return [p for p in PAGES if p.shown(tables)]
