# The portal's everyday commands. Each one creates ./.venv and installs the
# pinned dependencies first, so a fresh clone needs only Python >= 3.11, make and git.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
CORPUS ?= demo
PYTEST_ARGS ?=

.PHONY: install run test lint format clean bench-import bench-import-vs-loaddata

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

# The page checkers (W3C Nu checker, axe-core) for the browser tests, from npm.
# Without npm those tests are skipped (CI, which has it, fails on any skip).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --no-audit --no-fund --ignore-scripts && touch $@; \
	else \
		echo "npm not found: the page-checker tests will be skipped"; \
	fi

install: $(VENV)/.installed

## run: set up the SQLite database, import $(CORPUS) and serve on 127.0.0.1:$(PORT)
run: install
	$(PY) manage.py migrate --noinput
	@# A file that fails to import is reported; the rest of the corpus is still served.
	-$(PY) manage.py import_monographs $(CORPUS)
	$(PY) manage.py create_demo_staff
	@echo "Serving on http://127.0.0.1:$(PORT)/  (admin: http://127.0.0.1:$(PORT)/admin/)"
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

## test: the whole suite (SQLite unless DATABASE_URL is set)
test: install node_modules/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

## bench-import: time importing the 300-file sample corpus into an empty database
bench-import: install
	$(PY) bench/import_sample.py

## bench-import-vs-loaddata: time importing 1,000 monographs against loaddata of the same content
## (SQLite; PostgreSQL too when DATABASE_URL is set)
bench-import-vs-loaddata: install
	$(PY) bench/import_vs_loaddata.py

## lint: ruff, formatting and missing migrations
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) node_modules db.sqlite3 artifacts .pytest_cache .ruff_cache
