# Two commands for a newcomer: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export UV_CACHE_DIR ?= $(CURDIR)/.data/uv-cache
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup lint format messages browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r pyproject.toml --extra dev
	touch $@

# Development values for a fresh clone; production sets real variables instead.
.env:
	cp .env.example .env

setup: $(VENV)/.installed .env

run: setup
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo --if-empty
	@# The worker with beat, the notification relay (outbox -> broker) and the site;
	@# Ctrl-C stops all three within seconds (ccrcsr/devrun.py). Links in emails and
	@# parents' messages point at this server (its PORT), unless SITE_URL is set.
	@SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}" $(BIN)/python -m ccrcsr.devrun \
	  "$(BIN)/celery -A ccrcsr worker --beat --loglevel info --concurrency 2" \
	  "$(BIN)/python manage.py relay_outbox" \
	  "$(BIN)/python manage.py runserver $(HOST):$(PORT)"

# Browser tests drive Debian's Chromium; install it where we may (root, apt),
# with a Chinese font: the phone-layout tests measure Chinese text, which
# without one is drawn as empty boxes of another width.
browser:
	@{ command -v chromium >/dev/null && fc-list :lang=zh 2>/dev/null | grep -q . ; } || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei >/dev/null) ; } || \
	  echo "chromium or a Chinese font is not installed: browser tests will be skipped or measure boxes (apt-get install chromium fonts-wqy-microhei)"

test: setup browser
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Extract strings and compile catalogues. Needs GNU gettext for extraction;
# compiling uses polib, and the compiled .mo files are committed so a fresh
# machine shows Chinese without gettext.
messages: setup
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=.data --ignore=tests
	$(BIN)/python manage.py compile_catalogues

clean:
	rm -rf $(VENV) .data
