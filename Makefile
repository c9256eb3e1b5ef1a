# The quick start: `make demo` runs the product, `make test` runs the whole suite.
SHELL := /bin/bash
# The first Python 3.11+ that runs (pyenv shims may exist for versions not installed).
ifndef PYTHON
PYTHON := $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)
endif
VENV := .venv
BIN := $(VENV)/bin

.PHONY: test lint pytest

# The venv is rebuilt when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	ENV_FILE= DEBUG=1 SECRET_KEY=type-checking-only $(BIN)/mypy

pytest: $(VENV)/.installed
	$(BIN)/pytest -m "not chaos"

test: lint pytest

# The socket messages' JSON Schema (docs/) and the page's field lists (static/wallboard/contract.js),
# written from connectmetrics/wire/socket_messages.py; a test fails when they are stale.
.PHONY: contract
contract: $(VENV)/.installed
	ENV_FILE= DEBUG=1 SECRET_KEY=contract-generation-only $(BIN)/python manage.py socket_contract

# The slow fault tests (docs/reliability.md): a minute of throttling, Redis away for 20 s
# under load, screens that read nothing, 1,000 screens dropped at once by a restart.
.PHONY: chaos
chaos: $(VENV)/.installed
	$(BIN)/pytest -m chaos

# The suite again on PostgreSQL: a server at 127.0.0.1:5432 that trusts the user postgres
# (pytest-django creates and drops the database test_wallboard). Left out: the browser
# tests, whose pages read the database through the same views the rest of the suite runs,
# and the end-to-end tests, whose processes use a SQLite file of their own either way.
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/wallboard
.PHONY: test-postgres
test-postgres: $(VENV)/.installed
	DATABASE_URL=$(POSTGRES_URL) $(BIN)/pytest -m "not chaos and not browser and not e2e"

# --- Running it ------------------------------------------------------------------
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo dev

# This machine's settings for the demo and `make dev`, written the first time only: DEBUG on
# and a secret key of its own, so every manage.py command in README.md works as typed. The
# environment wins over it; .env.example is the template for deployments.
.env: | $(VENV)/.installed
	@echo "Writing .env: DEBUG=1 and a new SECRET_KEY, for this machine's demo"
	@umask 077 && { \
	  echo "# Written by make demo for this machine (README.md, Configuration); not for deployments."; \
	  echo "DEBUG=1"; \
	  echo "SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')"; \
	} > $@

# Everything in one process, no Redis, no AWS account: a simulated contact centre.
# Alert e-mails are printed on the console.
demo: export EMAIL_BACKEND = django.core.mail.backends.console.EmailBackend
demo: $(VENV)/.installed .env
	DEBUG=1 REDIS_URL= $(BIN)/python manage.py migrate --noinput
	DEBUG=1 REDIS_URL= $(BIN)/python manage.py seed_demo --host $(HOST) --port $(PORT)
	DEBUG=1 REDIS_URL= MIGRATE=0 HOST=$(HOST) PORT=$(PORT) PYTHON=$(BIN)/python bin/web

# The full topology: web, Celery worker and Celery beat as separate processes on the
# Redis at REDIS_URL (default redis://127.0.0.1:6379/0); Ctrl-C stops all three.
dev: $(VENV)/.installed .env
	REDIS_URL="$${REDIS_URL:-redis://127.0.0.1:6379/0}" DEBUG="$${DEBUG:-1}" \
	HOST=$(HOST) PORT=$(PORT) PYTHON=$(BIN)/python bin/together bin/web bin/worker bin/beat
