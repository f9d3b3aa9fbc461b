"""LangChain ``BaseRetriever`` over :class:`rag.search.retrieve.Retriever` (langchain-core is a core dependency)."""
from __future__ import annotations

from rag.search.retrieve import Retriever

try:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document as LCDocument
    from langchain_core.retrievers import BaseRetriever
except ImportError:  # pragma: no cover - langchain-core is a core dependency
    BaseRetriever = object  # type: ignore[misc,assignment]


class LangChainRetriever(BaseRetriever):  # type: ignore[misc,valid-type]
    """LangChain ``BaseRetriever`` over our hybrid retriever (drop into any LCEL chain)."""

    retriever: Retriever
    k: int = 5
    mode: str = "hybrid"

    model_config = {"arbitrary_types_allowed": True}

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun):
        hits = self.retriever.search(query, k=self.k, mode=self.mode)
        return [LCDocument(page_content=h.chunk.text,
                           metadata={**h.doc, "chunk_id": h.chunk.chunk_id, "start": h.chunk.start,
                                     "end": h.chunk.end, "score": h.score, "rank": h.rank})
                for h in hits]
