"""Permutation feature importance (Breiman 2001; Fisher, Rudin and Dominici 2019).

The drop in score when one feature (or a group of features) is shuffled across
rows. Every permuted copy of X for a block of features and repeats is stacked
and sent to the model in one call, so a model with a per-call cost (a pipeline,
a remote service, xgboost's DMatrix) pays it once per block, not once per
feature and repeat. Tree models (scikit-learn trees, forests and boosting,
xgboost) are not called at all: their trees are walked in parallel with numba,
giving the model's own scores (``_tree_predict``). The permutations are drawn exactly as
``sklearn.inspection.permutation_importance`` draws them, so the same
``random_state`` gives the same numbers with the same scorer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from glassbox.explanation import GlobalExplanation

from ._common import prepare


def _shim(bb, scores: np.ndarray):
    """An object scikit-learn scorers can call, answering with precomputed outputs."""
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

    if bb.task == "classification":

        class _Classifier(ClassifierMixin, BaseEstimator):
            def __init__(self):
                self.classes_ = np.asarray(bb.classes_)

            def predict_proba(self, X):
                return scores

            def predict(self, X):
                return self.classes_[np.argmax(scores, axis=1)]

        return _Classifier()

    class _Regressor(RegressorMixin, BaseEstimator):
        def predict(self, X):
            return scores[:, 0]

    return _Regressor()


def draw_permutations(n_rows: int, n_groups: int, n_repeats: int, random_state) -> np.ndarray:
    """(n_groups, n_repeats, n_rows) row orders, drawn as scikit-learn draws them:
    one seed for all features; each repeat shuffles the previous repeat's column."""
    from sklearn.utils import check_random_state

    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max + 1)
    rng = np.random.RandomState(seed)
    idx = np.arange(n_rows)
    composed = np.arange(n_rows)
    one = np.empty((n_repeats, n_rows), dtype=np.int64)
    for r in range(n_repeats):
        rng.shuffle(idx)
        composed = composed[idx]
        one[r] = composed
    # every feature starts from the same seed in scikit-learn
    return np.broadcast_to(one, (n_groups, n_repeats, n_rows))


def _score(scorer, bb, scores: np.ndarray, y, sample_weight) -> float:
    dummy = np.zeros((len(scores), 1))
    if sample_weight is None:
        return float(scorer(_shim(bb, scores), dummy, y))
    return float(scorer(_shim(bb, scores), dummy, y, sample_weight=sample_weight))


def _fast_metric(name, bb, y, sample_weight):
    """The default metrics in numpy (the scorer's input checks cost milliseconds per
    call, more than the metric on a few thousand rows); None for any other scorer."""
    w = sample_weight
    if name == "accuracy" and bb.task == "classification":
        classes = np.asarray(bb.classes_)

        def accuracy(scores):
            return float(np.average(classes[np.argmax(scores, axis=1)] == y, weights=w))

        return accuracy
    if name in ("r2", "neg_mean_squared_error") and bb.task == "regression":
        yf = np.asarray(y, dtype=np.float64)
        total = float(np.average((yf - np.average(yf, weights=w)) ** 2, weights=w))
        if name == "r2" and total == 0.0:
            return None  # scikit-learn's conventions for a constant target

        def metric(scores):
            mse = float(np.average((yf - scores[:, 0]) ** 2, weights=w))
            return 1.0 - mse / total if name == "r2" else -mse

        return metric
    return None


def permutation_importance(
    blackbox,
    X,
    y=None,
    *,
    scoring=None,
    n_repeats: int = 5,
    groups: dict[str, Sequence] | Sequence[Sequence] | None = None,
    max_rows: int | None = None,
    sample_weight=None,
    random_state=None,
    batch_rows: int = 262144,
    confidence: float = 0.95,
    progress: bool = False,
) -> GlobalExplanation:
    """Permutation importance of each feature (or group of features).

    Parameters
    ----------
    blackbox : any model ``as_blackbox`` accepts
    X : array-like or DataFrame of shape (n_rows, n_features)
    y : array-like or None, default=None
        True targets: importance is the drop in ``scoring``. None: the model is
        scored against its own predictions on X (accuracy of its labels, R^2 of
        its values), so importance is how far shuffling the feature moves the
        model away from itself.
    scoring : str, callable or None, default=None
        A scikit-learn scorer name or scorer ``f(estimator, X, y)``; None is
        accuracy for classifiers and R^2 for regressors.
    n_repeats : int, default=5
    groups : dict name -> columns, or list of column lists, or None
        Columns permuted together (one-hot blocks, strongly correlated features);
        None permutes each feature alone.
    max_rows : int or None
        Use a random subset of this many rows (drawn once, shared by all features).
    sample_weight : array-like or None
    random_state : int, RandomState or None
    batch_rows : int, default=262144
        Rows per model call: as many permuted copies of X as fit go in one call.
    confidence : float, default=0.95
        Level of the t-interval on the mean importance (over repeats).
    progress : bool, default=False
        A tqdm bar over the model calls.

    Returns
    -------
    GlobalExplanation
        ``importances`` is the mean drop in score; ``extras`` holds ``std``,
        ``ci_low``, ``ci_high``, ``importances_raw`` (n_terms, n_repeats),
        ``baseline_score``, ``scoring`` and ``columns`` (per term).
    """
    from scipy import stats
    from sklearn.metrics import get_scorer
    from tqdm.auto import tqdm

    from ._common import feature_index

    if not (isinstance(n_repeats, (int, np.integer)) and n_repeats >= 1):
        raise ValueError(f"n_repeats must be a positive integer, got {n_repeats!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    bb, Xa, names = prepare(blackbox, X, allow_nan=True)
    n = Xa.shape[0]
    if y is not None:
        y = np.asarray(y)
        if y.shape[0] != n:
            raise ValueError(f"y has {y.shape[0]} values but X has {n} rows")
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        if sample_weight.shape != (n,):
            raise ValueError(f"sample_weight must have shape ({n},), got {sample_weight.shape}")
    if max_rows is not None and max_rows < n:
        if max_rows < 2:
            raise ValueError(f"max_rows must be at least 2, got {max_rows}")
        rows = np.sort(np.random.default_rng(random_state).choice(n, max_rows, replace=False))
        Xa = Xa[rows]
        y = None if y is None else y[rows]
        sample_weight = None if sample_weight is None else sample_weight[rows]
        n = len(rows)

    if groups is None:
        term_names = list(names)
        columns = [[j] for j in range(len(names))]
    else:
        items = list(groups.items()) if isinstance(groups, dict) else list(enumerate(groups))
        term_names, columns = [], []
        for key, cols in items:
            idx = feature_index(cols, names, what="groups")
            columns.append(idx)
            term_names.append(
                str(key) if isinstance(groups, dict) else "+".join(names[i] for i in idx)
            )

    # tree models: the same scores from the trees, walked in parallel (see _tree_predict)
    from ._tree_predict import tree_scorer

    scorer_ = tree_scorer(blackbox)

    def model(rows):
        return scorer_.scores(rows) if scorer_ is not None else bb(rows, checked=True)

    base_scores = model(Xa)
    if y is None:  # the model against itself
        y = (
            bb.classes_[np.argmax(base_scores, axis=1)]
            if bb.task == "classification"
            else base_scores[:, 0]
        )
    if scoring is None:
        scorer = get_scorer("accuracy" if bb.task == "classification" else "r2")
    elif isinstance(scoring, str):
        scorer = get_scorer(scoring)
    elif callable(scoring):
        scorer = scoring
    else:
        raise TypeError(f"scoring must be a scorer name, a callable or None, got {scoring!r}")
    key = ("accuracy" if bb.task == "classification" else "r2") if scoring is None else scoring
    fast = _fast_metric(key, bb, y, sample_weight) if isinstance(key, str) else None

    def score(scores):
        return fast(scores) if fast is not None else _score(scorer, bb, scores, y, sample_weight)

    baseline = score(base_scores)

    perms = draw_permutations(n, len(columns), n_repeats, random_state)
    raw = np.empty((len(columns), n_repeats))
    jobs = [(g, r) for g in range(len(columns)) for r in range(n_repeats)]
    if scorer_ is not None:
        # one column: all repeats walk each tree together (see _tree_predict)
        single = [g for g in range(len(columns)) if len(columns[g]) == 1]
        per_block = max(1, int(batch_rows) // (n * n_repeats))
        for start in range(0, len(single), per_block):
            block = single[start : start + per_block]
            feats = [columns[g][0] for g in block]
            targets = np.stack([Xa[perms[g], columns[g][0]] for g in block])
            out = scorer_.permuted(Xa, feats, targets)
            for k, g in enumerate(block):
                for r in range(n_repeats):
                    raw[g, r] = baseline - score(out[k, r])
        jobs = [(g, r) for g, r in jobs if len(columns[g]) > 1]
    per_call = max(1, int(batch_rows) // n)
    with tqdm(total=len(jobs), disable=not progress, desc="permutation importance") as bar:
        for start in range(0, len(jobs), per_call):
            block = jobs[start : start + per_call]
            stacked = np.repeat(Xa[None], len(block), axis=0)
            for k, (g, r) in enumerate(block):
                cols = columns[g]
                stacked[k][:, cols] = Xa[perms[g, r][:, None], cols]
            out = model(stacked.reshape(-1, Xa.shape[1]))
            out = out.reshape(len(block), n, -1)
            for k, (g, r) in enumerate(block):
                raw[g, r] = baseline - score(out[k])
            bar.update(len(block))

    mean = raw.mean(axis=1)
    std = raw.std(axis=1)  # as scikit-learn reports it (ddof=0)
    if n_repeats > 1:
        half = stats.t.ppf(0.5 + confidence / 2, n_repeats - 1) * raw.std(axis=1, ddof=1)
        half = half / np.sqrt(n_repeats)
    else:
        half = np.full(len(columns), np.nan)
    return GlobalExplanation(
        term_names=tuple(term_names),
        importances=mean,
        intercept=np.array([baseline]),
        output_names=(),
        link="identity",
        method="permutation_importance",
        extras={
            "std": std,
            "ci_low": mean - half,
            "ci_high": mean + half,
            "importances_raw": raw,
            "baseline_score": baseline,
            "scoring": scoring if isinstance(scoring, str) or scoring is None else repr(scoring),
            "columns": tuple(tuple(names[j] for j in c) for c in columns),
            "n_rows": n,
        },
    )
