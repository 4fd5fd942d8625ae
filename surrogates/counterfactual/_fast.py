"""The model's own trees as arrays: the searches ask a tree ensemble thousands of
rows, and scikit-learn forests spend ~10 ms per ``predict`` call on dispatch
alone, so the rows go through one numba walk over the same trees instead.

Honest by construction: a row whose score is within rounding of the decision
(two classes tied, a margin near 0, a value near the desired interval's ends)
is asked of the model itself, the reader is checked against the model's own
``predict`` on sample rows before it is used (any disagreement: not used), and
every returned counterfactual is re-checked on the model in any case."""

from __future__ import annotations

import warnings

import numpy as np

# scikit-learn / xgboost classes whose ``predict`` follows from the raw trees
_PROBA = (
    "RandomForestClassifier",
    "ExtraTreesClassifier",
    "DecisionTreeClassifier",
    "ExtraTreeClassifier",
)
_VALUE = (
    "RandomForestRegressor",
    "ExtraTreesRegressor",
    "DecisionTreeRegressor",
    "ExtraTreeRegressor",
    "GradientBoostingRegressor",
    "HistGradientBoostingRegressor",
    "XGBRegressor",
)
_MARGIN = ("GradientBoostingClassifier", "HistGradientBoostingClassifier", "XGBClassifier")
# batches at least this large go through the parallel walk: on an idle 2-core
# machine 256 rows already gain (cancer forest, 100 trees: 15.0 vs 16.4 ms a query
# at 2048); on a busy one the threads wait for the processor and cost more
_PARALLEL_ROWS = 256


class TreeScores:
    """``scores(Z)``: (labels or values, rounding tolerance) for coded numeric rows."""

    def __init__(self, model, ens, kind: str):
        self.ens = ens
        self.kind = kind  # "proba", "margin" or "value"
        self.classes = _classes(model)
        # float64 sums of the same leaf values differ from the model's own sums in
        # the last bits (xgboost sums in float32): anything that close is unsure
        self.rel = 1e-5 if ens.float32_values else 1e-9
        self._scorer = None

    def raw(self, Z: np.ndarray) -> np.ndarray:
        """(n, n_outputs) float64 sums: the bias plus one leaf value per tree."""
        if self._scorer is None:  # numba: only once a tree model is read
            from ..effects._tree_predict import raw_scorer

            self._scorer = raw_scorer(self.ens)
        Z = np.asarray(Z, dtype=np.float64)
        G = Z.astype(np.float32).astype(np.float64) if self.ens.float32_inputs else Z
        if len(G) >= _PARALLEL_ROWS:
            return self._scorer.scores(G)
        # smaller batches (the search makes ~15 of hundreds of rows, ~1.7 us a row
        # on 100 trees) walk on one thread: waking the pool for each gains little on
        # an idle machine and costs 3-5x the walk on a busy one
        import numba

        threads = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            return self._scorer.scores(G)
        finally:
            numba.set_num_threads(threads)

    def predict(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Predictions and, per row, how far the score is from a tie (classifiers;
        compare with ``tol``) or the value itself (regressors)."""
        S = self.raw(Z)
        tol = self.rel * (1.0 + np.abs(S).max(axis=1))
        if self.kind == "value":
            return S[:, 0], tol
        if S.shape[1] == 1 and self.kind == "margin":  # binary: margin > 0 is class 1
            m = S[:, 0]
            return self.classes[(m > 0).astype(np.intp)], np.where(np.abs(m) < tol, 0.0, 1.0)
        top = np.argmax(S, axis=1)
        part = np.partition(S, -2, axis=1)
        gap = part[:, -1] - part[:, -2]
        return self.classes[top], np.where(gap < tol, 0.0, 1.0)


def _read(model):
    """The model's trees through the shared per-model cache (effects and SHAP
    read the same model once); None when they cannot be read."""
    from ..shap._tree_readers import read_model_cached

    try:
        with warnings.catch_warnings():  # the reader's own probe of the model's bias
            warnings.simplefilter("ignore", UserWarning)
            return read_model_cached(model)
    except (TypeError, ValueError, AttributeError, KeyError):
        return None


def tree_scores(model, space) -> TreeScores | None:
    """A ``TreeScores`` for a scikit-learn or xgboost tree model on numeric rows, else None."""
    name = type(model).__name__
    mod = type(model).__module__
    if space.categorical.any() or not (mod.startswith("sklearn") or mod.startswith("xgboost")):
        return None
    if name not in _PROBA + _VALUE + _MARGIN:
        return None
    ens = _read(model)
    if ens is None:
        return None
    if ens.cat_index is not None and (ens.cat_index >= 0).any():
        return None
    if ens.n_features != space.p or not np.isnan(ens.missing):
        return None
    if name in _PROBA:
        ok = ens.link == "identity" and ens.n_outputs == len(getattr(model, "classes_", ()))
        kind = "proba"
    elif name in _MARGIN:
        ok = ens.link in ("logit", "softmax")
        kind = "margin"
    else:
        ok = ens.link == "identity" and ens.n_outputs == 1
        kind = "value"
    if not ok:
        return None
    # one reader per read model (its numba scorer packs the trees once); the
    # ensemble comes from the shared cache, which rereads a refitted model
    key = (id(ens), kind)
    hit = _SCORES.get(key)
    if hit is not None and hit.ens is ens and np.array_equal(hit.classes, _classes(model)):
        return hit
    while len(_SCORES) >= 8:
        _SCORES.pop(next(iter(_SCORES)))
    _SCORES[key] = out = TreeScores(model, ens, kind)
    return out


_SCORES: dict = {}


def _classes(model) -> np.ndarray:
    return np.asarray(getattr(model, "classes_", []))
