# Every target bootstraps .venv itself (idempotent: it reinstalls only when pyproject.toml changed).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB := data/demo.db

.PHONY: run test lint bench eval clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

DEMO := CRIMEA_MONITOR_DB=$(DEMO_DB) $(BIN)/crimea-monitor

# The demo: crawl the bundled local site into a fresh store, enrich, index and search it, list the incidents and
# fire the alerts (--backfill: on a fresh store every incident is new to the demo's rules).
run: $(STAMP)
	rm -rf $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm data/demo.index data/alerts.jsonl data/demo-evidence
	$(DEMO) crawl --demo
	$(DEMO) enrich
	$(DEMO) search 'person:Dzhemilev'
	$(DEMO) search '"Crimean Tatars" type:deportation'
	$(DEMO) search 'type:search place:Stroganovka' --facets
	$(DEMO) incidents --limit 20
	$(DEMO) alerts run --backfill
	$(DEMO) evidence export $$($(DEMO) incidents 'type:search place:Kamenka' --json | $(BIN)/python -c \
		"import json, sys; print(json.loads(sys.stdin.readline())['id'])") --out data/demo-evidence
	$(DEMO) evidence verify data/demo-evidence
	$(DEMO) status
	@echo
	@echo "Browse the demo data: CRIMEA_MONITOR_DB=$(DEMO_DB) $(BIN)/crimea-monitor serve   # then open http://127.0.0.1:8080/"

test: $(STAMP)
	$(BIN)/pytest -q

# NLP scores on the whole dev set (the annotated demo corpus + the hard cases).
# dev: the demo corpus and the dev split the rules are tuned on; test: the blind split, scored apart when present
eval: $(STAMP)
	$(BIN)/crimea-monitor eval monitor/demo/corpus/articles*.jsonl nlp/eval/dev_*.jsonl
	@if ls nlp/eval/test_*.jsonl >/dev/null 2>&1; then \
		$(BIN)/crimea-monitor eval nlp/eval/test_*.jsonl; \
	else echo "no test split (nlp/eval/test_*.jsonl) yet"; fi

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m bench.crawl_bench
	$(BIN)/python -m bench.nlp_bench
	$(BIN)/python -m bench.search_bench
	$(BIN)/python -m bench.api_bench
	$(BIN)/python -m bench.daemon_bench

clean:
	rm -rf data/demo.db* data/demo.index data/demo-evidence .pytest_cache .ruff_cache
