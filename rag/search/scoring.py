"""The learned answer scorer: which sentence answers, and whether any does.

Two logistic regressions. The first, over :data:`rag.search.features.FEATURES`, gives each candidate
sentence the probability that it holds the answer. The second reads the question as a whole
(:func:`question_features`: the best sentence's probability and features, and the best
probability among the sentences that meet every constraint of the question) and gives the
probability that the articles answer it at all. The question is answered when that reaches the
threshold of its language, set by cross-validation grouped by article (see
``scripts/train_answer_model.py`` and docs/answer-model.md): the highest threshold whose
out-of-fold false-refusal rate for that language stays within the target. Weights live in ``rag/data/answer_model.json`` with the hash of the data they were fitted
on; inference is numpy only.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag.search.analysis import QuestionAnalysis
from rag.search.classifiers import Cautious, Logistic, Trees, classifier_from_json
from rag.search.features import FEATURE_SIGNS, FEATURES, Candidate, candidate_features
from rag.search.hits import Hit

if TYPE_CHECKING:
    from rag.index.store import Index

MODEL_FILE = "answer_model.json"


QUESTION_FEATURES = ("p1", "logit_p1", "p_gap", "p_clean", "logit_p_clean", "cov_clean", "dense_clean",
                     "miss_clean", "clean_share") + tuple(f"top_{f}" for f in FEATURES)
# How P(the articles answer) may move with each question feature: +1 never falls as it grows, -1 never
# rises, 0 free. The best sentence's features keep their meaning (FEATURE_SIGNS); so do the clean ones.
QUESTION_SIGNS = (1, 1, 0, 1, 1, 1, 1, -1, 0) + tuple(FEATURE_SIGNS[f] for f in FEATURES)


@dataclass
class AnswerModel:
    features: list[str]
    sentence: Logistic  # P(sentence holds the answer)
    question_features: list[str]
    question: Logistic | Trees | Cautious  # P(the articles answer the question)
    threshold: dict[str, float]  # per question language: answer when the question probability reaches it
    extra_ratio: float  # further sentences cited when their probability is this share of the best one's
    trained_on: dict  # data hash, question counts, cross-validated metrics

    def to_json(self) -> dict:
        return {"features": list(self.features), "sentence": self.sentence.to_json(),
                "question_features": list(self.question_features), "question": self.question.to_json(),
                "threshold": self.threshold, "extra_ratio": self.extra_ratio, "trained_on": self.trained_on}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=None, separators=(",", ":")),
                        encoding="utf-8")

    @classmethod
    def from_json(cls, data: dict) -> "AnswerModel":
        data = dict(data)
        data["sentence"] = classifier_from_json(data["sentence"])
        data["question"] = classifier_from_json(data["question"])
        model = cls(**data)
        if list(model.features) != list(FEATURES) or list(model.question_features) != list(QUESTION_FEATURES):
            raise ValueError("the answer model was trained on other features; retrain it "
                             "(python scripts/train_answer_model.py)")
        return model

    def answerable(self, x: np.ndarray, p: np.ndarray) -> float:
        """P(the articles answer the question), from its candidates' features and probabilities."""
        return float(self.question(question_features(x, p)[None, :])[0])


_F = {f: i for i, f in enumerate(FEATURES)}


def clean_mask(x: np.ndarray) -> np.ndarray:
    """Candidates that meet every constraint the question sets: its places (and no other place's
    figure), its time, its named entities (in the article) and its unit."""
    f = _F
    return (((x[:, f["has_place"]] == 0) | ((x[:, f["place_doc"]] >= 1) & (x[:, f["place_other"]] == 0)))
            & ((x[:, f["time_bad"]] == 0) | (x[:, f["time_ok"]] > 0))
            & ((x[:, f["has_ent"]] == 0) | (x[:, f["ent_doc"]] >= 1))
            & ((x[:, f["has_unit_q"]] == 0) | (x[:, f["unit_ok"]] > 0)))


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def question_features(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The question-level features (:data:`QUESTION_FEATURES`) of one question's candidates."""
    order = np.argsort(-p)
    p1 = float(p[order[0]])
    p2 = float(p[order[1]]) if len(order) > 1 else 0.0
    clean = clean_mask(x)
    if clean.any():
        pc = float(p[clean].max())
        rest = [float(x[clean][:, _F["cov_ctx"]].max()), float(x[clean][:, _F["dense"]].max()),
                float(x[clean][:, _F["miss_ctx_max"]].min())]
    else:
        pc, rest = 0.0, [0.0, 0.0, 1.0]
    head = [p1, _logit(p1), p1 - p2, pc, _logit(pc)] + rest + [float(clean.mean())]
    return np.concatenate([np.asarray(head), x[order[0]]])


@lru_cache(maxsize=1)
def default_model() -> AnswerModel:
    with resources.files("rag.data").joinpath(MODEL_FILE).open("r", encoding="utf-8") as fh:
        return AnswerModel.from_json(json.load(fh))


def gather(index: Index, hits: list[Hit], query_vec: np.ndarray, neighbour_depth: int = 5) -> list[Candidate]:
    """Every sentence of ``hits`` and of the passages just before and after the top ``neighbour_depth``
    (a chunk boundary can split a fact from the sentence that names its subject)."""
    seen = {h.chunk.chunk_id for h in hits}
    extra: list[Hit] = []
    for h in hits[:neighbour_depth]:
        row = index.row(h.chunk.chunk_id)
        for r in (row - 1, row + 1):
            if 0 <= r < len(index):
                chunk = index.chunks[r]
                if chunk.doc_id == h.chunk.doc_id and chunk.chunk_id not in seen:
                    seen.add(chunk.chunk_id)
                    extra.append(Hit(0, 0.0, chunk, h.doc, 0.0, 0.0, 0.0))
    out: list[Candidate] = []
    for hit in list(hits) + extra:
        sims = index.sentence_vectors_for([index.row(hit.chunk.chunk_id)]) @ query_vec
        for i, (sent, text, sim) in enumerate(zip(hit.chunk.sentences, hit.chunk.sentence_texts(), sims)):
            if text.strip() and text != hit.chunk.heading:
                out.append(Candidate(hit, i, text, sent.start, sent.end, float(sim)))
    return out


def score(index: Index, analysis: QuestionAnalysis, hits: list[Hit], query_vec: np.ndarray,
          model: AnswerModel | None = None, neighbour_depth: int = 5) -> list[Candidate]:
    """Candidates with features and probabilities, best first."""
    model = model or default_model()
    cands = gather(index, hits, query_vec, neighbour_depth)
    if not cands:
        return []
    top_doc = hits[0].chunk.doc_id if hits else ""
    candidate_features(analysis, cands, index.knowledge, index.doc_text, top_doc)
    probs = model.sentence(np.vstack([c.x for c in cands]))
    for c, p in zip(cands, probs):
        c.p = float(p)
    cands.sort(key=lambda c: -c.p)
    return cands


def answerable(candidates: list[Candidate], model: AnswerModel | None = None) -> float:
    """P(the articles answer the question) from its scored candidates (0 without any)."""
    if not candidates:
        return 0.0
    model = model or default_model()
    return model.answerable(np.vstack([c.x for c in candidates]), np.asarray([c.p for c in candidates]))
