"""The fitted classifiers the answer model is made of, evaluated with numpy alone.

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
        # all trees in one set of node arrays (children offset to their tree's place), so a batch of rows walks
        # every tree at once: one numpy step per level instead of one per level and tree
        sizes = [len(t["feature"]) for t in self.trees]
        offsets = np.cumsum([0] + sizes[:-1]).astype(np.int64)

        def cat(key: str, dtype) -> np.ndarray:
            parts = [np.asarray(t[key], dtype=dtype) for t in self.trees]
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        shift = np.repeat(offsets, sizes)
        self._feature = cat("feature", np.int64)
        self._threshold = cat("threshold", float)
        self._left = cat("left", np.int64) + shift
        self._right = cat("right", np.int64) + shift
        self._value = cat("value", float)
        self._missing_left = cat("missing_left", bool)
        self._roots = offsets

    def raw(self, x: np.ndarray) -> np.ndarray:
        """The log-odds of every row of ``x`` (rows × :attr:`n_features`)."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        if x.shape[1] != self.n_features:
            raise ValueError(f"the trees read {self.n_features} features, got {x.shape[1]}")
        if not self.trees:
            return np.full(len(x), self.baseline)
        rows = np.arange(len(x))[:, None]
        node = np.broadcast_to(self._roots, (len(x), len(self._roots))).copy()
        inner = self._feature[node] >= 0
        while inner.any():
            f = self._feature[node]
            v = x[rows, np.where(inner, f, 0)]
            go_left = np.where(np.isnan(v), self._missing_left[node], v <= self._threshold[node])
            node = np.where(inner, np.where(go_left, self._left[node], self._right[node]), node)
            inner = self._feature[node] >= 0
        return self.baseline + self._value[node].sum(axis=1)

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
