# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= $(or $(TEXTBACK_TEST_POSTGRES_URL),postgresql://postgres@127.0.0.1:5432)

.PHONY: run test lint test-sqlite test-postgres fuzz bench bench-sql bench-inbox bench-conversation bench-reports clean

$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.test: $(VENV)/.runtime
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

## run: migrate, seed the AlphaPlumbing demo on the sandbox carrier, serve web + worker on :8000
run: $(VENV)/.runtime
	$(BIN)/textback migrate --verbosity 0
	$(BIN)/textback demo
	$(BIN)/textback serve

## test: lint, then the whole suite on SQLite, then on PostgreSQL when a server answers at $(PG_URL)
test: lint test-sqlite test-postgres

## lint: ruff's checks and its formatting, as CI runs them
lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test-sqlite: $(VENV)/.test
	env -u TEXTBACK_DATABASE_URL $(BIN)/pytest

test-postgres: $(VENV)/.test
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_URL)/postgres', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== PostgreSQL suite on $(PG_URL) =="; \
		TEXTBACK_DATABASE_URL=$(PG_URL)/textback_suite_$$$$ $(BIN)/pytest; \
	elif [ -n "$$TEXTBACK_REQUIRE_POSTGRES" ]; then \
		echo "PostgreSQL is required (TEXTBACK_REQUIRE_POSTGRES) but nothing answers at $(PG_URL)"; exit 1; \
	else \
		echo "Skipping the PostgreSQL suite: nothing answers at $(PG_URL) (set TEXTBACK_TEST_POSTGRES_URL)"; \
	fi

## fuzz: the slow webhook fuzz (more than 10,000 hostile bodies per database) on SQLite, then on PostgreSQL
FUZZ := textback/providers/tests/test_webhook_fuzz.py
fuzz: $(VENV)/.test
	env -u TEXTBACK_DATABASE_URL $(BIN)/pytest -m slow --timeout 3600 $(FUZZ)
	@if ! $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_URL)/postgres', connect_timeout=3).close()" 2>/dev/null; then \
		echo "make fuzz runs on PostgreSQL too, but nothing answers at $(PG_URL) (set TEXTBACK_TEST_POSTGRES_URL)"; exit 1; \
	fi
	TEXTBACK_DATABASE_URL=$(PG_URL)/textback_fuzz_$$$$ $(BIN)/pytest -m slow --timeout 3600 $(FUZZ)

## bench: the webhook and end-to-end throughput benchmark (see bench/README.md)
bench: $(VENV)/.test
	$(BIN)/python bench/missed_calls.py --postgres $(PG_URL)

## bench-sql: SQL statements per webhook and outbox step, by kind, on SQLite and PostgreSQL
bench-sql: $(VENV)/.test
	$(BIN)/python bench/statements.py --postgres $(PG_URL)

## bench-inbox: the inbox list and live endpoint at 100,000 conversations, and 100 idle tabs' CPU
bench-inbox: $(VENV)/.test
	$(BIN)/python bench/inbox.py --postgres $(PG_URL)

## bench-conversation: one conversation page and its live part with a 5,000-entry thread
bench-conversation: $(VENV)/.test
	$(BIN)/python bench/conversation.py --postgres $(PG_URL)

## bench-reports: the report dashboard and /api/v1/metrics with a year of a busy business among 100
bench-reports: $(VENV)/.test
	$(BIN)/python -u bench/reports.py --postgres $(PG_URL)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
