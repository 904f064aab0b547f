# modelpick: `make run` opens the TUI on the embedded sample catalogue (no network);
# `make test` sets everything up and runs lint, types and the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install only when pyproject.toml changes: set-up is idempotent and quick the second time.
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install run test lint unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	MODELPICK_HOME=$(CURDIR)/.modelpick HF_HUB_OFFLINE=1 $(BIN)/modelpick

lint: install
	$(BIN)/ruff check modelpick_tui tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: install
	$(BIN)/python bench/catalog_search.py
	$(BIN)/python bench/cold_start.py

clean:
	rm -rf $(VENV) .modelpick build *.egg-info
