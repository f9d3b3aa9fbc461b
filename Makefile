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

.PHONY: run test install install-dev index eval train bench browser-deps clean

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
	$(RAG) eval --answers --retrievers bm25,hybrid eval/lugang.jsonl eval/fresh*.jsonl
	$(RAG) eval --answers --retrievers hybrid eval/offtopic.jsonl eval/offtopic-holdout.jsonl
	$(RAG) eval --answers --retrievers bm25,hybrid --crud-news

# refit the answer model (rag/data/answer_model.json) from the seed sets and crud-news, cross-validated by article
train: $(VENV)/.dev index/manifest.json
	$(PY) scripts/train_answer_model.py

bench: $(VENV)/.dev
	$(RAG) bench

clean:
	rm -rf $(VENV) index .pytest_cache test-artifacts
