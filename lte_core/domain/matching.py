"""Matching an asset against needs, by theme and by shared words (accents and case folded)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .model import Asset, Need

# Words that say nothing about what is needed; French first, the users' language.
STOPWORDS = frozenset(
    """
    avec dans pour sans sous chez nous vous elle elles leur leurs mais donc plus moins tres
    aussi comme cette celui celle ceux quand quoi dont etre avoir fait faire besoin besoins
    veux voudrais aimerais serait pourrait peut manque quelque quelques chose choses tout tous
    toute toutes notre votre this that with from have need needs would could some there their
    about what when where which will
    """.split()
)


def fold(text: str) -> str:
    """Lower-case and strip accents: « Jardin partagé » → « jardin partage »."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def keywords(text: str) -> frozenset[str]:
    """Significant words of a text: folded, four letters or more, no stop words."""
    words = re.findall(r"[a-z0-9]+", fold(text))
    return frozenset(w for w in words if len(w) >= 4 and w not in STOPWORDS)


@dataclass(frozen=True)
class Match:
    need: Need
    score: int
    shared_words: frozenset[str]
    same_theme: bool


def match_needs(asset: Asset, needs: Iterable[Need], *, limit: int = 10) -> list[Match]:
    """Open needs an asset could serve, best first: a shared theme counts 3, each shared word 1."""
    asset_words = keywords(asset.description)
    found: list[Match] = []
    for need in needs:
        if not need.status.is_open:
            continue
        shared = asset_words & keywords(need.text)
        same_theme = need.theme is not None and need.theme in asset.themes
        score = 3 * same_theme + len(shared)
        if score:
            found.append(Match(need, score, shared, same_theme))
    found.sort(key=lambda m: (-m.score, -m.need.supports, m.need.id))
    return found[:limit]
