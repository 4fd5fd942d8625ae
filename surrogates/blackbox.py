"""Any black box as one ``f(X) -> scores`` function.

``as_blackbox`` adapts a scikit-learn estimator (``predict_proba`` or
``predict``), a plain callable (e.g. ``mlp.predict_proba``), an xgboost
``Booster`` and a torch ``nn.Module``. The result, a ``BlackBox``, takes a 2-D
float array, calls the model in batches, and returns a 2-D float array of
scores: class probabilities for classifiers (one column per class), the
predicted value for regressors (one column). Every surrogate in this package
talks to the model only through it, so the checks live here once: column
count and names, output shape, finite output, and a model that raises.

``output="raw"`` is the mode SHAP uses: the model's own numbers, as they are
(1-D or 2-D, read neither as probabilities nor as labels), on rows that may
hold NaN (masked rows carry the background's missing values to the model).

xgboost and torch are imported only when one of their objects is given.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from glassbox._validation import default_feature_names

from ._rows import align_columns, as_rows

_OUTPUTS = ("auto", "proba", "logits", "value", "label", "raw")


def _check_task_output(task, output) -> None:
    if task not in (None, "classification", "regression"):
        raise ValueError(f"task must be 'classification', 'regression' or None, got {task!r}")
    if output not in _OUTPUTS:
        raise ValueError(f"output must be one of {_OUTPUTS}, got {output!r}")
    if output == "raw" and task is not None:
        raise ValueError(
            "output='raw' returns the model's numbers as they are and reads no task; "
            "leave task=None"
        )


class BlackBoxError(RuntimeError):
    """The black box raised, or returned something that cannot be scores."""


def check_rows(
    X, *, name: str = "X", n_features: int | None = None, allow_nan: bool = False
) -> np.ndarray:
    """X (array or DataFrame) as a float64 C-ordered 2-D array without infinity.

    Parameters
    ----------
    X : array-like of shape (n_rows, n_features) or DataFrame
        Numeric rows.
    name : str, default="X"
        What to call X in error messages.
    n_features : int or None, default=None
        Columns X must have; None accepts any number.
    allow_nan : bool, default=False
        Let NaN through (else it is an error naming the first row with one).
    """
    if X is None:
        raise ValueError(f"{name} is None; pass a 2-D array or DataFrame of features")
    X = as_rows(X, allow_nan=allow_nan, name=name)
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"{name} has {X.shape[1]} columns but the black box takes {n_features} features"
        )
    return X


def _is_torch_module(obj) -> bool:
    # checked by class path so that torch is not imported to test it
    return any(
        c.__module__.startswith("torch.nn") and c.__name__ == "Module" for c in type(obj).__mro__
    )


def _is_xgb_booster(obj) -> bool:
    return type(obj).__name__ == "Booster" and type(obj).__module__.startswith("xgboost")


class BlackBox:
    """A model reduced to ``f(X) -> scores`` (2-D float), called in batches.

    With ``output="raw"`` it returns the model's own numbers as a 2-D array
    (a 1-D output becomes one column; ``single_output_`` remembers it), takes
    rows with NaN, calls the model as it is (its own errors propagate) and
    refuses output that is not finite or changes width between calls.

    Parameters
    ----------
    fn : callable
        f(X) -> the model's output for a 2-D batch of rows (or a DataFrame of
        them, see ``as_frame``). ``as_blackbox`` builds it from a model.
    task : {"classification", "regression"} or None, default=None
        None infers it from the first output.
    output : {"auto", "proba", "logits", "value", "label", "raw"}, default="auto"
        How to read the output (see ``as_blackbox``).
    classes : sequence or None, default=None
        Class labels in score-column order.
    n_features : int or None, default=None
        Input columns the model takes; None learns it from the first call.
    feature_names : sequence of str or None, default=None
        Input names; DataFrames passed later are checked against them.
    batch_size : int, default=65536
        Rows per model call.
    as_frame : bool, default=False
        Hand ``fn`` DataFrames with ``feature_names`` as columns (for models
        fitted on named columns) instead of arrays.
    description : str, default="callable"
        What the model is, for error messages.

    Attributes
    ----------
    task : "classification", "regression" or None
        None until the first call for a callable; always None with ``output="raw"``.
    classes_ : ndarray or None
        Class labels (classification), in score-column order.
    n_features_in_ : int or None
        Number of input columns, if known.
    feature_names_in_ : list of str or None
        Input names, if known (DataFrame columns are checked against them).
    n_outputs_ : int or None
        Score columns, known after the first call.
    single_output_ : bool or None
        ``output="raw"`` only: the model returns a 1-D array (one value per row).
    n_calls_, n_rows_ : int
        Model calls made and rows asked so far.
    """

    def __init__(
        self,
        fn: Callable[[np.ndarray], np.ndarray],
        *,
        task: str | None = None,
        output: str = "auto",
        classes: Sequence | None = None,
        n_features: int | None = None,
        feature_names: Sequence[str] | None = None,
        batch_size: int = 65536,
        as_frame: bool = False,
        description: str = "callable",
    ):
        _check_task_output(task, output)
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self._fn = fn
        self.task = task
        self.output = output
        self.classes_ = None if classes is None else np.asarray(classes)
        self.feature_names_in_ = None if feature_names is None else [str(n) for n in feature_names]
        if (
            n_features is not None
            and feature_names is not None
            and len(feature_names) != n_features
        ):
            raise ValueError(
                f"got {len(feature_names)} feature names but the model takes {n_features} "
                "features; pass one name per input column"
            )
        if n_features is None and feature_names is not None:
            n_features = len(feature_names)
        self.n_features_in_ = n_features
        self.batch_size = int(batch_size)
        self._as_frame = as_frame and self.feature_names_in_ is not None
        self.description = description
        self.n_calls_ = 0
        self.n_rows_ = 0
        self._n_outputs = None
        self.single_output_ = None
        self._classes_inferred = False

    @property
    def n_outputs_(self) -> int | None:
        return self._n_outputs

    # -- input ------------------------------------------------------------------

    def check_X(self, X, name: str = "X") -> np.ndarray:
        """Validate X against what the black box takes; returns float64 2-D."""
        if isinstance(X, pd.DataFrame):
            # a fitted black box's names are checked strictly: 0, 1, ... must match too
            X = align_columns(
                X,
                self.feature_names_in_,
                name=name,
                against="the black box's features",
                unnamed_by_position=False,
            )
        X = check_rows(X, name=name, n_features=self.n_features_in_, allow_nan=self.output == "raw")
        if self.n_features_in_ is None:
            self.n_features_in_ = X.shape[1]
        return X

    def feature_names(self, X=None, n_features: int | None = None) -> list[str]:
        """Names for printing: the black box's, X's columns, or x0, x1, ..."""
        if self.feature_names_in_ is not None:
            return list(self.feature_names_in_)
        if isinstance(X, pd.DataFrame):
            return [str(c) for c in X.columns]
        n = n_features if n_features is not None else self.n_features_in_
        return default_feature_names(n)

    def output_names(self) -> tuple[str, ...]:
        """Names of the score columns: the classes when there is one column per
        class, "y" for one value per row, else y0, y1, ..."""
        n = self._n_outputs
        if n is None:
            raise RuntimeError("the black box has not been called yet; its outputs are unknown")
        if self.single_output_ or (self.output != "raw" and self.task == "regression"):
            return ("y",)
        if self.classes_ is not None and len(self.classes_) == n:
            return tuple(str(c) for c in self.classes_)
        return tuple(f"y{k}" for k in range(n))

    # -- calling ----------------------------------------------------------------

    def _arg(self, Xb: np.ndarray):
        """What the model is handed: a DataFrame for models fitted on named columns."""
        return pd.DataFrame(Xb, columns=self.feature_names_in_) if self._as_frame else Xb

    def _call_batch(self, Xb: np.ndarray) -> np.ndarray:
        arg = self._arg(Xb)
        try:
            out = self._fn(arg)
        except Exception as exc:  # the model's own error, re-raised with context
            raise BlackBoxError(
                f"the black box ({self.description}) raised {type(exc).__name__}: {exc} "
                f"when called on a batch of {Xb.shape[0]} rows x {Xb.shape[1]} columns"
            ) from exc
        if hasattr(out, "detach"):  # torch tensor returned by a plain callable
            out = out.detach().cpu().numpy()
        if isinstance(out, (pd.DataFrame, pd.Series)):
            out = out.to_numpy()
        if out is None or isinstance(out, (dict, str, bytes)):
            raise BlackBoxError(
                f"the black box ({self.description}) returned a {type(out).__name__}; it must "
                "return an array with one score, value or label per row"
            )
        out = np.asarray(out)
        if out.ndim == 0:
            raise BlackBoxError(
                f"the black box returned a single {out.dtype} value for {Xb.shape[0]} rows; it "
                "must return one score, value or label per row"
            )
        if out.dtype.kind not in "biuf":
            if self.output == "label" or out.dtype.kind in "OUS":
                return out  # class labels, mapped in _to_scores
            raise BlackBoxError(f"the black box returned dtype {out.dtype}; expected numbers")
        if out.ndim == 0 or out.ndim > 2 or out.shape[0] != Xb.shape[0]:
            raise BlackBoxError(
                f"the black box returned shape {out.shape} for {Xb.shape[0]} rows; expected "
                f"({Xb.shape[0]},) or ({Xb.shape[0]}, n_outputs)"
            )
        return out

    def _is_labels(self, out: np.ndarray) -> bool:
        """Whether raw output ``out`` is class labels rather than scores."""
        return (
            self.output == "label"
            or out.dtype.kind in "OUSb"
            or (
                self.task == "classification"
                and out.ndim == 1
                and self.output == "auto"
                and out.dtype.kind in "iu"
            )
        )

    def settle(self, X: np.ndarray) -> None:
        """Fix the task and the score columns before the black box is asked piecemeal.

        One row tells scores from labels. A label-returning callable without
        ``classes=`` is then first asked about every row of X, so that all the
        classes it can return are known before any scores are handed out.
        """
        known = self.task == "regression" or (self.task is not None and self.classes_ is not None)
        if self._n_outputs is not None or known:
            return
        if self.output == "raw":  # the width of the output is all there is to learn
            self(X[:2])
            return
        probe = self._call_batch(X[:1])
        self(X if self._is_labels(probe) and self.classes_ is None else X[:1])

    def _to_scores(self, out: np.ndarray) -> np.ndarray:
        """Raw model output -> 2-D float scores, fixing task/classes on first use."""
        output = self.output
        if self._is_labels(out):
            if self.classes_ is None or self._classes_inferred:
                # labels of a plain callable: the classes are those seen so far
                try:
                    grown = (
                        np.unique(out) if self.classes_ is None else np.union1d(self.classes_, out)
                    )
                except TypeError:
                    kinds = sorted({type(v).__name__ for v in np.ravel(out)})
                    raise BlackBoxError(
                        f"the black box returned labels of mixed types ({', '.join(kinds)}); "
                        "return labels of one type (all strings or all numbers)"
                    ) from None
                if self.classes_ is not None and len(grown) != len(self.classes_):
                    # scores handed out earlier have one column per old class: a new
                    # class would silently shift what their columns mean
                    old = self.classes_.tolist()
                    new = [c for c in grown.tolist() if c not in old]
                    raise BlackBoxError(
                        f"the black box returned label(s) {new[:5]} not seen on its earlier "
                        f"calls (classes {old[:10]}); pass classes=[...] to "
                        "as_blackbox so every call has the same score columns"
                    )
                if self.classes_ is None:
                    self.classes_, self._classes_inferred = grown, True
            self.task = "classification"
            idx = np.searchsorted(self.classes_, out)
            idx = np.clip(idx, 0, len(self.classes_) - 1)
            if not (self.classes_[idx] == out).all():
                raise BlackBoxError(
                    f"the black box predicted labels outside the known classes {list(self.classes_)}"
                )
            scores = np.zeros((len(out), len(self.classes_)))
            scores[np.arange(len(out)), idx] = 1.0
            return scores
        out = out.astype(np.float64)
        if out.ndim == 2 and out.shape[1] == 1 and output in ("auto", "value"):
            out = out[:, 0]
        if not np.isfinite(out).all():
            raise BlackBoxError("the black box returned NaN or infinity")
        if output == "logits":
            if out.ndim == 2 and out.shape[1] == 1:  # one logit per row: binary
                out = out[:, 0]
            if out.ndim == 1:
                p = 1.0 / (1.0 + np.exp(-out))
                out = np.column_stack([1 - p, p])
            else:
                z = out - out.max(axis=1, keepdims=True)
                e = np.exp(z)
                out = e / e.sum(axis=1, keepdims=True)
            output = "proba"
        if output == "proba" and out.ndim == 1:
            if (out < 0).any() or (out > 1).any():
                raise BlackBoxError("output='proba' but 1-D values outside [0, 1] were returned")
            out = np.column_stack([1 - out, out])
        if out.ndim == 1:
            if self.task == "classification":
                raise BlackBoxError(
                    "the black box returned one value per row but task='classification'; "
                    "pass predict_proba, or output='label' for class labels, or output='logits'"
                )
            self.task = "regression"
            return out[:, None]
        # 2-D, several columns
        if self.task is None:
            is_proba = (out >= -1e-9).all() and np.allclose(out.sum(axis=1), 1.0, atol=1e-6)
            if not is_proba:
                raise BlackBoxError(
                    f"the black box returned {out.shape[1]} columns that are not probabilities "
                    "(rows do not sum to 1); pass output='logits' for raw class scores or a "
                    "function with one output per row"
                )
            self.task = "classification"
        if self.task == "regression":
            raise BlackBoxError(
                f"the black box returned {out.shape[1]} outputs per row; a regression black "
                "box must return one value per row"
            )
        if self.classes_ is None:
            self.classes_ = np.arange(out.shape[1])
        if out.shape[1] != len(self.classes_):
            raise BlackBoxError(
                f"the black box returned {out.shape[1]} columns but has {len(self.classes_)} classes"
            )
        return out

    def _raw_batch(self, Xb: np.ndarray) -> np.ndarray:
        """output="raw": the model's numbers for one batch, 1-D or 2-D float64."""
        out = np.asarray(self._fn(self._arg(Xb)), dtype=np.float64)
        if out.ndim not in (1, 2) or out.shape[0] != Xb.shape[0]:
            raise ValueError(
                f"the model returned shape {out.shape} for {Xb.shape[0]} rows; it must return "
                "one score per row (1-D) or one row of scores per row (2-D)"
            )
        if not np.isfinite(out).all():
            # e.g. NaN in a background row, or a model undefined where x and a
            # background row are mixed: SHAP values would be NaN without a word
            bad = int(np.nonzero(~np.isfinite(out.reshape(len(out), -1)).all(axis=1))[0][0])
            raise ValueError(
                f"the model returned NaN or infinity for the row "
                f"{np.array2string(Xb[bad], precision=4, threshold=8)} (a row of X, of the "
                "background, or X values mixed with background values). Impute NaN in X "
                "and the background, or make the model finite there"
            )
        return out

    def _raw(self, X: np.ndarray) -> np.ndarray:
        outs = []
        for start in range(0, X.shape[0], self.batch_size):
            outs.append(self._raw_batch(X[start : start + self.batch_size]))
            self.n_calls_ += 1
        out = outs[0] if len(outs) == 1 else np.concatenate(outs, axis=0)
        self.n_rows_ += X.shape[0]
        if self._n_outputs is None:
            self.single_output_ = out.ndim == 1
            self._n_outputs = 1 if out.ndim == 1 else out.shape[1]
        out = out[:, None] if out.ndim == 1 else out
        if out.shape[1] != self._n_outputs:
            raise ValueError(
                f"the model returned {out.shape[1]} outputs per row, but {self._n_outputs} on "
                "the background rows; it must return the same number of outputs on every call"
            )
        return out

    def __call__(self, X, *, checked: bool = False) -> np.ndarray:
        """Scores for the rows of X: (n, n_classes) probabilities or (n, 1) values;
        with ``output="raw"`` the model's numbers, (n, n_outputs).

        ``checked=True`` skips the input checks, for callers whose rows are built
        from rows already checked (SHAP's masked rows: millions per call, where
        scanning them again would cost as much as a cheap model).
        """
        if not checked:
            X = self.check_X(X)
        if self.output == "raw":
            return self._raw(X)
        raws = []
        for start in range(0, X.shape[0], self.batch_size):
            raws.append(self._call_batch(X[start : start + self.batch_size]))
            self.n_calls_ += 1
        # converted together so that labels seen in any batch define the classes
        scores = self._to_scores(np.concatenate(raws, axis=0))
        if self._n_outputs is None:
            self._n_outputs = scores.shape[1]
        elif scores.shape[1] != self._n_outputs:
            raise BlackBoxError(
                f"the black box returned {scores.shape[1]} outputs, earlier {self._n_outputs}"
            )
        self.n_rows_ += X.shape[0]
        return scores

    def predict(self, X) -> np.ndarray:
        """Class labels (classification) or values (regression)."""
        scores = self(X)
        if self.task == "classification":
            return self.classes_[np.argmax(scores, axis=1)]
        return scores[:, 0]

    def __repr__(self) -> str:
        return f"BlackBox({self.description}, task={self.task!r})"


def _sklearn_feature_names(model):
    schema = getattr(model, "input_schema_", None)  # glassbox: names of any label type
    if schema is not None and schema.named:
        return list(schema.names)
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


def as_blackbox(
    model,
    *,
    task: str | None = None,
    output: str = "auto",
    classes: Sequence | None = None,
    feature_names: Sequence[str] | None = None,
    batch_size: int = 65536,
) -> BlackBox:
    """Adapt a model to a ``BlackBox`` (a ``BlackBox`` is returned unchanged,
    except that ``output="raw"`` wraps it as a callable).

    Parameters
    ----------
    model : scikit-learn estimator, callable, xgboost.Booster or torch.nn.Module
        Classifiers are asked for ``predict_proba`` (``predict`` labels when they
        have none); regressors for ``predict``. A callable may return
        probabilities (n, k), values (n,), or labels with ``output="label"``.
    task : {"classification", "regression"} or None, default=None
        None infers it from the output.
    output : {"auto", "proba", "logits", "value", "label", "raw"}, default="auto"
        How to read the model's output. "logits" applies softmax / sigmoid; a
        torch module's output is read as logits by default for classification.
        "raw" takes the model's numbers as they are (what SHAP explains): a
        callable itself, an estimator's ``predict_proba``, else its ``predict``.
    classes : sequence or None, default=None
        Class labels in score-column order (else taken from the model).
    feature_names : sequence of str or None, default=None
        Input names; DataFrames passed later are checked against them.
    batch_size : int, default=65536
        Rows per model call.

    Returns
    -------
    BlackBox
    """
    if isinstance(model, BlackBox) and output != "raw":
        return model
    _check_task_output(task, output)  # before the scikit-learn branch reads them
    common = dict(batch_size=batch_size)
    if output == "raw":
        return _from_any_raw(model, classes=classes, feature_names=feature_names, **common)
    if _is_xgb_booster(model):
        return _from_booster(
            model, task=task, output=output, classes=classes, feature_names=feature_names, **common
        )
    if _is_torch_module(model):
        return _from_torch(
            model, task=task, output=output, classes=classes, feature_names=feature_names, **common
        )
    if hasattr(model, "fit") and (hasattr(model, "predict") or hasattr(model, "predict_proba")):
        from sklearn.base import is_classifier, is_regressor
        from sklearn.utils.validation import check_is_fitted

        try:
            check_is_fitted(model)
        except Exception as exc:
            raise ValueError(
                f"{type(model).__name__} is not fitted; fit it before explaining it ({exc})"
            ) from None
        names = feature_names or _sklearn_feature_names(model)
        n_features = getattr(model, "n_features_in_", None)
        kind = type(model).__name__
        if task == "classification" and is_regressor(model):
            raise ValueError(
                f"{kind} is a regressor: its predictions are values, not classes; use "
                "task='regression' (or leave task=None)"
            )
        if task == "regression" and is_classifier(model):
            raise ValueError(
                f"{kind} is a classifier; use task='classification' (or leave task=None)"
            )
        clf = is_classifier(model) or task == "classification"
        if clf and output in ("auto", "proba") and hasattr(model, "predict_proba"):
            fn, out, task = model.predict_proba, "proba", "classification"
        elif clf and output == "logits" and hasattr(model, "decision_function"):
            fn, out, task = model.decision_function, "logits", "classification"
        elif clf and output in ("auto", "label"):
            fn, out, task = model.predict, "label", "classification"
        elif clf:
            usable = [
                o
                for o, m in (
                    ("proba", "predict_proba"),
                    ("logits", "decision_function"),
                    ("label", "predict"),
                )
                if hasattr(model, m)
            ]
            raise ValueError(
                f"output={output!r} is not available for the classifier {kind}; use one of {usable}"
            )
        elif output in ("auto", "value"):
            fn, out, task = model.predict, "value", "regression"
        else:
            raise ValueError(
                f"output={output!r} is for classifiers; the regressor {kind} gives output='value'"
            )
        return BlackBox(
            fn,
            task=task,
            output=out,
            classes=classes if classes is not None else getattr(model, "classes_", None),
            n_features=n_features,
            feature_names=names,
            # a frame only for models that recorded text names (scikit-learn warns when a
            # model fitted on integer labels is handed a frame); others take an array
            as_frame=getattr(model, "feature_names_in_", None) is not None,
            description=f"{type(model).__name__}.{fn.__name__}",
            **common,
        )
    if callable(model):
        owner = getattr(model, "__self__", None)  # a bound method: mlp.predict_proba
        names = feature_names or (_sklearn_feature_names(owner) if owner is not None else None)
        method = getattr(model, "__name__", "")
        if owner is not None and classes is None and method in ("predict_proba", "predict"):
            classes = getattr(owner, "classes_", None)
        if owner is not None and task is None and method == "predict_proba":
            task = "classification"
        if owner is not None and method == "predict" and classes is not None and output == "auto":
            output, task = "label", "classification"
        desc = f"{type(owner).__name__}.{method}" if owner is not None else (method or "callable")
        return BlackBox(
            model,
            task=task,
            output=output,
            classes=classes,
            n_features=getattr(owner, "n_features_in_", None) if owner is not None else None,
            feature_names=names,
            as_frame=owner is not None and getattr(owner, "feature_names_in_", None) is not None,
            description=desc,
            **common,
        )
    raise _not_a_model(model)


def _not_a_model(model) -> TypeError:
    return TypeError(
        f"cannot use a {type(model).__name__} as a black box; pass a fitted scikit-learn "
        "estimator, a callable f(X) -> scores, an xgboost Booster or a torch nn.Module"
    )


def _from_any_raw(model, *, classes, feature_names, batch_size) -> BlackBox:
    """output="raw": the model's numbers as they are, from whichever method gives them."""
    if _is_xgb_booster(model):
        names = feature_names or model.feature_names
        return BlackBox(
            _booster_fn(model, names),
            output="raw",
            classes=classes,
            n_features=model.num_features(),
            feature_names=names,
            batch_size=batch_size,
            description="xgboost Booster",
        )
    if _is_torch_module(model):
        return BlackBox(
            _torch_fn(model),
            output="raw",
            classes=classes,
            feature_names=feature_names,
            batch_size=batch_size,
            description=f"torch {type(model).__name__}",
        )
    if callable(model) and not hasattr(model, "fit"):
        fn = model  # a plain function, a bound method, or a BlackBox
    elif hasattr(model, "predict_proba"):
        fn = model.predict_proba
    elif hasattr(model, "predict"):
        fn = model.predict
    elif callable(model):
        fn = model
    else:
        raise _not_a_model(model)
    owner = getattr(fn, "__self__", None)  # the estimator behind a bound method
    fitted_names = _sklearn_feature_names(owner) if owner is not None else None
    method = getattr(fn, "__name__", "")
    return BlackBox(
        fn,
        output="raw",
        classes=classes if classes is not None else getattr(owner, "classes_", None),
        n_features=getattr(owner, "n_features_in_", None),
        feature_names=feature_names or fitted_names,
        # models that recorded text names are handed DataFrames (they check the names;
        # scikit-learn warns when a model fitted on integer labels is handed a frame)
        as_frame=owner is not None and getattr(owner, "feature_names_in_", None) is not None,
        batch_size=batch_size,
        description=f"{type(owner).__name__}.{method}"
        if owner is not None
        else (method or "callable"),
    )


def _booster_fn(booster, names):
    import xgboost as xgb

    def fn(X):
        return booster.predict(xgb.DMatrix(X, feature_names=names))

    return fn


def _from_booster(booster, *, task, output, classes, feature_names, batch_size) -> BlackBox:
    objective = json.loads(booster.save_config())["learner"]["objective"]["name"]
    names = feature_names or booster.feature_names
    n_features = booster.num_features()
    fn = _booster_fn(booster, names)
    if objective.startswith(("binary:logistic", "multi:softprob")):
        task, output = "classification", "proba"
    elif objective.startswith("multi:softmax"):
        task, output = "classification", "label"
    elif objective.startswith("binary:logitraw"):
        task, output = "classification", "logits"
    elif task is None:
        task = "regression"
    return BlackBox(
        fn,
        task=task,
        output=output,
        classes=classes,
        n_features=n_features,
        feature_names=names,
        batch_size=batch_size,
        description=f"xgboost Booster ({objective})",
    )


def _torch_fn(module):
    import torch

    try:
        param = next(module.parameters())
        device, dtype = param.device, param.dtype
    except StopIteration:
        device, dtype = torch.device("cpu"), torch.float32
    module.eval()  # dropout / batch norm in inference mode

    def fn(X):
        with torch.no_grad():
            # a writable float32 copy: torch refuses read-only views (pandas copy-on-write)
            xt = torch.from_numpy(np.array(X, dtype=np.float32)).to(device=device, dtype=dtype)
            out = module(xt)
        return out.detach().cpu().numpy()

    return fn


def _from_torch(module, *, task, output, classes, feature_names, batch_size) -> BlackBox:
    fn = _torch_fn(module)
    if output == "auto":
        output = "value" if task == "regression" else "logits"
    if output == "logits" and task is None:
        task = "classification"
    return BlackBox(
        fn,
        task=task,
        output=output,
        classes=classes,
        feature_names=feature_names,
        batch_size=batch_size,
        description=f"torch {type(module).__name__}",
    )
