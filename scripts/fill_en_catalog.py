"""The English catalog: msgids are English, so an empty English msgstr takes its msgid.

Run by `make update-catalogs` after the merge; a translation already written is kept."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

path = Path(sys.argv[1] if len(sys.argv) > 1 else "locales/en/LC_MESSAGES/messages.po")
with path.open("rb") as fh:
    catalog = read_po(fh, locale="en")
filled = 0
for message in catalog:
    if not message.id:
        continue
    if isinstance(message.id, tuple):
        current = message.string if isinstance(message.string, tuple) else ("", "")
        if not all(current):
            message.string = (message.id[0], message.id[1])
            filled += 1
    elif not message.string:
        message.string = message.id
        filled += 1
    if message.fuzzy:
        message.flags.discard("fuzzy")
with path.open("wb") as fh:
    write_po(fh, catalog, width=100, omit_header=False, sort_output=True)
print(f"{path}: {filled} message(s) filled from their msgid")
