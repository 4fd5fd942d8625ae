"""The model's predictions on coded rows and the test of the desired outcome.

``predict`` may go through the model's own trees read into arrays (``_fast``),
after checking them against the model; ``predict_model`` always asks the model
itself and is what every returned row is re-checked with."""

from __future__ import annotations

import warnings

import numpy as np

from ._space import _Space


class _Oracle:
    """The model's predictions on coded rows, and the test of the desired outcome."""

    def __init__(self, model, space: _Space, desired, read_trees: bool = True):
        self.model = model
        self.space = space
        self.n_calls = 0
        from sklearn.base import is_classifier

        try:
            self.classifier = bool(is_classifier(model)) or hasattr(model, "classes_")
        except Exception:  # a plain callable without tags
            self.classifier = hasattr(model, "classes_")
        if desired is not None and np.ndim(desired) == 0:
            self.classifier = True  # one outcome asked for: a class (e.g. of a callable)
        if not callable(getattr(model, "predict", None)) and not callable(model):
            raise TypeError(
                f"model must have a predict method or be a callable, got {type(model).__name__}"
            )
        self.fast = None
        self._deferred = None
        fast = None
        if read_trees and callable(getattr(model, "predict", None)):
            from ._fast import tree_scores

            fast = tree_scores(model, space)
        # x, then (when the trees were read) sample rows to check the reading on
        probe = space.x0[None, :]
        if fast is not None or space.bare_ok:
            probe = np.concatenate([probe, _probe_rows(space)])
        if fast is not None:
            mine, sure = fast.predict(probe)
            if fast.kind == "value" or sure[0] != 0:
                # checked with the final call (one model call less per row explained);
                # if the model disagrees there, everything is solved again without
                self.fast = fast
                self._deferred = (probe, mine, sure)
                self.original = mine[0]
                space.bare_ok = False  # the few unsure rows go to the model with names
        self._bare = None
        self._pending = None
        if self._deferred is None and fast is None and space.bare_ok and desired is not None:
            # the outcome asked for is known: x and the probe rows go with the first
            # call of the search (one model call less), see ``predict_model``
            self._pending = probe
        elif self._deferred is None and fast is None and space.bare_ok:
            # the bare matrix must answer as the named rows do: checked with the
            # final call (named), as the read trees are; if not, solved again without
            try:
                bare = self.predict_model(probe)
            except Exception:  # e.g. a column transformer selecting columns by name
                space.bare_ok = False
            else:
                self._bare = (probe, bare)
                self.original = bare[0]
        if self._deferred is None and self._bare is None and self._pending is None:
            own = self.predict_model(probe, final=True)
            self.original = own[0]
            if fast is not None:
                self.fast = fast if self._agree(fast, probe, own) else None
            if space.bare_ok:  # the bare matrix must answer as the named rows do
                try:
                    same = np.array_equal(self.predict_model(probe), own)
                except Exception:  # e.g. a column transformer selecting columns by name
                    same = False
                space.bare_ok = bool(same)
        if self.classifier:
            classes = list(getattr(model, "classes_", []))
            if desired is None:
                if len(classes) != 2:
                    raise ValueError(
                        "desired=None needs a binary classifier; pass the class you want"
                    )
                desired = classes[1] if classes[0] == self.original else classes[0]
            elif classes and desired not in classes:
                raise ValueError(f"desired={desired!r} is not a class of the model: {classes}")
            self.target = desired
        else:
            if desired is None or np.ndim(desired) != 1 or len(desired) != 2:
                raise ValueError(
                    "a regressor needs desired=(low, high), the interval of predictions wanted "
                    "(None for an open side)"
                )
            lo, hi = desired
            lo = -np.inf if lo is None else float(lo)
            hi = np.inf if hi is None else float(hi)
            if not lo <= hi:
                raise ValueError(f"desired interval must have low <= high, got {desired}")
            self.target = (lo, hi)
        self.desired = self.target

    def predict(self, Z: np.ndarray, strict: bool = False) -> np.ndarray:
        """Predictions for the solvers: the read trees when they are exact here,
        the model for every row within rounding of a decision (``strict``: such
        rows get None instead, i.e. count as not desired; for the search, which
        needs no particular row)."""
        if self.fast is None or len(Z) == 0:
            return self.predict_model(Z)
        self.n_calls += len(Z)
        out, sure = self.fast.predict(Z)
        if self.fast.kind == "value":  # unsure: near an end of the desired interval
            tol = sure
            lo, hi = self.target
            unsure = (np.abs(out - lo) <= tol) | (np.abs(out - hi) <= tol)
        else:
            unsure = sure == 0
        if unsure.any() and strict:
            out = out.copy() if self.fast.kind == "value" else out.astype(object)
            out[unsure] = np.nan if self.fast.kind == "value" else None
        elif unsure.any():
            out = out.copy() if self.fast.kind == "value" else out.astype(object)
            out[unsure] = self.predict_model(Z[unsure])
        return out

    @staticmethod
    def _agree(fast, probe: np.ndarray, own: np.ndarray) -> bool:
        """Does the reading of the trees give the model's own predictions on probe?"""
        mine, sure = fast.predict(probe)
        if fast.kind == "value":
            tol = 10 * fast.rel
            return bool(np.allclose(mine, own.astype(np.float64), rtol=tol, atol=tol))
        return bool(np.all((mine == own) | (sure == 0)))

    def final_predict(self, Z: np.ndarray):
        """The model's own predictions of the rows to return (named columns). With a
        deferred check (of the read trees, or of the bare matrix against named rows),
        x and the probe rows go in the same call; None when the model disagrees
        there (then everything is solved again without the shortcut)."""
        if self._pending is not None:  # no call yet: x's outcome comes with the rows
            probe, self._pending = self._pending, None
            both = self.predict_model(np.concatenate([probe, Z]), final=True)
            self.original = both[0]
            return both[len(probe) :]
        if self._bare is not None:
            probe, bare = self._bare
            self._bare = None
            both = self.predict_model(np.concatenate([probe, Z]), final=True)
            own, out = both[: len(probe)], both[len(probe) :]
            if not np.array_equal(own, bare):
                self.space.bare_ok = False
                return None
            return out
        if self._deferred is None:
            return self.predict_model(Z, final=True)
        probe = self._deferred[0]
        self._deferred = None
        both = self.predict_model(np.concatenate([probe, Z]), final=True)
        own, out = both[: len(probe)], both[len(probe) :]
        if not self._agree(self.fast, probe, own):
            self.fast = None
            return None
        self.original = own[0]
        return out

    def predict_model(self, Z: np.ndarray, final: bool = False) -> np.ndarray:
        """The model's own predictions. ``final`` (x itself, the returned rows):
        the rows exactly as the model was fitted on (named columns). Otherwise a
        scikit-learn model whose fitted column names are ours, in our order, gets
        the bare matrix: the same numbers, without ~2 ms of per-call name checks."""
        if len(Z) == 0:
            return np.empty(0, dtype=object)
        self.n_calls += len(Z)
        fn = getattr(self.model, "predict", None)
        if not final and self.space.bare_ok and self._pending is not None:
            # the first call: x and the probe rows first (x's outcome, and the bare
            # answers the final, named call is checked against)
            probe, self._pending = self._pending, None
            self.n_calls -= len(Z)
            try:
                both = self.predict_model(np.concatenate([probe, Z]))
            except Exception:  # e.g. a column transformer selecting columns by name
                self.space.bare_ok = False
                both = self.predict_model(np.concatenate([probe, Z]), final=True)
                self.original = both[0]
            else:
                self._bare = (probe, both[: len(probe)])
                self.original = both[0]
            return both[len(probe) :]
        if not final and self.space.bare_ok:
            from sklearn import config_context

            # "X does not have valid feature names"; and the search's rows are finite
            # by construction (clipped to bounds): no finiteness scan per call
            with warnings.catch_warnings(), config_context(assume_finite=True):
                warnings.simplefilter("ignore", UserWarning)
                out = np.asarray(fn(np.ascontiguousarray(Z, dtype=np.float64)))
        else:
            Xin = self.space.model_input(Z)
            out = np.asarray(fn(Xin) if fn is not None else self.model(Xin))
        if out.ndim == 2:
            if out.shape[1] == 1:
                out = out[:, 0]
            else:
                out = np.argmax(out, axis=1)
                if getattr(self.model, "classes_", None) is not None:
                    out = np.asarray(self.model.classes_)[out]
        return out

    def ok(self, out: np.ndarray) -> np.ndarray:
        if self.classifier:
            return np.asarray(out == self.target, dtype=bool)
        out = out.astype(np.float64)
        return (out >= self.target[0]) & (out <= self.target[1])

    def valid(self, Z: np.ndarray, strict: bool = False) -> np.ndarray:
        return self.ok(self.predict(Z, strict))


def _probe_rows(space: _Space, k: int = 64) -> np.ndarray:
    """Rows of X (or around x) to check a reading of the model's trees on."""
    if space.X is not None and len(space.X):
        step = max(1, len(space.X) // k)
        return space.X[::step][:k]
    rng = np.random.default_rng(0)
    scale = 1.0 / space.w
    return space.x0 + rng.normal(size=(k, space.p)) * scale
