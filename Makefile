# Solsignals — two commands matter: `make demo` and `make test`. Both create or reuse .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

EMULATOR := tests/bots/telegram/emulator
EMULATOR_STAMP := $(EMULATOR)/node_modules/.installed

.PHONY: install demo test lint services emulator bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

## The local Telegram Bot API emulator the bot tests talk to (Node.js, from the npm registry).
$(EMULATOR_STAMP): $(EMULATOR)/package.json $(EMULATOR)/package-lock.json
	cd $(EMULATOR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $(EMULATOR_STAMP)

emulator: $(EMULATOR_STAMP)

## Run the main job on the embedded default: local market replay -> real pipeline -> SQLite.
demo: install
	$(VENV)/bin/solsignals demo --seconds 30

## Lint, type-check core, and run the whole test suite against real PostgreSQL and Redis.
test: install services emulator
	$(PY) -m ruff check .
	$(PY) -m mypy core bots workers
	$(PY) -m pytest

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

## Start PostgreSQL and Redis on 127.0.0.1 if they are not running (installs them if absent).
services:
	bash .ci/services.sh

bench: install services
	$(PY) bench/bench_decode.py
	$(PY) bench/bench_ingest_pg.py
	$(PY) bench/bench_pipeline.py
	$(PY) bench/bench_engine.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache $(EMULATOR)/node_modules
