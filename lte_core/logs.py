"""Logging that never shows a secret: every line is scrubbed of the configured tokens and
passwords (libraries log request URLs, and a Telegram URL holds the bot token)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

REDACTED = "[redacted]"
# A Telegram bot token anywhere in a line, configured or not.
_BOT_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}\b")


class RedactingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return _BOT_TOKEN.sub(REDACTED, text)

    def format(self, record: logging.LogRecord) -> str:
        return self.scrub(super().format(record))


def setup(secrets: Iterable[str] = (), level: int = logging.INFO) -> None:
    """Log to stderr through the redacting formatter; quiet the chattiest libraries."""
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "aiohttp", "apscheduler", "nio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
