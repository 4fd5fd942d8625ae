"""CART decision trees on scikit-learn, kept small enough to read.

The default ``max_depth=4`` is the glass-box choice: scikit-learn's unlimited
depth grows trees nobody can check. Local explanations are path contributions
(Saabas): each split on the way to the leaf credits its feature with the change
in the node value, so base value + contributions = the leaf's prediction.

Input goes through the model's input schema (columns matched by name). A text,
category or boolean column is one column of level codes (scikit-learn's trees
take no categories): an ordered category keeps its order and a split on it
prints as a level (``Grade <= mid``); the levels of a nominal one are ordered
by the target's mean (Breiman's order: for a binary or numeric target every
threshold on it is then the best split into two sets of levels) and a split
prints as ``Home in {owner, priv}``. Missing values are routed the way
scikit-learn learned (printed ``... or missing`` on that side) in the columns
where fit saw some; elsewhere they are refused, as is a level not seen in fit.

After fitting, every threshold is replaced by the shortest number that sends
the node's training rows the same way (``Seniority <= 3``, ``radius <= 16.8``),
in the user's units, and ``predict`` walks the tree in float64 with exactly
those numbers, so the printout is the model. Columns (and a numeric target)
beyond float32's range are divided by a power of two before scikit-learn sees
them, because its trees compare float32 values: a tree on X * 1e300 is the tree
on X with thresholds * 1e300.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._format import condition_text, cut_between
from ..base import Traits, class_names
from ..explanation import GlobalExplanation, LocalExplanation, TreeNodes
from ._rules import _RuleBase, level_condition, power_scales


class _BaseTree(_RuleBase, BaseEstimator):
    _multi_class = True
    _parameter_constraints = {
        "max_depth": [Interval(Integral, 1, None, closed="left"), None],
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left")],
        "max_leaf_nodes": [Interval(Integral, 2, None, closed="left"), None],
        "ccp_alpha": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def _fit_tree(self, tree_cls, X, y, sample_weight, *, classifier: bool, **extra):
        Xe, y, sw = self._fit_inputs(X, y, sample_weight, classifier=classifier, min_rows=1)
        sx = power_scales(Xe)
        sy = 1.0 if classifier else float(power_scales(y[:, None])[0])
        self.input_scale_ = sx
        self.target_scale_ = sy
        est = tree_cls(
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            max_leaf_nodes=self.max_leaf_nodes,
            ccp_alpha=self.ccp_alpha,
            random_state=self.random_state,
            **extra,
        ).fit(Xe / sx, y if classifier else y / sy, sample_weight=sw)
        self.estimator_ = est
        if sy != 1.0:
            est.tree_.value[:] *= sy  # node means back in the user's units
        # rows of weight 0 are absent rows: they must not pull a cut point
        self._short_thresholds(Xe if sw is None else Xe[sw > 0], sx)
        self.complexity_ = int(est.get_n_leaves())
        self.n_train_ = Xe.shape[0]
        return self

    def _short_thresholds(self, Xe: np.ndarray, sx: np.ndarray) -> None:
        """Replace every threshold by the shortest number (user's units) that
        sends the node's training rows the way scikit-learn's float32 split did."""
        tree = self.estimator_.tree_
        reach = self.estimator_.decision_path(Xe / sx).tocsc()
        thr = tree.threshold
        for node in np.flatnonzero(tree.children_left >= 0):
            j = tree.feature[node]
            rows = reach.indices[reach.indptr[node] : reach.indptr[node + 1]]
            x = Xe[rows, j]
            x = x[~np.isnan(x)]
            left = (x / sx[j]).astype(np.float32) <= thr[node]
            if not left.any():
                continue
            if left.all():  # every present value left, missing values right
                thr[node] = np.inf
                continue
            thr[node] = cut_between(x[left].max(), x[~left].min())

    # -- walking the tree in float64 --
    def _walk(self, Xe: np.ndarray, values: np.ndarray | None = None):
        """Leaf of every row (and, with ``values``, the path contributions)."""
        tree = self.estimator_.tree_
        left, right = tree.children_left, tree.children_right
        feature, thr = tree.feature, tree.threshold
        nan_left = np.asarray(tree.missing_go_to_left, dtype=bool)
        n = Xe.shape[0]
        node = np.zeros(n, dtype=np.intp)
        contrib = None if values is None else np.zeros((n, Xe.shape[1], values.shape[1]))
        active = np.flatnonzero(left[node] >= 0)
        while active.size:
            nd = node[active]
            x = Xe[active, feature[nd]]
            with np.errstate(invalid="ignore"):
                go_left = np.where(np.isnan(x), nan_left[nd], x <= thr[nd])
            child = np.where(go_left, left[nd], right[nd])
            if contrib is not None:
                contrib[active, feature[nd], :] += values[child] - values[nd]
            node[active] = child
            active = active[left[child] >= 0]
        return node if contrib is None else (node, contrib)

    def encoded(self, X) -> np.ndarray:
        """X as the tree reads it: float64, numeric columns as given, categorical and
        boolean ones as the level codes ``nodes()`` thresholds refer to (columns
        checked by name). Returns an array of shape (n_rows, n_features)."""
        return self._encoded(X)

    def apply(self, X) -> np.ndarray:
        """Index of the leaf (node of ``nodes()``) each row of X ends in.

        Returns an int array of shape (n_rows,).
        """
        return self._walk(self._encoded(X))

    def _node_values(self) -> np.ndarray:
        """(n_nodes, n_outputs) prediction of every node: class probabilities or mean."""
        value = self.estimator_.tree_.value[:, 0, :]
        if hasattr(self, "classes_"):
            return value / value.sum(axis=1, keepdims=True)
        return value

    def _leaf_values(self, X) -> np.ndarray:
        leaves = self.apply(X)  # validates first: unfitted -> NotFittedError
        return self._node_values()[leaves]

    def nodes(self) -> TreeNodes:
        """The fitted tree as plain arrays (children, splits, training counts and
        every node's prediction), root first: what ``str(model)`` prints.

        ``threshold`` is in the user's units for a numeric column and a level code
        for a categorical one; ``split_conditions()`` gives the text of both sides.
        """
        check_is_fitted(self)
        tree = self.estimator_.tree_
        leaf = tree.children_left < 0
        return TreeNodes(
            left=np.where(leaf, -1, tree.children_left),
            right=np.where(leaf, -1, tree.children_right),
            feature=np.where(leaf, -1, tree.feature),
            threshold=np.where(leaf, np.nan, tree.threshold),
            samples=tree.n_node_samples.copy(),
            value=self._node_values(),
            feature_names=tuple(self.feature_names_),
            output_names=self._output_names(),
        )

    def split_conditions(self) -> list[tuple[str, str] | None]:
        """Per node of ``nodes()``: the text of its left and right condition (None
        at a leaf), e.g. ``("Income <= 120.5 or missing", "Income > 120.5")`` or
        ``("Home in {parents, rent}", "Home in {other, owner, priv}")``."""
        check_is_fitted(self)
        tree = self.estimator_.tree_
        schema = self.input_schema_
        nan_left = np.asarray(tree.missing_go_to_left, dtype=bool)
        out: list[tuple[str, str] | None] = []
        for node in range(tree.node_count):
            if tree.children_left[node] < 0:
                out.append(None)
                continue
            j, t = int(tree.feature[node]), float(tree.threshold[node])
            spec = schema.columns[j]
            if np.isinf(t):
                out.append((f"{spec.name} is not missing", f"{spec.name} is missing"))
                continue
            if spec.kind == "numeric":
                sides = [condition_text(spec.name, "<=", t), condition_text(spec.name, ">", t)]
            else:
                sides = [level_condition(spec, j, op, t).text() for op in ("<=", ">")]
            if spec.missing == "native":
                sides[0 if nan_left[node] else 1] += " or missing"
            out.append((sides[0], sides[1]))
        return out

    def explain_local(self, X) -> LocalExplanation:
        """Path contributions (Saabas): each split on the way to the leaf credits its
        feature with the change in the node value.

        Returns a LocalExplanation: base value (the root's value) + contributions = the
        leaf's prediction.
        """
        Xe = self._encoded(X)
        values = self._node_values()
        _, contrib = self._walk(Xe, values)
        n_out = values.shape[1]
        base = np.broadcast_to(values[0], (Xe.shape[0], n_out)).copy()
        if n_out == 1:
            contrib, base = contrib[:, :, 0], base[:, 0]
        return LocalExplanation(
            values=contrib,
            base_values=base,
            data=self._data_for_explanation(X, Xe),
            feature_names=tuple(self.feature_names_),
            output_names=self._output_names(),
            link="identity",
            method="tree_path",
        )

    def explain_global(self) -> GlobalExplanation:
        """Impurity-decrease importances (scikit-learn's ``feature_importances_``).

        Returns a GlobalExplanation.
        """
        check_is_fitted(self)
        imp = self.estimator_.feature_importances_
        return GlobalExplanation(
            term_names=tuple(self.feature_names_),
            importances=imp,
            intercept=self._node_values()[0],
            output_names=self._output_names(),
            link="identity",
            method="tree",
            extras={"importance": "impurity decrease (scikit-learn feature_importances_)"},
        )


_TRAITS = Traits(
    family="tree",
    categorical=True,
    allow_nan=True,
    complexity_grid={"max_depth": (1, 2, 3, 4, 5, 6)},
    title="Decision trees",
)


class TreeClassifier(ClassifierMixin, _BaseTree):
    """A CART classification tree (scikit-learn) that prints as readable rules."""

    traits = _TRAITS

    _parameter_constraints = {
        **_BaseTree._parameter_constraints,
        "criterion": [StrOptions({"gini", "entropy", "log_loss"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        max_depth=4,
        *,
        min_samples_leaf=1,
        max_leaf_nodes=None,
        ccp_alpha=0.0,
        criterion="gini",
        class_weight=None,
        random_state=None,
    ):
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.max_leaf_nodes = max_leaf_nodes
        self.ccp_alpha = ccp_alpha
        self.criterion = criterion
        self.class_weight = class_weight
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        """Grow the tree with scikit-learn's DecisionTreeClassifier.

        Text / category / boolean columns and missing values are taken as the
        module docstring says. Returns self.
        """
        from sklearn.tree import DecisionTreeClassifier

        self._validate_params()
        self._fit_tree(
            DecisionTreeClassifier,
            X,
            y,
            sample_weight,
            classifier=True,
            criterion=self.criterion,
            class_weight=self.class_weight,
        )
        self.classes_ = self.estimator_.classes_
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class frequencies of the training rows in each row's leaf.

        Returns an array of shape (n_rows, n_classes).
        """
        return self._leaf_values(X)

    def predict(self, X) -> np.ndarray:
        """The majority class of each row's leaf.

        Returns an array of shape (n_rows,).
        """
        proba = self._leaf_values(X)  # validates first: unfitted -> NotFittedError
        return self.classes_[np.argmax(proba, axis=1)]

    def _output_names(self) -> tuple[str, ...]:
        return class_names(self)


class TreeRegressor(RegressorMixin, _BaseTree):
    """A CART regression tree (scikit-learn) that prints as readable rules."""

    traits = _TRAITS

    _parameter_constraints = {
        **_BaseTree._parameter_constraints,
        "criterion": [StrOptions({"squared_error", "friedman_mse", "absolute_error", "poisson"})],
    }

    def __init__(
        self,
        max_depth=4,
        *,
        min_samples_leaf=1,
        max_leaf_nodes=None,
        ccp_alpha=0.0,
        criterion="squared_error",
        random_state=None,
    ):
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.max_leaf_nodes = max_leaf_nodes
        self.ccp_alpha = ccp_alpha
        self.criterion = criterion
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        """Grow the tree with scikit-learn's DecisionTreeRegressor.

        Text / category / boolean columns and missing values are taken as the
        module docstring says. Returns self.
        """
        from sklearn.tree import DecisionTreeRegressor

        self._validate_params()
        return self._fit_tree(
            DecisionTreeRegressor, X, y, sample_weight, classifier=False, criterion=self.criterion
        )

    def predict(self, X) -> np.ndarray:
        """The mean training target of each row's leaf.

        Returns an array of shape (n_rows,).
        """
        return self._leaf_values(X)[:, 0]

    def _output_names(self) -> tuple[str, ...]:
        return ("y",)
