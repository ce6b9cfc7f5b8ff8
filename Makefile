# Every target bootstraps .venv itself (idempotent: it reinstalls only when pyproject.toml changed).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB := data/demo.db

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	CRIMEA_MONITOR_DB=$(DEMO_DB) $(BIN)/crimea-monitor crawl --demo
	CRIMEA_MONITOR_DB=$(DEMO_DB) $(BIN)/crimea-monitor status

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m bench.crawl_bench

clean:
	rm -rf data/demo.db* .pytest_cache .ruff_cache
