"""The gettext catalogs of lte-bot (`<lang>/LC_MESSAGES/messages.po`, French and English).

Installed, this directory is the package `lte_core.locales` (see setup.py): the wheel carries the
`.mo` the build compiled, and `lte_core.i18n` reads them with `importlib.resources`."""
