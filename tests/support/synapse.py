"""A throw-away local Synapse homeserver for end-to-end tests of the Matrix bot.

Synapse lives in its own venv (``scripts/setup-synapse.sh`` creates it); this module
writes a homeserver config into a temp dir, runs ``synapse.app.homeserver`` as a
subprocess bound to 127.0.0.1, and talks to its admin API with the stdlib only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
SETUP_HINT = "run scripts/setup-synapse.sh (make test does it)"

# Generous limits so that tests are never throttled by accident. A test that wants
# M_LIMIT_EXCEEDED tightens one user with ``Synapse.set_ratelimit`` (or starts its own
# server with ``rate_limits={"rc_message": {...}}``).
_FAST = {"per_second": 1000, "burst_count": 10000}
RELAXED_RATE_LIMITS: dict[str, Any] = {
    "rc_message": _FAST,
    "rc_registration": _FAST,
    "rc_registration_token_validity": _FAST,
    "rc_login": {"address": _FAST, "account": _FAST, "failed_attempts": _FAST},
    "rc_admin_redaction": _FAST,
    "rc_joins": {"local": _FAST, "remote": _FAST},
    "rc_joins_per_room": _FAST,
    "rc_3pid_validation": _FAST,
    "rc_invites": {"per_room": _FAST, "per_user": _FAST, "per_issuer": _FAST},
    "rc_third_party_invite": _FAST,
    "rc_room_creation": _FAST,
    "rc_key_requests": _FAST,
    "rc_media_create": _FAST,
    "rc_presence": {"per_user": _FAST},
    "rc_delayed_event_mgmt": _FAST,
    "rc_reports": _FAST,
    "rc_user_directory": _FAST,
    "rc_profile": _FAST,
}


class SynapseError(RuntimeError):
    """Synapse could not be started or refused an admin request."""


def default_venv() -> Path:
    """Path of the Synapse venv: ``$LTE_SYNAPSE_VENV`` or ``<repo>/.venv-synapse``."""
    return Path(os.environ.get("LTE_SYNAPSE_VENV") or REPO_ROOT / ".venv-synapse")


def synapse_python(venv: Path | None = None) -> Path | None:
    """The venv's interpreter if it can import Synapse, else None."""
    python = (venv or default_venv()) / "bin" / "python"
    if not python.exists():
        return None
    probe = subprocess.run(
        [str(python), "-c", "import synapse.app.homeserver"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    return python if probe.returncode == 0 else None


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the test process dies (Linux only)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Recursive dict merge: ``extra`` wins; nested mappings are merged key by key."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


class Synapse:
    """One Synapse process with a fresh sqlite database, listening on 127.0.0.1."""

    def __init__(
        self,
        *,
        venv: Path | None = None,
        server_name: str = "localhost",
        rate_limits: Mapping[str, Any] | None = None,
        extra_config: Mapping[str, Any] | None = None,
        workdir: Path | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        """Configure (not start) a server; ``rate_limits``/``extra_config`` override the defaults."""
        self.venv = venv or default_venv()
        self.server_name = server_name
        self.rate_limits = _merge(RELAXED_RATE_LIMITS, rate_limits or {})
        self.extra_config = dict(extra_config or {})
        self.startup_timeout = startup_timeout
        self._workdir_arg = workdir
        self.workdir: Path | None = None
        self.port = 0
        self.registration_shared_secret = secrets.token_urlsafe(32)
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None
        self._admin_token: str | None = None
        self._own_workdir = False
        self._python: Path | None = None

    # -- lifecycle ---------------------------------------------------------------

    def python(self) -> Path | None:
        """The Synapse venv's interpreter if it imports Synapse (probed once)."""
        if self._python is None:
            self._python = synapse_python(self.venv)
        return self._python

    @property
    def base_url(self) -> str:
        """Client-server API base URL, e.g. ``http://127.0.0.1:41234``."""
        if not self.port:
            raise SynapseError("Synapse is not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        """File that receives Synapse's stdout and stderr."""
        assert self.workdir is not None, "Synapse is not started"
        return self.workdir / "synapse.log"

    @property
    def running(self) -> bool:
        """True while the subprocess is alive."""
        return self._proc is not None and self._proc.poll() is None

    def config(self) -> dict[str, Any]:
        """The homeserver config (as written to homeserver.yaml)."""
        assert self.workdir is not None
        wd = self.workdir
        cfg: dict[str, Any] = {
            "server_name": self.server_name,
            "pid_file": str(wd / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(wd / "homeserver.db")}},
            "media_store_path": str(wd / "media_store"),
            "signing_key_path": str(wd / "signing.key"),
            "registration_shared_secret": self.registration_shared_secret,
            "macaroon_secret_key": secrets.token_urlsafe(32),
            "form_secret": secrets.token_urlsafe(32),
            "report_stats": False,
            "enable_registration": False,
            "enable_metrics": False,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "federation_domain_whitelist": [],
            "presence": {"enabled": False},
            "url_preview_enabled": False,
            "user_directory": {"enabled": False},
            "max_upload_size": "10M",
            "bcrypt_rounds": 4,
            **self.rate_limits,
        }
        return _merge(cfg, self.extra_config)

    def start(self) -> None:
        """Write the config, start Synapse and wait for ``/_matrix/client/versions``."""
        if self.running:
            return
        python = self.python()
        if python is None:
            raise SynapseError(f"no Synapse in {self.venv}: {SETUP_HINT}")
        if self._workdir_arg is not None:
            self.workdir = self._workdir_arg
            self.workdir.mkdir(parents=True, exist_ok=True)
        else:
            self.workdir = Path(tempfile.mkdtemp(prefix="lte-synapse-"))
            self._own_workdir = True

        last_error: SynapseError | None = None
        for _attempt in range(3):  # a free port may be taken between probe and bind
            self.port = _free_port()
            config_path = self.workdir / "homeserver.yaml"
            # JSON is valid YAML, so no YAML writer is needed on the test side.
            config_path.write_text(json.dumps(self.config(), indent=2))
            self._log_file = open(self.log_path, "ab")  # closed in _terminate()
            self._proc = subprocess.Popen(
                [str(python), "-m", "synapse.app.homeserver", "-c", str(config_path)],
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=self._log_file,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                start_new_session=True,  # Ctrl-C reaches pytest only; teardown stops us
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
            try:
                self._wait_ready()
                break
            except SynapseError as exc:
                last_error = exc
                address_in_use = "Address already in use" in self.log_tail()
                self._terminate()
                if not address_in_use:
                    raise
        else:
            assert last_error is not None
            raise last_error
        self._admin_token = None

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        url = f"{self.base_url}/_matrix/client/versions"
        while True:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise SynapseError(
                    f"Synapse exited with code {self._proc.returncode} during startup; "
                    f"log tail:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise SynapseError(
                    f"Synapse did not answer {url} within {self.startup_timeout:.0f}s; "
                    f"log tail:\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def stop(self, *, keep_workdir: bool = False) -> None:
        """SIGTERM Synapse (SIGKILL after 10 s) and remove the temp dir it created."""
        self._terminate()
        self._admin_token = None
        if self._own_workdir and self.workdir is not None and not keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
            self._own_workdir = False

    def log_tail(self, lines: int = 40) -> str:
        """Last lines of the Synapse log (empty if there is none yet)."""
        if self.workdir is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def __enter__(self) -> Synapse:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- HTTP helpers ------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        token: str | None = None,
        timeout: float = 30.0,
    ) -> Any:
        """JSON request to Synapse; returns the decoded body, raises SynapseError on HTTP errors."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise SynapseError(f"{method} {path} -> HTTP {exc.code}: {detail}") from exc
        return json.loads(raw) if raw else {}

    def download(self, mxc: str, *, token: str, timeout: float = 30.0) -> bytes:
        """The bytes of an uploaded file (`mxc://server/id`), by the authenticated media API."""
        server, _, media_id = mxc.removeprefix("mxc://").partition("/")
        path = (
            f"/_matrix/client/v1/media/download/{urllib.parse.quote(server)}/{urllib.parse.quote(media_id)}"
        )
        req = urllib.request.Request(self.base_url + path, method="GET")
        req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return bytes(resp.read())
        except urllib.error.HTTPError as exc:
            raise SynapseError(
                f"GET {path} -> HTTP {exc.code}: {exc.read().decode(errors='replace')}"
            ) from exc

    # -- users -------------------------------------------------------------------

    def user_id(self, localpart: str) -> str:
        """Full Matrix ID for a localpart on this server."""
        return f"@{localpart}:{self.server_name}"

    def register_user_full(
        self, localpart: str, password: str, admin: bool = False, *, unlimited: bool = True
    ) -> dict[str, Any]:
        """Register via the shared-secret admin API; returns Synapse's answer.

        The answer has ``user_id``, ``access_token``, ``device_id`` and ``home_server``.
        With ``unlimited`` (default) the user gets a rate-limit override that exempts it
        from all rate limits.
        """
        path = "/_synapse/admin/v1/register"
        nonce = self.request("GET", path)["nonce"]
        mac = hmac.new(self.registration_shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(
            b"\x00".join(
                [
                    nonce.encode(),
                    localpart.encode(),
                    password.encode(),
                    b"admin" if admin else b"notadmin",
                ]
            )
        )
        result: dict[str, Any] = self.request(
            "POST",
            path,
            {
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        if unlimited:
            self.set_ratelimit(result["user_id"], messages_per_second=0, burst_count=0)
        return result

    def register_user(
        self, localpart: str, password: str, admin: bool = False, *, unlimited: bool = True
    ) -> tuple[str, str]:
        """Register a user; returns ``(user_id, access_token)``."""
        result = self.register_user_full(localpart, password, admin, unlimited=unlimited)
        return result["user_id"], result["access_token"]

    @property
    def admin_token(self) -> str:
        """Access token of a server admin (registered on first use)."""
        if self._admin_token is None:
            localpart = f"lte-admin-{secrets.token_hex(4)}"
            result = self.register_user_full(
                localpart, secrets.token_urlsafe(16), admin=True, unlimited=False
            )
            self._admin_token = str(result["access_token"])
            # Admins are rate limited like anybody else: exempt this one.
            self.set_ratelimit(result["user_id"], messages_per_second=0, burst_count=0)
        return self._admin_token

    def set_ratelimit(self, user_id: str, messages_per_second: int = 0, burst_count: int = 0) -> None:
        """Override a user's rate limit (admin API); ``messages_per_second=0`` means unlimited.

        Synapse accepts integers only. A non-zero override replaces ``rc_message`` for
        this user (messages, room creation, joins, profile changes); zero exempts the
        user from every limiter. ``(1, 1)`` throttles the second message in a second.
        """
        self.request(
            "POST",
            f"/_synapse/admin/v1/users/{urllib.parse.quote(user_id)}/override_ratelimit",
            {"messages_per_second": messages_per_second, "burst_count": burst_count},
            token=self.admin_token,
        )

    def clear_ratelimit(self, user_id: str) -> None:
        """Remove a user's override: the server-wide (relaxed) limits apply again."""
        self.request(
            "DELETE",
            f"/_synapse/admin/v1/users/{urllib.parse.quote(user_id)}/override_ratelimit",
            token=self.admin_token,
        )

    def whoami(self, access_token: str) -> dict[str, Any]:
        """``/account/whoami`` for a token: ``user_id`` and ``device_id``."""
        result: dict[str, Any] = self.request("GET", "/_matrix/client/v3/account/whoami", token=access_token)
        return result


def synapse_session(**kwargs: Any) -> Iterator[Synapse]:
    """Generator for a pytest fixture: start one Synapse, yield it, stop it.

    A missing Synapse venv is a test failure (never a skip), so CI cannot go
    green without the end-to-end tests having run.
    """
    import pytest

    server = Synapse(**kwargs)
    if server.python() is None:
        pytest.fail(f"Synapse is not installed in {server.venv}: {SETUP_HINT}", pytrace=False)
    try:
        server.start()
    except SynapseError as exc:
        server.stop(keep_workdir=True)
        pytest.fail(f"{exc}\n(Synapse files kept in {server.workdir})", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


def make_synapse_fixture(
    name: str = "synapse", scope: str = "session", **kwargs: Any
) -> Callable[[], Iterator[Synapse]]:
    """Build a pytest fixture named ``name`` that runs one Synapse per ``scope``.

    Example (in a conftest): ``synapse = make_synapse_fixture()``; or, for a server
    with a tight message limit: ``strict_synapse = make_synapse_fixture(
    "strict_synapse", "module", rate_limits={"rc_message": {"per_second": 0.1, "burst_count": 1}})``.
    """
    import pytest

    def _fixture() -> Iterator[Synapse]:
        yield from synapse_session(**kwargs)

    _fixture.__name__ = name
    return pytest.fixture(scope=scope, name=name)(_fixture)  # type: ignore[call-overload, no-any-return]
