"""The Telegram channel: python-telegram-bot ↔ the dialogs, and the outbox sender for Telegram."""

from .adapter import TelegramChannel, api_urls, build_application
from .request import AiohttpRequest
from .sender import TelegramSender

__all__ = ["AiohttpRequest", "TelegramChannel", "TelegramSender", "api_urls", "build_application"]
