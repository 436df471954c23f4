"""Adapters (Telegram, Matrix, terminal) and the composition root (`bots.app`, `bots.cli`)."""
