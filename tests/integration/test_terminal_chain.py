"""From a need to a project in the terminal channel, as people type it (scripts/demo_chain.sh): the
issue's « done when », several identities on one database, then the exports of the chain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NB, NNB = "\u00a0", "\u202f"

EXPECTED = [
    f"C'est fait{NB}: B-1 est maintenant «{NB}en cercle de travail{NB}». Son cercle{NB}: le cercle Un jardin "
    "partagé pour le quartier des Tilleuls (B-1). 3 personnes ont été invitées à le rejoindre.",
    "  a. Rejoindre",
    "  b. Porter ce besoin",
    "Désolé, votre rôle ne le permet pas.",
    f"Merci{NNB}! La proposition pour B-1 est faite{NB}: le besoin est maintenant «{NB}proposition faite{NB}».",
    f"📬 Une proposition pour le besoin B-1 est prête{NB}:",
    "  1. ✓ Alimentation",
    f"📬 Le besoin B-1 et sa proposition ont été confiés à votre cercle, Alimentation{NB}:",
    f"C'est fait{NB}: B-1 est maintenant «{NB}en projet{NB}».",
    "Bienvenue dans le cercle Projet B-1",
    f"Ce qui a été fait{NB}: Le jardin a ouvert le 3 mai : douze bacs, trente familles, un composteur.",
    "Merci de l'avoir suivi jusqu'au bout.",
]


def test_from_a_need_to_a_project_in_the_terminal(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LTE_")}
    env["LTE_BOT"] = str(Path(sys.executable).parent / "lte-bot")
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "demo_chain.sh"), str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    for line in EXPECTED:
        assert line in out, line
    # The closing note reached the author and the other supporter, each once.
    assert out.count("Ce qui a été fait") == 2
    needs_json = out.split("=== operator: export needs ===")[1].split("=== operator: export circles ===")[0]
    circles_json = out.split("=== operator: export circles ===")[1].split("=== operator: stats ===")[0]
    [need] = json.loads(needs_json)
    assert need["status"] == "realised" and need["carrier"] == "Bob"
    assert need["circle"] == "Projet B-1 : Un jardin partagé pour le quartier des Tilleuls"
    assert need["proposal"].startswith("Ouvrir un jardin partagé derrière l'école")
    assert [h["to"] for h in need["history"]][-5:] == [
        "in_circle",
        "proposed",
        "assigned",
        "in_project",
        "realised",
    ]
    assert need["history"][-1]["note"].startswith("Le jardin a ouvert")
    kinds = {c["kind"]: c for c in json.loads(circles_json)}
    assert (
        kinds["work"]["need"] == "B-1"
        and kinds["work"]["members"] == 3
        and kinds["work"]["coordinators"] == ["Bob"]
    )
    assert kinds["project"]["need"] == "B-1" and kinds["project"]["members"] == 2
    assert kinds["thematic"]["need"] is None
