# The portal's everyday commands. Each one creates ./.venv and installs the
# pinned dependencies first, so a fresh clone needs only Python >= 3.11, make and git.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The seed monograph and the 300-file sample of the public corpus.
CORPUS ?= tests/data/isotretinoin-systemic.md tests/data/corpus
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: install run serve serve-local test lint format clean bench bench-import bench-import-vs-loaddata

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
	DJANGO_DEMO_BANNER=1 $(PY) manage.py runserver 127.0.0.1:$(PORT)

## serve: production settings under gunicorn on 127.0.0.1:$(PORT) (portal/gunicorn.conf.py)
serve: install
	@if [ -z "$$DJANGO_SECRET_KEY" ] || [ -z "$$DJANGO_ALLOWED_HOSTS" ]; then \
		echo "make serve runs the portal with production settings and needs:"; \
		echo "  DJANGO_SECRET_KEY     a long random secret, the same on every server, e.g."; \
		echo "                        export DJANGO_SECRET_KEY=\"\$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')\""; \
		echo "  DJANGO_ALLOWED_HOSTS  the site's host names, e.g. export DJANGO_ALLOWED_HOSTS=monographs.example.org"; \
		echo "Plain HTTP on 127.0.0.1 (no TLS proxy) also needs DJANGO_SECURE_SSL_REDIRECT=0."; \
		echo "To try it locally with a throwaway secret: make serve-local"; \
		exit 2; \
	fi
	DJANGO_ENV=production $(PY) manage.py migrate --noinput
	DJANGO_ENV=production $(PY) manage.py collectstatic --noinput --verbosity 0
	DJANGO_ENV=production PORT=$(PORT) exec $(VENV)/bin/gunicorn -c portal/gunicorn.conf.py

## serve-local: make serve over plain HTTP on 127.0.0.1, with a throwaway secret key
serve-local:
	@DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')}" \
	DJANGO_ALLOWED_HOSTS="$${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}" \
	DJANGO_SECURE_SSL_REDIRECT="$${DJANGO_SECURE_SSL_REDIRECT:-0}" \
	$(MAKE) --no-print-directory serve

## test: the whole suite (SQLite unless DATABASE_URL is set)
test: install node_modules/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

## bench-import: time importing the 300-file sample corpus into an empty database
bench-import: install
	$(PY) bench/import_sample.py

## bench: page throughput under gunicorn with wrk; writes docs/PERFORMANCE.md
bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

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
	rm -rf $(VENV) node_modules db.sqlite3 staticfiles artifacts .pytest_cache .ruff_cache
