"""The whole story of the bot in the terminal channel, as people type it (scripts/demo.sh):
onboarding, a need and its reference, a duplicate offered for support instead, a circle, a mission
and who takes it, the noyau sorting and presenting, the author hearing of it; French and English."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = {
    "fr": [
        "Merci\u202f! Votre besoin est enregistré sous la référence B-1.",
        "1. Soutenir plutôt B-1",
        "Merci\u00a0: vous soutenez désormais B-1.",
        "Bienvenue dans le cercle Jardins",
        "Elle a été envoyée à 1 membre du cercle.",
        "📬 Nouvelle mission dans le cercle Jardins",
        "Vous avez une place dans cette mission.",
        "📬 Bob a pris une place",
        "• Bob",
        "C'est fait\u00a0: B-1 est maintenant «\u00a0présenté à l'assemblée\u00a0». 2 personnes ont été prévenues.",
        "📬 Des nouvelles du besoin B-1\u00a0: il est maintenant «\u00a0à l'étude\u00a0».",
        "📬 Des nouvelles du besoin B-1\u00a0: il est maintenant «\u00a0présenté à l'assemblée\u00a0».",
    ],
    "en": [
        "Thank you! Your need is recorded as B-1.",
        "1. Support B-1 instead",
        "Thank you: you now support B-1.",
        "Welcome to the circle Jardins",
        "It was sent to 1 member of the circle.",
        "📬 New mission in the circle Jardins",
        "You have a place on this mission.",
        "📬 Bob took a place",
        "• Bob",
        "Done: B-1 is now “presented to the assembly”. 2 people were told.",
        "📬 News of need B-1: it is now “being studied”.",
        "📬 News of need B-1: it is now “presented to the assembly”.",
    ],
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_whole_story_in_the_terminal(lang: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LTE_")}
    env["LTE_BOT"] = str(Path(sys.executable).parent / "lte-bot")
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "demo.sh"), lang, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    position = 0
    for line in EXPECTED[lang]:  # in this order: the story as it happened
        found = out.find(line, position)
        assert found >= 0, f"missing after position {position}: {line!r}\n{out[position : position + 3000]}"
        position = found
    other = [line for line in EXPECTED["en" if lang == "fr" else "fr"] if line not in EXPECTED[lang]]
    assert not any(line in out for line in other)
    exported = json.loads(out[out.rindex("\n[\n") + 1 :])
    assert (
        exported[0]["ref"] == "B-1" and exported[0]["status"] == "presented" and exported[0]["supports"] == 1
    )
    assert [h["to"] for h in exported[0]["history"]] == ["expressed", "in_study", "sorted", "presented"]
