# Two commands do all set-up: `make run` and `make test` (see README.md).
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test lint migrate demo worker clean translations

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements-test.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@ $(VENV)/.installed

## Welsh: the compiled catalogue (.mo) from the translations (.po), when they change. The .mo
## is committed too, so a bare `pytest` or gunicorn works; tests/test_welsh.py checks it is
## in step (docs/welsh.md).
MO := eventsapp/translations/cy/LC_MESSAGES/messages.mo
$(MO): eventsapp/translations/cy/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel -q compile -d eventsapp/translations
	touch $@

translations: $(MO)

## Development server and mail worker on SQLite under instance/ (Ctrl-C stops both).
run: $(VENV)/.installed translations
	APP_ENV=development $(FLASK) db upgrade
	APP_ENV=development $(FLASK) demo load
	@echo "Web server: http://127.0.0.1:$(PORT)  (emails are written to instance/mail/)"
	@APP_ENV=development PORT=$(PORT) bash -c '$(FLASK) worker & worker=$$!; \
	  trap "kill $$worker 2>/dev/null; wait $$worker 2>/dev/null" EXIT INT TERM; \
	  $(FLASK) run --host 127.0.0.1 --port $(PORT)'

## The whole suite: lint, then every test (browser and PostgreSQL tests skip with a reason
## when Chromium or TEST_DATABASE_URL is missing, unless REQUIRE_FULL_SUITE=1).
test: lint translations
	APP_ENV=testing $(BIN)/python -m pytest -q -rs

## Static checks: ruff, and bandit failing on any medium or high finding.
lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/bandit -q -r eventsapp --severity-level medium

migrate: $(VENV)/.installed
	APP_ENV=development $(FLASK) db upgrade

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
