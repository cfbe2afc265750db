# Tack: two commands on a fresh machine.
#   make run   - set up, migrate an embedded SQLite database, load the demo, serve on :8000
#   make test  - set up (Python, npm, Chromium) and run every test, on SQLite and PostgreSQL
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
HOST ?= 127.0.0.1
PORT ?= 8000
WEB_SOURCES := $(shell find web/src web/index.html web/vite.config.ts web/package.json web/public -type f 2>/dev/null)

.PHONY: run test test-python test-web bench lint deps web chromium clean help

help:
	@echo "make run    - set up and run Tack with SQLite and demo data on http://$(HOST):$(PORT)"
	@echo "make test   - set up and run every test (SQLite, and PostgreSQL when it answers)"
	@echo "make bench  - run the benchmarks"
	@echo "make lint   - ruff, and mypy on tack.core"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMPS)/python: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	@mkdir -p $(STAMPS) && touch $@

deps: $(STAMPS)/python

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build

web: web/dist/index.html

chromium:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || \
	  { echo "installing Chromium from Debian"; \
	    if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

run: deps web
	@mkdir -p var
	$(BIN)/tack migrate
	$(BIN)/tack demo
	@echo ""
	@echo "  Tack is running at http://$(HOST):$(PORT)"
	@echo "  Sign in as alice@example.com (owner), bob@example.com or carol@example.com, password demo-password"
	@echo ""
	$(BIN)/tack serve --host $(HOST) --port $(PORT)

test: deps web chromium
	cd web && npm run check && npm test
	$(BIN)/pytest -q -p no:cacheprovider

test-python: deps
	$(BIN)/pytest -q -p no:cacheprovider --ignore=tests/e2e

bench: deps
	$(BIN)/pip install --quiet -e ".[bench]"
	@for b in $$(ls bench/*.py | xargs -n1 basename | sed 's/\.py$$//' | grep -v '^_' | grep -v '^common$$'); do \
	  echo "== bench.$$b"; $(BIN)/python -m bench.$$b $(BENCH_ARGS) || exit 1; done

lint: deps
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/tack/core src/tack/formula

clean:
	rm -rf $(VENV) $(STAMPS) web/node_modules web/dist
