"""Settings (DESIGN §10): environment, or a TOML file given with --config; the environment wins.

A missing or malformed setting stops the start with one line naming it. Secrets are wrapped so
that they never show in a log, an error or a repr."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .domain.events import QuietHours, parse_clock, parse_offsets, parse_quiet

SUPPORTED_LOCALES = ("fr", "en")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it and never shows a secret."""


class Secret:
    """A token or password: its value is read with `.reveal()` only; repr and str hide it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class TelegramSettings:
    token: Secret
    base_url: str | None = None
    rate_per_second: float = 30.0


@dataclass(frozen=True)
class MatrixSettings:
    homeserver: str
    user_id: str
    password: Secret | None = None
    access_token: Secret | None = None


QUIET_DEFAULT = QuietHours(time(21, 0), time(8, 0))


@dataclass(frozen=True)
class WebSettings:
    """The tableau de pilotage (DESIGN §11): where it listens, and the address people reach it at."""

    port: int
    host: str = "127.0.0.1"
    public_url: str = ""  # LTE_PUBLIC_URL without its trailing "/"; "" → http://host:port

    @property
    def base_url(self) -> str:
        """The address the links the bot sends start with."""
        if self.public_url:
            return self.public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def secure(self) -> bool:
        """Whether the session cookie is marked Secure (the public address is https)."""
        return self.base_url.startswith("https://")


@dataclass(frozen=True)
class Settings:
    db_path: str = "./lte.sqlite3"
    timezone: str = "Europe/Paris"
    default_locale: str = "fr"
    admins: frozenset[str] = field(default_factory=frozenset)
    telegram: TelegramSettings | None = None
    matrix: MatrixSettings | None = None
    # Moderation and retention (DESIGN §8, §10): reports that hide an item until the noyau
    # reviews it; days after which an abandoned conversation is cleared, a delivered message
    # pruned (0: never).
    reports_to_hide: int = 3
    dialog_retention_days: int = 30
    outbox_retention_days: int = 90
    web: WebSettings | None = None  # LTE_WEB_PORT unset: no web page
    # Events (issue 11): offsets before a start, the digest's local time, the quiet hours.
    reminders: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))
    digest_time: time = time(8, 0)
    quiet_hours: QuietHours | None = QUIET_DEFAULT

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


# TOML keys are the setting names without the LTE_ prefix, lower case: db_path = "...".
NAMES = (
    "LTE_DB_PATH",
    "LTE_TIMEZONE",
    "LTE_DEFAULT_LOCALE",
    "LTE_ADMINS",
    "LTE_TELEGRAM_TOKEN",
    "LTE_TELEGRAM_BASE_URL",
    "LTE_TELEGRAM_RATE",
    "LTE_MATRIX_HOMESERVER",
    "LTE_MATRIX_USER_ID",
    "LTE_MATRIX_PASSWORD",
    "LTE_MATRIX_ACCESS_TOKEN",
    "LTE_REPORTS_TO_HIDE",
    "LTE_DIALOG_RETENTION_DAYS",
    "LTE_OUTBOX_RETENTION_DAYS",
    "LTE_WEB_PORT",
    "LTE_WEB_HOST",
    "LTE_PUBLIC_URL",
    "LTE_REMINDERS",
    "LTE_DIGEST_TIME",
    "LTE_QUIET_HOURS",
)


def _read_toml(path: Path) -> dict[str, str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"--config: file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--config: {path} is not valid TOML ({exc})") from None
    section: Any = data.get("lte", data)
    out: dict[str, str] = {}
    for key, value in section.items():
        name = "LTE_" + str(key).upper()
        if name not in NAMES:
            raise ConfigError(f"--config: unknown setting {key!r} in {path}")
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        out[name] = str(value)
    return out


def load(env: Mapping[str, str] | None = None, config_file: str | Path | None = None) -> Settings:
    """Read the settings; raise ConfigError naming the first bad one."""
    source: dict[str, str] = _read_toml(Path(config_file)) if config_file else {}
    environ = os.environ if env is None else env
    source.update({k: v for k, v in environ.items() if k in NAMES})

    def get(name: str) -> str | None:
        value = source.get(name)
        return value.strip() if value is not None and value.strip() else None

    db_path = get("LTE_DB_PATH") or "./lte.sqlite3"
    timezone = get("LTE_TIMEZONE") or "Europe/Paris"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"LTE_TIMEZONE: unknown time zone {timezone!r} (an IANA name like Europe/Paris)"
        ) from None
    locale = get("LTE_DEFAULT_LOCALE") or "fr"
    if locale not in SUPPORTED_LOCALES:
        raise ConfigError(f"LTE_DEFAULT_LOCALE: {locale!r} is not one of {', '.join(SUPPORTED_LOCALES)}")
    admins = frozenset(a.strip() for a in (get("LTE_ADMINS") or "").split(",") if a.strip())
    for admin in admins:
        channel, sep, ident = admin.partition(":")
        if not sep or not ident or channel not in ("telegram", "matrix", "terminal"):
            raise ConfigError(
                f"LTE_ADMINS: {admin!r} is not channel:id (telegram:999, matrix:@a:b.org, terminal:name)"
            )

    telegram = None
    token = get("LTE_TELEGRAM_TOKEN")
    base_url = get("LTE_TELEGRAM_BASE_URL")
    if token:
        head, sep, tail = token.partition(":")
        # BotFather's tokens are digits, a colon and letters, digits, "_" or "-": nothing else
        # (a space pasted inside would only be found out as "Not Found" by the Bot API).
        letters = all(c.isascii() and (c.isalnum() or c in "_-") for c in tail)
        if not (sep and head.isascii() and head.isdigit() and tail and letters):
            raise ConfigError(
                "LTE_TELEGRAM_TOKEN: malformed (expected the <digits>:<letters> token from BotFather)"
            )
        if base_url and not base_url.startswith(("http://", "https://")):
            raise ConfigError("LTE_TELEGRAM_BASE_URL: must start with http:// or https://")
        rate_text = get("LTE_TELEGRAM_RATE") or "30"
        try:
            rate = float(rate_text)
        except ValueError:
            raise ConfigError("LTE_TELEGRAM_RATE: must be a number of messages per second") from None
        if not 0 < rate <= 1000:
            raise ConfigError("LTE_TELEGRAM_RATE: must be between 0 and 1000 messages per second")
        telegram = TelegramSettings(Secret(token), base_url, rate)
    elif base_url:
        raise ConfigError("LTE_TELEGRAM_TOKEN: missing (LTE_TELEGRAM_BASE_URL is set but not the token)")

    matrix = None
    hs, user = get("LTE_MATRIX_HOMESERVER"), get("LTE_MATRIX_USER_ID")
    password, access = get("LTE_MATRIX_PASSWORD"), get("LTE_MATRIX_ACCESS_TOKEN")
    if hs or user or password or access:
        if not hs:
            raise ConfigError("LTE_MATRIX_HOMESERVER: missing (the other Matrix settings are set)")
        if not hs.startswith(("http://", "https://")):
            raise ConfigError("LTE_MATRIX_HOMESERVER: must start with http:// or https://")
        if not user:
            raise ConfigError("LTE_MATRIX_USER_ID: missing (the other Matrix settings are set)")
        if not (user.startswith("@") and ":" in user):
            raise ConfigError("LTE_MATRIX_USER_ID: malformed (expected @name:server)")
        if not (password or access):
            raise ConfigError("LTE_MATRIX_PASSWORD: missing (or set LTE_MATRIX_ACCESS_TOKEN)")
        matrix = MatrixSettings(
            hs.rstrip("/"), user, Secret(password) if password else None, Secret(access) if access else None
        )
    reports = _whole(get("LTE_REPORTS_TO_HIDE"), "LTE_REPORTS_TO_HIDE", 3, low=1, what="a number of reports")
    dialogs = _whole(get("LTE_DIALOG_RETENTION_DAYS"), "LTE_DIALOG_RETENTION_DAYS", 30, low=0, what="days")
    outbox = _whole(get("LTE_OUTBOX_RETENTION_DAYS"), "LTE_OUTBOX_RETENTION_DAYS", 90, low=0, what="days")
    return Settings(
        db_path,
        timezone,
        locale,
        admins,
        telegram,
        matrix,
        reports_to_hide=reports,
        dialog_retention_days=dialogs,
        outbox_retention_days=outbox,
        web=_web(get),
        **_event_settings(source),
    )


def _whole(text: str | None, name: str, default: int, *, low: int, what: str) -> int:
    """A whole number setting, `default` when unset; one line naming it when malformed."""
    if text is None or not text.strip():
        return default
    value = text.strip()
    if not value.isdigit() or len(value) > 6 or int(value) < low:
        raise ConfigError(f"{name}: must be a whole number of {what}, {low} or more (got {value[:20]!r})")
    return int(value)


def _web(get: Callable[[str], str | None]) -> WebSettings | None:
    """LTE_WEB_PORT, LTE_WEB_HOST, LTE_PUBLIC_URL; None when no port is set (no web page)."""
    port_text, host, public = get("LTE_WEB_PORT"), get("LTE_WEB_HOST"), get("LTE_PUBLIC_URL")
    if public is not None:
        parts = urlsplit(public)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ConfigError(
                "LTE_PUBLIC_URL: must be an http:// or https:// address without ? or # "
                "(e.g. https://tableau.example.org)"
            )
    if port_text is None:
        return None
    if not (port_text.isascii() and port_text.isdigit() and 0 < int(port_text) < 65536):
        raise ConfigError("LTE_WEB_PORT: must be a port number between 1 and 65535")
    host = host or "127.0.0.1"
    if any(c.isspace() or c in "/?#@" for c in host):
        raise ConfigError("LTE_WEB_HOST: must be a host name or an address (e.g. 127.0.0.1)")
    return WebSettings(int(port_text), host, (public or "").rstrip("/"))


def _event_settings(source: Mapping[str, str]) -> dict[str, Any]:
    """LTE_REMINDERS, LTE_DIGEST_TIME, LTE_QUIET_HOURS (DESIGN §10); set but empty means none."""
    out: dict[str, Any] = {}
    if "LTE_REMINDERS" in source:
        try:
            out["reminders"] = parse_offsets(source["LTE_REMINDERS"])
        except ValueError:
            raise ConfigError(
                "LTE_REMINDERS: expected durations before the start like 24h,1h (units s, m, h, d; "
                "at most a year; empty: no reminder)"
            ) from None
    digest = source.get("LTE_DIGEST_TIME", "").strip()
    if digest:
        try:
            out["digest_time"] = parse_clock(digest)
        except ValueError:
            raise ConfigError("LTE_DIGEST_TIME: expected a local time like 08:00") from None
    if "LTE_QUIET_HOURS" in source:
        try:
            out["quiet_hours"] = parse_quiet(source["LTE_QUIET_HOURS"])
        except ValueError:
            raise ConfigError(
                "LTE_QUIET_HOURS: expected local times like 21:00-08:00 (empty: no quiet hours)"
            ) from None
    return out
