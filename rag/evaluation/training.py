"""Fitting the answer model (rag.search.scoring) from labelled questions, cross-validated by article.

For every question of every source, the retriever's passages give candidate sentences with
their features; a sentence is a positive when it holds one of the question's answer keys
(unanswerable questions give only negatives). A logistic regression is fitted on the sentences.

Cross-validation is grouped by article: all questions about one article, and an English
question with its Chinese twin, fall in the same fold, so no article is both trained and
scored. On the out-of-fold predictions:
- ``thresholds`` (one per question language) are the highest probability thresholds at which
  the share of answerable questions of that language refused stays within ``max_false_refusal``,
  so that English questions are not refused more often than Chinese ones;
- ``extra_ratio`` (further sentences cited when their probability is this share of the
  best) is the value of a fixed grid with the best answer accuracy among those whose
  citation precision (share of cited sentences holding the answer) is at least 0.7.
The reported metrics are the out-of-fold ones; the final model is refitted on everything.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.answer.engine import open_engine
from rag.errors import require
from rag.evaluation.evalset import Question, contains_key, load_set, norm
from rag.index.build import build_index
from rag.search.classifiers import Cautious, Logistic, Trees
from rag.search.features import FEATURES, candidate_features
from rag.search.scoring import QUESTION_FEATURES, QUESTION_SIGNS, AnswerModel, gather, question_features

log = logging.getLogger(__name__)
EXTRA_GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)
MAX_SENTENCES = 3
MIN_PRECISION = 0.7  # share of cited sentences that hold the answer, at least


@dataclass
class Source:
    """A corpus with its index and the question sets about it."""

    name: str
    corpus: Path
    index: Path
    sets: list[Path]


@dataclass
class QuestionRows:
    qid: str
    group: str  # the article (fold unit)
    lang: str
    set: str
    answerable: bool
    x: np.ndarray  # candidate features
    y: np.ndarray  # candidate holds a key
    keys: list[str] = field(default_factory=list)


def _group(q: Question, engine, hits) -> str:
    """The article a question is about: its set's doc field, else the article holding its evidence,
    else its best passage's article."""
    if q.docs:
        return q.doc_ids[0]
    for ev in (e for g in q.groups for e in g):
        for doc_id, meta in engine.index.docs.items():
            if norm(ev) in norm(meta["source"]):
                return doc_id
    return hits[0].chunk.doc_id if hits else q.id


def collect(source: Source, progress: Callable[[str], None] | None = None) -> list[QuestionRows]:
    """Candidate features and labels for every question of ``source``."""
    if not (source.index / "manifest.json").exists():
        build_index(source.corpus, source.index)
    engine = open_engine(source.index)
    retriever = engine.retriever
    out: list[QuestionRows] = []
    for path in source.sets:
        questions = load_set(path)
        for q in questions:
            analysis = retriever.analyse(q.question)
            qvec = retriever.query_vector(analysis.text)
            hits = retriever.search(q.question, k=10, query_vec=qvec, analysis=analysis, rerank=False)
            cands = gather(retriever.index, hits, qvec)
            if not cands:
                continue
            candidate_features(analysis, cands, engine.index.knowledge, engine.index.doc_text,
                               hits[0].chunk.doc_id)
            keys = q.answer if q.answerable else []
            y = np.array([bool(keys) and contains_key(c.text, keys) for c in cands], dtype=np.int8)
            out.append(QuestionRows(f"{source.name}:{q.id}", f"{source.name}:{_group(q, engine, hits)}", q.lang,
                                    f"{source.name}:{Path(path).stem}", q.answerable,
                                    np.vstack([c.x for c in cands]), y, keys))
        if progress:
            progress(f"{source.name}: {path} done ({len(out)} questions so far)")
    return out


def data_hash(rows: list[QuestionRows]) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update(r.qid.encode())
        h.update(np.ascontiguousarray(r.x.round(5)).tobytes())
        h.update(r.y.tobytes())
    return h.hexdigest()[:16]


def fit_logistic(x: np.ndarray, y: np.ndarray, c: float = 1.0) -> Logistic:
    sk = require("sklearn.linear_model", extra="train", purpose="fitting the answer model")
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    clf = sk.LogisticRegression(C=c, max_iter=3000)
    clf.fit((x - mean) / scale, y)
    return Logistic(mean.tolist(), scale.tolist(), clf.coef_[0].tolist(), float(clf.intercept_[0]))


# The question model: boosted trees, monotone in every feature with a direction (QUESTION_SIGNS), and a logistic
# regression that may only lower them (Cautious). Chosen by the grouped cross-validation in docs/answer-model.md
# against either alone; the tree settings are scikit-learn's defaults made smaller (shallow trees, a slower
# rate), not tuned to a set.
TREE_SETTINGS = {"max_iter": 200, "learning_rate": 0.05, "max_leaf_nodes": 15, "min_samples_leaf": 20,
                 "l2_regularization": 1.0}


def fit_trees(x: np.ndarray, y: np.ndarray, signs: tuple[int, ...], seed: int = 0) -> Trees:
    """Monotone gradient-boosted trees (scikit-learn), exported as :class:`Trees`."""
    sk = require("sklearn.ensemble", extra="train", purpose="fitting the answer model")
    clf = sk.HistGradientBoostingClassifier(**TREE_SETTINGS, monotonic_cst=list(signs), random_state=seed)
    clf.fit(x, y)
    trees = []
    for (predictor,) in clf._predictors:  # one predictor per iteration for a binary task
        nodes = predictor.nodes
        trees.append({"feature": [-1 if leaf else int(f) for f, leaf in zip(nodes["feature_idx"], nodes["is_leaf"])],
                      "threshold": [float(t) for t in nodes["num_threshold"]],
                      "left": [int(v) for v in nodes["left"]], "right": [int(v) for v in nodes["right"]],
                      "value": [float(v) if leaf else 0.0 for v, leaf in zip(nodes["value"], nodes["is_leaf"])],
                      "missing_left": [bool(v) for v in nodes["missing_go_to_left"]]})
    return Trees(float(np.ravel(clf._baseline_prediction)[0]), trees, int(x.shape[1]))


def fit_question(q: np.ndarray, y: np.ndarray) -> Cautious:
    """The question model: the minimum of monotone trees and a logistic regression over the same features."""
    return Cautious([fit_trees(q, y, QUESTION_SIGNS), fit_logistic(q, y)])


def _fit(rows: list[QuestionRows]) -> Logistic:
    return fit_logistic(np.vstack([r.x for r in rows]), np.concatenate([r.y for r in rows]))


@dataclass
class Outcome:
    """Per question: P(answerable), and whether the chosen sentences (at each extra ratio) hold a key."""

    row: QuestionRows
    p1: float  # the question model's probability (the sentence model's best until it is set)
    ok: dict[float, bool]
    precision: dict[float, float]
    q: np.ndarray  # question features


def _outcome(r: QuestionRows, p: np.ndarray) -> Outcome:
    order = np.argsort(-p)
    p1 = float(p[order[0]])
    ok, prec = {}, {}
    for ratio in EXTRA_GRID:
        chosen = [i for i in order[:MAX_SENTENCES] if i == order[0] or p[i] >= ratio * p1]
        hits = [bool(r.y[i]) for i in chosen]
        ok[ratio], prec[ratio] = any(hits), sum(hits) / len(hits)
    return Outcome(r, p1, ok, prec, question_features(r.x, p))


def cross_validate(rows: list[QuestionRows], folds: int = 5, seed: int = 0) -> list[Outcome]:
    """Out-of-fold outcomes, folds grouped by article: the sentence model is fitted on the other folds;
    the question model on the other folds' out-of-fold question features (stacking)."""
    ms = require("sklearn.model_selection", extra="train", purpose="cross-validation")
    groups = np.array([r.group for r in rows])
    splits = list(ms.GroupKFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(len(rows)),
                                                                                        groups=groups))
    out: list[Outcome] = [None] * len(rows)  # type: ignore[list-item]
    for train, test in splits:
        sentence = _fit([rows[i] for i in train])
        for i in test:
            out[i] = _outcome(rows[i], sentence(rows[i].x))
    q = np.vstack([o.q for o in out])
    y = np.array([o.row.answerable for o in out])
    for train, test in splits:
        question = fit_question(q[train], y[train])
        for i, p in zip(test, question(q[test])):
            out[i].p1 = float(p)
    return out


def pick_threshold(outcomes: list[Outcome], max_false_refusal: float) -> float:
    """The highest threshold whose out-of-fold false-refusal rate is within ``max_false_refusal``."""
    answerable = sorted(o.p1 for o in outcomes if o.row.answerable)
    if not answerable:
        return 0.5
    allowed = int(np.floor(max_false_refusal * len(answerable)))
    return float(answerable[allowed]) if allowed < len(answerable) else float(answerable[-1])


def pick_thresholds(outcomes: list[Outcome], max_false_refusal: float) -> dict[str, float]:
    """:func:`pick_threshold` for each question language."""
    return {lang: pick_threshold([o for o in outcomes if o.row.lang == lang], max_false_refusal)
            for lang in sorted({o.row.lang for o in outcomes})}


def pick_extra_ratio(outcomes: list[Outcome], thresholds: dict[str, float],
                     min_precision: float = MIN_PRECISION) -> float:
    """The grid value with the best out-of-fold answer accuracy among those whose citation precision is at
    least ``min_precision`` (the most precise one if none is)."""
    answered = [o for o in outcomes if o.row.answerable and o.p1 >= thresholds[o.row.lang]]
    if not answered:
        return EXTRA_GRID[-1]
    precision = {r: float(np.mean([o.precision[r] for o in answered])) for r in EXTRA_GRID}
    accuracy = {r: float(np.mean([o.ok[r] for o in answered])) for r in EXTRA_GRID}
    good = [r for r in EXTRA_GRID if precision[r] >= min_precision]
    return max(good, key=lambda r: (accuracy[r], r)) if good else max(EXTRA_GRID, key=precision.get)


def metrics(outcomes: list[Outcome], thresholds: dict[str, float], ratio: float,
            by: Callable[[Outcome], str]) -> dict:
    """Answer accuracy, refusal of unanswerable, false refusals and citation precision per group."""
    out: dict[str, dict] = {}
    for key in sorted({by(o) for o in outcomes}) + ["all"]:
        group = [o for o in outcomes if key == "all" or by(o) == key]
        ans = [o for o in group if o.row.answerable]
        un = [o for o in group if not o.row.answerable]
        answered = [o for o in ans if o.p1 >= thresholds[o.row.lang]]
        out[key] = {"answerable": len(ans), "unanswerable": len(un),
                    "answer_accuracy": round(sum(o.ok[ratio] for o in answered) / len(ans), 4) if ans else None,
                    "false_refusal": round(1 - len(answered) / len(ans), 4) if ans else None,
                    "refused_unanswerable": round(sum(o.p1 < thresholds[o.row.lang] for o in un) / len(un), 4)
                    if un else None,
                    "citation_precision": round(float(np.mean([o.precision[ratio] for o in answered])), 4)
                    if answered else None}
    return out


def train(sources: list[Source], max_false_refusal: float = 0.04, folds: int = 5,
          progress: Callable[[str], None] | None = None) -> tuple[AnswerModel, dict]:
    rows: list[QuestionRows] = []
    for source in sources:
        rows += collect(source, progress)
    return fit_model(rows, max_false_refusal, folds)


def fit_model(rows: list[QuestionRows], max_false_refusal: float = 0.04, folds: int = 5) -> tuple[AnswerModel, dict]:
    """The answer model fitted on ``rows`` and its cross-validated report (by set and by corpus and language)."""
    outcomes = cross_validate(rows, folds)
    thresholds = pick_thresholds(outcomes, max_false_refusal)
    ratio = pick_extra_ratio(outcomes, thresholds)
    report = {"by_set": metrics(outcomes, thresholds, ratio, lambda o: o.row.set),
              "by_lang": metrics(outcomes, thresholds, ratio, lambda o: f"{o.row.set.split(':')[0]}:{o.row.lang}")}
    sentence = _fit(rows)
    question = fit_question(np.vstack([o.q for o in outcomes]), np.array([o.row.answerable for o in outcomes]))
    model = AnswerModel(list(FEATURES), sentence, list(QUESTION_FEATURES), question, thresholds, ratio,
                        {"data_hash": data_hash(rows), "questions": len(rows),
                         "sentences": int(sum(len(r.y) for r in rows)), "folds": folds,
                         "max_false_refusal": max_false_refusal, "sets": sorted({r.set for r in rows}),
                         "cross_validated": report["by_set"]["all"]})
    return model, report


def write_report(report: dict, path: Path) -> None:
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
