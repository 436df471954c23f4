#!/usr/bin/env bash
# From a need to a project, in the terminal channel, as people would (issue 13): a need is presented,
# the noyau entrusts it to a work circle, its author and two supporters are invited and join, the
# carrier writes the proposal (across two chat sessions), the activities circle's coordinator assigns
# it to « Alimentation », a project circle forms with the work circle's members invited, the need is
# realised with a closing note everyone who followed it receives; then the exports. French.
# Usage: scripts/demo_chain.sh [DIR]
set -euo pipefail
dir=${1:-$(mktemp -d)}
here=$(cd "$(dirname "$0")/.." && pwd)
bot=${LTE_BOT:-$here/.venv/bin/lte-bot}
export LTE_DB_PATH="$dir/lte.sqlite3" LTE_ADMINS=terminal:camille LANG=C.UTF-8 LC_ALL= LTE_DEFAULT_LOCALE=fr
say() { echo; echo "=== $1 ==="; }
for name in Camille Ada Bob Dora Eve Frank; do
  printf '/start\n1\n1\n%s\nPasser\nTerminé\n' "$name" | "$bot" chat --as "${name,,}" >/dev/null
done
say "operator: the activities circle (Eve coordinates it) and the « Alimentation » thematic circle"
"$bot" admin circle-create "Cercle d'activités" --kind activities --purpose "Recevoir les propositions" \
  --coordinator terminal:eve
"$bot" admin circle-create "Alimentation" --kind thematic --theme alimentation --purpose "L'axe alimentation"
say "frank joins « Alimentation »"
printf '/cercles\n2\nRejoindre ce cercle\n' | "$bot" chat --as frank | tail -3
say "ada: a need; bob and dora support it"
printf '/besoin\nUn jardin partagé pour le quartier des Tilleuls\n1\nDerrière l'"'"'école\nEnvoyer\n' \
  | "$bot" chat --as ada | grep "référence"
for p in bob dora; do printf '/besoins B-1\nSoutenir B-1\n' | "$bot" chat --as "$p" | grep "soutenez"; done
say "camille (noyau): study, sort, present, then entrust it to a new work circle"
printf '/tri B-1\n1\n1\n1\n1\n1\n1\n1\nConfier à un cercle de travail\nUn nouveau cercle de travail\n' \
  | "$bot" chat --as camille | grep "C'est fait"
say "ada: her news and the invitation; joins"
printf 'a\n' | "$bot" chat --as ada | tail -12
say "bob: joins, and carries the need (« Porter ce besoin »)"
printf 'a\nb\n' | "$bot" chat --as bob | tail -9
say "dora: joins"
printf 'a\n' | "$bot" chat --as dora | tail -3
say "dora, a member, may not write the proposal"
printf "/proposition B-1\n" | "$bot" chat --as dora | grep -v "^  "
say "bob writes the proposal; the chat session ends before he sends it"
printf '/proposition\n1\nOuvrir un jardin partagé derrière l'"'"'école : douze bacs surélevés, le club de jardinage pour former, la mairie prête le terrain et l'"'"'eau.\n' \
  | "$bot" chat --as bob | tail -5
say "bob, in a new session: the draft waits; he sends it"
printf 'Envoyer\n' | "$bot" chat --as bob
say "eve (activities circle): the proposal arrives; she assigns it to « Alimentation »"
printf 'a\nAffecter à un cercle thématique\n1\n' | "$bot" chat --as eve | grep -v "^•"
say "frank (« Alimentation »): hears of it"
"$bot" chat --as frank </dev/null
say "eve: the project circle forms"
printf "/tri B-1\nFormer son cercle de projet\nUn nouveau cercle de projet\n" | "$bot" chat --as eve | grep "C.est fait"
say "ada and dora: invited to the project circle; ada joins"
printf 'a\n' | "$bot" chat --as ada | tail -6
"$bot" chat --as dora </dev/null | tail -5
say "bob (project coordinator): realised, with a closing note"
printf '/tri B-1\nMarquer comme réalisé (mot de la fin)\nLe jardin a ouvert le 3 mai : douze bacs, trente familles, un composteur.\n' \
  | "$bot" chat --as bob | grep -A1 "C.est fait"
say "ada, dora: the closing note, with thanks"
"$bot" chat --as ada </dev/null
"$bot" chat --as dora </dev/null
say "operator: export needs"
"$bot" export needs --format json
say "operator: export circles"
"$bot" export circles --format json
say "operator: stats"
"$bot" stats
