# pz: two commands for a newcomer (Python 3.11).
#   make demo   set up, migrate, load the demo shop and serve it with the admin
#   make test   set up and run the whole test suite (lint included)

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: demo test setup lint bench worker

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py ensure_demo_staff
	@echo "Shop: http://$(HOST)/   Admin: http://$(HOST)/admin/"
	$(BIN)/python manage.py runserver $(HOST)

lint: setup
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/run.py all

worker: setup
	$(BIN)/celery -A config worker --loglevel=INFO
