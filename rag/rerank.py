"""Which sentence of a passage answers the question — and the passages reordered by it.

Each sentence of the retrieved passages is scored by its embedding similarity
(sentence vectors are in the index), the share of the question's weighted words
it holds, and whether it has the kind of thing asked for (a figure, a date, a
company, a list). The answerer picks its sentences by this score; retrieval uses
each passage's best sentence to reorder the top of the fused ranking, a reranker
that needs no model beyond the one already loaded.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .question import DATE_IN, DATE_Q, ENUMERATION, LIST_Q, NUM_UNIT, ORG, QUANTITY_Q, REASON, WHO_Q, WHY_Q
from .tokenize import normalize, tokenize

if TYPE_CHECKING:
    from .retrieve import Hit, Retriever


@dataclass
class Candidate:
    """A sentence of a retrieved passage, scored as an answer."""

    hit: Hit
    index: int  # sentence index in the chunk
    text: str
    start: int
    end: int
    score: float = 0.0
    dense: float = 0.0
    lexical: float = 0.0


@dataclass
class SentenceWeights:
    """Sentence score = dense·cosine + lexical·word share + type·(has what is asked) + passage·fused score."""

    dense: float = 1.0
    lexical: float = 0.2
    type: float = 0.05
    passage: float = 0.0


CONTEXT_SHARE = 1.0  # a word matched by the article's district or year (0.5 measured worse)


def token_weight(token: str) -> float:
    """Numbers weigh most, then longer words (a 4-character term over a 1-character one)."""
    if re.fullmatch(r"\d+(\.\d+)?%?", token):
        return 2.0
    return min(len(token), 4) / 2.0


@lru_cache(maxsize=65536)
def sentence_tokens(text: str) -> frozenset[str]:
    """A sentence's words, once per process: an answer scores the sentences its search just reranked."""
    return frozenset(tokenize(text))


def score_sentences(retriever: Retriever, query: str, query_vec: np.ndarray, hits: list[Hit],
                    weights: SentenceWeights, whole_words: bool = True) -> list[Candidate]:
    """Every sentence of ``hits`` (headings left out), best first."""
    index = retriever.index
    q_weights = {t: token_weight(t) for t in set(retriever.keyword_tokens(query))}
    total = sum(q_weights.values()) or 1.0
    wants = [(bool(QUANTITY_Q.search(query)), NUM_UNIT), (bool(DATE_Q.search(query)), DATE_IN),
             (bool(WHO_Q.search(query)), ORG), (bool(LIST_Q.search(query)), ENUMERATION),
             (bool(WHY_Q.search(query)), REASON)]
    wants = [pattern for wanted, pattern in wants if wanted]
    out: list[Candidate] = []
    for hit in hits:
        sims = index.sentence_vectors_for([index.row(hit.chunk.chunk_id)]) @ query_vec
        texts = hit.chunk.sentence_texts()
        # a sentence of a 青白江 article from 2025 need not repeat "青白江" or "2025" to match them
        context = {hit.doc.get("district", ""), str(hit.doc.get("date", ""))[:4]} - {""}
        for i, (sent, sim) in enumerate(zip(hit.chunk.sentences, sims)):
            text = texts[i]
            if text == hit.chunk.heading:
                continue  # a section heading names a topic; the facts are in the sentences below
            # the reranker tests substrings (jieba over ~40 sentences would cost 4–5 ms a search); the answerer
            # matches whole words, cached per sentence
            words = sentence_tokens(text) if whole_words else normalize(text)
            lexical = sum(w if t in words else CONTEXT_SHARE * w for t, w in q_weights.items()
                          if t in words or t in context) / total
            type_ok = 1.0 if any(p.search(text) for p in wants) else 0.0
            score = (weights.dense * float(sim) + weights.lexical * lexical + weights.type * type_ok
                     + weights.passage * (hit.score if hit.fused is None else hit.fused))
            out.append(Candidate(hit, i, text, sent.start, sent.end, score, float(sim), lexical))
    out.sort(key=lambda c: -c.score)
    return out


def rerank(hits: list[Hit], candidates: list[Candidate], weight: float) -> list[Hit]:
    """``hits`` reordered by fused score + ``weight`` × their best sentence's score (ranks renumbered)."""
    best: dict[str, float] = {}
    for c in candidates:
        best[c.hit.chunk.chunk_id] = max(best.get(c.hit.chunk.chunk_id, float("-inf")), c.score)
    for h in hits:
        h.fused = h.score
        h.score = h.score + weight * best.get(h.chunk.chunk_id, 0.0)
    hits = sorted(hits, key=lambda h: -h.score)
    for rank, h in enumerate(hits, start=1):
        h.rank = rank
    return hits
