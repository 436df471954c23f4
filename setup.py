"""The build's two steps that `pyproject.toml` cannot declare: the catalogs ship as `lte_core.locales`
and their `.mo` are compiled by the build.

`locales/` stays at the top of the repository (the Makefile, the scripts and the translators work
there); the wheel carries it as the package `lte_core.locales`, where `lte_core.i18n` finds it with
`importlib.resources`. The `.mo` are compiled from the `.po` by `build_py`, never copied: a stale
`.mo` left in a checkout by `make catalogs` cannot reach a wheel. The `.po` go in the sdist
(MANIFEST.in), so a wheel built from the sdist gets its catalogs the same way."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py
from setuptools.errors import SetupError

CATALOGS = "lte_core.locales"
DOMAIN = "messages"


def compile_catalog(po: Path, mo: Path) -> str:
    """Compile one `.po` to its `.mo` with Babel; a fuzzy or broken catalog stops the build."""
    locale = po.parent.parent.name
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale, domain=DOMAIN)
    if catalog.fuzzy:
        raise SetupError(f"{po}: the catalog is marked fuzzy; review it before building")
    errors = [f"{message.id!r}: {error}" for message, found in catalog.check() for error in found]
    if errors:
        raise SetupError(f"{po}: {len(errors)} error(s): " + "; ".join(errors[:5]))
    mo.parent.mkdir(parents=True, exist_ok=True)
    with mo.open("wb") as fh:
        write_mo(fh, catalog)
    done = sum(1 for message in catalog if message.id and message.string and not message.fuzzy)
    return f"compiled {po} ({locale}, {done} messages) to {mo}"


class BuildPyWithCatalogs(build_py):
    """`build_py`, then every `locales/<lang>/LC_MESSAGES/messages.po` compiled into the build."""

    def run(self) -> None:
        super().run()
        for po, mo in self.catalogs():
            self.announce(compile_catalog(po, mo), level=2)

    def catalogs(self) -> list[tuple[Path, Path]]:
        source = Path(self.get_package_dir(CATALOGS))
        # An editable install reads the catalogs where they are: compile them in place (git-ignored).
        target = source if self.editable_mode else Path(self.build_lib, *CATALOGS.split("."))
        return [
            (po, target / po.relative_to(source).with_suffix(".mo"))
            for po in sorted(source.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
        ]

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs: list[str] = super().get_outputs(include_bytecode)
        if not self.editable_mode:
            outputs.extend(str(mo) for _po, mo in self.catalogs())
        return outputs


setup(
    packages=[
        *find_namespace_packages(include=["lte_core*", "dialogs*", "bots*"], exclude=["*__pycache__*"]),
        CATALOGS,
    ],
    package_dir={CATALOGS: "locales"},
    cmdclass={"build_py": BuildPyWithCatalogs},
)
