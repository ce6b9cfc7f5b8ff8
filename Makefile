# Every target bootstraps .venv itself (idempotent: it reinstalls only when pyproject.toml changed).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB := data/demo.db

.PHONY: run test lint bench eval clean engines es opensearch

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
	$(DEMO) search 'обыск place:Бахчисарае'
	$(DEMO) incidents --limit 20
	$(DEMO) alerts run --backfill
	$(DEMO) evidence export $$($(DEMO) incidents 'type:search place:Kamenka' --json | $(BIN)/python -c \
		"import json, sys; print(json.loads(sys.stdin.readline())['id'])") --out data/demo-evidence
	$(DEMO) evidence verify data/demo-evidence
	$(DEMO) status
	@# a demo analyst with a random password, shown this once (the store keeps only its argon2 hash)
	@pw=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(12))'); \
	$(DEMO) users add demo-analyst --role analyst --password "$$pw" && \
	echo && echo "Browse and review the demo data: CRIMEA_MONITOR_DB=$(DEMO_DB) $(BIN)/crimea-monitor serve" && \
	echo "then open http://127.0.0.1:8080/ and log in as demo-analyst with the password $$pw" && \
	echo "(shown only now; set another with: CRIMEA_MONITOR_DB=$(DEMO_DB) $(BIN)/crimea-monitor users passwd demo-analyst)"

test: $(STAMP)
	$(BIN)/pytest -q

# Real search engines from Maven Central (deploy/search-engines): built once, started on 127.0.0.1 at a free port,
# their URL printed; Ctrl-C stops them and deletes their data. NODES=3 starts a three-node cluster.
NODES ?= 1
engines: $(STAMP)
	@$(BIN)/python -m indexer.search.local_engines --build

es: $(STAMP)
	$(BIN)/python -m indexer.search.local_engines elasticsearch --nodes $(NODES)

opensearch: $(STAMP)
	$(BIN)/python -m indexer.search.local_engines opensearch --nodes $(NODES)

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
	$(BIN)/python -m bench.search_engines_bench
	$(BIN)/python -m bench.api_bench
	$(BIN)/python -m bench.daemon_bench

clean:
	rm -rf data/demo.db* data/demo.index data/demo-evidence .pytest_cache .ruff_cache
