# The quick start: `make demo` runs the product, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && { echo $$p; break; }; done)
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
	$(BIN)/mypy

pytest: $(VENV)/.installed
	$(BIN)/pytest -m "not chaos"

test: lint pytest

# --- Running it ------------------------------------------------------------------
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo dev

# Everything in one process, no Redis, no AWS account: a simulated contact centre.
demo: $(VENV)/.installed
	DEBUG=1 REDIS_URL= $(BIN)/python manage.py migrate --noinput
	DEBUG=1 REDIS_URL= $(BIN)/python manage.py seed_demo --host $(HOST) --port $(PORT)
	DEBUG=1 REDIS_URL= MIGRATE=0 HOST=$(HOST) PORT=$(PORT) PYTHON=$(BIN)/python bin/web

# The full topology: web, Celery worker and Celery beat as separate processes on the
# Redis at REDIS_URL (default redis://127.0.0.1:6379/0); Ctrl-C stops all three.
dev: $(VENV)/.installed
	REDIS_URL="$${REDIS_URL:-redis://127.0.0.1:6379/0}" DEBUG="$${DEBUG:-1}" \
	HOST=$(HOST) PORT=$(PORT) PYTHON=$(BIN)/python bin/together bin/web bin/worker bin/beat
