"""python-telegram-bot's HTTP transport on aiohttp: one session, a few keep-alive connections.

ptb's default, HTTPXRequest, spends more CPU per request in httpx and httpcore than the bot spends
on the update itself. This `BaseRequest` sends the same requests: parameters form-encoded (every
non-string value JSON-encoded by ptb), `multipart/form-data` when files are uploaded, with the
same part headers as httpx (so what Telegram receives does not change). Timeouts become
`telegram.error.TimedOut`, other transport failures `NetworkError`.

Timeouts: aiohttp has no pool or write timeout of its own. Waiting for a free connection and
connecting together get `pool_timeout + connect_timeout`; reading waits at most `read_timeout`
between bytes; and the whole request is bounded by the sum of the four, which also bounds a
stalled upload. ptb adds the long-poll timeout to getUpdates' read timeout itself."""

from __future__ import annotations

import os
import re
import ssl
from collections.abc import Mapping
from functools import lru_cache
from typing import IO
from urllib.parse import urlencode

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

__all__ = ["AiohttpRequest", "multipart_body"]

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# How httpx (and browsers, per HTML5) write a name or file name inside a Content-Disposition.
_HTML5_ESCAPES = {chr(c): f"%{c:02X}" for c in range(0x20) if c != 0x1B} | {'"': "%22", "\\": "\\\\"}
_HTML5_RE = re.compile("|".join(re.escape(c) for c in _HTML5_ESCAPES))


def _param(name: str, value: str) -> bytes:
    return f'{name}="{_HTML5_RE.sub(lambda m: _HTML5_ESCAPES[m.group(0)], value)}"'.encode()


def multipart_body(
    fields: Mapping[str, str], files: Mapping[str, tuple[str, bytes | IO[bytes], str]], boundary: bytes
) -> bytes:
    """A `multipart/form-data` body as httpx writes it: the fields, then the files."""
    chunks: list[bytes] = []
    for name, value in fields.items():
        chunks += [b"--", boundary, b"\r\nContent-Disposition: form-data; ", _param("name", name)]
        chunks += [b"\r\n\r\n", value.encode(), b"\r\n"]
    for name, (filename, content, mimetype) in files.items():
        data = content if isinstance(content, bytes) else content.read()
        chunks += [b"--", boundary, b"\r\nContent-Disposition: form-data; ", _param("name", name)]
        chunks += [b"; ", _param("filename", filename), b"\r\nContent-Type: ", mimetype.encode()]
        chunks += [b"\r\n\r\n", data, b"\r\n"]
    chunks += [b"--", boundary, b"--\r\n"]
    return b"".join(chunks)


def _trust() -> ssl.SSLContext:
    """The certificates httpx (ptb's default) trusts: certifi's, which ptb installs through httpx,
    so a slim image without the system's CA bundle reaches Telegram all the same."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with httpx
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


@lru_cache(maxsize=256)
def _url(url: str) -> URL:
    """Parsed once: a bot calls a handful of method URLs over and over."""
    return URL(url)


@lru_cache(maxsize=64)
def _timeout(
    pool: float | None, connect: float | None, write: float | None, read: float | None
) -> aiohttp.ClientTimeout:
    acquire = None if pool is None or connect is None else pool + connect
    parts = (pool, connect, write, read)
    total = None if any(t is None for t in parts) else sum(t for t in parts if t is not None)
    return aiohttp.ClientTimeout(total=total, connect=acquire, sock_connect=connect, sock_read=read)


class AiohttpRequest(BaseRequest):
    """A `telegram.request.BaseRequest` on one `aiohttp.ClientSession` (see the module docstring)."""

    __slots__ = ("_defaults", "_limit", "_media_write_timeout", "_proxy", "_session")

    def __init__(
        self,
        connection_pool_size: int = 16,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
    ) -> None:
        self._limit = connection_pool_size
        self._defaults = (pool_timeout, connect_timeout, write_timeout, read_timeout)
        self._media_write_timeout = media_write_timeout
        self._proxy = proxy
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout, in seconds."""
        return self._defaults[3]

    async def initialize(self) -> None:
        """Open the session (again after a shutdown)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._limit, ttl_dns_cache=300, ssl=_trust())
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                timeout=_timeout(*self._defaults),
                proxy=self._proxy,
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One request to the Bot API: (HTTP status, body)."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        pool, connect, write, read = self._defaults
        if isinstance(write_timeout, DefaultValue):
            write_timeout = self._media_write_timeout if files else write
        timeout = _timeout(
            pool if isinstance(pool_timeout, DefaultValue) else pool_timeout,
            connect if isinstance(connect_timeout, DefaultValue) else connect_timeout,
            write_timeout,
            read if isinstance(read_timeout, DefaultValue) else read_timeout,
        )
        headers: Mapping[str, str] | None = None
        body: bytes | None = None
        if files:
            boundary = os.urandom(16).hex().encode()
            body = multipart_body(fields or {}, files, boundary)
            headers = {"Content-Type": f"multipart/form-data; boundary={boundary.decode()}"}
        elif fields:
            body, headers = urlencode(fields).encode(), _FORM
        try:
            async with session.request(method, _url(url), data=body, headers=headers, timeout=timeout) as res:
                return res.status, await res.read()
        except TimeoutError as err:  # aiohttp's connect and read timeouts are TimeoutErrors too
            raise TimedOut from err
        except aiohttp.ClientError as err:
            # The URL holds the token: never let it into the message.
            said = str(err).replace(url, "<url>")
            raise NetworkError(f"aiohttp.{type(err).__name__}: {said}") from err
