# Two commands do all set-up on a fresh machine:
#   make run   - install, build the index if missing, start the web chat on http://127.0.0.1:7860
#   make test  - install with dev extras (and the browser for UI tests), run every test
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
RAG    := $(VENV)/bin/rag
HOST   ?= 127.0.0.1
PORT   ?= 7860

.PHONY: run test install install-dev index eval bench browser-deps clean

$(VENV)/.base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

$(VENV)/.dev: $(VENV)/.base
	# torch first and pinned: the CPU build lies on local disk; an unpinned torch would pull CUDA
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev]'
	touch $@

install: $(VENV)/.base
install-dev: $(VENV)/.dev

index/manifest.json: | $(VENV)/.base
	$(RAG) index

index: $(VENV)/.base
	$(RAG) index

run: $(VENV)/.base index/manifest.json
	$(RAG) serve --host $(HOST) --port $(PORT)

browser-deps:
	@bash scripts/browser-deps.sh

test: $(VENV)/.dev browser-deps
	$(PY) -m pytest -q

eval: $(VENV)/.dev index/manifest.json
	$(RAG) eval --answers
	$(RAG) eval --answers eval/fresh.jsonl
	$(RAG) eval --answers eval/fresh2.jsonl
	$(RAG) eval --answers eval/fresh3.jsonl
	$(RAG) eval --answers eval/fresh4.jsonl
	$(RAG) eval --answers eval/fresh5.jsonl
	$(RAG) eval --answers eval/fresh6.jsonl
	$(RAG) eval --answers eval/fresh7.jsonl
	$(RAG) eval --answers eval/fresh8.jsonl
	$(RAG) eval --answers eval/fresh9.jsonl
	$(RAG) eval --answers eval/fresh10.jsonl eval/fresh11.jsonl
	$(RAG) eval --answers eval/fresh12.jsonl eval/fresh13.jsonl
	$(RAG) eval --answers eval/fresh14.jsonl eval/fresh15.jsonl
	$(RAG) eval --answers eval/fresh16.jsonl eval/fresh17.jsonl
	$(RAG) eval --answers eval/fresh18.jsonl eval/fresh19.jsonl
	$(RAG) eval --answers eval/fresh20.jsonl eval/fresh21.jsonl
	$(RAG) eval --answers eval/fresh22.jsonl eval/fresh23.jsonl
	$(RAG) eval --answers eval/fresh24.jsonl eval/fresh25.jsonl
	$(RAG) eval --answers eval/fresh26.jsonl eval/fresh27.jsonl
	$(RAG) eval --answers eval/fresh28.jsonl eval/fresh29.jsonl

bench: $(VENV)/.dev
	$(RAG) bench

clean:
	rm -rf $(VENV) index .pytest_cache test-artifacts
