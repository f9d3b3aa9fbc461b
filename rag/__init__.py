"""Lugang RAG (陆港问答): offline, cited question answering over Chinese regional-economy news.

The stage packages, in pipeline order: :mod:`rag.ingest` (files → documents → chunks) →
:mod:`rag.index` (embedding, vectors, BM25, corpus knowledge) → :mod:`rag.search` (question
analysis, retrieval, answer scoring) → :mod:`rag.answer` (cited answers and refusals) →
:mod:`rag.app` (knowledge base, CLI, web); :mod:`rag.evaluation` and :mod:`rag.bench` beside them.
See docs/architecture.md.

Importing the package sets the Hugging Face libraries offline (``HF_HUB_OFFLINE``,
``TRANSFORMERS_OFFLINE``, ``HF_DATASETS_OFFLINE``) unless the environment already says otherwise:
the product never downloads at run time, so a model that is not on disk fails at once instead of
retrying a hub it cannot reach. Set ``HF_HUB_OFFLINE=0`` to allow downloads.
"""
import os as _os

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    _os.environ.setdefault(_var, "1")

__version__ = "0.1.0"
