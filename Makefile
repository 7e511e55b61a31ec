# Two commands do all set-up: `make run` and `make test` (see README.md).
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test lint migrate demo worker clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements-test.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@ $(VENV)/.installed

## Development server and mail worker on SQLite under instance/ (Ctrl-C stops both).
run: $(VENV)/.installed
	APP_ENV=development $(FLASK) db upgrade
	APP_ENV=development $(FLASK) demo load
	@echo "Web server: http://127.0.0.1:$(PORT)  (emails are written to instance/mail/)"
	@APP_ENV=development PORT=$(PORT) bash -c '$(FLASK) worker & worker=$$!; \
	  trap "kill $$worker 2>/dev/null; wait $$worker 2>/dev/null" EXIT INT TERM; \
	  $(FLASK) run --host 127.0.0.1 --port $(PORT)'

## The whole suite: lint, then every test (browser and PostgreSQL tests skip with a reason
## when Chromium or TEST_DATABASE_URL is missing, unless REQUIRE_FULL_SUITE=1).
test: lint
	APP_ENV=testing $(BIN)/python -m pytest -q -rs

## Static checks: ruff, and bandit failing on any medium or high finding.
lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/bandit -q -r eventsapp --severity-level medium

migrate: $(VENV)/.installed
	APP_ENV=development $(FLASK) db upgrade

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
