"""What every glassbox estimator shares: printing, names, explanations.

Families subclass ``GlassboxMixin`` next to scikit-learn's mixins
(``class TreeRegressor(GlassboxMixin, RegressorMixin, BaseEstimator)``) and
implement ``fit``, ``predict`` and the two ``explain_*`` hooks, and declare
their ``traits``: everything the rest of the project needs to know about a
family (its name, whether it is additive, what input it takes, its quick and
complexity settings) is read from there, never from a list of class names.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ._validation import feature_names


@dataclass(frozen=True)
class Traits:
    """What a glassbox estimator class declares about itself (class attribute ``traits``).

    Attributes
    ----------
    family : str
        The family name the command line, ``compare`` and ``distill`` use
        ("glm", "tree", ...); a classifier and a regressor may share it.
    additive : bool
        The model is a sum of terms on its link scale and ``explain_local``
        gives those terms exactly: base value + contributions == link output,
        which are then exact SHAP values.
    categorical : bool
        Takes text / category DataFrame columns itself. Not scikit-learn's
        ``input_tags.categorical``, which means integer-coded input only.
    allow_nan : bool
        Takes NaN itself (scikit-learn's ``input_tags.allow_nan``).
    quick_params : mapping
        Settings that keep a fit quick (tests, the demo, the docs); read-only.
    complexity_grid : mapping
        For ``pareto``: parameter -> values, simplest first (all combinations
        are tried); empty when the family has no complexity knob.
    title : str
        Heading of the family's documentation page.
    """

    family: str
    additive: bool = False
    categorical: bool = False
    allow_nan: bool = False
    quick_params: Mapping[str, Any] = field(default_factory=dict)
    complexity_grid: Mapping[str, Sequence] = field(default_factory=dict)
    title: str = ""


@functools.singledispatch
def render_text(model, **options) -> str:
    """The human-readable text of a fitted model, by the renderer of its class.

    The table lives here, below the models, and ``glassbox.render.text`` fills
    it (``@renders(GLMClassifier)``) when ``glassbox`` is imported, so that
    ``str(model)`` needs no import of the renderer (imports point one way).
    """
    raise TypeError(f"no text renderer for {type(model).__name__}")


# Solvers that live above the models and serve them: ``surrogates`` fills this
# when it is imported (its counterfactual search), as ``glassbox.render`` fills
# ``render_text``; glassbox never imports surrogates (design.md "Layers").
_SOLVERS: dict = {}


def lend_solver(name: str, solver) -> None:
    """Make ``solver`` the one estimator methods call for ``name`` (used by ``surrogates``)."""
    _SOLVERS[name] = solver


class GlassboxMixin:
    """Human-readable ``str``, feature names and explanation entry points.

    Subclasses set the class attribute ``traits`` (a ``Traits``).
    """

    traits: Traits

    def __str__(self) -> str:
        try:
            check_is_fitted(self)
        except NotFittedError:
            return repr(self)
        return render_text(self)

    @property
    def feature_names_(self) -> list[str]:
        """Names used in every printout (``feature_names_in_`` or x0, x1, ...)."""
        check_is_fitted(self)
        return feature_names(self)

    def explain_global(self):
        """A ``GlobalExplanation`` of the fitted model."""
        raise NotImplementedError(f"{type(self).__name__} does not implement explain_global")

    def explain_local(self, X):
        """A ``LocalExplanation`` of the rows of X."""
        raise NotImplementedError(f"{type(self).__name__} does not implement explain_local")

    def explain_counterfactual(self, x, **options):
        """Counterfactuals of row ``x``: the nearest changes that give another outcome.

        The same as ``surrogates.counterfactuals(model, x, **options)`` (see it
        for the options: ``desired``, ``n``, ``X``, ``immutable``, ``bounds``,
        ``monotone``, ``cost``, ``method``, ``time_limit``, ``random_state``, ``progress``):
        exact for the glass-box families that allow it. The solvers live in the
        ``surrogates`` package, which lends them when it is imported.
        """
        solver = _SOLVERS.get("counterfactuals")
        if solver is None:
            raise RuntimeError(
                "explain_counterfactual uses the counterfactual solvers of the surrogates "
                "package (installed with glassbox): run `import surrogates` first, or call "
                "surrogates.counterfactuals(model, x, ...)"
            )
        return solver(self, x, **options)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        traits = getattr(type(self), "traits", None)  # a user's own subclass may have none
        tags.input_tags.allow_nan = traits.allow_nan if traits is not None else False
        # traits.categorical is not mapped to scikit-learn's `categorical` tag: that tag
        # means integer-coded input and makes scikit-learn's checks round X to integers,
        # which would stop them testing these families on continuous data
        return tags


def class_names(est) -> tuple[str, ...]:
    """Printable names of a fitted classifier's classes."""
    return tuple(str(c) for c in est.classes_)


def encode_labels(y: np.ndarray):
    """Sorted classes and integer codes, as scikit-learn classifiers store them."""
    classes, codes = np.unique(y, return_inverse=True)
    return classes, codes


def inverse_link(link: str, eta: np.ndarray) -> np.ndarray:
    """The model output from an explanation's link-scale values (base + contributions).

    ``"identity"`` -> eta; ``"log"`` -> exp(eta); ``"logit"`` -> P(positive class)
    (1-D) or per-output sigmoids (2-D); ``"softmax"`` -> softmax over the last axis;
    ``"ovr_logit"`` (one-vs-rest models) -> sigmoid of each output, normalized to sum 1.
    For a classifier, ``softmax`` / ``ovr_logit`` give ``predict_proba`` and ``logit``
    gives its last column.
    """
    from scipy.special import expit, softmax

    eta = np.asarray(eta, dtype=float)
    if link == "identity":
        return eta
    if link == "log":
        return np.exp(eta)
    if link == "logit":
        return expit(eta)
    if link == "softmax":
        return softmax(eta, axis=-1)
    if link == "ovr_logit":
        p = expit(eta)
        return p / p.sum(axis=-1, keepdims=True)
    raise ValueError(
        f"unknown link {link!r}; one of 'identity', 'log', 'logit', 'softmax', 'ovr_logit'"
    )


class progress_bar:
    """A tqdm bar that shows only once the work has taken 2 s (``delay=2.0``), and
    not at all when ``enabled`` is False: ``with progress_bar(total=n, desc=...,
    enabled=self.verbose) as bar: ... bar.update(1)``."""

    def __init__(self, total: int | None, desc: str, enabled: bool = True):
        self.total, self.desc, self.enabled = total, desc, enabled

    def __enter__(self):
        from tqdm.auto import tqdm

        self._bar = tqdm(
            total=self.total, desc=self.desc, delay=2.0, disable=not self.enabled, leave=False
        )
        return self._bar

    def __exit__(self, *exc) -> None:
        self._bar.close()


class progress_ticker:
    """A tqdm line with the elapsed time for one long call that reports no steps
    (interpret's boosting runs in worker processes): it appears once the call
    has taken 2 s and is refreshed by a background thread; ``enabled=False``
    shows nothing."""

    def __init__(self, desc: str, enabled: bool = True, every: float = 0.5):
        self.desc, self.enabled, self.every = desc, enabled, every

    def __enter__(self):
        import threading

        from tqdm.auto import tqdm

        self._bar = tqdm(
            desc=self.desc,
            total=None,
            delay=2.0,
            disable=not self.enabled,
            leave=False,
            bar_format="{desc}: {elapsed}",
        )
        self._stop = threading.Event()
        self._thread = None
        if self.enabled:
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()
        return self._bar

    def _tick(self) -> None:
        bar = self._bar
        while not self._stop.wait(self.every):
            now = bar._time()
            if now >= bar.start_t + bar.delay:  # refresh() itself ignores the delay
                bar.refresh()
                bar.last_print_t = now  # so close() clears the line it drew

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._bar.close()
