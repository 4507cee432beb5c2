# Two commands do everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app portal
STAMP_INSTALL := $(VENV)/.installed
STAMP_TEST := $(VENV)/.installed-test
PIP_QUIET := --quiet --disable-pip-version-check
# Every Python package comes from a lock with hashes (README.md, "Dependencies", says how to update
# them); pipefail so that a refused hash fails the build instead of being filtered away.
LOCK_RUNTIME := requirements/runtime.lock
LOCK_TEST := requirements/test.lock
PIP_LOCKED := set -o pipefail; $(PY) -m pip install $(PIP_QUIET) --require-hashes -r
PIP_PORTAL := set -o pipefail; $(PY) -m pip install $(PIP_QUIET) --no-deps --no-build-isolation -e .
HIDE_IGNORED := 2>&1 | { grep -v "is ignored" || true; }
SBOM := build/sbom/portal-runtime.cdx.json

.PHONY: run test test-future lint assets install install-test browser-deps html-check-deps pango-deps \
	future-deps bench-deps bench prodlike clean lock audit sbom

$(STAMP_INSTALL): $(LOCK_RUNTIME) pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@echo "Installing Python packages into $(VENV) from $(LOCK_RUNTIME)..."
	@$(PIP_LOCKED) $(LOCK_RUNTIME) $(HIDE_IGNORED)
	@$(PIP_PORTAL) $(HIDE_IGNORED)
	@$(PY) -c "import flask, portal" && touch $@

$(STAMP_TEST): $(STAMP_INSTALL) $(LOCK_TEST) pyproject.toml
	@echo "Installing test packages into $(VENV) from $(LOCK_TEST)..."
	@$(PIP_LOCKED) $(LOCK_TEST) $(HIDE_IGNORED)
	@$(PIP_PORTAL) $(HIDE_IGNORED)
	@$(PY) -c "import pytest, playwright, aiosmtpd, httpx, piptools, pip_audit" && touch $@

install: $(STAMP_INSTALL)

install-test: $(STAMP_TEST)

# No install scripts: none is needed to build, and vnu-jar's would download a Java runtime
# (Debian's comes from html-check-deps instead).
node_modules/.package-lock.json: package.json package-lock.json
	@echo "Installing front-end packages from package-lock.json..."
	@npm ci --no-audit --no-fund --loglevel=error --ignore-scripts

portal/static/.built: node_modules/.package-lock.json portal/assets/build.mjs $(wildcard portal/assets/scss/*.scss portal/assets/js/*.js)
	@npm run --silent build

assets: portal/static/.built

# Debian's Chromium for the browser tests (a browser download is impossible here).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for browser tests..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; }

# Debian's Java runtime for the Nu HTML Checker (vnu.jar, from npm's vnu-jar), which the browser
# tests run over every page they visit.
html-check-deps:
	@command -v java >/dev/null 2>&1 || { \
	  echo "Installing Debian's Java runtime for the HTML checker..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    default-jre-headless) >/dev/null; }

# Debian's Pango (and a font), with which WeasyPrint lays out the PDFs of certificates and
# signposting cards: the portal needs it at run time, not only in tests.
PANGO_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
pango-deps:
	@dpkg -s $(PANGO_PACKAGES) >/dev/null 2>&1 || { \
	  echo "Installing Debian's Pango for the PDFs..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PANGO_PACKAGES)) \
	    >/dev/null; }

# Debian's faketime, to run the suite with the machine's clock moved ahead.
future-deps:
	@command -v faketime >/dev/null 2>&1 || { \
	  echo "Installing Debian's faketime..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime) >/dev/null; }

# Debian's wrk, the load generator of the benchmark harness.
bench-deps:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "Installing Debian's wrk for the benchmark..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) >/dev/null; }

run: install assets pango-deps
	@mkdir -p instance
	@$(FLASK) db upgrade
	@$(FLASK) seed-demo
	@$(FLASK) courses sync
	@$(FLASK) directory load
	@echo "Serving on http://127.0.0.1:5000 (Ctrl+C to stop). E-mails print here."
	@trap 'kill 0' EXIT; $(FLASK) worker & $(FLASK) run --host 127.0.0.1 --port 5000

# ruff (with its security rules, "S") everywhere; mypy over the models and services (pyproject's
# [tool.mypy]); bandit over the app: no medium or high finding unless justified inline with
# `# nosec BXXX - reason`.
lint: install-test
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/mypy
	@$(VENV)/bin/bandit --quiet --recursive portal --severity-level medium

test: install-test assets browser-deps html-check-deps pango-deps lint
	@$(FLASK) courses check
	@$(PY) -m pytest

# The fast part of the suite (SQLite, no browser) with the machine's clock one year and three
# years ahead, both at once (one core each): a test that only passes on today's date fails here
# the day it is written, not the day its date goes by.
FUTURE_PYTEST := $(PY) -m pytest -q -p no:cacheprovider -m "not pg and not slow" \
	--ignore=tests/browser --ignore=tests/prodlike
# Outside the checkout: commands print paths inside it relative to it, which tests do not expect.
FUTURE_TMP := $${TMPDIR:-/tmp}/portal-future
test-future: install-test assets pango-deps future-deps
	@echo "Running the fast tests with the clock 1 and 3 years ahead..."
	@export FAKETIME_DONT_FAKE_MONOTONIC=1; \
	  faketime -f +365d $(FUTURE_PYTEST) --basetemp=$(FUTURE_TMP)-1y > .future-1y.log 2>&1 & one=$$!; \
	  faketime -f +1096d $(FUTURE_PYTEST) --basetemp=$(FUTURE_TMP)-3y > .future-3y.log 2>&1 & three=$$!; \
	  wait $$one; one_rc=$$?; wait $$three; three_rc=$$?; \
	  echo "== clock one year ahead =="; tail -n 25 .future-1y.log; \
	  echo "== clock three years ahead =="; tail -n 25 .future-3y.log; \
	  test $$one_rc -eq 0 && test $$three_rc -eq 0

# SQLite at a small scale by default; BENCH_DATABASE_URL=postgresql://... for PostgreSQL, and
# BENCH_SCALE=national for the full national data set (see bench/run.py for every setting).
bench: install assets bench-deps
	@$(PY) -m bench

# Two gunicorn instances and a worker in production mode against PostgreSQL and Redis on
# loopback: the reliability checks and the load test (bench/prodlike; tests/prodlike runs the same).
prodlike: install-test assets pango-deps
	@TEST_DATABASE_URL="$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}" \
	  REDIS_URL="$${REDIS_URL:-redis://127.0.0.1:6379/0}" $(PY) -m bench.prodlike

# Re-resolve both locks from pyproject.toml, keeping every pin that still fits (README.md,
# "Dependencies"). PyPI only: this machine's extra package folders must not leak into the lock.
LOCK_COMPILE := env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null $(VENV)/bin/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock: install-test
	@$(LOCK_COMPILE) $(LOCK_ARGS) --extra test -o $(LOCK_TEST) pyproject.toml requirements/bootstrap.in
	@$(LOCK_COMPILE) $(LOCK_ARGS) -c $(LOCK_TEST) -o $(LOCK_RUNTIME) pyproject.toml requirements/bootstrap.in

# Known vulnerabilities in every locked package (the test lock holds the runtime one), from PyPI's
# vulnerability data; fails on a finding and on a package it could not look up (CI passes
# AUDIT_FLAGS=--if-reachable: see requirements/audit.py).
audit: install-test
	@$(PY) requirements/audit.py $(AUDIT_FLAGS) $(LOCK_TEST)

# A CycloneDX SBOM of what production runs: the runtime lock installed into a venv of its own
# (hashes checked), read with its licences and dependency graph; build/ is not committed.
SBOM_VENV := build/sbom/venv
sbom: install-test
	@rm -rf $(SBOM_VENV) && python3 -m venv $(SBOM_VENV)
	@set -o pipefail; $(SBOM_VENV)/bin/python -m pip install $(PIP_QUIET) --require-hashes \
	  -r $(LOCK_RUNTIME) $(HIDE_IGNORED)
	@$(VENV)/bin/cyclonedx-py environment --pyproject pyproject.toml --of JSON --output-reproducible \
	  -o $(SBOM) $(SBOM_VENV)/bin/python
	@echo "SBOM written to $(SBOM)"

clean:
	rm -rf $(VENV) node_modules portal/static instance
