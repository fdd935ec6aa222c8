# Usher — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PG_URL := $(shell $(PYTHON) scripts/postgres_url.py 2>/dev/null)
HAS_CHROMIUM := $(shell test -x /usr/bin/chromium && echo yes)

.PHONY: run test lint typecheck pytest pytest-sqlite pytest-postgres clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

## make run: install, migrate ./var/usher.db, bootstrap the first org, serve app + mail worker
run: $(VENV)/.installed
	$(BIN)/usher run --host 127.0.0.1 --port 8000

## make test: ruff, mypy, import contracts, pytest on SQLite, then on PostgreSQL when reachable
test: $(VENV)/.installed-dev lint typecheck pytest

lint:
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/lint-imports

typecheck:
	$(BIN)/mypy

PYTEST_MARKS := $(if $(HAS_CHROMIUM),,-m "not browser")

# The two passes run side by side (each prints when it is done): the suite takes ~9 minutes
# per engine on a 2-CPU machine, and CI must stay under 20.
pytest:
	$(MAKE) --no-print-directory -j2 --output-sync=target pytest-sqlite pytest-postgres

pytest-sqlite:
	@echo "== pytest on SQLite $(if $(HAS_CHROMIUM),(with browser tests),(no Chromium: browser tests left out))"
	USHER_TEST_DATABASE_URL= $(BIN)/pytest $(PYTEST_MARKS)

pytest-postgres:
ifneq ($(PG_URL),)
	@echo "== pytest on PostgreSQL"
	USHER_TEST_DATABASE_URL=$(PG_URL) USHER_TEST_REDIS_URL=redis://127.0.0.1:6379/14 \
		$(BIN)/pytest $(PYTEST_MARKS)
else
	@echo "== PostgreSQL not reachable and USHER_TEST_POSTGRES_URL unset: PostgreSQL run left out"
endif

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
