"""The English catalog: each EMPTY English string takes its msgid; an English text already written
is never touched.

Why copying the msgid is the right default: the msgids are written in English, in the code, and are
the English text a reviewer reads next to the code that shows it; an English translation is only
needed where the English shown should differ from the msgid. Copying keeps the English catalog
complete (so a message missing from it is a real omission, not just "English = msgid") without
anyone retyping the same sentence. The copy also carries a msgid's own defects (a French command
such as /profil in an English msgid): those are caught by tests/unit/test_catalogs.py, and are fixed
by writing the English text here (kept from then on) or, better, the msgid in the code.

Fuzzy entries keep their English text and their fuzzy flag: someone must read them.

Run by `make update-catalogs`, after `pybabel update`."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def fill(path: Path) -> tuple[int, list[str]]:
    """Fill the empty strings of the English catalog at `path`; (how many, the fuzzy msgids)."""
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="en")
    filled, fuzzy = 0, []
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            forms = list(message.string) if isinstance(message.string, tuple) else [message.string]
            forms += [""] * (catalog.num_plurals - len(forms))
            # English: form 0 is the singular, every other form the plural.
            new = [text or message.id[0 if index == 0 else 1] for index, text in enumerate(forms)]
            filled += sum(1 for old, text in zip(forms, new, strict=True) if old != text)
            message.string = tuple(new)
        elif not message.string:
            message.string = message.id
            filled += 1
        if message.fuzzy:
            fuzzy.append(message.id if isinstance(message.id, str) else message.id[0])
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=True)
    return filled, fuzzy


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "locales/en/LC_MESSAGES/messages.po")
    count, review = fill(target)
    print(f"{target}: {count} empty string(s) filled from their msgid")
    for msgid in review:
        print(f"  fuzzy, to review: {msgid!r}")
