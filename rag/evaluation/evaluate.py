"""Run an evaluation (``rag eval``): every question through every retriever, then the metrics.

Metrics: hit@k is computed here because a cross-article comparison only counts
when every evidence group has a relevant chunk in the top k; MRR@10, nDCG@10
and recall@k come from ranx over the union of the groups. Unanswerable
questions are left out of retrieval metrics and used for the refusal rate.
Relevance itself is defined in :mod:`rag.evaluation.evalset`.
"""
from __future__ import annotations

import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime, timezone
from types import SimpleNamespace

import numpy as np

from rag.errors import InvalidQueryError, require
from rag.evaluation.evalset import Question, Relevance, contains_key, relevance
from rag.evaluation.rendering import holds_key

HIT_KS = (1, 3, 5, 10)
RANX_METRICS = ("mrr@10", "ndcg@10", "recall@5", "recall@10")
RETRIEVAL_METRICS = tuple(f"hit@{k}" for k in HIT_KS) + RANX_METRICS


def hit_at(ranked: list[str], groups: list[set[str]], k: int) -> float:
    """1.0 when every group has a relevant unit among the first ``k`` (0.0 without groups)."""
    top = set(ranked[:k])
    return float(bool(groups) and all(top & g for g in groups))


# --------------------------------------------------------------------------- retrievers


@dataclass
class Variant:
    """A named retriever setting: how to search (and answer) with a loaded engine."""

    name: str
    search: Callable  # (engine, question, k) -> list[Hit]
    ask: Callable | None = None  # (engine, question) -> Answer


RETRIEVERS: dict[str, Variant] = {}


def register_retriever(name: str, search: Callable, ask: Callable | None = None) -> None:
    RETRIEVERS[name] = Variant(name, search, ask)


def _register_modes() -> None:
    from rag.search.hits import MODES

    for mode in MODES:
        register_retriever(mode, lambda eng, q, k, m=mode: eng.retriever.search(q, k=k, mode=m),
                           lambda eng, q, m=mode: eng.answerer.ask(q, retrieval_mode=m))


_register_modes()


def _parse_settings(spec: str, base: str) -> dict:
    from rag.config import RetrievalConfig

    types = {f.name: type(getattr(RetrievalConfig(), f.name)) for f in fields(RetrievalConfig) if f.name != "mode"}
    out = {}
    for item in filter(None, re.split(r"[,+]", spec)):  # "+" joins settings on the command line
        key, _, value = item.partition("=")
        key = key.strip()
        if key not in types or not value:
            raise InvalidQueryError(f"Unknown retriever setting '{item}' in '{base}:{spec}'.",
                                    f"Settings are key=value with keys: {', '.join(types)}")
        try:
            out[key] = types[key](value) if types[key] is not bool else value.lower() in ("1", "true", "yes")
        except ValueError as exc:
            raise InvalidQueryError(f"Bad value for {key}: '{value}'.") from exc
    return out


def resolve_retriever(name: str) -> Variant:
    """A registered name (``hybrid``) or a mode with settings (``hybrid:bm25_weight_en=0.5``)."""
    if name in RETRIEVERS:
        return RETRIEVERS[name]
    base, _, spec = name.partition(":")
    if not spec or base not in RETRIEVERS or base not in ("hybrid", "dense", "bm25"):
        raise InvalidQueryError(f"Unknown retriever '{name}'.",
                                f"Use one of: {', '.join(RETRIEVERS)}, or e.g. hybrid:candidates=100")
    settings = _parse_settings(spec, base)
    cache: dict[int, tuple] = {}

    def parts(engine):
        if id(engine) not in cache:
            from rag.answer.answerer import Answerer
            from rag.search.retrieve import Retriever

            r = engine.retriever
            retriever = Retriever(r.index, r.embedder, replace(r.config, mode=base, **settings))
            cache[id(engine)] = (engine, retriever, Answerer(retriever, engine.answerer.config))
        return cache[id(engine)]

    return Variant(name, lambda eng, q, k: parts(eng)[1].search(q, k=k),
                   lambda eng, q: parts(eng)[2].ask(q))


# --------------------------------------------------------------------------- running


@dataclass
class EvalRun:
    metrics: dict  # the metrics object (``--json``, metrics.json)
    results: list[dict]  # one row per question and retriever
    failures: dict[str, list[dict]]  # per retriever: retrieval misses and wrong answers


def _ranked_units(hits, level: str, k: int) -> list[str]:
    if level == "chunk":
        return [h.chunk.chunk_id for h in hits][:k]
    units: list[str] = []
    for h in hits:
        if h.chunk.doc_id not in units:
            units.append(h.chunk.doc_id)
    return units[:k]


def _answer_row(q: Question, answer, sources: dict[str, str]) -> dict:
    keys = q.answer
    row = {"text": answer.answer, "answerable": bool(answer.answerable),
           "citations": [{"doc_id": c.doc_id, "start": c.start, "end": c.end, "text": c.text}
                         for c in answer.citations]}
    if not q.answerable:
        row["metrics"] = {"refused": float(not answer.answerable)}
    elif keys:
        ok = [contains_key(sources.get(c.doc_id, "")[c.start:c.end], keys) for c in answer.citations]
        row["metrics"] = {"answer_ok": float(answer.answerable and contains_key(answer.answer, keys)),
                          "answer_all": float(answer.answerable and all(contains_key(answer.answer, [k])
                                                                        for k in keys)),
                          "false_refusal": float(not answer.answerable),
                          "cit_ok": float(sum(ok)), "cit_n": float(len(ok) if answer.answerable else 0)}
        if answer.answerable:  # the answer phrase (rag.answer.phrase) holds a key, of answered questions
            short = getattr(answer, "short_answer", None) or {}
            row["phrase"], row["phrase_en"] = short.get("text"), short.get("en")
            row["metrics"]["phrase_ok"] = float(contains_key(short.get("text", ""), keys))
            if q.lang == "en":  # ... and its English rendering holds the key figure (rag.evaluation.rendering)
                row["metrics"]["phrase_en_ok"] = float(holds_key(short.get("en"), short.get("text", ""), keys))
    else:
        row["metrics"] = {"false_refusal": float(not answer.answerable)}
    return row


def _ranx_scores(rows: list[dict], rels: dict[str, Relevance]) -> dict[str, dict[str, float]]:
    """Per-question MRR@10, nDCG@10, recall@k from ranx (one entry per answerable question)."""
    ranx = require("ranx", extra="eval", purpose="retrieval metrics")
    if not rows:
        return {}
    # An empty run or qrels would be rejected; placeholders that never match score them 0.
    qrels = ranx.Qrels({r["id"]: dict(rels[r["id"]].grades) or {"__no_relevant__": 1} for r in rows})
    run = ranx.Run({r["id"]: {u: 1.0 / (i + 1) for i, u in enumerate(r["ranked"])} or {"__no_hit__": 1e-9}
                    for r in rows})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's type-safety chatter
        ranx.evaluate(qrels, run, list(RANX_METRICS))
    return {qid: {m: float(run.scores[m][qid]) for m in RANX_METRICS} for qid in run.get_query_ids()}


def run_eval(kb, questions: list[Question], retrievers: list[str] | None = None, answers: bool = False,
             k: int = 10, progress: Callable[[str, int, int], None] | None = None) -> EvalRun:
    """Search (and answer) every question with every retriever; compute the metrics object."""
    engine = getattr(kb, "engine", kb)
    variants = [resolve_retriever(n) for n in (retrievers or ["dense", "bm25", "hybrid"])]
    rels = relevance(engine.index, questions)
    engine.retriever.search("warm-up", k=1)  # first-call costs stay out of the latencies
    sources = {d: meta["source"] for d, meta in engine.index.docs.items()}
    results: list[dict] = []
    total = len(questions) * len(variants)
    done = 0
    for variant in variants:
        rows = []
        for q in questions:
            rel = rels.get(q.id)
            level = rel.level if rel else "chunk"
            t0 = time.perf_counter()
            try:
                hits = variant.search(engine, q.question, k * 3 if level == "doc" else k)
            except InvalidQueryError:
                hits = []
            row = {"retriever": variant.name, "id": q.id, "set": q.set, "question": q.question, "lang": q.lang,
                   "type": q.type, "answerable": q.answerable, "search_ms": (time.perf_counter() - t0) * 1000,
                   "ranked": _ranked_units(hits, level, k), "metrics": {},
                   "rank1": ({"doc_id": hits[0].chunk.doc_id, "chunk_id": hits[0].chunk.chunk_id,
                              "text": hits[0].chunk.clean} if hits else None)}
            if rel is not None and q.answerable:
                row["metrics"].update({f"hit@{n}": hit_at(row["ranked"], rel.groups, n) for n in HIT_KS})
                row["first_relevant"] = next((i + 1 for i, u in enumerate(row["ranked"]) if u in rel.grades), None)
                row["missing_evidence"] = rel.missing
            if answers and variant.ask is not None:
                t0 = time.perf_counter()
                try:
                    answer = variant.ask(engine, q.question)
                except InvalidQueryError as exc:  # counts as a refusal
                    answer = SimpleNamespace(answer=exc.message, answerable=False, citations=[])
                row["answer"] = _answer_row(q, answer, sources)
                row["ask_ms"] = (time.perf_counter() - t0) * 1000
            rows.append(row)
            done += 1
            if progress:
                progress(variant.name, done, total)
        scored = {r["id"]: r for r in rows if "hit@1" in r["metrics"]}
        for qid, values in _ranx_scores(list(scored.values()), rels).items():
            scored[qid]["metrics"].update(values)
        results.extend(rows)
    by_id = {q.id: q for q in questions}
    metrics = summarise(results, [v.name for v in variants], questions, engine.index, k)
    failures = {v.name: failures_of([r for r in results if r["retriever"] == v.name], by_id)
                for v in variants}
    return EvalRun(metrics, results, failures)


# --------------------------------------------------------------------------- metrics


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def block(rows: list[dict]) -> dict:
    """Mean retrieval metrics over the answerable rows, answer metrics over all of them."""
    out: dict = {}
    scored = [r["metrics"] for r in rows if "hit@1" in r["metrics"]]
    if scored:
        out["n"] = len(scored)
        out.update({m: _mean([s[m] for s in scored if m in s]) for m in RETRIEVAL_METRICS})
    answers = [r["answer"]["metrics"] for r in rows if "answer" in r]
    for name, key in (("answer_accuracy", "answer_ok"), ("answer_all_keys", "answer_all"),
                      ("answer_phrase", "phrase_ok"), ("answer_phrase_en", "phrase_en_ok"),
                      ("refusal_rate", "refused"), ("false_refusal_rate", "false_refusal")):
        value = _mean([a[key] for a in answers if key in a])
        if value is not None:
            out[name] = value
    cited = sum(a.get("cit_n", 0.0) for a in answers)
    if cited:
        out["citation_precision"] = round(sum(a.get("cit_ok", 0.0) for a in answers) / cited, 4)
        out["citations"] = int(cited)
    if any("refused" in a for a in answers):
        out["n_unanswerable"] = sum(1 for a in answers if "refused" in a)
    return out


def _percentile(values: list[float], p: float) -> float | None:
    return round(float(np.percentile(values, p)), 1) if values else None


def summarise(results: list[dict], names: list[str], questions: list[Question], index, k: int) -> dict:
    """The metrics object: overall, per language, per type (and per set) for each retriever."""
    out = {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "sets": sorted({q.set for q in questions}), "questions": len(questions),
           "answerable": sum(q.answerable for q in questions),
           "unanswerable": sum(not q.answerable for q in questions), "k": k,
           "index": {"path": str(index.path), "generation": index.generation, "model": index.model_id,
                     "documents": len(index.docs), "chunks": len(index.chunks)},
           "retrievers": {}}
    for name in names:
        rows = [r for r in results if r["retriever"] == name]
        entry = {"overall": block(rows)}
        for key in ("lang", "type", "set"):
            values = sorted({r[key] for r in rows})
            if key != "set" or len(values) > 1:
                entry[f"by_{key}"] = {v: block([r for r in rows if r[key] == v]) for v in values}
        entry["overall"].update(twin_agreement(rows, questions))
        search = [r["search_ms"] for r in rows]
        ask = [r["ask_ms"] for r in rows if "ask_ms" in r]
        entry["latency_ms"] = {"search_p50": _percentile(search, 50), "search_p95": _percentile(search, 95),
                               "ask_p50": _percentile(ask, 50), "ask_p95": _percentile(ask, 95)}
        out["retrievers"][name] = entry
    return out


def _refused(row: dict) -> bool:
    m = row["answer"]["metrics"]
    return bool(m.get("false_refusal") or m.get("refused"))


def twin_agreement(rows: list[dict], questions: list[Question]) -> dict:
    """Of the question pairs a set links by ``twin`` (an English question and its Chinese original, both
    asked), the share answered or refused alike: {"twin_agreement", "twins"}; {} without pairs."""
    answered = {r["id"]: r for r in rows if "answer" in r}
    pairs = [(q.id, q.twin) for q in questions if q.twin and q.id in answered and q.twin in answered]
    if not pairs:
        return {}
    same = sum(_refused(answered[a]) == _refused(answered[b]) for a, b in pairs)
    return {"twin_agreement": round(same / len(pairs), 4), "twins": len(pairs)}


def failures_of(rows: list[dict], questions: dict[str, Question], k: int = 5) -> list[dict]:
    """Answerable questions missed at rank ``k``, wrong answers, and unanswerable ones answered."""
    out = []
    for r in rows:
        q = questions[r["id"]]
        expected = [s for g in q.groups for s in g] or sorted(q.relevant_docs)
        base = {"id": q.id, "question": q.question, "lang": q.lang, "type": q.type}
        if r["metrics"].get(f"hit@{k}") == 0.0:
            out.append({**base, "kind": "retrieval", "expected": expected,
                        "first_relevant": r.get("first_relevant"), "rank1": r["rank1"],
                        "missing_evidence": r.get("missing_evidence", [])})
        m = r.get("answer", {}).get("metrics", {})
        kind = ("false refusal" if m.get("false_refusal") else "wrong answer" if m.get("answer_ok") == 0.0
                else "answered unanswerable" if m.get("refused") == 0.0 else None)
        if kind:
            out.append({**base, "kind": kind, "expected": q.answer, "answer": r["answer"]["text"]})
    return out
