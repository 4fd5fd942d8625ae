"""The black box's own scores for tree models, computed from the tree arrays (numba).

Permutation importance and ALE ask a tree model for many rows that differ from
rows already seen in one or two columns; the model's ``predict`` is then most
of the time (a forest's Python loop over trees, xgboost's DMatrix). Here the
same trees are walked in parallel over rows, and the leaf values added in the
library's own order, so the scores are the model's own:

- scikit-learn forests and single trees: each tree's value summed in tree order,
  then divided by the number of trees (``predict`` / ``predict_proba``), equal
  to the bit;
- scikit-learn (Hist)GradientBoosting: the initial raw score plus each stage's
  scaled value in stage order, then the model's own loss turns it into
  probabilities (classifiers) or values, equal to the bit;
- xgboost (scikit-learn wrappers, no categorical splits): float32 leaf values
  added to the float32 base margin tree by tree, as xgboost adds them: margins and
  regression outputs equal to the bit; class probabilities within one float32
  ulp (xgboost's own float32 exp differs from numpy's in the last bit).

Anything else (and any model whose arrays cannot be read) returns None: the
caller asks the model itself.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

CHUNK_ROWS = 1024  # rows walked together, tree by tree, so a tree's nodes stay in cache


def _chunk(n: int) -> int:
    """Rows per parallel task: up to CHUNK_ROWS, but at least 4 tasks per thread."""
    import numba

    return int(min(CHUNK_ROWS, max(64, -(-n // (4 * numba.get_num_threads())))))


@njit(cache=True)
def _pack_kernel(left, right, feature, threshold, default_left, tree_start):
    """Renumber every tree breadth-first with siblings side by side and leaves that
    point to themselves, so one step is ``node = child[node] + goes_right`` with no
    branch, and walking a tree is ``depth`` such steps for every row."""
    n_nodes = left.shape[0]
    n_trees = tree_start.shape[0] - 1
    # narrow types: a node is 17 bytes, so more of a tree stays in cache
    child = np.empty(n_nodes, dtype=np.int32)
    feat = np.zeros(n_nodes, dtype=np.int32)
    thr = np.empty(n_nodes, dtype=np.float64)
    dleft = np.ones(n_nodes, dtype=np.uint8)
    orig = np.empty(n_nodes, dtype=np.int64)  # packed position -> original node
    root = np.empty(n_trees, dtype=np.int64)
    depth = np.zeros(n_trees, dtype=np.int64)
    level = np.empty(n_nodes, dtype=np.int64)
    pos = 0
    for t in range(n_trees):
        root[t] = pos
        orig[pos] = tree_start[t]
        level[pos] = 0
        head = pos
        pos += 1
        while head < pos:  # breadth-first: children appended in pairs
            node = orig[head]
            if left[node] < 0:
                child[head] = head
                feat[head] = 0
                thr[head] = np.inf
                dleft[head] = 1
                depth[t] = max(depth[t], level[head])
            else:
                child[head] = pos
                feat[head] = feature[node]
                thr[head] = threshold[node]
                dleft[head] = 1 if default_left[node] != 0 else 0
                orig[pos] = left[node]
                orig[pos + 1] = right[node]
                level[pos] = level[head] + 1
                level[pos + 1] = level[head] + 1
                pos += 2
            head += 1
    return child, feat, thr, dleft, orig, root, depth


@njit(cache=True, inline="always")
def _right(x, nd, thr, dleft):
    """1 when x goes right at node nd: above the threshold, or NaN whose default is not
    left (child[nd] + _right(...) is the next node)."""
    return np.int64(not (x <= thr[nd])) - np.int64(x != x) * dleft[nd]


@njit(cache=True, parallel=True)
def _predict_kernel(X, child, feat, thr, dleft, value, root, depth, tree_group, chunk_rows, out):
    """out[i, o] += leaf values of row i, tree by tree in order (out holds the start
    value). Rows of a chunk step through a tree level by level together, so their
    independent walks overlap in the processor."""
    n = X.shape[0]
    n_trees = root.shape[0]
    n_values = value.shape[1]
    n_chunks = (n + chunk_rows - 1) // chunk_rows
    for chunk in prange(n_chunks):
        lo = chunk * chunk_rows
        hi = min(n, lo + chunk_rows)
        nodes = np.empty(hi - lo, dtype=np.int64)
        for t in range(n_trees):
            grp = tree_group[t]
            for r in range(hi - lo):
                nodes[r] = root[t]
            for _ in range(depth[t]):
                for r in range(hi - lo):
                    nd = nodes[r]
                    nodes[r] = child[nd] + _right(X[lo + r, feat[nd]], nd, thr, dleft)
            if grp < 0:
                for r in range(hi - lo):
                    for k in range(n_values):
                        out[lo + r, k] += value[nodes[r], k]
            else:
                for r in range(hi - lo):
                    out[lo + r, grp] += value[nodes[r], 0]


@njit(cache=True, inline="always")
def _add_leaf(out, g, r, i, grp, value, nd):
    if grp < 0:
        for k in range(value.shape[1]):
            out[i, g, r, k] += value[nd, k]
    else:
        out[i, g, r, grp] += value[nd, 0]


@njit(cache=True, parallel=True)
def _permuted_kernel(
    X, slot, targets, child, feat, thr, dleft, value, root, tree_group, max_depth, chunk_rows, out
):
    """out[i, g, r, o] += leaf values of row i with column j (slot[j] = g) set to
    targets[i, g, r], tree by tree in order.

    Each row first walks a tree once as it is, noting where its path splits on each
    permuted column. A permuted copy of the row goes the row's way at every split
    on other columns, so it follows the row's path until a split on its column
    sends it the other way; only from there is it walked (and not at all when no
    split on the path does: its leaf is the row's own). Each cell gets exactly one
    leaf value per tree, in tree order (the model's own sum)."""
    n = X.shape[0]
    G = targets.shape[1]
    R = targets.shape[2]
    n_trees = root.shape[0]
    n_chunks = (n + chunk_rows - 1) // chunk_rows
    for chunk in prange(n_chunks):
        lo_row = chunk * chunk_rows
        hi_row = min(n, lo_row + chunk_rows)
        path = np.empty(max_depth + 1, dtype=np.int64)
        at_g = np.empty((G, max_depth + 1), dtype=np.int64)  # path depths splitting on g
        n_at = np.zeros(G, dtype=np.int64)
        for t in range(n_trees):
            grp = tree_group[t]
            for i in range(lo_row, hi_row):
                nd = root[t]
                d = 0
                while child[nd] != nd:
                    path[d] = nd
                    g = slot[feat[nd]]
                    if g >= 0:
                        at_g[g, n_at[g]] = d
                        n_at[g] += 1
                    d += 1
                    nd = child[nd] + _right(X[i, feat[nd]], nd, thr, dleft)
                own = nd
                for g in range(G):
                    m = n_at[g]
                    for r in range(R):
                        nd = own
                        if m > 0:
                            v = targets[i, g, r]
                            for q in range(m):
                                at = path[at_g[g, q]]
                                own_right = _right(X[i, feat[at]], at, thr, dleft)
                                new_right = _right(v, at, thr, dleft)
                                if own_right != new_right:  # from here the copy walks alone
                                    j = feat[at]
                                    nd = child[at] + new_right
                                    while child[nd] != nd:
                                        f = feat[nd]
                                        x = v if f == j else X[i, f]
                                        nd = child[nd] + _right(x, nd, thr, dleft)
                                    break
                        _add_leaf(out, g, r, i, grp, value, nd)
                    n_at[g] = 0


@njit(cache=True, parallel=True)
def _two_values_kernel(
    X, j, lo_t, hi_t, child, feat, thr, dleft, value, root, tree_group, chunk_rows, out
):
    """out[i, 0|1, o] += leaf values of row i with column j set to lo_t[i] | hi_t[i]
    (no NaN), tree by tree in order. The two copies walk together until a split on
    j puts them on different sides; only then are they walked apart."""
    n = X.shape[0]
    n_trees = root.shape[0]
    n_values = value.shape[1]
    n_chunks = (n + chunk_rows - 1) // chunk_rows
    for chunk in prange(n_chunks):
        lo_row = chunk * chunk_rows
        hi_row = min(n, lo_row + chunk_rows)
        for t in range(n_trees):
            grp = tree_group[t]
            for i in range(lo_row, hi_row):
                a = lo_t[i]
                b = hi_t[i]
                nd = root[t]
                split = -1
                while child[nd] != nd:
                    f = feat[nd]
                    if f == j:
                        ra = np.int64(not (a <= thr[nd]))
                        if ra != np.int64(not (b <= thr[nd])):
                            split = nd
                            break
                        nd = child[nd] + ra
                    else:
                        nd = child[nd] + _right(X[i, f], nd, thr, dleft)
                ends = (nd, nd)
                if split >= 0:
                    for side in range(2):
                        v = a if side == 0 else b
                        nd = child[split] + np.int64(not (v <= thr[split]))
                        while child[nd] != nd:
                            f = feat[nd]
                            x = v if f == j else X[i, f]
                            nd = child[nd] + _right(x, nd, thr, dleft)
                        if side == 0:
                            ends = (nd, nd)
                        else:
                            ends = (ends[0], nd)
                for side in range(2):
                    leaf = ends[side]
                    if grp < 0:
                        for k in range(n_values):
                            out[i, side, k] += value[leaf, k]
                    else:
                        out[i, side, grp] += value[leaf, 0]


_PACKED: dict[int, tuple] = {}


def _packed(ens):
    """The packed layout of a (cached, shared) ensemble, computed once per ensemble."""
    hit = _PACKED.get(id(ens))
    if hit is not None and hit[0] is ens:
        return hit[1]
    packed = _pack_kernel(
        ens.left, ens.right, ens.feature, ens.threshold, ens.default_left, ens.tree_start
    )
    while len(_PACKED) >= 8:
        _PACKED.pop(next(iter(_PACKED)))
    _PACKED[id(ens)] = (ens, packed)
    return packed


class TreeScorer:
    """The black box's scores from the trees: ``scores(X)`` for rows,
    ``permuted(X, j, targets)`` for X with column j replaced by each row of
    ``targets`` (R, n) in turn. ``value``/``start`` are summed in their dtype;
    ``cast`` turns rows into the precision the library compares in; ``finish``
    turns the raw sum (n, n_outputs) into the black box's scores."""

    def __init__(self, ens, value, start, cast, finish):
        self.ens = ens
        child, feat, thr, dleft, orig, root, depth = _packed(ens)
        self._arrays = (child, feat, thr, dleft, np.ascontiguousarray(value[orig]), root, depth)
        self.start = start
        self.cast = cast
        self.finish = finish

    def _out(self, shape):
        out = np.empty(shape + (len(self.start),), dtype=self.start.dtype)
        out[...] = self.start
        return out

    def scores(self, X: np.ndarray) -> np.ndarray:
        child, feat, thr, dleft, value, root, depth = self._arrays
        out = self._out((len(X),))
        _predict_kernel(
            np.ascontiguousarray(self.cast(X)),
            child,
            feat,
            thr,
            dleft,
            value,
            root,
            depth,
            self.ens.tree_group,
            _chunk(len(X)),
            out,
        )
        return self.finish(out)

    def two_values(self, X: np.ndarray, j: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """(2, n, n_scores): the scores of X with column j set to lo, then to hi
        (finite values, one per row)."""
        child, feat, thr, dleft, value, root, depth = self._arrays
        out = self._out((len(X), 2))
        _two_values_kernel(
            np.ascontiguousarray(self.cast(X)),
            int(j),
            np.ascontiguousarray(self.cast(lo)),
            np.ascontiguousarray(self.cast(hi)),
            child,
            feat,
            thr,
            dleft,
            value,
            root,
            self.ens.tree_group,
            _chunk(len(X)),
            out,
        )
        return np.stack([self.finish(out[:, 0]), self.finish(out[:, 1])])

    def permuted(self, X: np.ndarray, feats, targets: np.ndarray) -> np.ndarray:
        """(G, R, n, n_scores): the scores of X with column feats[g] set to
        targets[g, r] (targets has shape (G, R, n))."""
        feats = [int(j) for j in feats]
        if len(set(feats)) < len(feats):  # one kernel call per distinct column set
            return np.concatenate(
                [self.permuted(X, [j], targets[g : g + 1]) for g, j in enumerate(feats)]
            )
        child, feat, thr, dleft, value, root, depth = self._arrays
        G, R, n = targets.shape
        slot = np.full(X.shape[1], -1, dtype=np.int64)
        slot[feats] = np.arange(G)
        out = self._out((n, G, R))  # a row's cells side by side
        _permuted_kernel(
            np.ascontiguousarray(self.cast(X)),
            slot,
            np.ascontiguousarray(self.cast(np.moveaxis(targets, 2, 0))),  # (n, G, R)
            child,
            feat,
            thr,
            dleft,
            value,
            root,
            self.ens.tree_group,
            int(depth.max()),
            _chunk(len(X)),
            out,
        )
        scores = [self.finish(out[:, g, r]) for g in range(G) for r in range(R)]
        return np.stack(scores).reshape((G, R) + scores[0].shape)


def _same(X: np.ndarray) -> np.ndarray:
    return X


def raw_scorer(ens) -> TreeScorer:
    """A ``TreeScorer`` whose ``scores(X)`` is the un-finished float64 sum
    ``bias + leaf values`` (n, n_outputs) of ``ens`` as read (scaled values, rows
    compared as given: the caller rounds them as the library does)."""
    return TreeScorer(
        ens,
        np.asarray(ens.value, dtype=np.float64),
        np.asarray(ens.bias, dtype=np.float64).reshape(-1),
        _same,
        _same,
    )


def _to32(X: np.ndarray) -> np.ndarray:
    """scikit-learn trees and xgboost compare float32(x) with the threshold."""
    return X.astype(np.float32).astype(np.float64)


_FOREST = (
    "DecisionTreeRegressor",
    "DecisionTreeClassifier",
    "ExtraTreeRegressor",
    "ExtraTreeClassifier",
    "RandomForestRegressor",
    "RandomForestClassifier",
    "ExtraTreesRegressor",
    "ExtraTreesClassifier",
)


def _sklearn_forest(model, ens):
    from ..shap._tree_readers import _sk_tree

    trees = list(getattr(model, "estimators_", [model]))
    if int(getattr(model, "n_outputs_", 1)) != 1:
        return None
    clf = hasattr(model, "classes_")
    # unscaled leaf values: scikit-learn sums the trees' values, then divides
    value = np.concatenate([_sk_tree(t, 1.0, clf, ens.n_outputs)["value"] for t in trees])
    n_trees = float(len(trees))

    def finish(out):
        return out / n_trees if n_trees != 1.0 else out

    return TreeScorer(ens, value.astype(np.float64), np.zeros(ens.n_outputs), _to32, finish)


def _sklearn_boosting(model, ens):
    loss = getattr(model, "_loss", None)
    if loss is None:
        return None
    clf = hasattr(model, "classes_")
    hist = type(model).__name__.startswith("Hist")
    cats = getattr(model, "is_categorical_", None)
    if hist and cats is not None and np.any(cats):
        return None

    def finish(raw):
        if clf:
            return np.asarray(loss.predict_proba(raw if raw.shape[1] > 1 else raw[:, 0]))
        if hist:
            return np.asarray(loss.link.inverse(raw[:, 0])).reshape(-1, 1)
        return raw

    cast = (lambda X: X) if hist else _to32  # HistGradientBoosting compares in float64
    return TreeScorer(ens, ens.value, np.asarray(ens.bias, dtype=np.float64), cast, finish)


def _xgboost(model, ens):
    if hasattr(model, "save_raw") or ens.cat_index is not None or ens.encode is not None:
        return None  # a bare Booster's output kind is settled elsewhere; no categorical trees
    if not np.isnan(ens.missing) or ens.iteration_range != (0, 0):
        return None
    clf = hasattr(model, "classes_")
    objective = getattr(model, "objective", None)
    if not isinstance(objective, str):
        return None
    # xgboost adds float32 leaf values to the float32 base score, tree by tree
    value = ens.value.astype(np.float32)
    start = np.asarray(ens.bias, dtype=np.float32)
    if clf and objective == "binary:logistic" and ens.n_outputs == 1:

        def finish(raw):
            one = np.float32(1.0)
            p = one / (one + np.exp(-raw[:, 0]))
            return np.column_stack([one - p, p]).astype(np.float64)

    elif clf and objective == "multi:softprob" and ens.n_outputs > 1:

        def finish(raw):
            z = np.exp(raw - raw.max(axis=1, keepdims=True))
            return (z / z.sum(axis=1, keepdims=True)).astype(np.float64)

    elif not clf and ens.link == "identity" and ens.n_outputs == 1:

        def finish(raw):
            return raw.astype(np.float64)

    else:
        return None
    return TreeScorer(ens, value, start, _to32, finish)


_SCORERS: dict[int, tuple] = {}


def tree_scorer(blackbox) -> TreeScorer | None:
    """The black box's scores from its trees, as ``BlackBox.__call__`` gives them;
    None when ``blackbox`` is not a supported tree model handed over as the
    estimator itself (a bound method, a callable or a BlackBox is asked directly).
    Kept per read ensemble, so repeated calls on one model build it once."""
    mod = type(blackbox).__module__
    if not (mod.startswith("sklearn") or mod.startswith("xgboost")):
        return None
    from ..shap._tree_readers import read_model_cached

    try:
        ens = read_model_cached(blackbox)
    except (TypeError, ValueError):
        return None
    hit = _SCORERS.get(id(ens))
    if hit is not None and hit[0] is ens:
        return hit[1]
    scorer = _build(blackbox, ens)
    while len(_SCORERS) >= 8:
        _SCORERS.pop(next(iter(_SCORERS)))
    _SCORERS[id(ens)] = (ens, scorer)
    return scorer


def _build(blackbox, ens) -> TreeScorer | None:
    mod = type(blackbox).__module__
    name = type(blackbox).__name__
    if getattr(ens, "cat_index", None) is not None and np.any(np.asarray(ens.cat_index) >= 0):
        return None
    if mod.startswith("xgboost"):
        return _xgboost(blackbox, ens)
    if name in _FOREST:
        return _sklearn_forest(blackbox, ens)
    if name in (
        "GradientBoostingRegressor",
        "GradientBoostingClassifier",
        "HistGradientBoostingRegressor",
        "HistGradientBoostingClassifier",
    ):
        return _sklearn_boosting(blackbox, ens)
    return None
