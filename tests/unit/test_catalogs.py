"""The catalogs: every message the code can show is translated in French and in English,
with the same placeholders and markup; the committed template is up to date.

The English msgids are the English text and `scripts/fill_en_catalog.py` copies them into empty
English strings, so "the English catalog is complete" alone cannot fail. What can go wrong in
English is checked here instead: a message naming a French command (`/profil` in an English
text), French leaking into English, placeholders or markup lost, fuzzy entries, missing plural
forms. Each check is a function run on the real catalogs and, in
`test_the_checks_find_the_defects_they_look_for`, on a catalog built with those defects."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from dialogs.flows import DEFAULT_FLOWS
from lte_core import i18n

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "plain": None}

# Commands spelt the same in French and in English: either language may name them.
BOTH = {"start", "menu", "qr", "missions", "mission", "stop"}
# Commands outside a flow's (French, English) pair: /start's greetings and the engine's cancel word.
OTHERS = {"demarrer": "fr", "bonjour": "fr", "hello": "en", "annuler": "fr", "cancel": "en"}
# The gettext plural rules of each catalog's header (the GNU gettext manual's).
PLURALS = {"fr": (2, "(n > 1)"), "en": (2, "(n != 1)")}
# "/cmd" where a command is named: not "</b>", "https://x/y", "and/or", "B-12/3" nor "français / English".
MENTION = re.compile(r"(?<![\w/<:.])/([a-z][a-z_]*)\b")
# French typography: the narrow no-break space before ? ! ;, the no-break space before :, « ».
FRENCH_TYPOGRAPHY = re.compile("[\u202f«»]|\u00a0[:;?!]")


def extracted() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for package in ("lte_core", "dialogs", "bots"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / package,
            method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
            keywords=KEYWORDS,
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


# English, and commands in the right language -------------------------------------------------


def command_languages() -> dict[str, str]:
    """Each chat command and its language ("fr", "en", or "both")."""
    languages = dict.fromkeys(BOTH, "both") | OTHERS
    for flow in DEFAULT_FLOWS():
        pair = [name for name in flow.commands if name not in languages]
        if len(pair) == 2:  # a flow's `commands` is (French, English), plus names known above
            languages |= {pair[0]: "fr", pair[1]: "en"}
    return languages


def texts(message: Message) -> Iterator[tuple[str, str]]:
    """Each (msgid form, msgstr form) of a message: one pair, or one per plural form."""
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    for index, text in enumerate(strings):
        yield ids[min(index, len(ids) - 1)], text


def commands_of_another_language(cat: Catalog, locale: str) -> list[tuple[str, str]]:
    """(msgid, command) where a translation names a command of the other language, or no command."""
    languages = command_languages()
    wrong = []
    for message in cat:
        for _id, text in texts(message) if message.id else ():
            for command in MENTION.findall(text):
                if languages.get(command) not in (locale, "both"):
                    wrong.append((key(message.id), command))
    return wrong


def french_in_english(fr: Catalog, en: Catalog) -> list[str]:
    """English strings equal to a French translation that differs from the msgid, or typeset in French."""
    leaks = []
    for message in en:
        french = fr.get(message.id) if message.id else None
        french_texts = dict(enumerate(text for _id, text in texts(french))) if french else {}
        for index, (msgid, text) in enumerate(texts(message) if message.id else ()):
            copied = text and text == french_texts.get(index) and text != msgid
            if copied or (FRENCH_TYPOGRAPHY.search(text) and not FRENCH_TYPOGRAPHY.search(msgid)):
                leaks.append(key(message.id))
    return leaks


def shapes_changed(cat: Catalog) -> list[str]:
    """msgids whose translation, form by form, lost or gained a placeholder or a tag."""
    return [
        key(message.id)
        for message in cat
        if message.id
        for msgid, text in texts(message)
        if text and shape(text) != shape(msgid)
    ]


def unfinished(cat: Catalog, locale: str) -> list[str]:
    """Fuzzy entries, plural messages lacking a form, obsolete entries, a wrong plural rule."""
    problems = [key(m.id) for m in cat if m.id and m.fuzzy]
    problems += [
        key(m.id)
        for m in cat
        if isinstance(m.id, tuple)
        and not (isinstance(m.string, tuple) and len(m.string) == cat.num_plurals and all(m.string))
    ]
    problems += [f"obsolete: {key(msgid)}" for msgid in cat.obsolete]
    if cat.fuzzy:
        problems.append("the header is fuzzy")
    if (cat.num_plurals, cat.plural_expr) != PLURALS[locale]:
        problems.append(f"Plural-Forms: {cat.plural_forms}")
    return problems


def test_every_command_of_a_flow_has_a_language() -> None:
    languages = command_languages()
    unknown = {
        flow.name: flow.commands for flow in DEFAULT_FLOWS() if not set(flow.commands) <= set(languages)
    }
    assert not unknown, f"not a (French, English) pair, say their language in OTHERS: {unknown}"
    assert {"profil": "fr", "profile": "en", "besoin": "fr", "need": "en"}.items() <= languages.items()
    assert {"annuler", "cancel", "stop"} <= set(languages)


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_messages_name_the_commands_of_their_language(locale: str) -> None:
    wrong = commands_of_another_language(catalog(locale), locale)
    assert not wrong, "\n".join(f"/{command} in {msgid!r}" for msgid, command in wrong)


def test_no_french_in_the_english_catalog() -> None:
    leaks = french_in_english(catalog("fr"), catalog("en"))
    assert not leaks, leaks


def test_english_keeps_each_form_placeholders_and_markup() -> None:
    changed = shapes_changed(catalog("en"))
    assert not changed, changed


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_catalogs_are_finished(locale: str) -> None:
    problems = unfinished(catalog(locale), locale)
    assert not problems, problems


def test_the_checks_find_the_defects_they_look_for() -> None:
    fr, en = Catalog(locale="fr", fuzzy=False), Catalog(locale="en", fuzzy=False)
    fr.add("See your profile with /profile.", "Voyez votre profil avec /profil.")
    en.add("See your profile with /profile.", "See your profile with /profil.")
    fr.add("Type /help or /start.", "Tapez /help ou /start.")
    en.add("Type /help or /start.", "Type /help or /start.")
    fr.add("Need <b>{ref}</b> is closed.", "Le besoin <b>{ref}</b> est clos.")
    en.add("Need <b>{ref}</b> is closed.", "Le besoin <b>{ref}</b> est clos.")
    en.add("Really?", "Really\u202f?")
    en.add("{n} supports", "{count} supports")
    en.add(("{n} need", "{n} needs"), ("{n} need", ""))
    en.add("Send /frobnicate.", "Send /frobnicate.")
    en.add("Maybe", "Maybe", flags=["fuzzy"])

    assert commands_of_another_language(en, "en") == [
        ("See your profile with /profile.", "profil"),
        ("Send /frobnicate.", "frobnicate"),
    ]
    assert commands_of_another_language(fr, "fr") == [("Type /help or /start.", "help")]
    assert french_in_english(fr, en) == ["Need <b>{ref}</b> is closed.", "Really?"]
    assert shapes_changed(en) == ["{n} supports"]
    problems = unfinished(en, "en")
    assert {"Maybe", "{n} need"} <= set(problems)
    assert [problem[:13] for problem in unfinished(fr, "fr")] == ["Plural-Forms:"]  # Babel's rule has 3


def test_filling_the_english_catalog_only_fills_empty_strings(tmp_path: Path) -> None:
    po = tmp_path / "messages.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        'msgid "Type /besoin."\nmsgstr "Type /need."\n\n'
        'msgid "Hello!"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Maybe"\nmsgstr "Perhaps"\n\n'
        'msgid "{n} need"\nmsgid_plural "{n} needs"\nmsgstr[0] "{n} open need"\nmsgstr[1] ""\n',
        encoding="utf-8",
    )
    fill = runpy.run_path(str(ROOT / "scripts" / "fill_en_catalog.py"))["fill"]
    assert fill(po) == (2, ["Maybe"])
    with po.open("rb") as fh:
        filled = read_po(fh, locale="en")
    assert filled["Type /besoin."].string == "Type /need."  # written by someone: kept
    assert filled["Hello!"].string == "Hello!"
    assert filled["Maybe"].string == "Perhaps" and filled["Maybe"].fuzzy
    assert filled["{n} need"].string == ("{n} open need", "{n} needs")
    assert fill(po) == (0, ["Maybe"])


# Where the catalogs are found (the wheel: tests/integration/test_wheel.py) --------------------

WITHOUT_INSTALL = """
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__ + repr(f)]
sys.path.insert(0, sys.argv[1])
from lte_core import i18n
print(i18n.locales_dir())
print(i18n.gettext("fr", "What would you like to do?"))
"""


def test_the_editable_install_finds_the_catalogs_as_a_package() -> None:
    import lte_core.locales  # mapped from locales/ by setup.py

    assert Path(lte_core.locales.__file__).parent == ROOT / "locales"
    assert Path(str(i18n.locales_dir())) == ROOT / "locales"


def test_a_checkout_run_without_installing_finds_the_catalogs_beside_the_code() -> None:
    environ = {k: v for k, v in os.environ.items() if k != "LTE_LOCALES_DIR"}
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_INSTALL, str(ROOT)],
        capture_output=True,
        text=True,
        env=environ,
        check=True,
    )
    where, said = done.stdout.splitlines()
    assert Path(where) == ROOT / "locales"
    assert said.startswith("Que souhaitez-vous faire")


def french_typography_faults(text: str) -> list[str]:
    """What a French text gets wrong: an ordinary (or no) space before ? ! ; and :, or inside « »."""
    faults = []
    plain = re.sub(r"<[^>]*>|\{[^}]*\}|https?://\S+", "", text)
    if re.search(r"(?:\S|^)[ \u00a0]?[?!;]", plain) and re.search(r"(?<!\u202f)[?!;]", plain):
        faults.append("? ! ; need a narrow no-break space (U+202F) before them")
    if re.search(r"(?<=\S)(?: |\u202f)?:(?=\s|$)", plain) and re.search(r"(?<!\u00a0):(?=\s|$)", plain):
        faults.append(": needs a no-break space (U+00A0) before it")
    if re.search(r"«(?!\u00a0)|(?<!\u00a0)»", plain):
        faults.append("« » need a no-break space (U+00A0) inside")
    return faults


def test_french_is_written_as_french_is() -> None:
    faulty = {}
    for message in catalog("fr"):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            if faults := french_typography_faults(text):
                faulty[key(message.id)] = faults
    assert not faulty, faulty


def test_the_french_typography_check_finds_what_it_must() -> None:
    assert french_typography_faults("Êtes-vous d'accord ?")
    assert french_typography_faults("Bonjour!")
    assert french_typography_faults("Thème : {theme}")
    assert french_typography_faults("« {name} »")
    assert not french_typography_faults(
        "Êtes-vous d'accord\u202f? Thème\u00a0: {theme}, «\u00a0{name}\u00a0»\u202f!"
    )
    assert not french_typography_faults("Rendez-vous à 10:00, https://t.me/bot?start=need_12")
