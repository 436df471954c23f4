#!/usr/bin/env bash
# A whole scripted session in the terminal channel, as people would use it, on a fresh database:
# a resident onboards and expresses a need; a second one is offered it instead of a duplicate and
# supports it, joins a circle; the coordinator creates a mission and sees who comes; the noyau
# studies, sorts and presents the need; the author reads the news. Usage: scripts/demo.sh fr|en [DIR]
set -euo pipefail
lang=${1:-fr}
dir=${2:-$(mktemp -d)}
here=$(cd "$(dirname "$0")/.." && pwd)
bot=${LTE_BOT:-$here/.venv/bin/lte-bot}
export LTE_DB_PATH="$dir/lte.sqlite3" LTE_ADMINS=terminal:camille
if [ "$lang" = en ]; then
  export LANG=C.UTF-8 LC_ALL= LC_MESSAGES= LTE_DEFAULT_LOCALE=en
  lc=2  # onboarding: English
  done_word=Done; skip=Skip; send=Send; join=Join; who="Who is coming"
  need="A shared garden for the Lime Tree quarter"; close="shared garden lime tree"; place="Behind the school"
  mission="Hold the market stand"; desc="Present the project to residents"; date="$(date -d "+14 days" +%d/%m/%Y) 9:30"
else
  export LANG=C.UTF-8 LC_ALL= LC_MESSAGES= LTE_DEFAULT_LOCALE=fr
  lc=1  # onboarding: Français
  done_word=Terminé; skip=Passer; send=Envoyer; join=Rejoindre; who="Qui vient"
  need="Un jardin partagé pour le quartier des Tilleuls"; close="jardin partage aux Tilleuls"; place="Derrière l'école"
  mission="Tenir le stand du marché"; desc="Présenter la démarche aux habitants"; date="$(date -d "+14 days" +%d/%m/%Y) 9h30"
fi
say() { echo; echo "=== $1 ==="; }
say "dom (coordinator to be): onboarding"
printf '/start\n%s\n1\nDom\n%s\n%s\n' "$lc" "$skip" "$done_word" | "$bot" chat --as dom >/dev/null
say "operator: a circle with its coordinator (someone known: lte-bot admin people)"
"$bot" admin circle-create "Jardins" --kind thematic --theme alimentation \
  --purpose "Cultiver ensemble les jardins du territoire" --coordinator terminal:dom
say "ada: onboarding, then /besoin"
printf '/start\n%s\n1\nAda\nTilleuls\n1\n%s\n/besoin\n%s\n1\n%s\n%s\n' "$lc" "$done_word" "$need" "$place" "$send" | "$bot" chat --as ada
say "bob: a close text, offered B-1 instead; joins the circle"
printf '/start\n%s\n1\nBob\n%s\n%s\n/besoin %s\n1\n/cercles\n1\n%s\n' "$lc" "$skip" "$done_word" "$close" "$join" \
  | "$bot" chat --as bob
say "dom: /nouvellemission"
printf '/nouvellemission\n%s\n%s\n%s\n20h\n%s\n3\n%s\n' "$mission" "$desc" "$date" "$place" "$send" \
  | "$bot" chat --as dom
say "bob: the mission arrives; « a » (its lettered choice) takes a place"
printf 'a\n' | "$bot" chat --as bob
say "dom: who took the place"
printf '/missions\n1\n%s\n' "$who" | "$bot" chat --as dom
say "camille (noyau): /tri — study, sort (theme), present"
printf '/start\n%s\n1\nCamille\n%s\n%s\n/tri\n1\n1\n1\n1\n1\n1\n1\n' "$lc" "$skip" "$done_word" | "$bot" chat --as camille
say "ada: the news of her need"
"$bot" chat --as ada </dev/null
say "operator: export needs"
"$bot" export needs --format json
