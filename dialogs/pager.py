"""Pages of a long list at one step: « Previous » / « Next », « page n of m », the page kept in the
flow's data. Four flows page (needs, my needs, circles, missions, the sorting queue); they all do
it through this.

    PAGER = Pager(size=5)
    page = await PAGER.load(ctx, lambda offset, limit: needs.browse_needs(uow, limit=limit, offset=offset))
    options += PAGER.options(ctx.tr, page)
    ...
    if PAGER.turn(ctx, event.value):   # in the step: "prev" / "next" pressed
        return await self.show(ctx)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from markupsafe import Markup

from .context import Ctx
from .tr import Tr

T = TypeVar("T")

PREV = "prev"
NEXT = "next"


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    index: int  # 0-based
    total: int

    size: int = 5

    @property
    def pages(self) -> int:
        return max(1, (self.total + self.size - 1) // self.size)

    @property
    def has_prev(self) -> bool:
        return self.index > 0

    @property
    def has_next(self) -> bool:
        return (self.index + 1) * self.size < self.total


Fetch = Callable[[int, int], Awaitable[tuple[Sequence[T], int]]]
# Keyset: (the key of the last item of the previous page, or None for the first page, limit).
FetchAfter = Callable[[int | None, int], Awaitable[tuple[Sequence[T], int]]]


class Pager:
    """One paged list per flow step; the page index lives in `ctx.data[key]`."""

    def __init__(self, size: int, key: str = "page") -> None:
        self.size = size
        self.key = key

    def index(self, ctx: Ctx) -> int:
        raw = ctx.data.get(self.key, 0)
        return max(0, int(raw)) if isinstance(raw, int) else 0

    def reset(self, ctx: Ctx) -> None:
        ctx.data[self.key] = 0
        ctx.data.pop(self.key + "_at", None)

    async def load_after(self, ctx: Ctx, fetch: FetchAfter[T], key: Callable[[T], int]) -> Page[T]:
        """The current page of a list read by keyset (no OFFSET: page 500 costs what page 1
        costs). The key of each shown page's last item is kept, so « Previous » goes back exactly;
        when the list changed under a page (needs closed meanwhile), the first page comes back."""
        raw = ctx.data.get(self.key + "_at", [])
        marks = [m for m in raw if isinstance(m, int)] if isinstance(raw, list) else []
        index = min(self.index(ctx), len(marks))
        items, total = await fetch(marks[index - 1] if index else None, self.size)
        if not items and index:
            index, marks = 0, []
            items, total = await fetch(None, self.size)
        marks = marks[:index] + ([key(items[-1])] if items else [])
        ctx.data[self.key], ctx.data[self.key + "_at"] = index, marks
        return Page(list(items), index, total, self.size)

    async def load(self, ctx: Ctx, fetch: Fetch[T]) -> Page[T]:
        """The current page; when things closed since the last page, the last page there is."""
        index = self.index(ctx)
        items, total = await fetch(index * self.size, self.size)
        if not items and index and total:
            index = (total - 1) // self.size
            items, total = await fetch(index * self.size, self.size)
        ctx.data[self.key] = index
        return Page(list(items), index, total, self.size)

    def slice(self, ctx: Ctx, everything: Sequence[T]) -> Page[T]:
        """The current page of a list already in hand."""
        total = len(everything)
        index = min(self.index(ctx), max(0, (total - 1) // self.size))
        ctx.data[self.key] = index
        return Page(list(everything[index * self.size : (index + 1) * self.size]), index, total, self.size)

    def options(self, tr: Tr, page: Page[T]) -> list[tuple[str, str]]:
        """« Next » before « Previous »: on every full page « Next » keeps its number, so a typed
        « 6 » never turns into « Previous » on page 2."""
        out = []
        if page.has_next:
            out.append((NEXT, tr.plain("Next")))
        if page.has_prev:
            out.append((PREV, tr.plain("Previous")))
        return out

    def heading(self, tr: Tr, page: Page[T]) -> Markup | None:
        """« Page 2 of 5 », or None when everything fits on one page."""
        if page.pages <= 1:
            return None
        return tr._("Page {page} of {pages}", page=page.index + 1, pages=page.pages)

    def turn(self, ctx: Ctx, value: str) -> bool:
        """Handle « Previous » / « Next »: True when `value` was one of them (the page moved)."""
        if value not in (PREV, NEXT):
            return False
        ctx.data[self.key] = max(0, self.index(ctx) + (1 if value == NEXT else -1))
        return True
