"""One loaded index with its retriever and answerer: what a question is asked of.

:func:`open_engine` is the single way an index directory becomes something to query, shared by
the knowledge base of the app, the evaluation and the bench.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rag.config import RetrievalConfig
from rag.index.embedding import load_embedder
from rag.index.store import Index, load_index
from rag.search.retrieve import Retriever

if TYPE_CHECKING:
    from rag.answer.answerer import Answerer


@dataclass
class Engine:
    index: Index
    retriever: Retriever
    answerer: Answerer

    def search(self, query: str, k: int | None = None, mode: str | None = None):
        return self.retriever.search(query, k=k, mode=mode)

    def ask(self, question: str, history=None, **kwargs):
        return self.answerer.ask(question, history=history, **kwargs)


def open_engine(index_dir: str | Path, model: str | None = None, retrieval: RetrievalConfig | None = None) -> Engine:
    """Load the index in ``index_dir`` (checked against ``model`` when given) with its own embedder.

    Raises the index errors of :func:`rag.index.store.load_index`.
    """
    from rag.answer.answerer import Answerer  # numpy scoring; `rag search` never needs it

    index = load_index(index_dir, expected_model=model)
    retriever = Retriever(index, load_embedder(index.model_id), retrieval)
    return Engine(index, retriever, Answerer(retriever))
