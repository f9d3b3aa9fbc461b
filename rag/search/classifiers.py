"""The two kinds of fitted classifier the answer model is made of, evaluated with numpy alone.

- :class:`Logistic`: standardise, a linear model, the logistic function.
- :class:`Trees`: gradient-boosted regression trees (fitted by scikit-learn's
  ``HistGradientBoostingClassifier``, exported node by node), summed onto a baseline log-odds and
  passed through the logistic function.

- :class:`Cautious`: the lowest probability of several classifiers — yes only when every one says yes.

All are plain data (JSON-able lists) so a model file holds no pickle; :func:`classifier_from_json`
reads any of them back.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@dataclass
class Logistic:
    """Standardise, then a linear model and the logistic function."""

    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return _sigmoid(((x - np.asarray(self.mean)) / np.asarray(self.scale)) @ np.asarray(self.coef) + self.intercept)

    def to_json(self) -> dict:
        return {"kind": "logistic", **asdict(self)}


@dataclass
class Trees:
    """Boosted trees: P = sigmoid(baseline + the sum over trees of the leaf each row reaches).

    Each tree is a dict of equal-length node lists: ``feature`` (-1 at a leaf), ``threshold`` (a row goes
    left when its value is ≤ it, or is NaN and ``missing_left``), ``left``/``right`` (child node
    indices), ``value`` (the leaf's log-odds contribution). Node 0 is the root.
    """

    baseline: float
    trees: list[dict]
    n_features: int

    def __post_init__(self) -> None:
        self._arrays = [(np.asarray(t["feature"], dtype=np.int64), np.asarray(t["threshold"], dtype=float),
                         np.asarray(t["left"], dtype=np.int64), np.asarray(t["right"], dtype=np.int64),
                         np.asarray(t["value"], dtype=float), np.asarray(t["missing_left"], dtype=bool))
                        for t in self.trees]

    def raw(self, x: np.ndarray) -> np.ndarray:
        """The log-odds of every row of ``x`` (rows × :attr:`n_features`)."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        if x.shape[1] != self.n_features:
            raise ValueError(f"the trees read {self.n_features} features, got {x.shape[1]}")
        rows = np.arange(len(x))
        z = np.full(len(x), self.baseline)
        for feature, threshold, left, right, value, missing_left in self._arrays:
            node = np.zeros(len(x), dtype=np.int64)
            inner = feature[node] >= 0
            while inner.any():
                f = feature[node]
                v = x[rows, np.where(inner, f, 0)]
                go_left = np.where(np.isnan(v), missing_left[node], v <= threshold[node])
                node = np.where(inner, np.where(go_left, left[node], right[node]), node)
                inner = feature[node] >= 0
            z += value[node]
        return z

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return _sigmoid(self.raw(x))

    def to_json(self) -> dict:
        return {"kind": "trees", "baseline": self.baseline, "trees": self.trees, "n_features": self.n_features}


@dataclass
class Cautious:
    """P = the minimum over ``parts``: one part's guarantee (say, monotone trees that cannot answer an
    off-topic question) bounds the whole, another part can only lower it."""

    parts: list

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.min(np.vstack([part(x) for part in self.parts]), axis=0)

    def to_json(self) -> dict:
        return {"kind": "cautious", "parts": [part.to_json() for part in self.parts]}


def classifier_from_json(data: dict) -> Logistic | Trees | Cautious:
    """A classifier from its ``to_json()`` (a dict without ``kind`` is logistic)."""
    data = dict(data)
    kind = data.pop("kind", "logistic")
    if kind == "logistic":
        return Logistic(**data)
    if kind == "trees":
        return Trees(**data)
    if kind == "cautious":
        return Cautious([classifier_from_json(part) for part in data["parts"]])
    raise ValueError(f"unknown classifier kind {kind!r}")
