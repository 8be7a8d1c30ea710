# Orchestrator: the two quick-start commands are `make run` and `make test`.
# Everything lives in a local virtualenv (.venv) built with Python 3.12+.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Local runs default to debug mode and the built-in sandbox remote.
RUN_ENV := DJANGO_DEBUG=$${DJANGO_DEBUG:-true}

# Find a Python >= 3.12 (on pyenv machines 3.12.1 is installed but not the default).
PYTHON_BOOTSTRAP ?= $(shell for c in "env PYENV_VERSION=3.12.1 python3.12" python3.13 python3.12 python3; do \
	  if $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then echo "$$c"; break; fi; done)

.PHONY: run serve-prod test test-unit test-e2e lint bench check-deploy migrations-check clean venv lock audit

LOCK := .ci/requirements.lock

venv: $(VENV)/.installed

# Every dependency comes from the lock, pinned and checked against its sha256 (supply chain: issue 12);
# the project itself is installed on top without resolving anything again.
$(VENV)/.installed: pyproject.toml $(LOCK)
	@test -n '$(PYTHON_BOOTSTRAP)' || { echo "Python 3.12 or newer is required" >&2; exit 1; }
	$(PYTHON_BOOTSTRAP) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

## lock: re-resolve pyproject.toml's dependencies into the hashed lock (then review the diff and commit it)
lock:
	@test -n '$(PYTHON_BOOTSTRAP)' || { echo "Python 3.12 or newer is required" >&2; exit 1; }
	rm -rf .lock-env && $(PYTHON_BOOTSTRAP) -m venv .lock-env && .lock-env/bin/pip install --quiet pip-tools
	.lock-env/bin/pip-compile --quiet --extra test --generate-hashes --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links --no-header -o $(LOCK) pyproject.toml .ci/build.in
	rm -rf .lock-env

## audit: known vulnerabilities of the locked versions (.ci/audit says what it can and cannot reach)
audit: venv
	$(PY) .ci/audit $(LOCK)

## run: migrate, seed the demo, print the logins, start the task worker and the server
run: venv
	$(RUN_ENV) $(PY) manage.py migrate --no-input -v 0
	$(RUN_ENV) HOST=$(HOST) PORT=$(PORT) $(PY) manage.py seed_demo
	@echo "Starting the publish worker and the server on http://$(HOST):$(PORT)/ (Ctrl-C stops both)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(RUN_ENV) $(PY) manage.py db_worker --interval 0.5 & \
	  $(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

## serve-prod: production start against DATABASE_URL (DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS… from the
## environment): migrate, collectstatic, check --deploy, then gunicorn and the publish worker; Ctrl-C stops both.
WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) * 2 + 1 )))
serve-prod: venv
	@test -n "$$DJANGO_SECRET_KEY" || { echo "serve-prod needs DJANGO_SECRET_KEY (and DATABASE_URL, DJANGO_ALLOWED_HOSTS) in the environment" >&2; exit 1; }
	DJANGO_DEBUG=false $(PY) manage.py migrate --no-input
	DJANGO_DEBUG=false $(PY) manage.py collectstatic --no-input -v 0
	DJANGO_DEBUG=false $(PY) manage.py check --deploy --fail-level WARNING
	@echo "Serving on http://$(HOST):$(PORT)/ with $(WORKERS) web workers and one publish worker (Ctrl-C stops all)"
	@trap 'kill 0' EXIT INT TERM; \
	  DJANGO_DEBUG=false $(PY) manage.py db_worker & \
	  DJANGO_DEBUG=false $(VENV)/bin/gunicorn orchestrator.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) \
	    --access-logfile - --forwarded-allow-ips="$${FORWARDED_ALLOW_IPS:-127.0.0.1}" & \
	  wait

## test: the whole suite: unit and integration, then the browser tests
test: venv test-unit test-e2e

# Both suites spread over the machine's cores (pytest-xdist; each worker has its own test database and,
# for the browser tests, its own live server and Chromium). TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= auto

test-unit: venv
	$(VENV)/bin/pytest -m "not e2e" -p no:playwright -n $(TEST_WORKERS)

# Playwright's sync API runs an event loop in the test thread, so Django's
# async-safety guard must be off for these (and only these) tests.
test-e2e: venv
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest -m e2e tests/e2e -n $(TEST_WORKERS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: venv
	$(VENV)/bin/pytest tests/benchmarks -p no:playwright --benchmark-enable --benchmark-columns=min,mean,median,max,rounds -s

migrations-check: venv
	DJANGO_SECRET_KEY=x $(PY) manage.py makemigrations --check --dry-run

check-deploy: venv
	DJANGO_DEBUG=false DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(head -c 48 /dev/urandom | base64)}" \
	  DJANGO_ALLOWED_HOSTS=orchestrator.example.com $(PY) manage.py collectstatic --no-input -v 0
	DJANGO_DEBUG=false DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(head -c 48 /dev/urandom | base64)}" \
	  DJANGO_ALLOWED_HOSTS=orchestrator.example.com $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .benchmarks .lock-env
