"""CART decision trees on scikit-learn, kept small enough to read.

The default ``max_depth=4`` is the glass-box choice: scikit-learn's unlimited
depth grows trees nobody can check. Local explanations are path contributions
(Saabas): each split on the way to the leaf credits its feature with the change
in the node value, so base value + contributions = the leaf's prediction.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._validation import check_sample_weight, check_X, check_X_y
from ..base import GlassboxMixin, Traits, class_names
from ..explanation import GlobalExplanation, LocalExplanation, TreeNodes


class _BaseTree(GlassboxMixin, BaseEstimator):
    _parameter_constraints = {
        "max_depth": [Interval(Integral, 1, None, closed="left"), None],
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left")],
        "max_leaf_nodes": [Interval(Integral, 2, None, closed="left"), None],
        "ccp_alpha": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def _fit_tree(self, tree_cls, X, y, sample_weight, **extra):
        sw = check_sample_weight(sample_weight, X.shape[0])
        self.estimator_ = tree_cls(
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            max_leaf_nodes=self.max_leaf_nodes,
            ccp_alpha=self.ccp_alpha,
            random_state=self.random_state,
            **extra,
        ).fit(X, y, sample_weight=sw)
        self.complexity_ = int(self.estimator_.get_n_leaves())
        self.n_train_ = X.shape[0]
        return self

    def _node_values(self) -> np.ndarray:
        """(n_nodes, n_outputs) prediction of every node: class probabilities or mean."""
        value = self.estimator_.tree_.value[:, 0, :]
        if hasattr(self, "classes_"):
            return value / value.sum(axis=1, keepdims=True)
        return value

    def nodes(self) -> TreeNodes:
        """The fitted tree as plain arrays (children, splits, training counts and
        every node's prediction), root first: what ``str(model)`` prints."""
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

    def explain_local(self, X) -> LocalExplanation:
        """Path contributions (Saabas): each split on the way to the leaf credits its
        feature with the change in the node value.

        Returns a LocalExplanation: base value (the root's value) + contributions = the
        leaf's prediction.
        """
        X = check_X(self, X, reset=False)
        tree = self.estimator_.tree_
        values = self._node_values()
        n_nodes, n_out = values.shape
        parent = np.full(n_nodes, -1)
        for side in (tree.children_left, tree.children_right):
            internal = side >= 0
            parent[side[internal]] = np.nonzero(internal)[0]
        # delta[j] credits feature[parent j] with value[j] - value[parent j]
        delta = np.zeros((n_nodes, self.n_features_in_, n_out))
        child = np.nonzero(parent >= 0)[0]
        delta[child, tree.feature[parent[child]], :] = values[child] - values[parent[child]]
        path = self.estimator_.decision_path(X.astype(np.float32))
        contrib = (path @ delta.reshape(n_nodes, -1)).reshape(
            X.shape[0], self.n_features_in_, n_out
        )
        base = np.broadcast_to(values[0], (X.shape[0], n_out)).copy()
        if n_out == 1:
            contrib, base = contrib[:, :, 0], base[:, 0]
        return LocalExplanation(
            values=contrib,
            base_values=base,
            data=X,
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


class TreeClassifier(ClassifierMixin, _BaseTree):
    """A CART classification tree (scikit-learn) that prints as readable rules."""

    traits = Traits(
        family="tree", complexity_grid={"max_depth": (1, 2, 3, 4, 5, 6)}, title="Decision trees"
    )

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

        Returns self.
        """
        from sklearn.tree import DecisionTreeClassifier

        self._validate_params()
        X, y = check_X_y(self, X, y, classifier=True)
        self._fit_tree(
            DecisionTreeClassifier,
            X,
            y,
            sample_weight,
            criterion=self.criterion,
            class_weight=self.class_weight,
        )
        self.classes_ = self.estimator_.classes_
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class frequencies of the training rows in each row's leaf.

        Returns an array of shape (n_rows, n_classes).
        """
        X = check_X(self, X, reset=False)
        return self.estimator_.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        """The majority class of each row's leaf.

        Returns an array of shape (n_rows,).
        """
        X = check_X(self, X, reset=False)
        return self.estimator_.predict(X)

    def _output_names(self) -> tuple[str, ...]:
        return class_names(self)


class TreeRegressor(RegressorMixin, _BaseTree):
    """A CART regression tree (scikit-learn) that prints as readable rules."""

    traits = TreeClassifier.traits

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

        Returns self.
        """
        from sklearn.tree import DecisionTreeRegressor

        self._validate_params()
        X, y = check_X_y(self, X, y, classifier=False)
        return self._fit_tree(DecisionTreeRegressor, X, y, sample_weight, criterion=self.criterion)

    def predict(self, X) -> np.ndarray:
        """The mean training target of each row's leaf.

        Returns an array of shape (n_rows,).
        """
        X = check_X(self, X, reset=False)
        return self.estimator_.predict(X)

    def _output_names(self) -> tuple[str, ...]:
        return ("y",)
