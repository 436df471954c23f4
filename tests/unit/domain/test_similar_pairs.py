"""Which needs are offered as alike: the pairs that must and must not match, both ways, at
SIMILARITY_THRESHOLD. Change the threshold or the stemming, and these say what it costs."""

from __future__ import annotations

import pytest

from lte_core.domain import SIMILARITY_THRESHOLD, alike, similarity, stems

MUST_MATCH = [
    ("Des bacs à compost pour le quartier", "Un composteur collectif près de l'école des Tilleuls"),
    ("Composteurs collectifs", "Un composteur dans la rue"),
    ("Un jardin partagé dans le quartier", "JARDIN PARTAGE"),
    ("Réparer les vélos", "vélos à réparer"),
    ("Un vélo", "Réparer les vélos"),
    ("Plus de bancs au parc", "Des bancs pour se reposer"),
    ("Une aire de jeux pour les enfants", "Des jeux pour enfants au parc"),
    ("Un marché de producteurs locaux", "Un marché bio le samedi"),
    ("Des arbres fruitiers", "Planter un arbre fruitier"),
    ("A bike repair workshop", "Repairing bikes together"),
    ("A shared garden for the street", "Gardens shared by neighbours"),
    ("Une navette pour les courses", "La navette du samedi pour faire les courses"),
]

MUST_NOT_MATCH = [
    # The case: only the place words were shared.
    (
        "Une piste cyclable sécurisée entre Voiron et Coublevie",
        "Un composteur collectif près de l'école des Tilleuls",
    ),
    ("Un banc devant l'école", "Une cantine bio à l'école"),
    ("Des jeux dans le quartier", "Un composteur pour le quartier"),
    ("Il faudrait un jardin à Voiron", "Il faudrait une piste cyclable à Voiron"),  # stop words and a name
    ("Créer un jardin partagé", "Créer une piste cyclable"),
    ("Une ludothèque", "Une bibliothèque de rue"),
    ("Un cours de yoga", "Un atelier de réparation de vélos"),
    ("A bench near the school", "A garden near the school"),
    ("Une fontaine sur la place", "Un marché sur la place"),
    ("Un abri vélo à la gare", "Des horaires de bus à la gare"),
    ("Éclairer le trottoir la nuit", "Des composteurs collectifs"),
    ("Le parc des Tilleuls", "L'école des Tilleuls"),
]


@pytest.mark.parametrize(("a", "b"), MUST_MATCH)
def test_these_needs_are_alike_both_ways(a: str, b: str) -> None:
    assert alike(stems(a), stems(b)), (similarity(stems(a), stems(b)), stems(a), stems(b))
    assert alike(stems(b), stems(a))


@pytest.mark.parametrize(("a", "b"), MUST_NOT_MATCH)
def test_these_needs_are_not_alike_either_way(a: str, b: str) -> None:
    assert not alike(stems(a), stems(b)), (similarity(stems(a), stems(b)), stems(a), stems(b))
    assert not alike(stems(b), stems(a))


def test_the_threshold_is_between_the_two_sets() -> None:
    lowest = min(similarity(stems(a), stems(b)) for a, b in MUST_MATCH)
    highest = max(similarity(stems(a), stems(b)) for a, b in MUST_NOT_MATCH)
    assert highest < SIMILARITY_THRESHOLD <= lowest + 1e-9


def test_the_words_of_the_needs_own_place_do_not_count() -> None:
    assert stems("Un composteur à Voiron", "Voiron") == stems("Un composteur")
    assert "voiron" in stems("voiron composteur")  # typed as a word of the need, it is one
    assert stems("Un jardin rue des Lilas") == stems("Un jardin")  # a place word, then a name
    assert stems("Pour, avec, dans, sans : tout !") == frozenset()
