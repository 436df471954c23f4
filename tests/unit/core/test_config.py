"""Settings: names, defaults, one clear line per bad setting, and secrets that never show."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from lte_core import logs
from lte_core.config import ConfigError, load

TOKEN = "123456789:AAH-secret-token-value-xyz_0123456"
PASSWORD = "correct horse battery staple"


def test_defaults_follow_the_operating_contract() -> None:
    s = load({})
    assert (s.db_path, s.timezone, s.default_locale, s.admins, s.telegram, s.matrix) == (
        "./lte.sqlite3",
        "Europe/Paris",
        "fr",
        frozenset(),
        None,
        None,
    )


def test_every_setting_is_read() -> None:
    s = load(
        {
            "LTE_DB_PATH": "/tmp/x.sqlite3",
            "LTE_TIMEZONE": "America/Cayenne",
            "LTE_DEFAULT_LOCALE": "en",
            "LTE_ADMINS": "telegram:999, matrix:@noyau:example.org,terminal:camille",
            "LTE_TELEGRAM_TOKEN": TOKEN,
            "LTE_TELEGRAM_BASE_URL": "http://127.0.0.1:8081/bot",
            "LTE_MATRIX_HOMESERVER": "https://m.example.org/",
            "LTE_MATRIX_USER_ID": "@lte:example.org",
            "LTE_MATRIX_PASSWORD": PASSWORD,
        }
    )
    assert s.admins == {"telegram:999", "matrix:@noyau:example.org", "terminal:camille"}
    assert s.telegram is not None and s.telegram.token.reveal() == TOKEN
    assert s.telegram.base_url == "http://127.0.0.1:8081/bot"
    assert s.matrix is not None and s.matrix.homeserver == "https://m.example.org"
    assert s.tz.key == "America/Cayenne"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"LTE_TIMEZONE": "Mars/Olympus"}, "LTE_TIMEZONE"),
        ({"LTE_DEFAULT_LOCALE": "de"}, "LTE_DEFAULT_LOCALE"),
        ({"LTE_ADMINS": "camille"}, "LTE_ADMINS"),
        ({"LTE_TELEGRAM_TOKEN": "not-a-token"}, "LTE_TELEGRAM_TOKEN"),
        ({"LTE_TELEGRAM_BASE_URL": "http://x"}, "LTE_TELEGRAM_TOKEN"),
        ({"LTE_TELEGRAM_TOKEN": TOKEN, "LTE_TELEGRAM_RATE": "fast"}, "LTE_TELEGRAM_RATE"),
        ({"LTE_MATRIX_USER_ID": "@a:b"}, "LTE_MATRIX_HOMESERVER"),
        ({"LTE_MATRIX_HOMESERVER": "https://m", "LTE_MATRIX_USER_ID": "@a:b"}, "LTE_MATRIX_PASSWORD"),
        ({"LTE_MATRIX_HOMESERVER": "https://m", "LTE_MATRIX_PASSWORD": PASSWORD}, "LTE_MATRIX_USER_ID"),
        (
            {"LTE_MATRIX_HOMESERVER": "m.org", "LTE_MATRIX_USER_ID": "@a:b", "LTE_MATRIX_PASSWORD": "x"},
            "LTE_MATRIX_HOMESERVER",
        ),
    ],
)
def test_a_bad_setting_is_named_in_one_line(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(env)
    message = str(err.value)
    assert message.startswith(named) and "\n" not in message


def test_secrets_never_appear_in_errors_reprs_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    bad_token = "12345:" + "z" * 30 + "!"  # malformed, but still a secret
    with pytest.raises(ConfigError) as err:
        load({"LTE_TELEGRAM_TOKEN": "abc" + PASSWORD})
    assert PASSWORD not in str(err.value)
    s = load(
        {
            "LTE_TELEGRAM_TOKEN": TOKEN,
            "LTE_MATRIX_HOMESERVER": "https://m.org",
            "LTE_MATRIX_USER_ID": "@a:m.org",
            "LTE_MATRIX_PASSWORD": PASSWORD,
        }
    )
    assert TOKEN not in repr(s) and PASSWORD not in repr(s) and TOKEN not in str(s.telegram)
    formatter = logs.RedactingFormatter("%(message)s", [TOKEN, PASSWORD])
    record = logging.LogRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        "HTTP Request: POST https://api.telegram.org/bot%s/getMe (pw %s) other %s",
        (TOKEN, PASSWORD, bad_token[:-1]),
        None,
    )
    line = formatter.format(record)
    assert TOKEN not in line and PASSWORD not in line and "z" * 30 not in line
    assert line.count(logs.REDACTED) == 3


def test_a_toml_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    path = tmp_path / "lte.toml"
    path.write_text(
        '[lte]\ndb_path = "from-file.sqlite3"\ntimezone = "Europe/Brussels"\n'
        'admins = ["terminal:camille", "telegram:1"]\n',
        encoding="utf-8",
    )
    s = load({"LTE_TIMEZONE": "Europe/Paris"}, path)
    assert s.db_path == "from-file.sqlite3" and s.timezone == "Europe/Paris"
    assert s.admins == {"terminal:camille", "telegram:1"}
    path.write_text("db_path = [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load({}, path)
    path.write_text('colour = "blue"', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        load({}, path)
