# OneCity — two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8000
PYTEST_ARGS ?=
# pytest-xdist: one process per core, at most 4 (each has its own database and its own app servers)
PYTEST_PAR ?= -n auto --maxprocesses=4

.PHONY: demo test test-sqlite test-postgres lint install clean bench

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "python3 is required"; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { \
	  echo "installing python3-venv"; apt-get update -q >/dev/null && apt-get install -y -q python3-venv >/dev/null; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	PORT=$(PORT) $(VENV)/bin/onecity demo

lint: $(STAMP)
	$(VENV)/bin/ruff check onecity tests bench
	$(VENV)/bin/mypy onecity
	$(VENV)/bin/lint-imports

test: $(STAMP)
	@scripts/ensure-chromium.sh
	@scripts/ensure-postgres.sh
	$(MAKE) lint
	@echo "=== tests on SQLite ==="
	ONECITY_TEST_DB=sqlite $(PY) -m pytest -p no:cacheprovider $(PYTEST_PAR) $(PYTEST_ARGS)
	@echo "=== tests on PostgreSQL ==="
	ONECITY_TEST_DB=postgres $(PY) -m pytest -p no:cacheprovider $(PYTEST_PAR) $(PYTEST_ARGS)

test-sqlite: $(STAMP)
	ONECITY_TEST_DB=sqlite $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@scripts/ensure-postgres.sh
	ONECITY_TEST_DB=postgres $(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf var test-artifacts .pytest_cache
