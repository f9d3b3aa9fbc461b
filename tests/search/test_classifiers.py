"""The answer model's classifiers: numpy inference equals scikit-learn's, JSON round trips, monotone trees."""
from __future__ import annotations

import json

import numpy as np
import pytest

from rag.evaluation.training import TREE_SETTINGS, fit_trees
from rag.search.classifiers import Cautious, Logistic, Trees, classifier_from_json


def _data(n: int = 1500, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    y = (x[:, 0] - x[:, 1] + 0.3 * x[:, 2] * x[:, 3] + 0.5 * rng.normal(size=n) > 0).astype(int)
    return x, y


def test_exported_trees_predict_what_scikit_learn_predicts():
    sk = pytest.importorskip("sklearn.ensemble")
    x, y = _data()
    signs = (1, -1, 0, 0, 0)
    trees = fit_trees(x, y, signs)
    clf = sk.HistGradientBoostingClassifier(**TREE_SETTINGS, monotonic_cst=list(signs), random_state=0).fit(x, y)
    probe = np.random.default_rng(1).normal(size=(300, 5))
    assert np.allclose(trees(probe), clf.predict_proba(probe)[:, 1], atol=1e-9)


def test_trees_never_rise_with_a_feature_that_may_only_lower_them():
    x, y = _data()
    trees = fit_trees(x, y, (1, -1, 0, 0, 0))
    base = np.random.default_rng(2).normal(size=(200, 5))
    for step in np.linspace(-3, 3, 13):
        up, down = base.copy(), base.copy()
        up[:, 0] += step + 0.5
        down[:, 1] += step + 0.5
        ref_up, ref_down = base.copy(), base.copy()
        ref_up[:, 0] += step
        ref_down[:, 1] += step
        assert (trees(up) >= trees(ref_up) - 1e-12).all()
        assert (trees(down) <= trees(ref_down) + 1e-12).all()


def test_classifiers_round_trip_through_json_and_check_their_width():
    x, y = _data(600)
    trees = fit_trees(x, y, (0, 0, 0, 0, 0))
    again = classifier_from_json(json.loads(json.dumps(trees.to_json())))
    assert isinstance(again, Trees) and np.allclose(again(x[:50]), trees(x[:50]))
    with pytest.raises(ValueError, match="5 features"):
        trees(x[:3, :4])
    logistic = Logistic([0.0, 1.0], [1.0, 2.0], [0.5, -1.0], 0.2)
    assert classifier_from_json(json.loads(json.dumps(logistic.to_json()))) == logistic
    assert classifier_from_json({"mean": [0.0], "scale": [1.0], "coef": [1.0], "intercept": 0.0})(np.zeros((1, 1)))[0] == 0.5
    with pytest.raises(ValueError, match="unknown classifier"):
        classifier_from_json({"kind": "forest"})


def test_trees_send_missing_values_the_way_they_were_fitted():
    trees = Trees(0.0, [{"feature": [0, -1, -1], "threshold": [0.5, 0.0, 0.0], "left": [1, 0, 0], "right": [2, 0, 0],
                         "value": [0.0, -2.0, 2.0], "missing_left": [False, False, False]}], 1)
    p = trees(np.array([[0.0], [1.0], [np.nan]]))
    assert p[0] < 0.5 < p[1] and p[2] == p[1]


def test_a_cautious_model_says_yes_only_when_every_part_does():
    x, y = _data(800)
    trees = fit_trees(x, y, (1, -1, 0, 0, 0))
    logistic = Logistic([0.0] * 5, [1.0] * 5, [3.0, 0.0, 0.0, 0.0, 0.0], 0.0)
    both = Cautious([trees, logistic])
    p = both(x[:100])
    assert np.allclose(p, np.minimum(trees(x[:100]), logistic(x[:100])))
    again = classifier_from_json(json.loads(json.dumps(both.to_json())))
    assert isinstance(again, Cautious) and np.allclose(again(x[:100]), p)
