"""Set one translation in a catalog: scripts/set_translation.py fr "msgid" "msgstr" (plural: two msgstr)."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

locale, msgid, *strings = sys.argv[1:]
path = Path("locales") / locale / "LC_MESSAGES" / "messages.po"
with path.open("rb") as fh:
    catalog = read_po(fh, locale=locale)
message = catalog.get(msgid)
if message is None:
    sys.exit(f"{msgid!r} is not in {path}: run `make update-catalogs` first")
message.string = tuple(strings) if len(strings) > 1 else strings[0]
message.flags.discard("fuzzy")
with path.open("wb") as fh:
    write_po(fh, catalog, width=100, sort_output=True)
