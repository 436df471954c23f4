"""The command menu Telegram shows beside the text box: French, English, and the default."""

from __future__ import annotations

from collections.abc import Collection

from telegram import BotCommand

from dialogs.tr import N_, Tr

# (French name, English name, description): the names of DESIGN §10; descriptions are catalog
# messages, shared with the main menu's buttons where one says the same thing.
MENU: tuple[tuple[str, str, str], ...] = (
    ("start", "start", N_("Start, or come back to the menu")),
    ("besoin", "need", N_("Express a need")),
    ("besoins", "needs", N_("See and support needs")),
    ("mesbesoins", "myneeds", N_("My needs")),
    ("actif", "offer", N_("Offer something")),
    ("cercles", "circles", N_("Circles")),
    ("missions", "missions", N_("Missions")),
    ("profil", "profile", N_("Your name, place and interests")),
    ("langue", "language", N_("Language: français / English")),
    ("aide", "help", N_("Help: what you can do")),
    ("annuler", "cancel", N_("Cancel")),
)


def menu(tr: Tr, known: Collection[str]) -> list[BotCommand]:
    """The commands in `tr`'s language, leaving out any no flow answers to."""
    fr = tr.locale == "fr"
    return [
        BotCommand(fr_name if fr else en_name, tr.plain(description)[:256])
        for fr_name, en_name, description in MENU
        if (fr_name if fr else en_name) in known
    ]
