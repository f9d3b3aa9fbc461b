"""Fitting the answer model: grouped cross-validation, the threshold and the saved weights."""
from __future__ import annotations

import numpy as np

from rag.evaluation.training import QuestionRows, cross_validate, metrics, pick_thresholds
from rag.search.features import FEATURES
from rag.search.scoring import AnswerModel, default_model


def _rows(n: int = 60, seed: int = 0) -> list[QuestionRows]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        answerable = i % 4 != 0
        x = rng.normal(size=(8, len(FEATURES)))
        y = np.zeros(8, dtype=np.int8)
        if answerable:
            y[0] = 1
            x[0, FEATURES.index("dense")] += 3.0  # the answer stands out on one feature
        rows.append(QuestionRows(f"q{i}", f"doc{i % 12}", "zh", "set", answerable, x, y, ["k"]))
    return rows


def test_cross_validation_finds_the_answer_and_keeps_false_refusals_within_the_target():
    outcomes = cross_validate(_rows(), folds=3)
    thresholds = pick_thresholds(outcomes, 0.05)
    m = metrics(outcomes, thresholds, 1.01, lambda o: o.row.set)["all"]
    assert m["false_refusal"] <= 0.05
    assert m["answer_accuracy"] >= 0.7  # picking one sentence of eight by chance gives 0.125


def test_the_bundled_model_matches_the_features_and_records_its_data():
    model = default_model()
    assert isinstance(model, AnswerModel) and model.features == list(FEATURES)
    assert set(model.threshold) == {"en", "zh"} and all(0 < t < 1 for t in model.threshold.values())
    assert model.trained_on["data_hash"]
    cv = model.trained_on["cross_validated"]
    assert cv["false_refusal"] <= model.trained_on["max_false_refusal"] + 1e-9
