# pz: two commands for a newcomer (Python 3.11).
#   make demo   set up, migrate, load the demo shop and serve it with the admin
#   make test   set up and run the whole test suite (lint and security checks included)

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: demo test setup setup-dev lint security bench worker

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# Test, lint and CI tools (pytest, time-machine, playwright, ruff, bandit, pip-audit,
# schemathesis, ...) on top of the runtime pins; `make demo` installs only the runtime pins.
$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

setup-dev: $(VENV)/.installed-dev

demo: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py ensure_demo_staff
	@echo "Shop: http://$(HOST)/   Admin: http://$(HOST)/admin/"
	$(BIN)/python manage.py runserver $(HOST)

# ruff, then the layers (import-linter: [tool.importlinter] in pyproject.toml, README "Layout"),
# then mypy with django-stubs ([tool.mypy]: strict for the pure packages), then hadolint on
# the Dockerfile (tests/test_deploy.py also checks the compose file).
lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/hadolint deploy/Dockerfile

# Production settings pass the deploy checks (with throwaway secrets, never ones in code,
# and a Redis URL: production refuses the per-process cache; the checks do not connect),
# the OpenAPI schema validates without warnings, bandit finds nothing of high severity
# and pip-audit no known vulnerability (see tests/security/audit_dependencies.py for
# what happens where no vulnerability source is reachable).
RANDOM_SECRET = $$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')
security: setup-dev
	DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_ALLOWED_HOSTS=pz.example.com \
	DJANGO_SECRET_KEY="$(RANDOM_SECRET)" PZ_IDENTITY_SECRET="$(RANDOM_SECRET)" \
	PZ_CUSTOMER_ID_PEPPER="$(RANDOM_SECRET)" REDIS_URL=redis://127.0.0.1:6379/0 \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null
	$(BIN)/bandit -c pyproject.toml -r . -q --severity-level high
	$(BIN)/python tests/security/audit_dependencies.py

test: lint security
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/run.py all

# gunicorn + Celery worker on a scratch PostgreSQL database with the demo data, Redis and
# RabbitMQ on 127.0.0.1; 60 s of decide and ingest (DURATION=10 for a smoke run).
.PHONY: loadtest
DURATION ?= 60
loadtest: setup
	$(BIN)/python loadtest/gunicorn_run.py --duration $(DURATION)

# Celery workers, one per pool of queues (config/queues.py; README "Workers"): realtime
# (ingest follow-up, delivery), batch (maintenance, segments, experiments) and training.
worker: setup
	trap 'kill $$(jobs -p) 2>/dev/null' INT TERM EXIT; \
	deploy/worker.sh realtime --concurrency=2 --loglevel=INFO & \
	deploy/worker.sh batch --concurrency=1 --loglevel=INFO & \
	deploy/worker.sh training --concurrency=1 --loglevel=INFO & \
	wait
