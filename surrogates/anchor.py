"""Anchors (Ribeiro, Singh & Guestrin 2018): IF-rules that hold around a row.

An anchor of a row ``x`` is a conjunction of interval conditions on a few
features, all true at ``x``, such that the black box gives ``x``'s class to
rows drawn from the data under those conditions, with precision at least
``precision``, certified by a one-sided Clopper-Pearson lower bound at level
``1 - delta``; among such rules the one with the largest coverage (share of
the data it applies to) is returned.

Conditions are built from quantile bins of each feature (quartiles by
default, thresholds in the feature's own units): for ``x`` in bin b, every
interval of consecutive bins containing b is a candidate, so anchors can be as
wide as the data allows.

Sampling is conditional on the data: the samples of an anchor are WHOLE rows
of ``X`` that satisfy all its conditions, drawn without replacement (in one
fixed random order shared by all anchors, so the black box is called at most
once per data row and candidates are compared on common rows). Whole rows keep
the correlations between features (radius, perimeter and area move together),
so a condition on one of them is not undone by implausible values of the
others. Precision is thus measured on rows the rule really covers, treated as
a sample of the data distribution under the rule.

Fallback, only when too few rows satisfy the rule: an anchor covering m rows
cannot be certified from them if ``delta ** (1 / m) < precision`` (even with
all m right; e.g. m < 59 for 0.95 at delta 0.05). For such an anchor only,
once all its covered rows are used and its bound still straddles the
threshold, certification adds synthetic rows: a random data row whose anchored
features are replaced, jointly, by those of a random covered row (correlations
within the anchored block are kept, those between the block and the rest are
not; for a black box that reads only the anchored features this is a
bootstrap of the covered rows). Anchors covering more rows are judged on
data alone. The bandit that ranks candidates uses real rows only.
``Anchor.n_rows`` and ``Anchor.n_synthetic`` tell how the returned precision
was measured.

The search is the paper's beam search: grow the best ``beam_size`` anchors by
one condition, pick the candidates with the highest precision lower bound
(ties: the larger coverage; the bound rather than the mean, because a rule's
samples are limited to the rows it covers) with a batched LUCB bandit,
certify them, and keep the covering-most certified one; larger anchors are
only considered while they can still cover more. All black-box calls are
batched across candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._params import check_int as _check_int
from ._params import check_real as _check_real
from ._rows import align_columns
from .blackbox import BlackBox, _is_xgb_booster, as_blackbox


@dataclass(frozen=True)
class Anchor:
    """An IF-rule around one row, with its precision bound and coverage.

    Attributes
    ----------
    conditions : tuple of (str, float, float)
        (feature name, lower, upper) meaning lower < x <= upper (either side
        may be infinite).
    features : tuple of int
        The column index of each condition.
    prediction : object
        The black box's class at the explained row.
    precision : float
        Share of the rule's samples that get that class.
    precision_lower : float
        One-sided Clopper-Pearson lower bound of the precision.
    coverage : float
        Share of the data rows the rule applies to.
    n_samples : int
        Rows the black box was called on during the whole search.
    threshold : float
        The precision asked for.
    confidence : float
        Level of the bound (1 - delta).
    valid : bool
        ``precision_lower >= threshold``.
    n_rows : int, default=0
        Covered data rows the precision was measured on.
    n_synthetic : int, default=0
        Fallback rows added to them (see the module doc).
    """

    conditions: tuple[tuple[str, float, float], ...]
    features: tuple[int, ...]
    prediction: object
    precision: float
    precision_lower: float
    coverage: float
    n_samples: int
    threshold: float
    confidence: float
    valid: bool  # precision_lower >= threshold
    n_rows: int = 0
    n_synthetic: int = 0

    def holds(self, X) -> np.ndarray:
        """Boolean mask of the rows of X that satisfy every condition.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Rows, columns in the order of the data the anchor was found on.

        Returns
        -------
        ndarray of bool, shape (n_rows,)
        """
        X = np.asarray(X, dtype=float)
        mask = np.ones(X.shape[0], dtype=bool)
        for (_, lo, hi), j in zip(self.conditions, self.features):
            mask &= (X[:, j] > lo) & (X[:, j] <= hi)
        return mask

    @property
    def rule(self) -> str:
        from glassbox._format import num

        if not self.conditions:
            return f"IF (always) THEN predict {self.prediction}"
        parts = []
        for name, lo, hi in self.conditions:
            if np.isinf(lo):
                parts.append(f"{name} <= {num(hi)}")
            elif np.isinf(hi):
                parts.append(f"{name} > {num(lo)}")
            else:
                parts.append(f"{num(lo)} < {name} <= {num(hi)}")
        return "IF " + " AND ".join(parts) + f" THEN predict {self.prediction}"

    def __str__(self) -> str:
        from glassbox._format import short

        pct = short(100 * self.confidence)
        status = "" if self.valid else f"  [NOT certified: bound below {short(self.threshold)}]"
        syn = f" + {self.n_synthetic} synthetic" if self.n_synthetic else ""
        return (
            f"{self.rule}\n  precision {short(self.precision)} (lower bound {short(self.precision_lower)} "
            f"at {pct}% confidence, on {self.n_rows} data rows{syn}), "
            f"coverage {short(self.coverage)}{status}"
        )


def _one_sided(k, n, delta):
    """One-sided Clopper-Pearson (lower, upper) bounds, each at level 1 - delta."""
    from scipy.stats import beta

    k, n = np.asarray(k, float), np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(k > 0, beta.ppf(delta, k, n - k + 1), 0.0)
        hi = np.where(k < n, beta.ppf(1 - delta, k + 1, n - k), 1.0)
    return np.where(n > 0, lo, 0.0), np.where(n > 0, hi, 1.0)


class _Search:
    def __init__(self, bb, x, X, label, n_bins, rng, delta):
        self.bb, self.x, self.label, self.rng, self.delta = bb, x, label, rng, delta
        # one random order of the rows: an anchor's samples are its covered rows in this order
        self.X = X[rng.permutation(X.shape[0])]
        X = self.X
        m, d = X.shape
        self.hit = np.full(
            m, -1, dtype=np.int8
        )  # cached (black box(row) == label), -1: not asked yet
        self.preds = []  # (feature, lo, hi)
        qs = np.linspace(0, 1, n_bins + 1)[1:-1]
        for j in range(d):
            edges = np.unique(np.quantile(X[:, j], qs))
            nb = len(edges) + 1
            b = int(np.searchsorted(edges, x[j], side="left"))
            for a in range(b + 1):
                for c in range(b, nb):
                    if a == 0 and c == nb - 1:
                        continue  # the whole range is no condition
                    lo = -np.inf if a == 0 else edges[a - 1]
                    hi = np.inf if c == nb - 1 else edges[c]
                    if ((X[:, j] > lo) & (X[:, j] <= hi)).any():
                        self.preds.append((j, float(lo), float(hi)))
        self.pred_masks = [(X[:, j] > lo) & (X[:, j] <= hi) for j, lo, hi in self.preds]
        self._rows = {}  # anchor -> indices of the rows it covers, in sampling order
        self.n, self.k, self.n_real = {}, {}, {}
        self.n_samples = 0

    def rows(self, a) -> np.ndarray:
        if a not in self._rows:
            mask = np.ones(self.X.shape[0], dtype=bool)
            for p in a:
                mask &= self.pred_masks[p]
            self._rows[a] = np.flatnonzero(mask)
        return self._rows[a]

    def coverage(self, a) -> float:
        return len(self.rows(a)) / self.X.shape[0]

    def exhausted(self, a) -> bool:
        return self.n_real.get(a, 0) >= len(self.rows(a))

    def _synthetic(self, a, n) -> np.ndarray:
        """Fallback rows: a random data row with the anchored block of a random covered row."""
        Z = self.X[self.rng.integers(0, self.X.shape[0], size=n)].copy()
        cols = [self.preds[p][0] for p in a]
        if cols:
            rows = self.rows(a)
            donors = self.X[rows[self.rng.integers(0, len(rows), size=n)]]
            Z[:, cols] = donors[:, cols]
        return Z

    def sample(self, anchors, n_each, synthetic_below=0) -> None:
        """n_each more samples for every anchor, one black-box call: its covered rows
        first, then synthetic rows if it covers fewer than ``synthetic_below`` rows."""
        plan, extra = [], []
        for a in anchors:
            r0 = self.n_real.get(a, 0)
            real = self.rows(a)[r0 : r0 + n_each]
            n_syn = n_each - len(real) if len(self.rows(a)) < synthetic_below else 0
            plan.append((a, real, n_syn))
            if n_syn:
                extra.append(self._synthetic(a, n_syn))
        ask = np.unique(np.concatenate([p[1] for p in plan] + [np.zeros(0, dtype=np.intp)]))
        ask = ask[self.hit[ask] < 0]
        Z = np.vstack([self.X[ask]] + extra) if len(ask) or extra else None
        if Z is None:
            syn_hit = np.zeros(0, dtype=bool)
        else:
            hit = self.bb.predict(Z) == self.label
            self.n_samples += Z.shape[0]
            self.hit[ask] = hit[: len(ask)]
            syn_hit = hit[len(ask) :]
        for a, real, n_syn in plan:
            k = int(self.hit[real].sum()) + int(syn_hit[:n_syn].sum())
            syn_hit = syn_hit[n_syn:]
            self.n_real[a] = self.n_real.get(a, 0) + len(real)
            self.n[a] = self.n.get(a, 0) + len(real) + n_syn
            self.k[a] = self.k.get(a, 0) + k

    def bounds(self, anchors):
        k = np.array([self.k[a] for a in anchors])
        n = np.array([self.n[a] for a in anchors])
        lo, hi = _one_sided(k, n, self.delta)
        return k / np.maximum(n, 1), lo, hi

    def _ranked(self, cands):
        _, lo, _ = self.bounds(cands)
        cov = np.array([self.coverage(a) for a in cands])
        # highest precision lower bound first, not highest mean: the samples of a rule
        # are the rows it covers, so a rule right on its 5 rows (mean 1) is worth less
        # than one right on 95 of 100; among equals, the one covering more
        return np.lexsort((-cov, -lo)), lo

    def top(self, cands, beam, batch, eps, max_rounds):
        """The ``beam`` most precise candidates (batched LUCB, real rows only)."""
        self.sample(cands, batch)
        if len(cands) <= beam:
            return list(cands)
        for _ in range(max_rounds):
            _, lo, hi = self.bounds(cands)
            order, _ = self._ranked(cands)
            best, rest = order[:beam], order[beam:]
            lb, ub = lo[best].min(), hi[rest].max()
            if ub - lb <= eps:
                break
            # the arms whose intervals still straddle the boundary get more rows, if they have any
            pick = [cands[i] for i in best if lo[i] < ub] + [cands[i] for i in rest if hi[i] > lb]
            pick = [a for a in pick if not self.exhausted(a)]
            if not pick:
                break
            self.sample(pick, batch)
        order, _ = self._ranked(cands)
        return [cands[i] for i in order[:beam]]

    def certify(self, anchors, threshold, batch, max_samples):
        """Sample until each anchor's bound is clearly above or below the threshold.

        Synthetic rows only for anchors covering too few rows to be certified even if
        all were right (``delta ** (1 / m) < threshold``); the others are judged on data.
        """
        too_few = int(np.ceil(np.log(self.delta) / np.log(threshold)))
        todo = list(anchors)
        while todo:
            _, lo, hi = self.bounds(todo)
            todo = [
                a
                for a, l_, h in zip(todo, lo, hi)
                if l_ < threshold <= h
                and self.n[a] < max_samples
                and not (self.exhausted(a) and len(self.rows(a)) >= too_few)
            ]
            self.sample(todo, min(batch, max_samples), synthetic_below=too_few)


def _classifier(blackbox) -> BlackBox:
    """The black box as a classifier; regressors are refused by name."""
    from sklearn.base import is_regressor

    # a bound method (rfr.predict) is judged by its owner
    owner = getattr(blackbox, "__self__", None)
    for model in (blackbox, owner):
        if model is None or isinstance(model, BlackBox) or not hasattr(model, "fit"):
            continue
        try:
            regressor = is_regressor(model)
        except (AttributeError, TypeError):  # an estimator-like object without sklearn tags
            regressor = False
        if regressor:
            raise ValueError(
                f"anchors explain classifiers; {type(model).__name__} is a regressor. "
                "Explain a regressor with LocalSurrogate or SHAP"
            )
    if isinstance(blackbox, BlackBox):
        if blackbox.task == "regression":
            raise ValueError(
                f"anchors explain classifiers; the black box ({blackbox.description}) is a "
                "regressor (task='regression'). Explain a regressor with LocalSurrogate or SHAP"
            )
        return blackbox
    # a Booster knows its task from its objective; for a plain callable, integer
    # outputs are read as class labels
    task = None if _is_xgb_booster(blackbox) else "classification"
    return as_blackbox(blackbox, task=task)


def _named(obj) -> list[str] | None:
    """The names of a Series' index / a DataFrame's columns, None when positional."""
    import pandas as pd

    labels = obj.index if isinstance(obj, pd.Series) else getattr(obj, "columns", None)
    if labels is None or isinstance(labels, pd.RangeIndex):
        return None  # 0, 1, 2, ...: no names, only positions
    return [str(c) for c in labels]


def _row(x, X, bb: BlackBox) -> np.ndarray:
    """x as a 1-D float row in the column order of the black box / X.

    A Series or one-row DataFrame is matched by name: the same names in another
    order are reordered, other names are refused (read by position, they would
    describe another point)."""
    if x is None:
        raise ValueError("x is None; pass the row to explain (1-D, or 2-D with one row)")
    ref = bb.feature_names_in_ if bb.feature_names_in_ is not None else _named(X)
    got = _named(x) if hasattr(x, "to_numpy") else None
    if ref is not None and got is not None and got != ref:
        frame = x if hasattr(x, "columns") else x.to_frame().T
        x = align_columns(frame, ref, name="x's", against="X's columns")
    try:
        xa = np.asarray(x.to_numpy() if hasattr(x, "to_numpy") else x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"x must be a numeric row: {exc}") from None
    if xa.ndim == 2 and xa.shape[0] == 1:
        xa = xa[0]
    if xa.ndim != 1:
        raise ValueError(f"x must be one row (1-D, or 2-D with one row), got shape {xa.shape}")
    return xa


def anchor(
    blackbox,
    x,
    X,
    precision: float = 0.95,
    *,
    delta: float = 0.05,
    beam_size: int = 2,
    max_anchor_size: int | None = None,
    n_bins: int = 4,
    batch_size: int = 100,
    max_samples: int = 5000,
    epsilon: float = 0.1,
    random_state=None,
) -> Anchor:
    """The anchor of row ``x``: the IF-rule with precision >= ``precision`` (lower
    bound at confidence 1 - ``delta``) and maximal coverage on ``X``.

    Parameters
    ----------
    blackbox : classifier or callable
        A classifier as ``as_blackbox`` takes it (an estimator, its
        ``predict_proba`` or ``predict``, a callable, an xgboost Booster);
        regressors are refused.
    x : array-like, Series or one-row DataFrame of shape (n_features,) or (1, n_features)
        The row to explain; a named row is matched to X's columns by name.
    X : array-like or DataFrame of shape (n_rows, n_features)
        Data rows: they define the bins, the coverage, and the samples (the
        rows of X that satisfy a rule are its samples; see the module doc).
    precision : float, default=0.95
        Required precision (share of samples under the rule that get ``x``'s
        class), in (0, 1).
    delta : float, default=0.05
        1 - confidence of the precision bound, in (0, 0.5).
    beam_size : int, default=2
        Anchors kept per size in the beam search.
    max_anchor_size : int or None, default=None
        Most conditions in an anchor; None means as many as there are features.
    n_bins : int, default=4
        Quantile bins per feature that conditions are built from.
    batch_size : int, default=100
        Samples per anchor per round.
    max_samples : int, default=5000
        Samples at most per anchor when certifying (data rows, then synthetic
        fallback rows once an anchor's covered rows are used up).
    epsilon : float, default=0.1
        LUCB tolerance when selecting the beam.
    random_state : int, Generator or None, default=None
        Seed of the sampling.

    Returns
    -------
    Anchor
        If no rule reaches the bound, the rule with the best bound found, with
        ``valid=False``.
    """
    # every setting first, before the black box is touched
    precision = _check_real("precision", precision, low=0, high=1, low_open=True, high_open=True)
    delta = _check_real("delta", delta, low=0, high=0.5, low_open=True, high_open=True)
    beam_size = _check_int("beam_size", beam_size, 1)
    if max_anchor_size is not None:
        max_anchor_size = _check_int("max_anchor_size", max_anchor_size, 1)
    n_bins = _check_int("n_bins", n_bins, 2)  # one bin would give no condition at all
    batch_size = _check_int("batch_size", batch_size, 1)
    max_samples = _check_int("max_samples", max_samples, 1)
    epsilon = _check_real("epsilon", epsilon, low=0)
    bb = _classifier(blackbox)
    Xc = bb.check_X(X)
    names = bb.feature_names(X, n_features=Xc.shape[1])
    xa = _row(x, X, bb)
    xa = bb.check_X(xa[None, :], name="x")[0]
    bb.settle(Xc)
    if bb.task != "classification":
        raise ValueError(
            f"anchors explain classifiers; the black box ({bb.description}) is a regressor "
            "(it returns one value per row). Explain a regressor with LocalSurrogate or SHAP"
        )
    rng = np.random.default_rng(random_state)
    label = bb.predict(xa[None, :])[0]
    s = _Search(bb, xa, Xc, label, n_bins, rng, delta)
    max_size = Xc.shape[1] if max_anchor_size is None else max_anchor_size

    empty = ()
    s.sample([empty], batch_size)
    s.certify([empty], precision, batch_size, max_samples)
    _, lo, _ = s.bounds([empty])
    best, best_cov = (empty, 1.0) if lo[0] >= precision else (None, 0.0)
    fallback = empty  # best bound so far, if nothing is certified
    beam = [empty]
    size = 0
    while best is None or best_cov < 1.0:
        size += 1
        if size > max_size:
            break
        cands = set()
        for a in beam:
            used = {s.preds[p][0] for p in a}
            for p in range(len(s.preds)):
                if s.preds[p][0] not in used:
                    cands.add(tuple(sorted(a + (p,))))
        # a bigger rule is only worth it if it can cover more than the best one
        cands = [c for c in sorted(cands) if s.coverage(c) > best_cov]
        if not cands:
            break
        beam = s.top(cands, beam_size, batch_size, epsilon, max_rounds=30)
        s.certify(beam, precision, batch_size, max_samples)
        mean, lo, _ = s.bounds(beam)
        for a, l_ in zip(beam, lo):
            cov = s.coverage(a)
            if l_ >= precision and cov > best_cov:
                best, best_cov = a, cov
        if s.bounds([fallback])[1][0] < lo.max():
            fallback = beam[int(np.argmax(lo))]
    chosen = best if best is not None else fallback
    mean, lo, _ = s.bounds([chosen])
    order = sorted(chosen, key=lambda p: s.preds[p][0])
    return Anchor(
        conditions=tuple((names[s.preds[p][0]], s.preds[p][1], s.preds[p][2]) for p in order),
        features=tuple(s.preds[p][0] for p in order),
        prediction=label,
        precision=float(mean[0]),
        precision_lower=float(lo[0]),
        coverage=s.coverage(chosen),
        n_samples=int(s.n_samples),
        threshold=float(precision),
        confidence=1.0 - delta,
        valid=best is not None,
        n_rows=int(s.n_real[chosen]),
        n_synthetic=int(s.n[chosen] - s.n_real[chosen]),
    )
