"""Generalized additive models on pygam: one smooth shape per feature.

Numeric columns become penalized B-spline terms ``s()``, pandas categorical /
object columns become factor terms ``f()`` named by their levels. By default
the smoothing strength ``lam`` is chosen by pygam's ``gridsearch`` (GCV/UBRE);
a fixed ``lam`` skips the search.

Every term's contribution is centred on its training mean and the means are
folded into the base value, so ``base + sum(terms)`` is still exactly pygam's
linear predictor while each term reads as "effect relative to an average row".
Pair terms (``interactions=``) are pygam tensor-product splines ``te(i, j)``
on two numeric columns, each margin with ``min(n_splines, 8)`` basis functions
(``PAIR_SPLINES``), added to the main effects and fitted together with them.
The pairs are the user's (a list of column-name or index pairs) or picked by a
residual screen (an int k): the main-effect model is fitted first, and every
pair of numeric columns is scored by how much a 2-D table of its residuals
(working residuals y - mu, summed over the one-vs-rest models) on an 8 x 8
quantile grid explains beyond the two 1-D tables of the same bins (the two-way
ANOVA interaction sum of squares, weighted), a cheap stand-in for EBM's FAST
(Lou et al. 2013); the top k become ``te`` terms and the whole model is refit.
A tensor term is not orthogonal to its features' main effects (pygam does not
purify it), so the part of a joint effect that shows in the pair and in the
main terms is a matter of the penalties: read them together.

Multiclass classification fits one binary ``LogisticGAM`` per class
(one-vs-rest); each class's log-odds is additive on its own, and the
explanations say so: their ``link`` is ``"ovr_logit"`` (P(y = k) =
sigmoid(score_k) / sum_j sigmoid(score_j), ``glassbox.base.inverse_link``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._validation import check_frame, check_frame_y, check_sample_weight, drop_zero_weight
from ..base import GlassboxMixin, Traits, class_names, encode_labels, progress_bar
from ..explanation import GlobalExplanation, LocalExplanation, TermShape

_LINK_OF_DISTRIBUTION = {"normal": "identity", "poisson": "log", "gamma": "log"}

#: pygam's own default search grid (``GAM.gridsearch`` with no ``lam``)
DEFAULT_LAM_GRID = tuple(np.logspace(-3, 3, 11))

#: grid points of a continuous shape in ``explain_global`` / ``export_text(full=True)``
N_GRID = 100
N_GRID_FULL = 400
#: grid points per axis of a pair term's table (explain_global / full tables)
N_GRID_PAIR = 30
N_GRID_PAIR_FULL = 60

#: basis functions per margin of a pair term ``te(i, j)`` (at most ``n_splines``)
PAIR_SPLINES = 8
#: quantile bins per feature of the interaction screen
SCREEN_BINS = 8


def _screen_bins(x: np.ndarray, n_bins: int = SCREEN_BINS) -> np.ndarray:
    """Bin index (0..b-1) of every value: by quantiles, ties kept together."""
    edges = np.unique(np.quantile(x, np.linspace(0, 1, n_bins + 1)[1:-1]))
    return np.searchsorted(edges, x, side="right")


def interaction_scores(
    X: np.ndarray, residuals: np.ndarray, sample_weight, columns, n_bins: int = SCREEN_BINS
) -> list[tuple[int, int, float]]:
    """Residual screen of every pair of ``columns``: (i, j, score), best first.

    ``residuals`` is (n, n_outputs). The score of (i, j) is the weighted residual
    sum of squares of the additive fit on the 1-D bins of i and j minus that of
    the 2-D cell means (the two-way ANOVA interaction sum of squares), summed
    over outputs: what a pair table adds beyond the main effects.
    """
    w = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    r = np.asarray(residuals, float).reshape(X.shape[0], -1)
    bins = {j: _screen_bins(X[:, j], n_bins) for j in columns}
    sw = np.sqrt(w)[:, None]
    out = []
    for a, i in enumerate(columns):
        for j in columns[a + 1 :]:
            bi, bj = bins[i], bins[j]
            ni, nj = bi.max() + 1, bj.max() + 1
            # additive: one-hot of i's bins and of j's bins (the first of j dropped)
            D = np.zeros((X.shape[0], ni + nj - 1))
            D[np.arange(X.shape[0]), bi] = 1.0
            rows = bj > 0
            D[np.flatnonzero(rows), ni + bj[rows] - 1] = 1.0
            coef, *_ = np.linalg.lstsq(D * sw, r * sw, rcond=None)
            rss_add = float((w[:, None] * (r - D @ coef) ** 2).sum())
            cell = bi * nj + bj
            wsum = np.bincount(cell, weights=w, minlength=ni * nj)
            rss_cell = 0.0
            for k in range(r.shape[1]):
                mean = np.bincount(cell, weights=w * r[:, k], minlength=ni * nj)
                mean = np.divide(mean, wsum, out=np.zeros_like(mean), where=wsum > 0)
                rss_cell += float((w * (r[:, k] - mean[cell]) ** 2).sum())
            out.append((int(i), int(j), max(rss_add - rss_cell, 0.0)))
    out.sort(key=lambda t: (-t[2], t[0], t[1]))
    return out


# --- the GAM family ---------------------------------------------------------------


@contextlib.contextmanager
def _pygam_progress(bar):
    """Route pygam's own lam-search progress bar into ours (one tqdm bar
    across every class and lam): pygam wraps its grid in ``ProgressBar()``."""
    import pygam.pygam as pg

    def counting(iterable):
        for item in iterable:
            yield item
            bar.update(1)

    saved = pg.ProgressBar
    pg.ProgressBar = lambda *a, **k: counting
    try:
        yield
    finally:
        pg.ProgressBar = saved


class _BaseGAM(GlassboxMixin):
    _parameter_constraints = {
        "n_splines": [Interval(Integral, 4, None, closed="left")],
        "spline_order": [Interval(Integral, 1, None, closed="left")],
        "lam": [Interval(Real, 0, None, closed="neither"), None],
        "lam_grid": ["array-like", None],
        "monotonic_inc": ["array-like", None],
        "monotonic_dec": ["array-like", None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "interactions": [Interval(Integral, 0, None, closed="left"), "array-like", None],
        "verbose": ["boolean"],
    }

    def _levels(self, j: int):
        """Levels of a categorical (or boolean) column j, None for a numeric one."""
        spec = self.input_schema_.columns[j]
        return None if spec.kind == "numeric" else np.array(spec.levels, dtype=object)

    def _validate_fit(self, X, y, classifier: bool):
        """(codes, y, frame): categorical and boolean columns as level codes
        (factor terms), NaN and unseen levels refused naming column and row."""
        frame, y = check_frame_y(self, X, y, classifier=classifier)
        return self.input_schema_.codes(frame), y, frame

    def _feature_index(self, spec, names: list[str]) -> set[int]:
        out = set()
        for item in spec or ():
            if isinstance(item, (int, np.integer)) and 0 <= item < len(names):
                out.add(int(item))
            elif str(item) in names:
                out.add(names.index(str(item)))
            else:
                raise ValueError(
                    f"monotonic feature {item!r} is not a column index or a feature name ({names})"
                )
        return out

    def _terms(self, X: np.ndarray):
        from pygam import f, l, s

        names = self.feature_names_
        inc = self._feature_index(self.monotonic_inc, names)
        dec = self._feature_index(self.monotonic_dec, names)
        if inc & dec:
            raise ValueError(
                f"feature(s) {[names[j] for j in inc & dec]} are both monotonic_inc and monotonic_dec"
            )
        kinds, terms = [], None
        for j in range(X.shape[1]):
            if self._levels(j) is not None:
                if j in inc | dec:
                    raise ValueError(f"categorical feature {names[j]!r} cannot be monotonic")
                term, kind = f(j), "categorical"
            elif np.ptp(X[:, j]) == 0:
                # a spline needs a range; a constant column gets a (null) linear term
                term, kind = l(j), "linear"
            else:
                constraint = "monotonic_inc" if j in inc else "monotonic_dec" if j in dec else None
                term = s(
                    j,
                    n_splines=self.n_splines,
                    spline_order=self.spline_order,
                    constraints=constraint,
                )
                kind = "continuous"
            terms = term if terms is None else terms + term
            kinds.append(kind)
        self.term_kinds_ = kinds
        from pygam import te

        for i, j in self.pairs_:
            terms = terms + te(
                i,
                j,
                n_splines=min(self.n_splines, PAIR_SPLINES),
                spline_order=min(self.spline_order, min(self.n_splines, PAIR_SPLINES) - 1),
            )
        return terms

    def _explicit_pairs(self, X: np.ndarray) -> list[tuple[int, int]]:
        """The user's ``interactions`` as (i, j) column pairs, checked: two distinct
        numeric, non-constant columns each, no pair twice."""
        names = self.feature_names_
        pairs: list[tuple[int, int]] = []
        for item in self.interactions:
            if isinstance(item, str) or np.ndim(item) != 1 or len(item) != 2:
                raise ValueError(
                    f"interactions must be an int or a list of column pairs such as "
                    f"[('{names[0]}', '{names[-1]}')]; got the item {item!r}"
                )
            ij = []
            for v in item:
                if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                    if not 0 <= v < len(names):
                        raise ValueError(f"interaction column index {v} is out of range")
                    ij.append(int(v))
                elif str(v) in names:
                    ij.append(names.index(str(v)))
                else:
                    raise ValueError(
                        f"interaction column {v!r} is not a feature name or index ({names})"
                    )
            i, j = ij
            if i == j:
                raise ValueError(f"interaction ({names[i]!r}, {names[j]!r}) repeats one column")
            for c in (i, j):
                if self._levels(c) is not None:
                    raise ValueError(
                        f"interaction with {names[c]!r}: pair terms (pygam te) take numeric "
                        "columns; this column is categorical"
                    )
                if np.ptp(X[:, c]) == 0:
                    raise ValueError(f"interaction with {names[c]!r}: the column is constant")
            pair = (min(i, j), max(i, j))
            if pair in pairs:
                raise ValueError(f"interaction ({names[i]!r}, {names[j]!r}) is listed twice")
            pairs.append(pair)
        return pairs

    def _fit_with_pairs(self, make, X, targets, sw) -> list:
        """Fit the main effects and the pair terms: the user's pairs, or (an int k)
        the k best of the residual screen on the main-effect fit, then a refit."""
        self.pairs_ = []
        k = self.interactions
        if k is None or (isinstance(k, (int, np.integer)) and k == 0):
            return self._fit_all(make, X, targets, sw)
        if not isinstance(k, (int, np.integer)):
            self.pairs_ = self._explicit_pairs(X)
            return self._fit_all(make, X, targets, sw)
        mains = self._fit_all(make, X, targets, sw)
        numeric = [j for j in range(X.shape[1]) if self._levels(j) is None and np.ptp(X[:, j]) > 0]
        resid = np.column_stack([t - g.predict_mu(X) for t, g in zip(targets, mains)])
        scores = interaction_scores(X, resid, sw, numeric)
        self.interaction_scores_ = np.array([[i, j, v] for i, j, v in scores], dtype=float).reshape(
            -1, 3
        )
        self.pairs_ = [(i, j) for i, j, _ in scores[: int(k)]]
        if not self.pairs_:
            return mains
        return self._fit_all(make, X, targets, sw)

    @property
    def term_names_(self) -> list[str]:
        """Names of the terms: the features, then the pairs ``"a & b"``."""
        names = list(self.feature_names_)
        return names + [f"{names[i]} & {names[j]}" for i, j in getattr(self, "pairs_", [])]

    def _fit_all(self, make, X, targets, sw) -> list:
        """One pygam model per target, under one progress bar over every
        (target, lam) fit (tqdm, shown after 2 s, ``verbose=False`` silences it)."""
        n_lam = 1 if self.lam is not None else len(self._lam_grid())
        desc = "GAM lam search" if len(targets) == 1 else f"GAM lam search, {len(targets)} classes"
        with progress_bar(total=len(targets) * n_lam, desc=desc, enabled=self.verbose) as bar:
            return [self._fit_one(make, X, t, sw, bar) for t in targets]

    def _lam_grid(self) -> np.ndarray:
        return np.asarray(DEFAULT_LAM_GRID if self.lam_grid is None else self.lam_grid, float)

    def _fit_one(self, make, X, y, sw, bar):
        # pygam print()s "did not converge" to stdout; turn it into a warning
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            gam = self._fit_one_printing(make, X, y, sw, bar)
        if self.lam is not None:
            bar.update(1)
        if "did not converge" in printed.getvalue():
            from sklearn.exceptions import ConvergenceWarning

            warnings.warn(
                f"pygam's P-IRLS did not converge within max_iter={self.max_iter} for at "
                "least one lam; raise max_iter or lam",
                ConvergenceWarning,
                stacklevel=3,
            )
        return gam

    def _fit_one_printing(self, make, X, y, sw, bar):
        gam = make(self._terms(X))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # pygam's log(0) on the way
            if self.lam is None:
                grid = self._lam_grid()
                with _pygam_progress(bar):
                    gam.gridsearch(X, y, weights=sw, lam=grid, progress=True)
                if not gam._is_fitted:
                    # P-IRLS diverged at every lam of the grid (tiny or separable
                    # data): smoother fits until one converges, as a user would try
                    from pygam.utils import OptimizationError

                    for lam in grid.max() * np.array([1e2, 1e4, 1e6]):
                        try:
                            gam.set_params(lam=float(lam)).fit(X, y, weights=sw)
                            break
                        except OptimizationError:
                            continue
                    else:
                        raise ValueError(
                            "pygam's P-IRLS diverged for every lam tried (often: classes "
                            "separable by a feature); pass a larger lam_grid"
                        )
            else:
                from pygam.utils import OptimizationError

                gam.set_params(lam=float(self.lam))
                try:
                    gam.fit(X, y, weights=sw)
                except OptimizationError:
                    raise ValueError(
                        f"pygam's P-IRLS diverged with lam={self.lam} (often: classes "
                        "separable by a feature); use a larger lam or lam=None to search"
                    ) from None
        return gam

    def _finish_fit(self, X: np.ndarray) -> None:
        raw = self._raw_terms(X)  # (n, n_terms, n_outputs)
        self.term_means_ = raw.mean(axis=0)
        self.term_importances_ = np.abs(raw - self.term_means_).mean(axis=0)
        self.X_min_ = X.min(axis=0)
        self.X_max_ = X.max(axis=0)
        self.n_train_ = X.shape[0]
        self.n_iter_ = max(len(g.logs_.get("deviance", [])) for g in self.gams_) or 1
        self.complexity_ = X.shape[1] + len(self.pairs_)

    # --- term evaluation --------------------------------------------------------

    def _raw_terms(self, X: np.ndarray) -> np.ndarray:
        """(n, n_terms, n_outputs) uncentred term values from pygam itself: the
        features' terms, then the pairs'."""
        n_terms = X.shape[1] + len(self.pairs_)
        out = np.empty((X.shape[0], n_terms, len(self.gams_)))
        for k, gam in enumerate(self.gams_):
            for j in range(n_terms):
                out[:, j, k] = gam.partial_dependence(j, X)
        return out

    def _raw_intercepts(self) -> np.ndarray:
        return np.array([float(g.coef_[-1]) for g in self.gams_])

    @property
    def base_value_(self) -> np.ndarray:
        """(n_outputs,) intercept plus every term's training mean: the link-scale
        output of a row whose every term sits at its average."""
        check_is_fitted(self)
        return self._raw_intercepts() + self.term_means_.sum(axis=0)

    def _prepare(self, X) -> np.ndarray:
        frame = check_frame(self, X, reset=False)  # checks fitted first
        return self.input_schema_.codes(frame)

    def _link_output(self, X: np.ndarray) -> np.ndarray:
        """(n, n_outputs) linear predictor, from pygam's own ``_linear_predictor``."""
        return np.column_stack([g._linear_predictor(X) for g in self.gams_])

    def explain_local(self, X) -> LocalExplanation:
        """Each term's value minus its training mean, on the link scale.

        Returns a LocalExplanation: base value + contributions = pygam's linear predictor of
        each row (one output per one-vs-rest model for multiclass). One column per term:
        the features, then the pairs ``"a & b"`` (their data column is NaN).
        """
        frame = check_frame(self, X, reset=False)
        X = self.input_schema_.codes(frame)
        values = self._raw_terms(X) - self.term_means_
        base = np.broadcast_to(self.base_value_, (X.shape[0], len(self.gams_))).copy()
        if len(self.gams_) == 1:
            values, base = values[:, :, 0], base[:, 0]
        data = frame.to_numpy(dtype=object) if self.input_schema_.categorical else X
        if self.pairs_:  # a pair's column has no single value
            data = np.column_stack([data, np.full((X.shape[0], len(self.pairs_)), np.nan)])
        return LocalExplanation(
            values=values,
            base_values=base,
            data=data,
            feature_names=tuple(self.term_names_),
            output_names=self._output_names(),
            link=self.explanation_link_,
            method="gam",
        )

    def term_shapes(
        self, n_grid: int = N_GRID, width: float | None = 0.95
    ) -> tuple[TermShape, ...]:
        """Centred shape of every term on ``n_grid`` points of its training range
        (levels for factors), with pygam's pointwise confidence band if ``width``."""
        check_is_fitted(self)
        names = self.feature_names_
        shapes = []
        for j, name in enumerate(names):
            levels = self._levels(j)
            if levels is not None:
                grid_x = np.arange(len(levels), dtype=float)
                labels = levels
            else:
                grid_x = np.unique(np.linspace(self.X_min_[j], self.X_max_[j], n_grid))
                labels = grid_x
            Xg = np.tile((self.X_min_ + self.X_max_) / 2, (len(grid_x), 1))
            for c in self.input_schema_.categorical:
                Xg[:, c] = 0.0
            Xg[:, j] = grid_x
            vals, lo, hi = [], [], []
            for k, gam in enumerate(self.gams_):
                if width is None:
                    v = gam.partial_dependence(j, Xg)
                    lo_k = hi_k = None
                else:
                    v, ci = gam.partial_dependence(j, Xg, width=width)
                    lo_k, hi_k = (
                        ci[:, 0] - self.term_means_[j, k],
                        ci[:, 1] - self.term_means_[j, k],
                    )
                vals.append(v - self.term_means_[j, k])
                lo.append(lo_k)
                hi.append(hi_k)
            squeeze = len(self.gams_) == 1
            stack = (lambda a: a[0]) if squeeze else (lambda a: np.stack(a, axis=-1))
            shapes.append(
                TermShape(
                    name=name,
                    features=(name,),
                    kind=self.term_kinds_[j],
                    grid=(labels,),
                    values=stack(vals),
                    lower=None if width is None else stack(lo),
                    upper=None if width is None else stack(hi),
                )
            )
        n_pair_grid = N_GRID_PAIR if n_grid <= N_GRID else N_GRID_PAIR_FULL
        for p in range(len(self.pairs_)):
            shapes.append(self._pair_shape(p, n_pair_grid, width))
        return tuple(shapes)

    def _pair_shape(self, p: int, n_grid: int, width: float | None) -> TermShape:
        """Pair ``p`` on an ``n_grid`` x ``n_grid`` grid of its columns' training ranges,
        centred on its training mean, with pygam's pointwise interval if ``width``."""
        i, j = self.pairs_[p]
        t = self.X_min_.size + p  # pygam's index of the term
        gi = np.linspace(self.X_min_[i], self.X_max_[i], n_grid)
        gj = np.linspace(self.X_min_[j], self.X_max_[j], n_grid)
        Xg = np.tile((self.X_min_ + self.X_max_) / 2, (n_grid * n_grid, 1))
        for c in self.input_schema_.categorical:
            Xg[:, c] = 0.0
        Xg[:, i] = np.repeat(gi, n_grid)
        Xg[:, j] = np.tile(gj, n_grid)
        vals, lo, hi = [], [], []
        for k, gam in enumerate(self.gams_):
            mean = self.term_means_[t, k]
            if width is None:
                v = gam.partial_dependence(t, Xg)
            else:
                v, ci = gam.partial_dependence(t, Xg, width=width)
                lo.append((ci[:, 0] - mean).reshape(n_grid, n_grid))
                hi.append((ci[:, 1] - mean).reshape(n_grid, n_grid))
            vals.append((v - mean).reshape(n_grid, n_grid))
        stack = (lambda a: a[0]) if len(self.gams_) == 1 else (lambda a: np.stack(a, axis=-1))
        names = self.feature_names_
        return TermShape(
            name=self.term_names_[t],
            features=(names[i], names[j]),
            kind="pair",
            grid=(gi, gj),
            values=stack(vals),
            lower=None if width is None else stack(lo),
            upper=None if width is None else stack(hi),
        )

    def full_shapes(self) -> tuple[TermShape, ...]:
        """Every term on a fine grid (``N_GRID_FULL`` points; pairs
        ``N_GRID_PAIR_FULL`` per axis), without bands: the full lookup tables of
        ``export_text(model, full=True)``."""
        return self.term_shapes(n_grid=N_GRID_FULL, width=None)

    def explain_global(self) -> GlobalExplanation:
        """Every term's centred shape (with confidence band) and importance
        (mean |centred term| on the training rows).

        Returns a GlobalExplanation.
        """
        check_is_fitted(self)
        imp = self.term_importances_
        extras = {
            # one lam per penalty of each model (a pair term has one per margin)
            "lam": [[float(v) for v in _flat(g.lam)] for g in self.gams_],
            "edf": [g.statistics_["edof"] for g in self.gams_],
            "band": "interval: pygam's 95% pointwise confidence interval of the score",
        }
        if self.pairs_:
            extras["pairs"] = (
                "pygam tensor-product splines te(a, b), "
                + (
                    "chosen by the residual screen (two-way ANOVA interaction sum of "
                    "squares of the main-effect fit's residuals on 8 x 8 quantile bins)"
                    if isinstance(self.interactions, (int, np.integer))
                    else "chosen by the user"
                )
                + "; not purified: read a pair together with its features' main terms"
            )
        return GlobalExplanation(
            term_names=tuple(self.term_names_),
            importances=imp[:, 0] if imp.shape[1] == 1 else imp,
            intercept=self.base_value_,
            output_names=self._output_names(),
            link=self.explanation_link_,
            method="gam",
            shapes=self.term_shapes(),
            extras=extras,
        )


def _flat(v):
    """Every number of a nested list (pygam's lam: a list per term, a list per margin)."""
    if isinstance(v, (list, tuple, np.ndarray)):
        for x in v:
            yield from _flat(x)
    else:
        yield v


class GAMRegressor(_BaseGAM, RegressorMixin, BaseEstimator):
    """Additive regression with penalized splines (pygam).

    Parameters
    ----------
    distribution : {"normal", "poisson", "gamma"}
        Distribution of y given x; normal uses the identity link, poisson and
        gamma the log link (so shapes act multiplicatively on E[y]).
    n_splines, spline_order : basis size and degree of each spline term (pygam's).
    lam : float or None
        Smoothing penalty of every term. None (default) chooses it by pygam's
        ``gridsearch`` over ``lam_grid`` (pygam's default ``logspace(-3, 3, 11)``).
    monotonic_inc, monotonic_dec : feature names or indices whose shape must
        increase / decrease.
    max_iter, tol : pygam's P-IRLS settings.
    interactions : None, int or list of column pairs
        Pair terms ``te(a, b)`` (pygam tensor-product splines) on numeric columns:
        a list such as ``[("age", "income")]`` (names or indices), or an int k for
        the k best pairs of the residual screen on the main-effect fit (see the
        module docstring). None or 0: main effects only. The chosen pairs are
        ``pairs_``; with an int, ``interaction_scores_`` holds (i, j, score) of
        every pair screened, best first.
    verbose : bool, default True
        Show a progress bar (tqdm, only once the work has taken 2 s) over the
        lam search; False silences it.
    """

    traits = Traits(
        family="gam",
        additive=True,
        categorical=True,
        # small spline bases, a 2-point lam search (the search also skips a lam whose
        # P-IRLS diverges, which a fixed lam would not survive on separable data)
        quick_params={"n_splines": 8, "lam_grid": (0.1, 10.0), "max_iter": 30},
        title="Generalized additive models",
    )

    _parameter_constraints = {
        **_BaseGAM._parameter_constraints,
        "distribution": [StrOptions({"normal", "poisson", "gamma"})],
    }

    def __init__(
        self,
        distribution="normal",
        *,
        n_splines=20,
        spline_order=3,
        lam=None,
        lam_grid=None,
        monotonic_inc=None,
        monotonic_dec=None,
        max_iter=100,
        tol=1e-4,
        interactions=None,
        verbose=True,
    ):
        self.distribution = distribution
        self.n_splines = n_splines
        self.spline_order = spline_order
        self.lam = lam
        self.lam_grid = lam_grid
        self.monotonic_inc = monotonic_inc
        self.monotonic_dec = monotonic_dec
        self.max_iter = max_iter
        self.tol = tol
        self.interactions = interactions
        self.verbose = verbose

    def fit(self, X, y, sample_weight=None):
        """Fit pygam's GAM (lam chosen by ``gridsearch`` unless ``lam`` is given).

        Text / category columns of X become factor terms.
        Returns self.
        """
        from pygam import GAM

        self._validate_params()
        X, y, _ = self._validate_fit(X, y, classifier=False)
        sw = check_sample_weight(sample_weight, X.shape[0])
        X, y, sw = drop_zero_weight(X, y, sw, classifier=False)
        if self.distribution == "poisson" and (y < 0).any():
            raise ValueError(f"the poisson distribution needs y >= 0 (found min(y) = {y.min():g})")
        if self.distribution == "gamma" and (y <= 0).any():
            raise ValueError(
                f"the gamma distribution needs y > 0 (found min(y) = {y.min():g}); "
                "use distribution='poisson' for zeros, 'normal' for negatives"
            )
        self.link_ = _LINK_OF_DISTRIBUTION[self.distribution]
        self.explanation_link_ = self.link_

        def make(terms):
            return GAM(
                terms,
                distribution=self.distribution,
                link=self.link_,
                max_iter=self.max_iter,
                tol=self.tol,
            )

        # pygam squares y on the way (deviance, GCV): a target near 1e300 overflows and
        # one near 1e-300 underflows, so such a y is divided by a power of two (exact)
        # and the fitted model is mapped back to the user's units afterwards
        ymax = float(np.max(np.abs(y))) if len(y) else 1.0
        y_scale = 1.0
        if ymax > 1e100 or 0 < ymax < 1e-100:
            y_scale = float(np.exp2(np.round(np.log2(ymax))))
        self.gams_ = self._fit_with_pairs(make, X, [y / y_scale], sw)
        if y_scale != 1.0:
            self._unscale_target(y_scale)
        self._finish_fit(X)
        return self

    def _unscale_target(self, y_scale: float) -> None:
        gam = self.gams_[0]
        if self.link_ == "identity":
            # the penalized least squares fit is linear in y, and GCV picks the same lam
            gam.coef_ = gam.coef_ * y_scale
            with np.errstate(over="ignore"):  # a variance beyond float64 is inf
                gam.statistics_["cov"] = gam.statistics_["cov"] * y_scale * y_scale
        else:
            # log link: scaling y shifts the intercept (pygam's last coefficient)
            gam.coef_ = gam.coef_.copy()
            gam.coef_[-1] += np.log(y_scale)

    def predict(self, X) -> np.ndarray:
        """E[y] of each row: the inverse link of the additive predictor.

        Returns an array of shape (n_rows,).
        """
        eta = self._link_output(self._prepare(X))[:, 0]
        return eta if self.link_ == "identity" else np.exp(eta)

    def _output_names(self) -> tuple[str, ...]:
        return ("y",)


class GAMClassifier(_BaseGAM, ClassifierMixin, BaseEstimator):
    """Additive logistic regression with penalized splines (pygam ``LogisticGAM``).

    Binary targets fit one model on the log-odds of the second class;
    multiclass targets fit one-vs-rest models, each additive on its own
    log-odds; ``predict_proba`` normalizes their probabilities.
    Parameters as in ``GAMRegressor`` (without ``distribution``).
    """

    traits = dataclasses.replace(
        GAMRegressor.traits,
        quick_params={"n_splines": 6, "lam_grid": (1.0, 100.0), "max_iter": 30},
    )

    def __init__(
        self,
        *,
        n_splines=20,
        spline_order=3,
        lam=None,
        lam_grid=None,
        monotonic_inc=None,
        monotonic_dec=None,
        max_iter=100,
        tol=1e-4,
        interactions=None,
        verbose=True,
    ):
        self.n_splines = n_splines
        self.spline_order = spline_order
        self.lam = lam
        self.lam_grid = lam_grid
        self.monotonic_inc = monotonic_inc
        self.monotonic_dec = monotonic_dec
        self.max_iter = max_iter
        self.tol = tol
        self.interactions = interactions
        self.verbose = verbose

    def fit(self, X, y, sample_weight=None):
        """Fit pygam's LogisticGAM (one per class, one-vs-rest, for multiclass).

        Text / category columns of X become factor terms.
        Returns self.
        """
        from pygam import LogisticGAM

        self._validate_params()
        X, y, _ = self._validate_fit(X, y, classifier=True)
        sw = check_sample_weight(sample_weight, X.shape[0])
        self.classes_, codes = encode_labels(y)
        X, codes, sw = drop_zero_weight(X, codes, sw, classifier=True)
        self.link_ = "logit"
        # one-vs-rest: each output is its own model's log-odds; the probabilities
        # are those sigmoids normalized, which the explanations' link names
        self.explanation_link_ = "logit" if len(self.classes_) == 2 else "ovr_logit"

        def make(terms):
            return LogisticGAM(terms, max_iter=self.max_iter, tol=self.tol)

        targets = (
            [codes == 1]
            if len(self.classes_) == 2
            else [codes == k for k in range(len(self.classes_))]
        )
        self.gams_ = self._fit_with_pairs(make, X, [t.astype(float) for t in targets], sw)
        self._finish_fit(X)
        return self

    def decision_function(self, X) -> np.ndarray:
        """Log-odds of the second class (binary, 1-D) or of each one-vs-rest model.

        Returns an array of shape (n_rows,) or (n_rows, n_classes).
        """
        eta = self._link_output(self._prepare(X))
        return eta[:, 0] if eta.shape[1] == 1 else eta

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities; one-vs-rest probabilities normalized to sum to 1.

        Returns an array of shape (n_rows, n_classes).
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = expit(scores)
            return np.column_stack([1 - p, p])
        p = expit(scores)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row.

        Returns an array of shape (n_rows,).
        """
        proba = self.predict_proba(X)  # validates first: unfitted -> NotFittedError
        return self.classes_[np.argmax(proba, axis=1)]

    def _output_names(self) -> tuple[str, ...]:
        names = class_names(self)
        return names[1:] if len(names) == 2 else names
