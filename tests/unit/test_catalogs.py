"""The catalogs: every message the code can show is translated in French and in English,
with the same placeholders and markup; the committed template is up to date."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "plain": None}


def extracted() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for package in ("lte_core", "dialogs", "bots"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def catalog(locale: str) -> Catalog:
    with open(ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=locale)


def key(message_id: str | tuple[str, ...]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def shape(text: str) -> tuple[list[str], list[str]]:
    """Placeholders and tags: a translation must keep both."""
    return sorted(re.findall(r"\{[^}]*\}", text)), sorted(re.findall(r"</?[a-z]+[^>]*>", text))


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_every_message_is_translated(locale: str) -> None:
    cat = catalog(locale)
    missing = []
    for message in extracted():
        entry = cat.get(key(message))
        strings = entry.string if entry is not None else None
        if entry is None or not strings or (isinstance(strings, tuple) and not all(strings)) or entry.fuzzy:
            missing.append(key(message))
    assert not missing, f"{len(missing)} message(s) not translated in {locale}: {sorted(missing)[:20]}"
    assert len([m for m in cat if m.id]) >= 150


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_translations_keep_placeholders_and_markup(locale: str) -> None:
    broken = []
    for message in catalog(locale):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for translated in strings:
            if translated and shape(translated) != shape(ids[-1]) and shape(translated) != shape(ids[0]):
                broken.append((ids[0], translated))
    assert not broken, broken[:10]


def test_the_committed_template_has_every_message() -> None:
    with open(ROOT / "locales" / "messages.pot", "rb") as fh:
        template = read_po(fh)
    missing = sorted(key(m) for m in extracted() if template.get(key(m)) is None)
    assert not missing, f"run `make update-catalogs`: {missing[:20]}"
