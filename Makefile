# Every target bootstraps .venv itself: a fresh clone needs only Python 3.11 and pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall only when the project's dependencies change.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEMO_DB ?= demo/wayfinder.duckdb

.PHONY: install demo test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,spark,bench]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: install
	rm -rf demo && mkdir -p demo
	$(BIN)/wayfinder --db $(DEMO_DB) init
	$(BIN)/wayfinder --db $(DEMO_DB) ingest examples/data/events.jsonl examples/data/events_batch.json --kind events
	@echo "A file with broken rows: they go to quarantine and the run exits 3 (expected here)."
	$(BIN)/wayfinder --db $(DEMO_DB) ingest examples/data/events_with_errors.jsonl --kind events || [ $$? -eq 3 ]
	$(BIN)/wayfinder --db $(DEMO_DB) quarantine list
	$(BIN)/wayfinder --db $(DEMO_DB) ingest examples/data/accounts.csv --kind accounts
	$(BIN)/wayfinder --db $(DEMO_DB) ingest examples/data/people.csv --kind people
	$(BIN)/wayfinder --db $(DEMO_DB) ingest examples/data/deals.csv examples/data/deals.parquet --kind deals
	$(BIN)/wayfinder --db $(DEMO_DB) ingest examples/data/hubspot_deals.csv --kind deals --mapping examples/mappings/hubspot_deals.toml
	$(BIN)/wayfinder --db $(DEMO_DB) ingest examples/data/interactions.jsonl --kind interactions
	$(BIN)/wayfinder --db $(DEMO_DB) ingest examples/data/content.csv --kind content
	$(BIN)/wayfinder --db $(DEMO_DB) ingest examples/data/subscriptions.csv --kind subscriptions
	$(BIN)/wayfinder --db $(DEMO_DB) ingest examples/data/spend.csv --kind spend
	$(BIN)/wayfinder --db $(DEMO_DB) ingest examples/data/social_edges.csv --kind social_edges
	$(BIN)/wayfinder --db $(DEMO_DB) ingest examples/data/consents.csv --kind consents
	$(BIN)/wayfinder --db $(DEMO_DB) ingest examples/data/feedback.jsonl --kind feedback
	$(BIN)/wayfinder --db $(DEMO_DB) status

test: install
	bash scripts/ensure-java.sh
	$(BIN)/python -m pytest

bench: install
	bash scripts/ensure-java.sh
	$(BIN)/python -m benchmarks.run

lint: install
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) demo benchmarks/data .pytest_cache
