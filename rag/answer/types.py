"""What an answer is: :class:`Answer` with its :class:`Citation` spans, as every answerer returns it."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    chunk_id: str
    text: str  # the supporting sentence(s), exactly as in the source
    start: int  # span of ``text`` in the source document
    end: int
    district: str = ""
    date: str = ""
    score: float = 0.0
    passage: str = ""  # the whole retrieved chunk, for context
    passage_start: int = 0
    passage_end: int = 0


    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    question: str
    answer: str  # markdown, with [n] markers; key figures in **bold**
    answerable: bool
    mode: str = "extractive"
    citations: list[Citation] = field(default_factory=list)
    related: list[Citation] = field(default_factory=list)  # closest passages when refusing
    query: str = ""  # the question after follow-up resolution
    notice: str = ""  # e.g. "LLM unavailable, extractive answer shown"
    refusal_reason: str = ""  # why a refused question was refused
    confidence: float = 0.0  # the answer model's probability that the articles answer the question
    analysis: dict = field(default_factory=dict)  # the question analysis (rag.search.analysis)
    short_answer: dict | None = None  # the exact span that answers (rag.answer.phrase), or None


    def to_json(self) -> dict:
        return {"question": self.question, "answer": self.answer, "answerable": self.answerable,
                "mode": self.mode, "citations": [c.to_json() for c in self.citations],
                "related": [c.to_json() for c in self.related], "query": self.query,
                "notice": self.notice, "refusal_reason": self.refusal_reason,
                "confidence": round(self.confidence, 4), "analysis": self.analysis,
                "short_answer": self.short_answer}
