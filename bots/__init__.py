"""Adapters (Telegram, Matrix, terminal), handed a `bots.bootstrap.Runtime`, and the composition
root that picks and serves them (`bots.app`, `bots.cli`)."""
