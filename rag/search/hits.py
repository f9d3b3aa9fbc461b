"""What a search returns (:class:`Hit`) and what it accepts (:func:`clean_query`, :data:`MODES`)."""
from __future__ import annotations

from dataclasses import dataclass

from rag.errors import InvalidQueryError
from rag.ingest.chunking import Chunk

MAX_QUERY_CHARS = 1000


_EXAMPLE = "Type a question in Chinese or English, e.g. 今年上半年出口增长了多少？"


MODES = ("hybrid", "dense", "bm25")


@dataclass
class Hit:
    rank: int
    score: float
    chunk: Chunk
    doc: dict  # article metadata (doc_id, title, district, date, ...)
    dense: float | None = None  # chunk + best-sentence cosine similarity
    bm25: float | None = None
    fused: float | None = None  # the fused score before the sentence reranker added to it


    def to_json(self) -> dict:
        c = self.chunk
        return {"rank": self.rank, "score": round(float(self.score), 6), "doc_id": c.doc_id,
                "title": self.doc.get("title", ""), "chunk_id": c.chunk_id, "text": c.text,
                "start": c.start, "end": c.end}


def clean_query(query: str | None) -> str:
    """Validate a query: strip it, refuse empty ones, cut very long ones."""
    if query is None:
        raise InvalidQueryError("The query is empty.", _EXAMPLE)
    query = query.replace("\x00", "").strip()
    if not query:
        raise InvalidQueryError("The query is empty.", _EXAMPLE)
    if not any(ch.isalnum() for ch in query):
        raise InvalidQueryError("The query has no words in it, only punctuation or symbols.",
                                "Ask a question in Chinese or English.")
    return query[:MAX_QUERY_CHARS]
