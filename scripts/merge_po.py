"""Merge the translations of another version of a catalog into this one (after a git merge).

    scripts/merge_po.py LOCALE OTHER.po

Every message of OTHER that this catalog lacks, or has untranslated, is taken with its
translation; this catalog's own translations win. Then `make update-catalogs` keeps only what the
code uses.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

locale, other_path = sys.argv[1:]
path = Path("locales") / locale / "LC_MESSAGES" / "messages.po"
with path.open("rb") as fh:
    catalog = read_po(fh, locale=locale)
with open(other_path, "rb") as fh:
    other = read_po(fh, locale=locale)
taken = 0
for message in other:
    if not message.id or not message.string:
        continue
    mine = catalog.get(message.id, message.context)
    if mine is None:
        catalog.add(message.id, message.string, context=message.context, flags=message.flags)
        taken += 1
    elif not (mine.string if isinstance(mine.string, str) else any(mine.string)):
        mine.string = message.string
        taken += 1
with path.open("wb") as fh:
    write_po(fh, catalog, width=100, sort_output=True)
print(f"{path}: {taken} translations taken from {other_path}")
