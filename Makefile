# The two commands a fresh machine needs: `make chat` (install and start the bot in the terminal)
# and `make test` (install what the tests need, the Synapse for the Matrix tests included, and run them).

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: chat run web test install dev catalogs extract update-catalogs lint typecheck bench synapse chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) catalogs

chat: install
	$(BIN)/lte-bot chat

run: install
	$(BIN)/lte-bot run

web: install
	$(BIN)/lte-bot web

synapse:
	bash scripts/setup-synapse.sh

# The tableau's browser tests drive Debian's Chromium (Playwright for Python, never its own
# browser download): installed here when it is missing.
chromium:
	@test -x /usr/bin/chromium || { (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
		|| { echo "make chromium: could not install Debian's chromium (apt-get, as root)" >&2; exit 1; }; }
	@/usr/bin/chromium --version

test: install synapse chromium
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q

# The .mo of a checkout (git-ignored); a wheel's build compiles its own into lte_core/locales/ (setup.py).
catalogs: $(STAMP)
	$(BIN)/pybabel compile --statistics -d locales -D messages

extract: $(STAMP)
	$(BIN)/pybabel extract -F pyproject.toml -k plain -k N_ -o locales/messages.pot \
		--project=lte-bot --copyright-holder="Le Territoire Exemplaire" --no-location --sort-output --width 100 \
		lte_core dialogs bots

update-catalogs: extract
	$(BIN)/pybabel update --ignore-obsolete --no-fuzzy-matching --width 100 -i locales/messages.pot -d locales -D messages
	$(BIN)/python scripts/fill_en_catalog.py locales/en/LC_MESSAGES/messages.po

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/telegram_throughput.py
	$(BIN)/python bench/matrix_roundtrip.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/dashboard.py

clean:
	rm -rf $(VENV) .venv-synapse build *.egg-info
