# Every target bootstraps .venv itself: a fresh clone needs only Python 3.11 and pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall only when the project's dependencies change.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEMO_DB ?= demo/wayfinder.duckdb
SAMPLES_DB ?= demo/samples.duckdb
DEMO_PEOPLE ?= 20000

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
	@echo "== 1. The sample files of every input kind (examples/data), through the public ingestion path"
	$(BIN)/wayfinder --db $(SAMPLES_DB) init
	$(BIN)/wayfinder --db $(SAMPLES_DB) ingest examples/data/events.jsonl examples/data/events_batch.json --kind events
	@echo "A file with broken rows: they go to quarantine and the run exits 3 (expected here)."
	$(BIN)/wayfinder --db $(SAMPLES_DB) ingest examples/data/events_with_errors.jsonl --kind events || [ $$? -eq 3 ]
	$(BIN)/wayfinder --db $(SAMPLES_DB) quarantine list
	$(BIN)/wayfinder --db $(SAMPLES_DB) ingest examples/data/accounts.csv --kind accounts
	$(BIN)/wayfinder --db $(SAMPLES_DB) ingest examples/data/people.csv --kind people
	$(BIN)/wayfinder --db $(SAMPLES_DB) ingest examples/data/hubspot_contacts.csv --kind people --mapping examples/mappings/hubspot_contacts.toml
	$(BIN)/wayfinder --db $(SAMPLES_DB) ingest examples/data/deals.csv examples/data/deals.parquet --kind deals
	$(BIN)/wayfinder --db $(SAMPLES_DB) ingest examples/data/hubspot_deals.csv --kind deals --mapping examples/mappings/hubspot_deals.toml
	$(BIN)/wayfinder --db $(SAMPLES_DB) ingest examples/data/salesforce_opportunities.csv --kind deals --mapping examples/mappings/salesforce_opportunities.yaml
	$(BIN)/wayfinder --db $(SAMPLES_DB) ingest examples/data/interactions.jsonl --kind interactions
	$(BIN)/wayfinder --db $(SAMPLES_DB) ingest examples/data/content.csv --kind content
	$(BIN)/wayfinder --db $(SAMPLES_DB) ingest examples/data/subscriptions.csv --kind subscriptions
	$(BIN)/wayfinder --db $(SAMPLES_DB) ingest examples/data/spend.csv --kind spend
	$(BIN)/wayfinder --db $(SAMPLES_DB) ingest examples/data/social_edges.csv --kind social_edges
	$(BIN)/wayfinder --db $(SAMPLES_DB) ingest examples/data/consents.csv --kind consents
	$(BIN)/wayfinder --db $(SAMPLES_DB) ingest examples/data/feedback.jsonl --kind feedback
	$(BIN)/wayfinder --db $(SAMPLES_DB) status
	@echo "== 2. The demo firm: a B2C shop and a B2B SaaS unit with planted truths (docs/demo-data.md)"
	$(BIN)/wayfinder --db $(DEMO_DB) demo --people $(DEMO_PEOPLE) --seed 0 --out demo/files
	$(BIN)/wayfinder --db $(DEMO_DB) -w shop status
	$(BIN)/wayfinder --db $(DEMO_DB) -w b2b status
	cp -r examples/config demo/wayfinder-config
	$(BIN)/wayfinder --db $(DEMO_DB) -w shop catalog
	@echo "== 3. Questions on the shop: the top 3 paths of buyers, and the checkout funnel by device"
	$(BIN)/wayfinder --db $(DEMO_DB) -w shop paths --goal purchase --per session --top 3 --steps 8
	$(BIN)/wayfinder --db $(DEMO_DB) -w shop funnel "page:/cart" "page:/checkout/shipping" "page:/checkout/payment" "page:/checkout/review" purchase --window 1d --breakdown device_type
	$(BIN)/wayfinder --db $(DEMO_DB) -w shop trend purchase --interval month --measure count
	@echo "== 4. Attribution: which channels earn the shop's revenue, and which posts help close deals"
	$(BIN)/wayfinder --db $(DEMO_DB) -w shop attribution purchase --by channel --model last_touch --model linear --model time_decay --model markov --model shapley --order 1
	$(BIN)/wayfinder --db $(DEMO_DB) -w b2b attribution "won deal" --by author --lookback 180d --model last_touch --model markov --model shapley --order 1
	@echo "== 5. Ask in plain English: the brief's questions, each with how it was understood, the answer and the why"
	$(BIN)/wayfinder --db $(DEMO_DB) -w shop ask "What are the top three paths people who buy our products take through our website?"
	@echo "(deals live in the B2B unit; the shop's spring campaign ran on Facebook and Instagram)"
	$(BIN)/wayfinder --db $(DEMO_DB) -w shop ask "How did the Facebook spring campaign help sales?"
	$(BIN)/wayfinder --db $(DEMO_DB) -w b2b ask "How did the Facebook spring campaign help close deals?"
	$(BIN)/wayfinder --db $(DEMO_DB) -w b2b ask "Which blog posts helped us close deals this year?"
	$(BIN)/wayfinder --db $(DEMO_DB) -w b2b ask "Why are customers churning?"
	$(BIN)/wayfinder --db $(DEMO_DB) -w b2b ask "Who are our most influential community members?"
	$(BIN)/wayfinder --db $(DEMO_DB) -w shop ask "How's performance?"
	$(BIN)/wayfinder --db $(DEMO_DB) -w shop ask "Pause all TikTok ads until Monday"
	@echo "== 6. The server: a tracking client sends a Segment batch, the CLI runs beside it, the query API answers"
	$(BIN)/python scripts/demo_server.py $(DEMO_DB)

test: install
	bash scripts/ensure-system-package.sh java openjdk-17-jre-headless "PySpark (the second engine of the test matrix)"
	bash scripts/ensure-system-package.sh chromium chromium "the browser tests (tests/test_web_browser.py)"
	bash scripts/fetch-reference-data.sh
	$(BIN)/python -m pytest

bench: install
	bash scripts/ensure-system-package.sh java openjdk-17-jre-headless "PySpark (the second engine of the test matrix)"
	bash scripts/fetch-reference-data.sh
	$(BIN)/python -m benchmarks.run

lint: install
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) demo benchmarks/data .pytest_cache test-artifacts
