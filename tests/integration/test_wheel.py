"""The wheel as a resident's machine gets it: built from the sdist, installed in a fresh venv, it
speaks French and English from the catalogs its build compiled.

Offline and quick: the sdist comes from the build backend, the wheel from the sdist without build
isolation (setuptools and Babel from the dev venv), and the fresh venv sees the dependencies
through a `.pth` naming the dev venv's site-packages. That directory also holds the editable
install's finder, but a `.pth` entry is a plain path (its own `.pth` files are not run): the
`lte_core` imported must be, and is checked to be, the fresh venv's own."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import tarfile
import venv
import zipfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parents[2]
BUILD_SDIST = "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))"
CATALOGS = [f"lte_core/locales/{lang}/LC_MESSAGES/messages" for lang in ("fr", "en")]


@dataclass(frozen=True)
class Built:
    sdist: list[str]
    wheel: list[str]
    venv: Path


def run(*args: str | Path, cwd: Path = ROOT) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=120, env=clean_env()
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


def clean_env(**extra: str) -> dict[str, str]:
    """Nothing from this session's environment that could point the installed bot elsewhere."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LTE_", "PYTHON", "LC_")) and k not in ("LANG", "LANGUAGE", "VIRTUAL_ENV")
    }
    return environ | {"LANG": "C.UTF-8"} | extra


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    setuptools = version("setuptools")
    assert int(setuptools.split(".")[0]) >= 77, f"setuptools {setuptools}: run `pip install -e '.[dev]'`"
    work = tmp_path_factory.mktemp("wheel")
    sdist = work / run(sys.executable, "-c", BUILD_SDIST, work).splitlines()[-1].strip()
    with tarfile.open(sdist) as tar:
        sdist_names = tar.getnames()
        tar.extractall(work / "src", filter="data")
    (source,) = (work / "src").iterdir()
    run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
        "-q", "-w", work / "dist", source,
    )  # fmt: skip
    (wheel,) = (work / "dist").glob("lte_bot-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        wheel_names = zf.namelist()

    env_dir = work / "venv"
    venv.create(env_dir, with_pip=False, symlinks=True)
    python = env_dir / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel)
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip()
    (Path(purelib) / "lte_dev_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return Built(sdist_names, wheel_names, env_dir)


def test_the_sdist_carries_the_po_and_the_wheel_the_compiled_mo(built: Built) -> None:
    sdist = {name.partition("/")[2] for name in built.sdist}
    assert {"locales/fr/LC_MESSAGES/messages.po", "locales/en/LC_MESSAGES/messages.po"} <= sdist
    assert not [name for name in sdist if name.endswith(".mo")]  # the build compiles them
    assert {f"{catalog}.mo" for catalog in CATALOGS} <= set(built.wheel)
    assert not [name for name in built.wheel if name.endswith((".po", ".pot"))]


def test_the_installed_bot_is_the_wheel_and_reads_its_own_catalogs(built: Built) -> None:
    shown = run(
        built.venv / "bin" / "python",
        "-c",
        "import lte_core, lte_core.i18n as i; print(lte_core.__file__); print(i.locales_dir())",
        cwd=built.venv,
    ).splitlines()
    package, catalogs = Path(shown[0]), Path(shown[1])
    assert package.is_relative_to(built.venv) and catalogs.is_relative_to(built.venv), shown
    assert (catalogs / "fr" / "LC_MESSAGES" / "messages.mo").is_file()


@pytest.mark.parametrize(
    ("locale", "expected", "not_expected"),
    [
        ("fr", "Quelle langue préférez-vous", "Which language do you prefer"),
        ("en", "Which language do you prefer", "Quelle langue préférez-vous"),
    ],
)
def test_the_installed_bot_speaks_the_territory_language(
    built: Built, tmp_path: Path, locale: str, expected: str, not_expected: str
) -> None:
    done = subprocess.run(
        [str(built.venv / "bin" / "lte-bot"), "chat", "--as", "Camille"],
        input="/start\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=clean_env(LTE_DEFAULT_LOCALE=locale, LTE_DB_PATH=str(tmp_path / "lte.sqlite3")),
    )
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout and not_expected not in done.stdout, done.stdout
