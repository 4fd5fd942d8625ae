"""How far to trust a surrogate or an explanation, as numbers with bounds.

- ``fidelity``: agreement of a surrogate with the black box (classification,
  with an exact Clopper-Pearson interval) or R^2 (regression, with a bootstrap
  interval);
- ``stability``: how much explanations of the same rows move across seeds;
- ``additivity_error``: how far base value + contributions are from the output;
- ``agreement``: rank correlation and top-k overlap between two explanations
  (e.g. LIME vs SHAP).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from glassbox.explanation import LocalExplanation

from ._params import check_confidence
from ._params import check_int as _check_int


@dataclass(frozen=True)
class Fidelity:
    """A fidelity estimate with its confidence interval; ``float(f)`` is the
    point estimate.

    Attributes
    ----------
    metric : {"agreement", "r2"}
        "agreement": share of rows where surrogate and black box give the same
        class; "r2": R^2 of the surrogate against the black box's values.
    value : float
        The estimate.
    lower, upper : float
        The interval.
    n : int
        Rows it was measured on.
    confidence : float
        Level of the interval.
    method : {"clopper-pearson", "bootstrap"}
        How the interval was computed.
    """

    metric: str
    value: float
    lower: float
    upper: float
    n: int
    confidence: float
    method: str  # "clopper-pearson" or "bootstrap"

    def __float__(self) -> float:
        return float(self.value)

    @property
    def width(self) -> float:
        """upper - lower."""
        return float(self.upper - self.lower)

    def __str__(self) -> str:
        from glassbox._format import num

        pct = num(100 * self.confidence, 4)
        return (
            f"{self.metric} {num(self.value, 4)} ({pct}% interval {num(self.lower, 4)} .. "
            f"{num(self.upper, 4)}, {self.method}, n={self.n})"
        )


def clopper_pearson(k: int | np.ndarray, n: int | np.ndarray, confidence: float = 0.95):
    """Exact two-sided binomial interval (lower, upper) for k successes in n trials.

    Parameters
    ----------
    k : int or ndarray of int
        Successes.
    n : int or ndarray of int
        Trials (n = 0 gives (0, 1)).
    confidence : float, default=0.95
        Level of the interval, in (0, 1).

    Returns
    -------
    (lower, upper) : floats, or arrays shaped like k and n
    """
    from scipy.stats import beta

    confidence = check_confidence(confidence)
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    alpha = 1.0 - confidence
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = np.where(k > 0, beta.ppf(alpha / 2, k, n - k + 1), 0.0)
        upper = np.where(k < n, beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    lower = np.where(n > 0, lower, 0.0)
    upper = np.where(n > 0, upper, 1.0)
    if lower.ndim == 0:
        return float(lower), float(upper)
    return lower, upper


def agreement_fidelity(
    reference: np.ndarray, predicted: np.ndarray, confidence: float = 0.95
) -> Fidelity:
    """Share of equal labels with its Clopper-Pearson interval.

    Parameters
    ----------
    reference : array-like of shape (n_rows,)
        The black box's labels.
    predicted : array-like of shape (n_rows,)
        The surrogate's labels.
    confidence : float, default=0.95
        Level of the interval, in (0, 1).

    Returns
    -------
    Fidelity
    """
    confidence = check_confidence(confidence)
    reference, predicted = np.asarray(reference), np.asarray(predicted)
    if reference.shape != predicted.shape:
        raise ValueError(f"label arrays differ in shape: {reference.shape} vs {predicted.shape}")
    n = len(reference)
    if n == 0:
        raise ValueError("no rows to measure fidelity on")
    k = int(np.sum(reference == predicted))
    lo, hi = clopper_pearson(k, n, confidence)
    return Fidelity("agreement", k / n, lo, hi, n, confidence, "clopper-pearson")


def r2(y: np.ndarray, pred: np.ndarray) -> float:
    """R^2 of ``pred`` against ``y`` (a constant y: 1 if predicted exactly, else 0)."""
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    ss_res = float(np.sum((y - pred) ** 2))
    if ss_tot == 0:
        return 1.0 if ss_res == 0 else 0.0
    return 1.0 - ss_res / ss_tot


def r2_fidelity(
    reference: np.ndarray,
    predicted: np.ndarray,
    confidence: float = 0.95,
    *,
    n_boot: int = 1000,
    random_state=0,
) -> Fidelity:
    """R^2 of ``predicted`` against the black box's ``reference`` values, with a
    percentile bootstrap interval over rows.

    Parameters
    ----------
    reference : array-like of shape (n_rows,)
        The black box's values.
    predicted : array-like of shape (n_rows,)
        The surrogate's values.
    confidence : float, default=0.95
        Level of the interval, in (0, 1).
    n_boot : int, default=1000
        Bootstrap resamples.
    random_state : int, Generator or None, default=0
        Seed of the resampling.

    Returns
    -------
    Fidelity
    """
    confidence = check_confidence(confidence)
    n_boot = _check_int("n_boot", n_boot, 1)
    y = np.asarray(reference, dtype=float).ravel()
    p = np.asarray(predicted, dtype=float).ravel()
    if y.shape != p.shape:
        raise ValueError(f"value arrays differ in length: {y.shape[0]} vs {p.shape[0]}")
    n = len(y)
    if n < 2:
        raise ValueError("R^2 needs at least 2 rows")
    rng = np.random.default_rng(random_state)
    stats = np.empty(n_boot)
    # chunks keep the (n_boot, n) index matrix small for large n
    step = max(1, 2_000_000 // n)
    for s in range(0, n_boot, step):
        idx = rng.integers(0, n, size=(min(step, n_boot - s), n))
        yb, pb = y[idx], p[idx]
        ss_tot = ((yb - yb.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
        ss_res = ((yb - pb) ** 2).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            stats[s : s + len(idx)] = np.where(ss_tot > 0, 1 - ss_res / ss_tot, 1.0)
    alpha = 1.0 - confidence
    lo, hi = np.quantile(stats, [alpha / 2, 1 - alpha / 2])
    return Fidelity("r2", r2(y, p), float(lo), float(hi), n, confidence, "bootstrap")


def fidelity(blackbox, surrogate, X, *, confidence: float = 0.95, random_state=0) -> Fidelity:
    """How well ``surrogate`` reproduces ``blackbox`` on the rows of X: agreement
    for classifiers, R^2 for regressors.

    Parameters
    ----------
    blackbox : model or callable
        Anything ``as_blackbox`` takes.
    surrogate : fitted model with ``predict``, or callable
        Returns one label (classification) or value (regression) per row.
    X : array-like or DataFrame of shape (n_rows, n_features)
        Rows to compare them on.
    confidence : float, default=0.95
        Level of the interval, in (0, 1).
    random_state : int, Generator or None, default=0
        Seed of the bootstrap interval (regression).

    Returns
    -------
    Fidelity
    """
    from .blackbox import as_blackbox

    confidence = check_confidence(confidence)
    predict = _surrogate_predict(surrogate)
    bb = as_blackbox(blackbox)
    X = bb.check_X(X)
    reference = bb.predict(X)
    predicted = _surrogate_output(predict(X), len(X), bb.task)
    if bb.task == "classification":
        known = set(reference.tolist()) | set(np.asarray(bb.classes_).tolist())
        said = set(predicted.tolist())
        if not said & known:
            raise ValueError(
                f"the surrogate predicts labels {_show(said)} but the black box's classes are "
                f"{_show(known)}: no label in common, so agreement "
                "would be 0; fit the surrogate on the black box's labels (same type, e.g. int "
                "vs str)"
            )
        return agreement_fidelity(reference, predicted, confidence)
    return r2_fidelity(reference, predicted, confidence, random_state=random_state)


def _show(labels) -> str:
    """A few labels with their type visible (1 vs '1')."""
    shown = sorted(map(repr, labels))
    return "{" + ", ".join(shown[:5]) + (", ..." if len(shown) > 5 else "") + "}"


def _surrogate_predict(surrogate):
    """The surrogate's prediction function; refuses what cannot predict."""
    if hasattr(surrogate, "predict"):
        from sklearn.base import BaseEstimator

        if isinstance(surrogate, BaseEstimator):  # refused unfitted, by name
            from sklearn.exceptions import NotFittedError
            from sklearn.utils.validation import check_is_fitted

            try:
                check_is_fitted(surrogate)
            except NotFittedError:
                raise ValueError(
                    f"the surrogate {type(surrogate).__name__} is not fitted; fit it first"
                ) from None
        return surrogate.predict
    if callable(surrogate):
        return surrogate
    raise TypeError(
        f"the surrogate must be a fitted model with predict() or a callable f(X) -> "
        f"predictions, got {type(surrogate).__name__}"
    )


def _surrogate_output(out, n: int, task: str) -> np.ndarray:
    """The surrogate's predictions checked: one label / finite value per row."""
    if hasattr(out, "to_numpy"):
        out = out.to_numpy()
    out = np.asarray(out)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    what = "class label" if task == "classification" else "value"
    if out.ndim != 1 or out.shape[0] != n:
        hint = (
            " (pass the surrogate's predict, not predict_proba)"
            if task == "classification" and out.ndim == 2
            else ""
        )
        raise ValueError(
            f"the surrogate returned shape {out.shape} for {n} rows; it must return one "
            f"{what} per row, shape ({n},){hint}"
        )
    if task != "classification":
        if out.dtype.kind not in "biuf":
            raise TypeError(
                f"the surrogate of a regressor must return numbers, got dtype {out.dtype}"
            )
        out = out.astype(float)
    if out.dtype.kind == "f" and not np.isfinite(out).all():
        raise ValueError(
            f"the surrogate returned NaN or infinity (first at row "
            f"{int(np.flatnonzero(~np.isfinite(out))[0])}); fidelity needs finite predictions"
        )
    return out


def _values_2d(expl: LocalExplanation | np.ndarray, output: int | str | None) -> np.ndarray:
    if isinstance(expl, LocalExplanation):
        v = np.asarray(expl.values)
    else:
        try:
            v = np.asarray(expl, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(
                f"expected a LocalExplanation or an array of values, got {type(expl).__name__}"
            ) from None
    v = v.astype(float, copy=False)
    if v.ndim == 3:
        n_out = v.shape[2]
        names = list(expl.output_names) if isinstance(expl, LocalExplanation) else []
        if output is None:
            raise ValueError(
                f"explanation has {n_out} outputs; pass output= to choose one (an index "
                f"0..{n_out - 1}{' or a name in ' + repr(names) if names else ''})"
            )
        if isinstance(output, str) and output in names:
            output = names.index(output)
        if (
            isinstance(output, bool)
            or not isinstance(output, (int, np.integer))
            or not -n_out <= output < n_out
        ):
            raise ValueError(
                f"output={output!r} is not an output of this explanation; it has {n_out} "
                f"outputs: pass an index 0..{n_out - 1}"
                + (f" or a name in {names}" if names else "")
            )
        v = v[:, :, output]
    if v.ndim != 2:
        raise ValueError(f"expected (n_rows, n_features) values, got shape {v.shape}")
    if v.shape[1] == 0:
        raise ValueError("the explanation has no features (shape (n_rows, 0))")
    return v


def _aligned(expls, output) -> list[np.ndarray]:
    """Values of each explanation (2-D), columns put in the first one's feature order.

    Explanations that carry feature names are matched by name: the same names in
    another order are reordered, other names are refused."""
    vals = [_values_2d(e, output) for e in expls]
    ref = None
    for i, e in enumerate(expls):
        if not isinstance(e, LocalExplanation):
            continue
        names = [str(n) for n in e.feature_names]
        if ref is None:
            ref, ref_i = names, i
            continue
        if names == ref:
            continue
        missing = [n for n in ref if n not in names]
        extra = [n for n in names if n not in ref]
        if missing or extra or len(set(names)) != len(names):
            raise ValueError(
                f"explanations {ref_i} and {i} explain different features: missing "
                f"{missing[:5]}, unexpected {extra[:5]}; compare explanations of the same features"
            )
        vals[i] = vals[i][:, [names.index(n) for n in ref]]
    return vals


def _check_k(k) -> int:
    return _check_int("k", k, 1)


def _top_k(v: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of each row's k largest |values| (stable order for ties)."""
    order = np.argsort(-np.abs(v), axis=1, kind="stable")[:, :k]
    mask = np.zeros(v.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    return mask


def agreement(
    a: LocalExplanation | np.ndarray,
    b: LocalExplanation | np.ndarray,
    *,
    k: int = 5,
    output: int | None = None,
) -> pd.DataFrame:
    """Per row: Spearman rank correlation of |values| and the top-k overlap
    (|top_k(a) & top_k(b)| / k) between two explanations of the same rows.

    Parameters
    ----------
    a, b : LocalExplanation or array-like of shape (n_rows, n_features[, n_outputs])
        The two explanations; explanations with feature names are matched by name.
    k : int, default=5
        Size of the top sets.
    output : int, str or None, default=None
        Output to compare (index or name) when the explanations have several.

    Returns
    -------
    DataFrame
        Columns spearman, top{k}_overlap, sign_agreement; one row per row.
    """
    from scipy.stats import rankdata

    k = _check_k(k)
    va, vb = _aligned([a, b], output)
    if va.shape != vb.shape:
        raise ValueError(f"explanations differ in shape: {va.shape} vs {vb.shape}")
    k = min(k, va.shape[1])
    ra = rankdata(np.abs(va), axis=1)
    rb = rankdata(np.abs(vb), axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    den = np.sqrt((ra**2).sum(axis=1) * (rb**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(den > 0, (ra * rb).sum(axis=1) / den, np.nan)
    overlap = (_top_k(va, k) & _top_k(vb, k)).sum(axis=1) / k
    sign = np.mean(np.sign(va) == np.sign(vb), axis=1)
    return pd.DataFrame({"spearman": rho, f"top{k}_overlap": overlap, "sign_agreement": sign})


def stability(
    explanations: Sequence[LocalExplanation] | np.ndarray,
    *,
    k: int = 5,
    output: int | None = None,
) -> pd.DataFrame:
    """Spread of explanations of the same rows made with different seeds.

    Parameters
    ----------
    explanations : sequence of LocalExplanation, or ndarray of shape (n_runs, n_rows, n_features)
        At least two explanations of the same rows, one per seed.
    k : int, default=5
        Size of the top sets.
    output : int, str or None, default=None
        Output to compare (index or name) when the explanations have several.

    Returns
    -------
    DataFrame
        Per row: ``weight_std`` (mean over features of the std of the values
        across runs), ``relative_std`` (that, relative to the mean |value|), and
        ``top{k}_jaccard`` (mean pairwise Jaccard similarity of the top-k
        feature sets; 1 = always the same features).
    """
    k = _check_k(k)
    if isinstance(explanations, LocalExplanation):
        raise TypeError(
            "stability takes a list of explanations of the same rows (one per seed), got a "
            "single LocalExplanation; pass [e1, e2, ...]"
        )
    if isinstance(explanations, np.ndarray):
        if explanations.ndim != 3:
            raise ValueError(
                f"an array of explanations must be 3-D (runs, rows, features), got shape "
                f"{explanations.shape}; or pass a list of explanations"
            )
        explanations = list(explanations)
    elif not isinstance(explanations, Sequence) and hasattr(explanations, "__iter__"):
        explanations = list(explanations)  # a generator of explanations
    if not isinstance(explanations, Sequence) or isinstance(explanations, str):
        raise TypeError(
            f"stability takes a list of explanations, got {type(explanations).__name__}"
        )
    if len(explanations) < 2:
        raise ValueError(
            f"stability needs at least two explanations of the same rows, got "
            f"{len(explanations)}; explain the rows again with other seeds"
        )
    runs = _aligned(list(explanations), output)
    if len({r.shape for r in runs}) > 1:
        raise ValueError(
            f"explanations differ in shape: {[r.shape for r in runs]}; explain the same rows"
        )
    vals = np.stack(runs)  # (runs, rows, features)
    k = min(k, vals.shape[2])
    std = vals.std(axis=0).mean(axis=1)
    scale = np.abs(vals).mean(axis=(0, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(scale > 0, std / scale, 0.0)
    masks = np.stack([_top_k(v, k) for v in vals])
    jac = []
    for i in range(len(masks)):
        for j in range(i + 1, len(masks)):
            inter = (masks[i] & masks[j]).sum(axis=1)
            union = (masks[i] | masks[j]).sum(axis=1)
            jac.append(inter / union)
    return pd.DataFrame(
        {"weight_std": std, "relative_std": rel, f"top{k}_jaccard": np.mean(jac, axis=0)}
    )


def additivity_error(explanation: LocalExplanation, output=None) -> np.ndarray:
    """|base + sum(values) - output| per row (and output column).

    Parameters
    ----------
    explanation : LocalExplanation
        The explanation to check.
    output : array-like of shape (n_rows,) or (n_rows, n_outputs), or None, default=None
        The model output the explanation should add up to, on its link scale;
        None uses ``extras["model_output"]`` when the explainer stored it.

    Returns
    -------
    ndarray shaped like ``output``
    """
    if not isinstance(explanation, LocalExplanation):
        raise TypeError(
            f"additivity_error takes a LocalExplanation (from an explainer's explain or "
            f"explain_local), got {type(explanation).__name__}"
        )
    if output is None:
        output = explanation.extras.get("model_output")
        if output is None:
            raise ValueError(
                "pass output= (the model output on the explanation's link scale); this "
                "explanation did not store extras['model_output']"
            )
    try:
        out = np.asarray(output, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"output must be numbers (the model output per row), got {type(output).__name__}"
        ) from None
    total = explanation.output()
    if out.shape != total.shape:
        raise ValueError(f"output has shape {out.shape}; the explanation adds up to {total.shape}")
    return np.abs(total - out)
