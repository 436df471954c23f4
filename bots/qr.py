"""`lte-bot qr need B-12`: the poster of a link that opens the Telegram bot on an action, written
as PNG (screens, chats) and SVG (print) files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from telegram import Bot
from telegram.error import TelegramError

from dialogs.qr import qr_png, qr_svg
from lte_core.config import TelegramSettings
from lte_core.logs import RedactingFormatter
from lte_core.services import links
from lte_core.store import UnitOfWork

from .bootstrap import Runtime
from .telegram import api_urls


class PosterError(Exception):
    """The poster cannot be made; the message says what to do (never shows the token)."""


@dataclass(frozen=True)
class PosterFiles:
    url: str
    png: Path
    svg: Path


async def ask_username(settings: TelegramSettings) -> str:
    """The bot's @username, from getMe with the configured token (and local Bot API server)."""
    urls = api_urls(settings.base_url)
    token = settings.token.reveal()
    bot = Bot(token, base_url=urls[0], base_file_url=urls[1]) if urls else Bot(token)
    try:
        async with bot:
            return bot.username
    except TelegramError as exc:
        said = RedactingFormatter("%(message)s", [token]).scrub(f"{type(exc).__name__}: {exc}")
        raise PosterError(
            f"could not ask Telegram for the bot's name ({said}); pass --bot-username NAME"
        ) from None


async def poster_url(runtime: Runtime, kind: str, ref: str, username: str | None) -> tuple[str, str]:
    """Check the reference and find the bot's name: (the link, a file name stem)."""
    async with UnitOfWork(runtime.db) as uow:
        poster = await links.poster(uow, None, kind, ref)  # the operator acts as the noyau
        stored = await links.bot_username(uow)
    if not username:
        if runtime.settings.telegram is not None:
            username = await ask_username(runtime.settings.telegram)
        elif stored:
            username = stored
        else:
            raise PosterError(
                "the link needs the Telegram bot's name: set LTE_TELEGRAM_TOKEN or pass --bot-username NAME"
            )
    return links.telegram_link(username, poster.payload), f"lte-{poster.slug}"


def write_poster(url: str, stem: str, out_dir: Path) -> PosterFiles:
    """`<stem>.png` and `<stem>.svg` in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{stem}.png", out_dir / f"{stem}.svg"
    png.write_bytes(qr_png(url))
    svg.write_bytes(qr_svg(url))
    return PosterFiles(url, png, svg)
