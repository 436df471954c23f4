"""`lte-bot`: run the channels, chat in the terminal, export, administer, read the figures.

One module per command (or group of commands); this one holds the click group they hang on."""

from __future__ import annotations

import click

from . import admin, chat, events, export, migrate, polls, privacy, qr, run, stats, web

__all__ = ["main"]
_ = privacy, events  # their commands hang on `admin`


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", type=click.Path(dir_okay=False), help="TOML file of settings (env wins).")
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """The LTE participation bot: Telegram, Matrix and the terminal, on one SQLite database."""
    ctx.ensure_object(dict)["config"] = config


for _command in (
    run.run,
    chat.chat,
    export.export_cmd,
    stats.stats,
    qr.qr,
    migrate.migrate,
    admin.admin,
    web.web,
    polls.results,
):
    main.add_command(_command)
