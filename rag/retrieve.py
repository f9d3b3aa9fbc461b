"""Hybrid retrieval: dense (FAISS) + BM25, fused with language-aware weights.

BM25 over jieba tokens is strong for Chinese questions that share words with
the article, and nearly blind for English ones (only numbers and Latin names
match). The fusion therefore weights BM25 by how Chinese the question is.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import numpy as np

from .bm25_index import top_rows
from .chunking import Chunk
from .credits import asks_for_credits, find_credits
from .crosslingual import expand_english, synonyms
from .embedding import Embedder, load_embedder
from .errors import InvalidQueryError
from .index import Index
from .pinyin import PinyinNames
from .places import DISTRICT_OF, PLACES, question_places
from .question import YEAR, as_asked, asked_periods, question_years
from .rerank import SentenceWeights, rerank, score_sentences
from .tokenize import as_written, cjk_ratio, is_chinese, normalize, tokenize

MAX_QUERY_CHARS = 1000
MODES = ("hybrid", "dense", "bm25")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass
class RetrievalConfig:
    mode: str = "hybrid"
    k: int = 10
    candidates: int = 60  # per retriever, before fusion
    dense_weight: float = 1.0
    bm25_weight_zh: float = 0.5  # BM25 weight (after min-max) for a fully Chinese question
    bm25_weight_en: float = 0.85  # ... for an English one, whose BM25 query is glossary-expanded
    number_boost: float = 0.0  # added per question number found verbatim in a chunk
    # added to chunks holding a byline or picture credit when the question asks who wrote the
    # article or supplied its pictures (rag.credits): passage similarity ranks such lines poorly
    credit_boost: float = 0.5
    # added to chunks about a year the question names (the year in the chunk, or an undated chunk of an
    # article from that year): "2024年…开行多少列" is about 2024's count, not May 2023's
    year_boost: float = 0.3
    # added to chunks that give the part of the year asked (上半年, 一季度, "January to May" = 1月-5月)
    period_boost: float = 0.3  # swept 0–0.5 on ten sets: fresh7 MRR 0.844 → 0.867, no set lower (0.2–0.5 alike)
    # added to chunks about the one district a question names (its article's district, or the chunk
    # names it): "how many orders did Qingbaijiang process in 2025" ranked a Jiangjin 2025 timeline first
    place_boost: float = 0.3  # swept 0–0.5 on ten sets: MRR 0.891 → 0.896, no set lower (0.5 the same)
    interleave_sides: bool = True  # a question about both districts alternates their chunks
    # the top ``rerank_depth`` hybrid hits are reordered by fused score + rerank × their best sentence's
    # score (rag.rerank); swept 0–100 on the six question sets: MRR 0.888 → 0.903 at 4 (0.900 at 2 and 3)
    rerank: float = 4.0
    rerank_depth: int = 10
    # the sentence score's bonus for holding what is asked (a figure, a date, a list), in the reranker only:
    # swept 0.05–0.25 on twelve sets, MRR 0.908 → 0.916 at 0.15 (eleven helper sets up or equal, lugang 0.945 → 0.936)
    rerank_type: float = 0.15

    def to_dict(self) -> dict:
        return asdict(self)


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
        raise InvalidQueryError("The query is empty.", "Type a question, e.g. 青白江2025年规上工业增加值增长多少？")
    query = query.replace("\x00", "").strip()
    if not query:
        raise InvalidQueryError("The query is empty.", "Type a question, e.g. 青白江2025年规上工业增加值增长多少？")
    if not any(ch.isalnum() for ch in query):
        raise InvalidQueryError("The query has no words in it, only punctuation or symbols.",
                                "Ask a question in Chinese or English.")
    return query[:MAX_QUERY_CHARS]


class Retriever:
    """Search one loaded :class:`Index` with the embedder it was built with."""

    def __init__(self, index: Index, embedder: Embedder | None = None, config: RetrievalConfig | None = None):
        self.index = index
        self.embedder = embedder or load_embedder(index.model_id)
        self.config = config or RetrievalConfig()
        self._credits: dict[str, np.ndarray] | None = None
        self._pinyin: PinyinNames | None = None

    def search(self, query: str, k: int | None = None, mode: str | None = None,
               query_vec: np.ndarray | None = None) -> list[Hit]:
        query = as_asked(clean_query(query))
        k = k or self.config.k
        mode = mode or self.config.mode
        if mode not in MODES:
            raise InvalidQueryError(f"Unknown retrieval mode '{mode}'.", f"Use one of: {', '.join(MODES)}")
        if len(self.index) == 0:
            return []
        cand = max(self.config.candidates, k)
        rows = np.zeros(0, dtype=np.int64)
        dense = lexical = None
        if mode in ("hybrid", "bm25"):
            all_lexical = self.index.bm25_scores(self.bm25_tokens(query))
            top = top_rows(all_lexical, cand)  # = argsort(-scores, stable)[:cand] without sorting every chunk
            rows = top[all_lexical[top] > 0]
        if mode in ("hybrid", "dense"):
            if query_vec is None:
                query_vec = self.embedder.embed_query(query)
            rows, dense = self._dense(query_vec, cand, rows)
        credited = self._credit_rows(asks_for_credits(query)) if self.config.credit_boost else None
        has_credits = credited is not None and len(credited) > 0
        if has_credits:
            extra = np.setdiff1d(credited, rows)
            if len(extra) and mode in ("hybrid", "dense"):
                more, more_dense = self._dense(query_vec, 0, extra)  # no candidates: just these rows
                rows, dense = np.concatenate([rows, more]), np.concatenate([dense, more_dense])
            elif len(extra):
                rows = np.concatenate([rows, extra])
        if mode in ("hybrid", "bm25"):
            lexical = all_lexical[rows]
        scores = self._fuse(query, rows, dense, lexical)
        if has_credits:
            scores = scores + self.config.credit_boost * np.isin(rows, credited)
        order = np.lexsort((rows, -scores))
        # a credit question is routed to its credit line; sentence scores would undo that
        rerank_now = mode == "hybrid" and self.config.rerank > 0 and query_vec is not None and not has_credits
        depth = max(k, self.config.rerank_depth) if rerank_now else k
        order = (self._interleave_sides(query, rows, order) if self.config.interleave_sides else order)[:depth]
        hits = []
        for rank, i in enumerate(order, start=1):
            row = int(rows[i])
            chunk = self.index.chunks[row]
            meta = {key: val for key, val in self.index.docs[chunk.doc_id].items() if key != "source"}
            hits.append(Hit(rank, float(scores[i]), chunk, meta,
                            None if dense is None else float(dense[i]),
                            None if lexical is None else float(lexical[i])))
        if rerank_now:
            scored = score_sentences(self, query, query_vec, hits, SentenceWeights(type=self.config.rerank_type),
                                     whole_words=False)
            hits = rerank(hits, scored, self.config.rerank)[:k]  # ranks renumbered by rerank
        return hits

    def _interleave_sides(self, query: str, rows: np.ndarray, order: np.ndarray) -> np.ndarray:
        """For a question about both districts, alternate their best chunks (each side in score order).

        A comparison needs evidence from both sides; the side whose wording is closer to
        the question would otherwise fill the top of the list.
        """
        if len({DISTRICT_OF[p] for p in question_places(query)}) < 2:
            return order
        district = [self.index.docs[self.index.chunks[int(rows[i])].doc_id].get("district", "") for i in order]
        return order[_round_robin(district)]

    def _credit_rows(self, kind: str | None) -> np.ndarray | None:
        """Rows of the chunks that hold a credit line of ``kind`` (found once per index, on first use)."""
        if kind is None:
            return None
        if self._credits is None:
            found: dict[str, list[int]] = {"writer": [], "picture": []}
            for doc in self.index.manifest["documents"]:
                for credit in find_credits(self.index.doc_text(doc["doc_id"])):
                    row = self.index.row_at(doc["doc_id"], credit.start)
                    for kind_ in credit.kinds if row is not None else ():
                        found[kind_].append(row)
            self._credits = {k: np.unique(np.asarray(v, dtype=np.int64)) for k, v in found.items()}
        return self._credits[kind]

    def bm25_tokens(self, query: str) -> list[str]:
        """The keyword tokens, plus the full forms of abbreviations in them (综保区 → 综合保税区)."""
        tokens = self.keyword_tokens(query)
        extra = synonyms(tokens) if is_chinese(query) else []  # the glossary already gives articles' forms
        if not extra:
            return tokens
        have = set(tokens)
        return tokens + [t for t in dict.fromkeys(tokenize(" ".join(extra))) if t not in have]

    def keyword_tokens(self, query: str) -> list[str]:
        """BM25 tokens; an English question is expanded with Chinese glossary terms."""
        if is_chinese(query):
            return tokenize(as_written(query))
        terms = expand_english(query)
        # district and city names are left to the glossary: in nearly every chunk of their side, they
        # pull a comparison towards the side named first ("Qingbaijiang's … versus Jiangjin's …")
        terms += [t for t in self.pinyin_names().terms(query) if t not in terms and t not in PLACES]
        bm25 = self.index.bm25
        tokens: list[str] = []
        for term in terms:  # a term the index has as one word also counts whole (jieba alone splits 中试 → 试)
            pieces = tokenize(term)
            whole = term not in pieces and bm25 is not None and bm25.term_id(term) is not None
            tokens += pieces + [term] if whole else pieces
        return tokens + tokenize(query)

    def pinyin_names(self) -> PinyinNames:
        """Names spelled in pinyin ("Jiwei Wulian" → 积微物联), read from the index vocabulary on first use."""
        if self._pinyin is None:
            self._pinyin = PinyinNames(self.index.bm25.vocab if self.index.bm25 is not None else ())
        return self._pinyin

    def _dense(self, query_vec: np.ndarray, cand: int, extra: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows (dense candidates plus ``extra``) and their chunk + best-sentence similarity.

        Whole-chunk vectors carry context; sentence vectors match a single fact
        sharply. Their sum beats either alone on the evaluation set.
        """
        rows, _ = self.index.dense_search(query_vec, cand)
        srows, _ = self.index.sentence_search(query_vec, cand)
        rows = np.unique(np.concatenate([rows, self.index.sent_owner[srows], extra])).astype(np.int64)
        chunk_sim = self.index.vectors_for(rows) @ query_vec
        sent_sim = self.index.sentence_vectors_for(rows) @ query_vec
        counts = np.diff(self.index.sent_start)[rows]
        best = np.full(len(rows), -1.0, dtype=np.float32)
        np.maximum.at(best, np.repeat(np.arange(len(rows)), counts), sent_sim)
        return rows, chunk_sim + best

    def _fuse(self, query: str, rows: np.ndarray, dense: np.ndarray | None,
              lexical: np.ndarray | None) -> np.ndarray:
        """Min-max normalised dense + weighted BM25 (weight by question language), + number matches."""
        cfg = self.config
        if dense is None or lexical is None:
            scores = (dense if dense is not None else lexical).astype(np.float64)
            return scores
        zh = min(1.0, cjk_ratio(query) / 0.6)
        w_bm25 = cfg.bm25_weight_en + (cfg.bm25_weight_zh - cfg.bm25_weight_en) * zh
        scores = cfg.dense_weight * _minmax(dense) + w_bm25 * _minmax(lexical)
        # what the question pins down, each lifting the chunks that match it: its years, the part of the
        # year it asks about, the one district it names
        years = question_years(query) if cfg.year_boost else set()
        periods = asked_periods(query) if cfg.period_boost else []
        sides = {DISTRICT_OF[p] for p in question_places(query)} if cfg.place_boost else set()
        side = next(iter(sides)) if len(sides) == 1 else None
        if years or periods or side:
            for i, row in enumerate(rows):
                chunk = self.index.chunks[int(row)]
                doc = self.index.docs[chunk.doc_id]
                if years:
                    found = set(YEAR.findall(chunk.clean)) or {str(doc.get("date", ""))[:4]}
                    scores[i] += cfg.year_boost * bool(years & found)
                if periods:
                    scores[i] += cfg.period_boost * any(re.search(p, chunk.clean) for p in periods)
                if side:
                    about = doc.get("district") == side or any(key in chunk.clean for key in PLACES[side]
                                                               if not key.isascii())
                    scores[i] += cfg.place_boost * about
        numbers = set(_NUMBER.findall(normalize(query)))
        if numbers and cfg.number_boost:
            for i, row in enumerate(rows):
                found = set(_NUMBER.findall(normalize(self.index.chunks[int(row)].clean)))
                scores[i] += cfg.number_boost * len(numbers & found)
        return scores


def _round_robin(groups: list[str]) -> np.ndarray:
    """Positions of items (in score order) taken one per group per round, each round in score order
    (chunks of articles without a district form one more group)."""
    queues: dict[str, list[int]] = {}
    for position, group in enumerate(groups):
        queues.setdefault(group, []).append(position)
    merged: list[int] = []
    while any(queues.values()):
        merged += sorted(q.pop(0) for q in queues.values() if q)
    return np.asarray(merged, dtype=np.int64)


def _minmax(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    if not len(x):
        return x
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


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
