"""Matching an asset against needs, by theme and by shared words (accents and case folded); needs
against needs, by the stems of what they say."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

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


# Similar needs -------------------------------------------------------------------------------

# Two needs are offered as alike when the cosine of their stem sets (shared stems over the
# geometric mean of their counts) reaches this: « Des bacs à compost pour le quartier » and « Un
# composteur collectif près de l'école » share one stem of two and of three (0.41). The pairs that
# must and must not match are in tests/unit/test_similar_pairs.py.
SIMILARITY_THRESHOLD = 0.4

# Words that name where, not what: they never make two needs alike (nor do the proper names, the
# words of the need's own place, and the stop words).
PLACE_WORDS = frozenset(
    """
    quartier quartiers rue rues avenue boulevard allee impasse place centre ville village bourg
    hameau commune communes secteur zone coin gare ecole ecoles college lycee mairie pres entre
    devant derriere autour proche face cote street road town city village area near school
    """.split()
)

# Short words (under four letters) are left out anyway; these are the longer ones.
_MORE_STOPWORDS = frozenset(
    """
    alors apres avant bien encore entre faut fois gens depuis jamais merci parce pendant
    pourquoi seulement souvent toujours vraiment beaucoup peu plusieurs autre autres meme
    ainsi cela ceci celles ici voila nouveau nouvelle nouveaux nouvelles faudrait falloir
    voudrions souhaite souhaiterais souhaitons aimerait pourrions mettre creer installer
    organiser proposer lancer ajouter amenager developper avoir
    also just like more much only other please really should very want wish into onto
    """.split()
)

_FR = snowballstemmer.stemmer("french")
_EN = snowballstemmer.stemmer("english")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)


@lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    """One word's stem (kept: the pure-Python stemmers take a tenth of a millisecond a word, and
    a territory's needs use the same words again and again), folded: the shorter of the French and the English one (needs come in
    both), after the plural's s, which the French stemmer keeps after a vowel (« vélos »); and
    the agent's -eur (« composteur » is about compost)."""
    if len(word) > 4 and word[-1] in "sx" and word[-2] not in "su":
        word = word[:-1]
    fr, en = _FR.stemWord(word), _EN.stemWord(word)
    stem = fold(fr if len(fr) <= len(en) else en)
    if len(stem) >= 7 and stem.endswith("eur"):
        stem = stem[:-3]
    return stem


def stems(text: str, place: str | None = None) -> frozenset[str]:
    """The stems of what a need says: stop words, place words, proper names (a capital inside a
    sentence: « Voiron », « les Tilleuls ») and the words of its own place left out."""
    own_place = {fold(w) for w in _WORD.findall(place or "")}
    found: set[str] = set()
    start = True  # a sentence's first word is capitalised, not a name
    for m in _WORD.finditer(text):
        raw = m.group()
        if "'" in raw or "’" in raw:
            raw = re.split(r"['’]", raw, maxsplit=1)[1]  # « l'école » → « école »
        word = fold(raw)
        is_name = raw[:1].isupper() and not start and not raw.isupper()
        following = text[m.end() : m.end() + 2].lstrip()
        start = following[:1] in (".", "!", "?", "\n")
        if (
            is_name
            or len(word) < 4
            or word in STOPWORDS
            or word in _MORE_STOPWORDS
            or word in PLACE_WORDS
            or word in own_place
            or word.isdigit()
        ):
            continue
        found.add(_stem(raw.casefold()))
    return frozenset(s for s in found if len(s) >= 3)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """How alike two stem sets are: shared stems over the geometric mean of their sizes."""
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


def alike(a: frozenset[str], b: frozenset[str]) -> bool:
    return similarity(a, b) >= SIMILARITY_THRESHOLD - 1e-9
