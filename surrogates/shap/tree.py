"""Exact TreeSHAP in numba: path-dependent, interventional, and interaction values.

The algorithm works leaf by leaf. For one leaf with value v whose root path
splits on the unique features F (d of them), the path-dependent game is

    v_l(S) = v * prod_{j in F & S} o_j(x) * prod_{j in F - S} z_j

where o_j(x) is 1 when x satisfies every split on j along the path and z_j is
the product of the cover ratios of those splits. Its Shapley values depend on
x only through the set H = {j in F : o_j(x) = 1}:

    phi_i = v (1 - z_i) P G(H - {i})   for i in H
    phi_i = -v P G(H)                  for i not in H,   P = prod_{j in F - H} z_j,
    G(U)  = sum_{S subset of U} |S|! (d - |S| - 1)! / d! * prod_{j in U - S} z_j.

G depends on the tree only, so it is tabulated per leaf over all 2^d subsets
before any row is seen (the precomputation idea of Fast TreeSHAP v2, Yang
2021), and each row then costs O(d) per leaf: one traversal of the tree that
carries the bit mask of failed features, one table look-up per path feature.
Leaves whose table would be too large (deep trees) compute G(H) and every
G(H - {i}) on the fly from the polynomial prod_{j in H} (t + z_j) in O(d^2),
the cost of classic TreeSHAP.

Interventional SHAP (a background set R) averages the baseline Shapley values
of (x, r) over r in R. For one leaf the pair only matters through x's
satisfied set H and r's failed set C; the leaf contributes iff C is a subset
of H, and then (A = C, B = F - H, n = |A| + |B|)

    phi_i = +v (|A|-1)! |B|! / n!   for i in A,     phi_i = -v |A|! (|B|-1)! / n!  for i in B.

Counting the background rows per failed set C and summing over subsets of H
with a ranked zeta transform gives per-leaf tables over H, so the cost is
O(|R| L + rows L d) per tree -- rows plus background, never rows x background.

Interaction values follow shap's definition: for i != j,
Phi_ij = (phi_i with j always present - phi_i with j always absent) / 2, and
Phi_ii = phi_i - sum_{j != i} Phi_ij. Interventional interactions use the same
(H, C) leaf games: their Shapley interaction index is a closed form in |A|, |B|
(see ``_interventional_interaction_rows``).

shap's interventional ``model_output="probability"`` rescales each (row,
background row) pair's margin values by (p_x - p_r) / (m_x - m_r); that weight
ties x to r, so those values group the background by failed set per leaf
instead of using the tables (``_interventional_scaled_rows``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from glassbox.explanation import LocalExplanation

from .._rows import align_columns
from ._common import as_rows, check_additivity, feature_names_of, is_dask, map_dask, row_chunks
from ._tree_readers import TreeEnsemble, read_model

#: leaves with at most this many unique path features get a 2^d table
_TABLE_D = 12
#: total table entries (float64) allowed per model before falling back to O(d^2) leaves
_TABLE_BUDGET = 1 << 24
#: rows per parallel block: each thread walks one tree for all its rows, so the
#: tree's nodes and tables stay in cache (tree-outer, rows-inner)
_RB = 32
#: rows per block of the path-dependent kernel, which walks each tree once for
#: the whole block (vectorised over rows); 64 measured faster than 32 and 128
_RBV = 64
#: float64 entries of one block's accumulator (features x outputs x rows): very
#: wide models get smaller blocks, so the per-thread buffer stays about 8 MB
_ACC_BUDGET = 1 << 20
#: rows per progress-bar step
_CHUNK = 512
#: path features per leaf are bit masks in an int64
_MAX_D = 62


def _block_rows(n_features: int, n_outputs: int) -> int:
    return int(max(1, min(_RBV, _ACC_BUDGET // max(1, n_features * n_outputs))))


def _shapley_weights(n_max: int) -> np.ndarray:
    """w[n, k] = k! (n - k - 1)! / n! = 1 / (n * C(n - 1, k)), for 0 <= k < n."""
    w = np.zeros((n_max + 2, n_max + 2))
    for n in range(1, n_max + 2):
        for k in range(n):
            w[n, k] = 1.0 / (n * math.comb(n - 1, k))
    return w


# ----------------------------------------------------------------------------
# tree structure -> per-leaf path data


class _Trees(NamedTuple):
    """What every kernel walks: the ensemble's nodes (global indices over all
    trees), the per-leaf path data of ``_leaf_paths`` and the Shapley weights.

    One typed argument instead of fifteen (numba compiles named tuples). Each
    kernel unpacks it once, on entry: every read of an array out of a tuple
    costs numba a reference-count update, which inside the walk loop made the
    interventional kernel 14% slower (measured), so the loops and their inline
    helpers see plain arrays.
    """

    left: np.ndarray  # (n_nodes,) int64, left child, -1 at leaves
    right: np.ndarray  # (n_nodes,) int64
    feature: np.ndarray  # (n_nodes,) int64 split feature
    threshold: np.ndarray  # (n_nodes,) float64; x <= threshold goes left
    default_left: np.ndarray  # (n_nodes,) uint8; where NaN goes
    value: np.ndarray  # (n_nodes, n_values) leaf values
    tree_start: np.ndarray  # (n_trees + 1,) offsets into the node arrays
    tree_group: np.ndarray  # (n_trees,) output of each tree, -1: value columns are outputs
    node_pos: np.ndarray  # (n_nodes,) bit of the node's split feature in its leaves' masks
    leaf_of_node: np.ndarray  # (n_nodes,) leaf index, -1 at split nodes
    leaf_d: np.ndarray  # (n_leaves,) unique features on the leaf's path
    leaf_feat: np.ndarray  # (n_leaves, d_max) those features, in bit order
    leaf_z: np.ndarray  # (n_leaves, d_max) their cover-ratio products
    wts: np.ndarray  # Shapley weights w[n, k], see _shapley_weights
    max_depth: int  # deepest leaf: walk stacks hold max_depth + 2 nodes
    cat_idx: np.ndarray  # (n_nodes,) int64 row of cat_dir for categorical splits, -1 numeric
    cat_dir: np.ndarray  # (n_cat, width) int8 per category: 1 left, 0 right, 2 missing rule


@njit(cache=True)
def _leaf_paths(left, right, feature, cover, tree_start):
    """Per node: bit position of its split feature in root-path order; per leaf:
    node, unique path features, their cover-ratio products z, and d."""
    n_nodes = left.shape[0]
    n_trees = tree_start.shape[0] - 1
    parent = np.full(n_nodes, -1, np.int64)
    for nd in range(n_nodes):
        if left[nd] >= 0:
            parent[left[nd]] = nd
            parent[right[nd]] = nd
    node_pos = np.full(n_nodes, -1, np.int64)
    n_uniq = np.zeros(n_nodes, np.int64)  # unique features on root..node (inclusive)
    leaf_of_node = np.full(n_nodes, -1, np.int64)
    n_leaves = 0
    max_d = 0
    max_depth = 0
    stack = np.empty(n_nodes + 1, np.int64)
    depth = np.zeros(n_nodes, np.int64)
    for t in range(n_trees):
        sp = 0
        stack[sp] = tree_start[t]
        sp += 1
        while sp > 0:
            sp -= 1
            nd = stack[sp]
            p = parent[nd]
            before = n_uniq[p] if p >= 0 else 0
            if p >= 0:
                depth[nd] = depth[p] + 1
                if depth[nd] > max_depth:
                    max_depth = depth[nd]
            if left[nd] < 0:
                leaf_of_node[nd] = n_leaves
                n_leaves += 1
                n_uniq[nd] = before
                if before > max_d:
                    max_d = before
                continue
            # the nearest ancestor splitting on the same feature fixes the position
            pos = -1
            a = p
            while a >= 0:
                if feature[a] == feature[nd]:
                    pos = node_pos[a]
                    break
                a = parent[a]
            if pos < 0:
                pos = before
                n_uniq[nd] = before + 1
            else:
                n_uniq[nd] = before
            node_pos[nd] = pos
            stack[sp] = right[nd]
            stack[sp + 1] = left[nd]
            sp += 2
    dm = max(max_d, 1)
    leaf_node = np.empty(n_leaves, np.int64)
    leaf_d = np.empty(n_leaves, np.int64)
    leaf_feat = np.zeros((n_leaves, dm), np.int64)
    leaf_z = np.ones((n_leaves, dm))
    for nd in range(n_nodes):
        lf = leaf_of_node[nd]
        if lf < 0:
            continue
        leaf_node[lf] = nd
        leaf_d[lf] = n_uniq[nd]
        c = nd
        p = parent[c]
        while p >= 0:
            q = node_pos[p]
            leaf_feat[lf, q] = feature[p]
            ratio = cover[c] / cover[p] if cover[p] > 0 else 0.5
            leaf_z[lf, q] *= ratio
            c = p
            p = parent[c]
    return node_pos, leaf_of_node, leaf_node, leaf_d, leaf_feat, leaf_z, max_depth


@njit(cache=True, parallel=True)
def _g_tables(leaf_d, leaf_z, tab_off, wts, m_shift, tab):
    """tab[off + U] = P(U) G(U) (weights w[d - m_shift, .]) for every subset U of
    each table leaf's path features, P(U) = prod_{p not in U} z_p."""
    n_leaves = leaf_d.shape[0]
    for lf in prange(n_leaves):
        off = tab_off[lf]
        if off < 0:
            continue
        d = leaf_d[lf]
        m = d - m_shift
        size = 1 << d
        coef = np.zeros((size, d + 1))
        coef[0, 0] = 1.0
        for u in range(1, size):
            low = 0
            while not (u >> low) & 1:
                low += 1
            prev = u ^ (1 << low)
            z = leaf_z[lf, low]
            # multiply prev's polynomial by (t + z)
            coef[u, 0] = coef[prev, 0] * z
            for k in range(1, d + 1):
                coef[u, k] = coef[prev, k] * z + coef[prev, k - 1]
        for u in range(size):
            g = 0.0
            if m > 0:
                for k in range(m):
                    g += wts[m, k] * coef[u, k]
            # fold in P(U) = prod of z over the features outside U
            for p in range(d):
                if not (u >> p) & 1:
                    g *= leaf_z[lf, p]
            tab[off + u] = g


@njit(cache=True)
def _poly(H, d, z, coef):
    """coef <- coefficients of prod_{p in H} (t + z_p); returns |H|."""
    coef[0] = 1.0
    h = 0
    for p in range(d):
        if (H >> p) & 1:
            zp = z[p]
            coef[h + 1] = coef[h]
            for k in range(h, 0, -1):
                coef[k] = coef[k] * zp + coef[k - 1]
            coef[0] *= zp
            h += 1
    return h


@njit(cache=True, inline="always")
def _add(phi, f, group, value, nd, c):
    """phi[f] += c * leaf value: one output (a tree of that group) or all of them."""
    if group >= 0:
        phi[f, group] += c * value[nd, 0]
    else:
        for k in range(value.shape[1]):
            phi[f, k] += c * value[nd, k]


@njit(cache=True)
def _leaf_direct(phi, lf, nd, H, d, group, value, leaf_feat, leaf_z, wts, coef, quot):
    """A leaf without a table: G(H) and every G(H - {p}) from the polynomial
    prod_{p in H} (t + z_p), by synthetic division by (t + z_p); O(d^2)."""
    z = leaf_z[lf]
    P = 1.0
    for p in range(d):
        if not (H >> p) & 1:
            P *= z[p]
    if P == 0.0:
        return
    h = _poly(H, d, z, coef)
    gH = 0.0
    for k in range(h + 1):
        if k < d:
            gH += wts[d, k] * coef[k]
    for p in range(d):
        if (H >> p) & 1:
            zp = z[p]
            quot[h - 1] = coef[h]
            for k in range(h - 1, 0, -1):
                quot[k - 1] = coef[k] - zp * quot[k]
            g = 0.0
            for k in range(h):
                g += wts[d, k] * quot[k]
            c = (1.0 - zp) * P * g
        else:
            c = -P * gH
        _add(phi, leaf_feat[lf, p], group, value, nd, c)


@njit(cache=True)
def _go_left(x, f, thr, dleft, ci, cat_dir):
    v = x[f]
    if np.isnan(v):
        return dleft != 0
    if ci >= 0:  # categorical split: a look-up by category code
        if v < 0 or v >= cat_dir.shape[1]:
            return dleft != 0  # unknown categories follow the missing-value rule
        c = cat_dir[ci, int(v)]
        if c == 2:
            return dleft != 0
        return c == 1
    return v <= thr


@njit(cache=True, inline="always")
def _walk_from(root, st_node, st_mask):
    """Start a depth-first walk at node root, no feature failed yet; returns the
    stack size for ``_next_leaf``."""
    st_node[0] = root
    st_mask[0] = 0
    return 1


@njit(cache=True, inline="always")
def _next_leaf(
    x,
    st_node,
    st_mask,
    sp,
    left,
    right,
    feature,
    threshold,
    default_left,
    node_pos,
    cat_idx,
    cat_dir,
):
    """Go on with the depth-first walk of row x to the next leaf.

    Nodes are popped off the stack; a split node's children are pushed, the
    left one on top, each with the mask of path features x fails (plus the
    node's bit for the child x does not go to). Returns (leaf, its mask, stack
    size), or leaf -1 when the walk is over.
    """
    while sp > 0:
        sp -= 1
        nd = st_node[sp]
        m = st_mask[sp]
        if left[nd] < 0:
            return nd, m, sp
        bit = 1 << node_pos[nd]
        goes_left = _go_left(x, feature[nd], threshold[nd], default_left[nd], cat_idx[nd], cat_dir)
        st_node[sp] = right[nd]
        st_mask[sp] = m | bit if goes_left else m
        st_node[sp + 1] = left[nd]
        st_mask[sp + 1] = m if goes_left else m | bit
        sp += 2
    return -1, 0, 0


@njit(cache=True, parallel=True)
def _path_dependent_rows(X, trees, leaf_r, tab_off, tab, out, rbv):
    """Each block of ``rbv`` rows walks every tree once, together: a node's split is
    tested for all rows at once and a leaf's table is read for all rows at once.
    The inner loops over rows are branch-free and SIMD-friendly, and a leaf's
    table is loaded into cache once per block instead of once per row."""
    (
        left,
        right,
        feature,
        threshold,
        default_left,
        value,
        tree_start,
        tree_group,
        node_pos,
        leaf_of_node,
        leaf_d,
        leaf_feat,
        leaf_z,
        wts,
        max_depth,
        cat_idx,
        cat_dir,
    ) = trees
    n, nf = X.shape
    n_out = out.shape[2]
    n_trees = tree_start.shape[0] - 1
    dm = leaf_z.shape[1]
    n_blocks = (n + rbv - 1) // rbv
    for b in prange(n_blocks):
        r0 = b * rbv
        nr = min(n, r0 + rbv) - r0
        # the block transposed: one feature's values are contiguous across rows
        xt = np.zeros((nf, rbv))
        for r in range(nr):
            for f in range(nf):
                xt[f, r] = X[r0 + r, f]
        acc = np.zeros((nf, n_out, rbv))
        # DFS stack of nodes, each with the failed-feature masks of all rows
        st_node = np.empty(max_depth + 2, np.int64)
        st_mask = np.zeros((max_depth + 2, rbv), np.int64)
        hs = np.empty(rbv, np.int64)
        a_out = np.empty(rbv)
        cv = np.empty(rbv)
        coef = np.zeros(dm + 2)
        quot = np.zeros(dm + 2)
        for t in range(n_trees):
            group = tree_group[t]
            st_node[0] = tree_start[t]
            st_mask[0, :] = 0
            sp = 1
            while sp > 0:
                sp -= 1
                nd = st_node[sp]
                if left[nd] < 0:
                    lf = leaf_of_node[nd]
                    d = leaf_d[lf]
                    if d == 0:
                        continue
                    full = (1 << d) - 1
                    off = tab_off[lf]
                    if off < 0:
                        for r in range(nr):
                            _leaf_direct(
                                out[r0 + r],
                                lf,
                                nd,
                                full & ~st_mask[sp, r],
                                d,
                                group,
                                value,
                                leaf_feat,
                                leaf_z,
                                wts,
                                coef,
                                quot,
                            )
                        continue
                    # out-features get -A[H], in-features (1 - z_p) / z_p * A[H - p]
                    # (A = P G, see _g_tables)
                    for r in range(nr):
                        h = full & ~st_mask[sp, r]
                        hs[r] = h
                        a_out[r] = -tab[off + h]
                    for p in range(d):
                        bit = 1 << p
                        rp = leaf_r[lf, p]
                        for r in range(nr):
                            h = hs[r]
                            cv[r] = rp * tab[off + (h ^ bit)] if h & bit else a_out[r]
                        f = leaf_feat[lf, p]
                        if group >= 0:
                            v = value[nd, 0]
                            for r in range(nr):
                                acc[f, group, r] += cv[r] * v
                        else:
                            for k in range(n_out):
                                v = value[nd, k]
                                for r in range(nr):
                                    acc[f, k, r] += cv[r] * v
                    continue
                f = feature[nd]
                thr = threshold[nd]
                dl = default_left[nd] != 0
                bit = 1 << node_pos[nd]
                # right child goes to slot sp, left to sp + 1 (popped first); same
                # missing-value rule as _go_left (what _next_leaf does, for a block of rows)
                ci = cat_idx[nd]
                if ci >= 0:
                    for r in range(nr):
                        m = st_mask[sp, r]
                        gl = _go_left(xt[:, r], f, thr, default_left[nd], ci, cat_dir)
                        st_mask[sp + 1, r] = m if gl else m | bit
                        st_mask[sp, r] = m | bit if gl else m
                else:
                    for r in range(nr):
                        m = st_mask[sp, r]
                        v = xt[f, r]
                        gl = (v <= thr) | (dl & np.isnan(v))
                        st_mask[sp + 1, r] = m if gl else m | bit
                        st_mask[sp, r] = m | bit if gl else m
                st_node[sp] = right[nd]
                st_node[sp + 1] = left[nd]
                sp += 2
        for r in range(nr):
            for f in range(nf):
                for k in range(n_out):
                    out[r0 + r, f, k] += acc[f, k, r]


@njit(cache=True)
def _g_direct(U, d, z, m, wts, coef):
    """G(U) with weights for an m-player game, from the polynomial of U."""
    h = _poly(U, d, z, coef)
    g = 0.0
    for k in range(h + 1):
        if k < m:
            g += wts[m, k] * coef[k]
    return g


@njit(cache=True, parallel=True)
def _interaction_rows(X, trees, out):
    """out[r, i, j, k]: off-diagonal interaction values; the diagonal is filled by
    the caller from the main effects."""
    (
        left,
        right,
        feature,
        threshold,
        default_left,
        value,
        tree_start,
        tree_group,
        node_pos,
        leaf_of_node,
        leaf_d,
        leaf_feat,
        leaf_z,
        wts,
        max_depth,
        cat_idx,
        cat_dir,
    ) = trees
    n = X.shape[0]
    n_trees = tree_start.shape[0] - 1
    dm = leaf_z.shape[1]
    n_blocks = (n + _RB - 1) // _RB
    for b in prange(n_blocks):
        st_node = np.empty(max_depth + 2, np.int64)
        st_mask = np.empty(max_depth + 2, np.int64)
        coef = np.zeros(dm + 2)
        for t in range(n_trees):
            for r in range(b * _RB, min(n, (b + 1) * _RB)):
                x = X[r]
                phi = out[r]
                group = tree_group[t]
                sp = _walk_from(tree_start[t], st_node, st_mask)
                while True:
                    nd, m, sp = _next_leaf(
                        x,
                        st_node,
                        st_mask,
                        sp,
                        left,
                        right,
                        feature,
                        threshold,
                        default_left,
                        node_pos,
                        cat_idx,
                        cat_dir,
                    )
                    if nd < 0:
                        break
                    lf = leaf_of_node[nd]
                    d = leaf_d[lf]
                    if d < 2:
                        continue
                    z = leaf_z[lf]
                    H = ((1 << d) - 1) & ~m
                    for j in range(d):
                        jbit = 1 << j
                        oj = 1.0 if H & jbit else 0.0
                        factor = 0.5 * (oj - z[j])
                        if factor == 0.0:
                            continue
                        Hj = H & ~jbit
                        P = 1.0
                        for p in range(d):
                            if p != j and not (H >> p) & 1:
                                P *= z[p]
                        if P == 0.0:
                            continue
                        # j's slot is never in Hj, so the d-bit polynomials skip it
                        gH = _g_direct(Hj, d, z, d - 1, wts, coef)
                        fj = leaf_feat[lf, j]
                        for i in range(d):
                            if i == j:
                                continue
                            ibit = 1 << i
                            if Hj & ibit:
                                c = (1.0 - z[i]) * P * _g_direct(Hj ^ ibit, d, z, d - 1, wts, coef)
                            else:
                                c = -P * gH
                            fi = leaf_feat[lf, i]
                            c *= factor
                            if group >= 0:
                                phi[fi, fj, group] += c * value[nd, 0]
                            else:
                                for k in range(value.shape[1]):
                                    phi[fi, fj, k] += c * value[nd, k]


# ----------------------------------------------------------------------------
# interventional


@njit(cache=True, parallel=True)
def _fail_masks(B, trees, masks):
    """masks[leaf, r] = bit mask of path features whose splits background row r fails."""
    (
        left,
        right,
        feature,
        threshold,
        default_left,
        value,
        tree_start,
        tree_group,
        node_pos,
        leaf_of_node,
        leaf_d,
        leaf_feat,
        leaf_z,
        wts,
        max_depth,
        cat_idx,
        cat_dir,
    ) = trees
    n = B.shape[0]
    n_trees = tree_start.shape[0] - 1
    n_blocks = (n + _RB - 1) // _RB
    for b in prange(n_blocks):
        st_node = np.empty(max_depth + 2, np.int64)
        st_mask = np.empty(max_depth + 2, np.int64)
        for t in range(n_trees):
            for r in range(b * _RB, min(n, (b + 1) * _RB)):
                x = B[r]
                sp = _walk_from(tree_start[t], st_node, st_mask)
                while True:
                    nd, m, sp = _next_leaf(
                        x,
                        st_node,
                        st_mask,
                        sp,
                        left,
                        right,
                        feature,
                        threshold,
                        default_left,
                        node_pos,
                        cat_idx,
                        cat_dir,
                    )
                    if nd < 0:
                        break
                    masks[leaf_of_node[nd], r] = m


@njit(cache=True)
def _popcount(u):
    c = 0
    while u:
        u &= u - 1
        c += 1
    return c


@njit(cache=True, parallel=True)
def _interventional_tables(leaf_d, masks, tab_off, wts, tab):
    """Per table leaf, three tables over x's satisfied set H (each 2^d long):
    S_same[H], S_shift[H], T_out[H] (see the module docstring)."""
    n_leaves = leaf_d.shape[0]
    n_bg = masks.shape[1]
    for lf in prange(n_leaves):
        off = tab_off[lf]
        if off < 0:
            continue
        d = leaf_d[lf]
        size = 1 << d
        Z = np.zeros((d + 1, size))
        for r in range(n_bg):
            c = masks[lf, r]
            Z[_popcount(c), c] += 1.0
        # ranked zeta transform: Z[k, U] = #background rows with failed set C subset of U, |C| = k
        for b in range(d):
            bit = 1 << b
            for u in range(size):
                if u & bit:
                    for k in range(d + 1):
                        Z[k, u] += Z[k, u ^ bit]
        for u in range(size):
            h = _popcount(u)
            same = 0.0
            shift = 0.0
            tout = 0.0
            for k in range(h + 1):
                zk = Z[k, u]
                if zk == 0.0:
                    continue
                if k >= 1:
                    same += wts[d - h + k, k - 1] * zk
                    if h + 1 <= d:
                        shift += wts[d - h - 1 + k, k - 1] * zk
                if d - h >= 1:
                    tout += wts[d - h + k, k] * zk
            tab[off + u] = same
            tab[off + size + u] = shift
            tab[off + 2 * size + u] = tout


@njit(cache=True)
def _leaf_sparse_interventional(phi, lf, nd, H, d, group, value, leaf_feat, wts, masks_sorted, inv):
    """A leaf without tables: runs of equal failed sets among its sorted
    background masks, each counted when it is a subset of H."""
    n_bg = masks_sorted.shape[1]
    full = (1 << d) - 1
    nb = _popcount(full & ~H)
    i = 0
    while i < n_bg:
        cset = masks_sorted[lf, i]
        j = i
        while j < n_bg and masks_sorted[lf, j] == cset:
            j += 1
        cnt = (j - i) * inv
        i = j
        if cset & ~H:
            continue
        na = _popcount(cset)
        nn = na + nb
        if nn == 0:
            continue
        for p in range(d):
            bit = 1 << p
            if cset & bit:
                _add(phi, leaf_feat[lf, p], group, value, nd, cnt * wts[nn, na - 1])
            elif not H & bit:
                _add(phi, leaf_feat[lf, p], group, value, nd, -cnt * wts[nn, na])


@njit(cache=True, parallel=True)
def _interventional_block_rows(X, trees, tab_off, tab, masks_sorted, out, rbv):
    """Interventional values, one block of ``rbv`` rows walking each tree
    together as in ``_path_dependent_rows``; at a table leaf every row reads the
    three tables of ``_interventional_tables`` at its satisfied set H."""
    (
        left,
        right,
        feature,
        threshold,
        default_left,
        value,
        tree_start,
        tree_group,
        node_pos,
        leaf_of_node,
        leaf_d,
        leaf_feat,
        leaf_z,
        wts,
        max_depth,
        cat_idx,
        cat_dir,
    ) = trees
    n, nf = X.shape
    n_out = out.shape[2]
    n_trees = tree_start.shape[0] - 1
    inv = 1.0 / masks_sorted.shape[1]
    n_blocks = (n + rbv - 1) // rbv
    for b in prange(n_blocks):
        r0 = b * rbv
        nr = min(n, r0 + rbv) - r0
        # the block transposed: one feature's values are contiguous across rows
        xt = np.zeros((nf, rbv))
        for r in range(nr):
            for f in range(nf):
                xt[f, r] = X[r0 + r, f]
        acc = np.zeros((nf, n_out, rbv))
        # DFS stack of nodes, each with the failed-feature masks of all rows
        st_node = np.empty(max_depth + 2, np.int64)
        st_mask = np.zeros((max_depth + 2, rbv), np.int64)
        hs = np.empty(rbv, np.int64)
        a_out = np.empty(rbv)
        same = np.empty(rbv)
        cv = np.empty(rbv)
        for t in range(n_trees):
            group = tree_group[t]
            st_node[0] = tree_start[t]
            st_mask[0, :] = 0
            sp = 1
            while sp > 0:
                sp -= 1
                nd = st_node[sp]
                if left[nd] < 0:
                    lf = leaf_of_node[nd]
                    d = leaf_d[lf]
                    if d == 0:
                        continue
                    full = (1 << d) - 1
                    off = tab_off[lf]
                    if off < 0:
                        for r in range(nr):
                            _leaf_sparse_interventional(
                                out[r0 + r],
                                lf,
                                nd,
                                full & ~st_mask[sp, r],
                                d,
                                group,
                                value,
                                leaf_feat,
                                wts,
                                masks_sorted,
                                inv,
                            )
                        continue
                    # in-features get S_same[H] - S_shift[H - p], out-features -T_out[H]
                    size = 1 << d
                    for r in range(nr):
                        h = full & ~st_mask[sp, r]
                        hs[r] = h
                        same[r] = tab[off + h]
                        a_out[r] = -tab[off + 2 * size + h]
                    for p in range(d):
                        bit = 1 << p
                        for r in range(nr):
                            h = hs[r]
                            c = same[r] - tab[off + size + (h ^ bit)] if h & bit else a_out[r]
                            cv[r] = c * inv
                        f = leaf_feat[lf, p]
                        if group >= 0:
                            v = value[nd, 0]
                            for r in range(nr):
                                acc[f, group, r] += cv[r] * v
                        else:
                            for k in range(n_out):
                                v = value[nd, k]
                                for r in range(nr):
                                    acc[f, k, r] += cv[r] * v
                    continue
                f = feature[nd]
                thr = threshold[nd]
                dl = default_left[nd] != 0
                bit = 1 << node_pos[nd]
                # right child goes to slot sp, left to sp + 1 (popped first); same
                # missing-value rule as _go_left (what _next_leaf does, for a block of rows)
                ci = cat_idx[nd]
                if ci >= 0:
                    for r in range(nr):
                        m = st_mask[sp, r]
                        gl = _go_left(xt[:, r], f, thr, default_left[nd], ci, cat_dir)
                        st_mask[sp + 1, r] = m if gl else m | bit
                        st_mask[sp, r] = m | bit if gl else m
                else:
                    for r in range(nr):
                        m = st_mask[sp, r]
                        v = xt[f, r]
                        gl = (v <= thr) | (dl & np.isnan(v))
                        st_mask[sp + 1, r] = m if gl else m | bit
                        st_mask[sp, r] = m | bit if gl else m
                st_node[sp] = right[nd]
                st_node[sp + 1] = left[nd]
                sp += 2
        for r in range(nr):
            for f in range(nf):
                for k in range(n_out):
                    out[r0 + r, f, k] += acc[f, k, r]


@njit(cache=True, parallel=True)
def _interventional_scaled_rows(X, trees, order, run_ptr, run_set, run_begin, run_end, scale, out):
    """Interventional values with a weight per (row, background row) pair:
    phi_i(x) = mean_r scale[x, r] * phi_i(x, r), phi(x, r) the baseline Shapley
    values of the margin. shap's ``model_output="probability"`` rescales each
    pair by (sigma(m_x) - sigma(m_r)) / (m_x - m_r). The weight depends on both
    rows, so no table over x's set H is possible; instead each leaf's background
    rows are grouped by their failed set C (runs of ``order``), a group is
    skipped in O(1) unless C is a subset of H, and only the rows of groups
    that count are summed."""
    (
        left,
        right,
        feature,
        threshold,
        default_left,
        value,
        tree_start,
        tree_group,
        node_pos,
        leaf_of_node,
        leaf_d,
        leaf_feat,
        leaf_z,
        wts,
        max_depth,
        cat_idx,
        cat_dir,
    ) = trees
    n = X.shape[0]
    n_trees = tree_start.shape[0] - 1
    inv = 1.0 / scale.shape[1]
    n_blocks = (n + _RB - 1) // _RB
    for b in prange(n_blocks):
        st_node = np.empty(max_depth + 2, np.int64)
        st_mask = np.empty(max_depth + 2, np.int64)
        for t in range(n_trees):
            group = tree_group[t]
            for r in range(b * _RB, min(n, (b + 1) * _RB)):
                x = X[r]
                phi = out[r]
                sc = scale[r]
                sp = _walk_from(tree_start[t], st_node, st_mask)
                while True:
                    nd, m, sp = _next_leaf(
                        x,
                        st_node,
                        st_mask,
                        sp,
                        left,
                        right,
                        feature,
                        threshold,
                        default_left,
                        node_pos,
                        cat_idx,
                        cat_dir,
                    )
                    if nd < 0:
                        break
                    lf = leaf_of_node[nd]
                    d = leaf_d[lf]
                    if d == 0:
                        continue
                    full = (1 << d) - 1
                    H = full & ~m
                    nb = _popcount(full & ~H)
                    for run in range(run_ptr[lf], run_ptr[lf + 1]):
                        cset = run_set[run]
                        if cset & ~H:
                            continue
                        na = _popcount(cset)
                        nn = na + nb
                        if nn == 0:
                            continue
                        tot = 0.0
                        for k in range(run_begin[run], run_end[run]):
                            tot += sc[order[lf, k]]
                        cnt = tot * inv
                        for p in range(d):
                            bit = 1 << p
                            if cset & bit:
                                _add(phi, leaf_feat[lf, p], group, value, nd, cnt * wts[nn, na - 1])
                            elif not H & bit:
                                _add(phi, leaf_feat[lf, p], group, value, nd, -cnt * wts[nn, na])


@njit(cache=True, inline="always")
def _add2(out, f1, f2, group, value, nd, c):
    """out[f1, f2] += c * leaf value, like _add for a pair of features."""
    if group >= 0:
        out[f1, f2, group] += c * value[nd, 0]
    else:
        for k in range(value.shape[1]):
            out[f1, f2, k] += c * value[nd, k]


@njit(cache=True, parallel=True)
def _interventional_interaction_rows(X, trees, masks_sorted, out):
    """Off-diagonal interventional interaction values (shap's convention: half the
    Shapley interaction index). For one leaf, row x and background row r with
    C subset of H (see the module docstring) the game is v [A in S][B out of S],
    A = C, B = F - H, n = |A| + |B|; its interaction index is
    (|A|-2)! |B|! / (n-1)! within A, |A|! (|B|-2)! / (n-1)! within B and
    -(|A|-1)! (|B|-1)! / (n-1)! across, each w[n - 1, .] of the Shapley weights."""
    (
        left,
        right,
        feature,
        threshold,
        default_left,
        value,
        tree_start,
        tree_group,
        node_pos,
        leaf_of_node,
        leaf_d,
        leaf_feat,
        leaf_z,
        wts,
        max_depth,
        cat_idx,
        cat_dir,
    ) = trees
    n = X.shape[0]
    n_trees = tree_start.shape[0] - 1
    n_bg = masks_sorted.shape[1]
    half_inv = 0.5 / n_bg
    n_blocks = (n + _RB - 1) // _RB
    for b in prange(n_blocks):
        st_node = np.empty(max_depth + 2, np.int64)
        st_mask = np.empty(max_depth + 2, np.int64)
        for t in range(n_trees):
            group = tree_group[t]
            for r in range(b * _RB, min(n, (b + 1) * _RB)):
                x = X[r]
                o = out[r]
                sp = _walk_from(tree_start[t], st_node, st_mask)
                while True:
                    nd, m, sp = _next_leaf(
                        x,
                        st_node,
                        st_mask,
                        sp,
                        left,
                        right,
                        feature,
                        threshold,
                        default_left,
                        node_pos,
                        cat_idx,
                        cat_dir,
                    )
                    if nd < 0:
                        break
                    lf = leaf_of_node[nd]
                    d = leaf_d[lf]
                    if d < 2:
                        continue
                    full = (1 << d) - 1
                    H = full & ~m
                    Bset = full & ~H
                    nb = _popcount(Bset)
                    i = 0
                    while i < n_bg:
                        cset = masks_sorted[lf, i]
                        j = i
                        while j < n_bg and masks_sorted[lf, j] == cset:
                            j += 1
                        cnt = (j - i) * half_inv
                        i = j
                        if cset & ~H:
                            continue
                        na = _popcount(cset)
                        nn = na + nb
                        if nn < 2:
                            continue
                        c_aa = cnt * wts[nn - 1, na - 2] if na >= 2 else 0.0
                        c_bb = cnt * wts[nn - 1, na] if nb >= 2 else 0.0
                        c_ab = -cnt * wts[nn - 1, na - 1] if na >= 1 and nb >= 1 else 0.0
                        for p in range(d):
                            bp = 1 << p
                            in_a = (cset & bp) != 0
                            in_b = (Bset & bp) != 0
                            if not (in_a or in_b):
                                continue
                            fp = leaf_feat[lf, p]
                            for q in range(p + 1, d):
                                bq = 1 << q
                                if cset & bq:
                                    c = c_aa if in_a else c_ab
                                elif Bset & bq:
                                    c = c_ab if in_a else c_bb
                                else:
                                    continue
                                if c != 0.0:
                                    fq = leaf_feat[lf, q]
                                    _add2(o, fp, fq, group, value, nd, c)
                                    _add2(o, fq, fp, group, value, nd, c)


@njit(cache=True, parallel=True)
def _predict_margin(X, trees, bias, out):
    """The ensemble's raw output as read (bias + one leaf value per tree)."""
    (
        left,
        right,
        feature,
        threshold,
        default_left,
        value,
        tree_start,
        tree_group,
        node_pos,
        leaf_of_node,
        leaf_d,
        leaf_feat,
        leaf_z,
        wts,
        max_depth,
        cat_idx,
        cat_dir,
    ) = trees
    n = X.shape[0]
    n_trees = tree_start.shape[0] - 1
    for r in prange(n):
        x = X[r]
        for k in range(out.shape[1]):
            out[r, k] = bias[k]
        for t in range(n_trees):
            nd = tree_start[t]
            while left[nd] >= 0:
                if _go_left(x, feature[nd], threshold[nd], default_left[nd], cat_idx[nd], cat_dir):
                    nd = left[nd]
                else:
                    nd = right[nd]
            g = tree_group[t]
            if g >= 0:
                out[r, g] += value[nd, 0]
            else:
                for k in range(value.shape[1]):
                    out[r, k] += value[nd, k]


# ----------------------------------------------------------------------------
# public wrapper


class _Prepared:
    """A model read and pre-processed once (leaf paths, tables)."""

    def __init__(self, ens: TreeEnsemble):
        self.ens = ens
        (
            self.node_pos,
            self.leaf_of_node,
            self.leaf_node,
            self.leaf_d,
            self.leaf_feat,
            self.leaf_z,
            self.max_depth,
        ) = _leaf_paths(ens.left, ens.right, ens.feature, ens.cover, ens.tree_start)
        dmax = int(self.leaf_d.max()) if self.leaf_d.size else 0
        if dmax > _MAX_D:
            raise ValueError(
                f"a tree path splits on {dmax} distinct features; tree_shap supports at most "
                f"{_MAX_D} per path"
            )
        self.wts = _shapley_weights(max(dmax, 1) + 1)
        # which tree each leaf belongs to, to route its value to the right output
        tree_of_node = np.repeat(np.arange(ens.n_trees), np.diff(ens.tree_start))
        self.leaf_group = ens.tree_group[tree_of_node[self.leaf_node]]
        self.trees = _Trees(
            ens.left,
            ens.right,
            ens.feature,
            ens.threshold,
            ens.default_left,
            ens.value,
            ens.tree_start,
            ens.tree_group,
            self.node_pos,
            self.leaf_of_node,
            self.leaf_d,
            self.leaf_feat,
            self.leaf_z,
            self.wts,
            int(self.max_depth),
            ens.cat_index
            if ens.cat_index is not None
            else np.full(len(ens.left), -1, dtype=np.int64),
            ens.cat_dir if ens.cat_dir is not None else np.zeros((1, 1), dtype=np.int8),
        )

    def table_offsets(self, per_leaf: int, max_d: int, ok=None) -> tuple[np.ndarray, int]:
        """Offsets into one flat table for leaves with d <= max_d, within the budget."""
        sizes = np.where(self.leaf_d <= max_d, per_leaf * (1 << np.minimum(self.leaf_d, max_d)), 0)
        if ok is not None:
            sizes = np.where(ok, sizes, 0)
        # smallest tables first so a tight budget covers the most leaves
        order = np.argsort(sizes, kind="stable")
        csum = np.cumsum(sizes[order])
        keep = np.zeros(len(sizes), bool)
        keep[order] = (csum <= _TABLE_BUDGET) & (sizes[order] > 0)
        off = np.full(len(sizes), -1, np.int64)
        kept = np.nonzero(keep)[0]
        starts = np.concatenate([[0], np.cumsum(sizes[kept])[:-1]]).astype(np.int64)
        off[kept] = starts
        return off, int(sizes[kept].sum())

    def leaf_sum(self, weight: np.ndarray) -> np.ndarray:
        """sum over leaves of weight * leaf value, per output."""
        ens = self.ens
        vals = ens.value[self.leaf_node]  # (n_leaves, V)
        out = np.zeros(ens.n_outputs)
        if ens.value.shape[1] == ens.n_outputs and (self.leaf_group < 0).all():
            out += (vals * weight[:, None]).sum(axis=0)
        else:
            np.add.at(out, self.leaf_group, vals[:, 0] * weight)
        return out


def _sigmoid(m: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(m, dtype=np.float64)))


def _as_float32_grid(X: np.ndarray) -> np.ndarray:
    """Both xgboost and scikit-learn compare float32 inputs against thresholds."""
    return np.ascontiguousarray(X.astype(np.float32).astype(np.float64))


def _grid(ens: TreeEnsemble, X: np.ndarray) -> np.ndarray:
    """X as the model compares it: float32 (or float64 for glassbox trees), with
    xgboost's non-NaN ``missing`` value turned into NaN (xgboost drops both)."""
    G = _as_float32_grid(X) if ens.float32_inputs else np.ascontiguousarray(X, dtype=np.float64)
    if not np.isnan(ens.missing):
        G = np.where(G == ens.missing, np.nan, G)
    return G


def tree_shap(
    model,
    X,
    *,
    background=None,
    interactions: bool = False,
    check_additivity: bool = True,
    progress: bool = True,
    feature_names=None,
    iteration_range: tuple[int, int] | None = None,
    model_output: str = "raw",
) -> LocalExplanation:
    """Exact SHAP values of a tree ensemble.

    Parameters
    ----------
    model : tree ensemble
        xgboost Booster / XGBRegressor / XGBClassifier / XGBRF* (gbtree or
        dart with its tree weights, categorical splits, vector-leaf
        multi-output trees, a non-NaN ``missing`` value), scikit-learn
        DecisionTree*, RandomForest*, ExtraTrees* (multi-output too),
        GradientBoosting*, HistGradientBoosting* (NaN and categorical splits),
        IsolationForest, or a glassbox TreeClassifier / TreeRegressor.
    X : array-like of shape (n_rows, n_features), DataFrame, dask array or dask DataFrame
        Rows to explain; one row may be a 1-D array or a pandas Series (the
        result then has one row), and an xgboost ``DMatrix`` is read with its
        absent entries as missing. NaN follows the model's own missing-value
        rule (xgboost's default direction and ``missing`` value,
        scikit-learn's ``missing_go_to_left``); refused for models that do not
        accept NaN.
    background : array-like of shape (n_background, n_features) or None, default=None
        None gives path-dependent TreeSHAP (the conditional expectation
        weighted by training cover, like ``shap.TreeExplainer(model)``); rows
        give interventional TreeSHAP (``feature_perturbation="interventional"``),
        averaged over them.
    interactions : bool, default=False
        Also compute SHAP interaction values (path-dependent, or interventional
        with a ``background``: the Shapley interaction index of the
        interventional game, halved off the diagonal as in shap); they are in
        ``extras["interaction_values"]`` with shape (n, f, f) or
        (n, f, f, n_outputs), and ``values`` are their row sums.
    check_additivity : bool, default=True
        Raise, naming the first failing row, when base value + sum of values
        differs from the model's own raw output.
    progress : bool, default=True
        Show a tqdm bar over blocks of rows.
    feature_names : sequence of str or None, default=None
        Names for the explanation; default the DataFrame's columns, else the
        names the model was fitted with, else x0, x1, ...
    iteration_range : (start, stop) or None, default=None
        xgboost only, as in ``Booster.predict``: explain boosting rounds
        [start, stop). None explains what the model's ``predict`` uses: rounds
        up to ``best_iteration`` for an early-stopped XGBRegressor/XGBClassifier,
        all rounds for a Booster.
    model_output : {"raw", "probability"}, default="raw"
        "raw" explains the scale the model's trees add up on (stated in
        ``extras["output_scale"]``: "log-odds" for binary logistic models,
        "margin" for multiclass, "log" for count objectives, "probability" for
        scikit-learn forest classifiers, "raw" for regression).
        "probability" (binary logistic models, with a ``background``) gives
        shap's interventional probability-scale values: each (row, background
        row) pair's log-odds values rescaled by (p_x - p_r) / (m_x - m_r), so
        they add up to the predicted probability minus the mean probability
        over the background. They cost rows x background x leaves.

    Returns
    -------
    LocalExplanation
        Values (n, f) for one output or (n, f, n_outputs), on the scale of
        ``shap.TreeExplainer``: raw margin for xgboost and (Hist)GradientBoosting*
        (``link`` "logit" for binary, "softmax" for multiclass, "log" for count
        objectives), class probabilities for scikit-learn tree/forest
        classifiers and glassbox TreeClassifier (``link`` "identity"), the
        mean path length for IsolationForest (shap's convention:
        score_samples = -2 ** (-length / c(max_samples))); the scale is named
        in ``extras["output_scale"]``. For a dask ``X`` the result is a lazy
        dask array of values instead (computed partition by partition on the
        user's cluster).
    """
    if model_output not in ("raw", "probability"):
        raise ValueError(f'model_output must be "raw" or "probability", got {model_output!r}')
    ens = (
        read_model(model)
        if iteration_range is None
        else read_model(model, iteration_range=iteration_range)
    )
    probability = model_output == "probability" and ens.link != "identity"
    if probability:
        if ens.link != "logit" or ens.n_outputs != 1:
            raise ValueError(
                f'model_output="probability" needs a binary logistic model; this model\'s '
                f"raw output is on a {_scale_of(ens)} scale ({ens.n_outputs} outputs). "
                'Use model_output="raw", or kernel_shap on predict_proba'
            )
        if background is None:
            raise ValueError(
                'model_output="probability" needs background rows (interventional values, as '
                "in shap); path-dependent values exist on the raw (log-odds) scale only"
            )
        if interactions:
            raise ValueError('interaction values are on the raw scale: use model_output="raw"')
    prep = _Prepared(ens)
    # named frames are matched to the names the model was fitted with, by name
    fitted_names = ens.feature_names
    schema = getattr(model, "input_schema_", None)
    if type(model).__module__.startswith("glassbox"):
        fitted_names = schema.names if schema is not None and schema.named else None
    bg = None
    if background is not None:
        if is_dask(background):
            background = background.compute()
        if ens.encode is not None:
            bg = ens.encode(align_columns(background, fitted_names, name="background"))
        else:
            background = align_columns(background, fitted_names, name="background")
            bg = as_rows(background, allow_nan=ens.allow_nan, name="background")
        if bg.shape[1] != ens.n_features:
            raise ValueError(
                f"background has {bg.shape[1]} columns but the model was fitted on "
                f"{ens.n_features} features"
            )
    explainer = _Explainer(prep, bg, interactions, probability)
    X = _as_table(X)
    if is_dask(X):
        f = ens.n_features
        k = ens.n_outputs
        trailing = (f,) if k == 1 else (f, k)
        if interactions:
            trailing = (f, f) if k == 1 else (f, f, k)

        def block(rows: np.ndarray) -> np.ndarray:
            if rows.shape[0] == 0:  # dask's meta inference calls with empty blocks
                return np.zeros((0, *trailing))
            raw = rows
            rows = ens.encode(rows) if ens.encode else as_rows(rows, allow_nan=ens.allow_nan)
            values, inter = explainer.values(rows, progress=False)
            if check_additivity:
                explainer.check(raw if ens.encode else rows, values)
            if interactions:
                return inter if k > 1 else inter[..., 0]
            return values if k > 1 else values[:, :, 0]

        if hasattr(X, "columns"):
            X = align_columns(X, fitted_names)
        n_cols = X.shape[1] if hasattr(X, "chunks") else len(X.columns)
        if n_cols != f:
            raise ValueError(f"X has {n_cols} columns but the model was fitted on {f} features")
        return map_dask(block, X, trailing)
    raw = X
    if ens.encode is not None:  # the model checks columns by name and codes categories
        names = tuple(feature_names) if feature_names is not None else ens.feature_names
        if names is None:
            names = feature_names_of(X, ens.n_features)
        X = raw = align_columns(X, fitted_names)
        Xa = ens.encode(X)
    else:
        X = align_columns(X, fitted_names)
        names = feature_names_of(
            X,
            ens.n_features,
            feature_names
            if feature_names is not None
            else (None if hasattr(X, "columns") else ens.feature_names),
        )
        Xa = as_rows(X, allow_nan=ens.allow_nan)
    if Xa.shape[1] != ens.n_features:
        raise ValueError(
            f"X has {Xa.shape[1]} columns but the model was fitted on {ens.n_features} features"
        )
    values, inter = explainer.values(Xa, progress=progress)
    base = explainer.base
    if check_additivity:
        explainer.check(raw if ens.encode is not None else Xa, values)
    n = Xa.shape[0]
    extras = {"output_scale": "probability" if probability else _scale_of(ens)}
    if interactions:
        extras["interaction_values"] = inter if ens.n_outputs > 1 else inter[..., 0]
    base_values = np.broadcast_to(base, (n, ens.n_outputs)).copy()
    if ens.n_outputs == 1:
        values, base_values = values[:, :, 0], base_values[:, 0]
    if "interaction_values" in extras:
        extras["interaction_values"] = np.ascontiguousarray(extras["interaction_values"])
    return LocalExplanation(
        values=values,
        base_values=base_values,
        data=Xa,
        feature_names=names,
        output_names=ens.output_names,
        link="identity" if probability else ens.link,
        method="tree_shap" if bg is None else "tree_shap_interventional",
        extras=extras,
    )


def _as_table(X):
    """One row (1-D array, list or pandas Series) as a one-row table; an xgboost
    DMatrix as a dense array with NaN where it stores no value (its missing)."""
    if type(X).__name__ == "DMatrix" and type(X).__module__.startswith("xgboost"):
        csr = X.get_data()
        dense = np.full(csr.shape, np.nan)
        rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
        dense[rows, csr.indices] = csr.data
        if X.feature_names is not None:
            import pandas as pd

            return pd.DataFrame(dense, columns=list(X.feature_names))
        return dense
    if type(X).__name__ == "Series" and hasattr(X, "to_frame"):
        frame = X.to_frame().T
        return frame.infer_objects()
    if isinstance(X, (list, tuple)) or (isinstance(X, np.ndarray) and X.ndim == 1):
        arr = np.asarray(X)
        if arr.ndim == 1:
            return arr.reshape(1, -1)
    return X


def _runs_by_set(masks: np.ndarray) -> tuple:
    """Each leaf's background rows grouped by failed set: (order (n_leaves, n_bg)
    row ids sorted by set, run_ptr (n_leaves + 1,) into the runs, and per run its
    set, first and past-the-end position in ``order``)."""
    order = np.argsort(masks, axis=1, kind="stable")
    ms = np.take_along_axis(masks, order, axis=1)
    new = np.ones(ms.shape, dtype=bool)
    new[:, 1:] = ms[:, 1:] != ms[:, :-1]
    leaf_idx, pos = np.nonzero(new)
    run_ptr = np.concatenate([[0], np.cumsum(new.sum(axis=1))]).astype(np.int64)
    run_end = np.append(pos[1:], 0).astype(np.int64)
    run_end[run_ptr[1:] - 1] = ms.shape[1]
    return (
        np.ascontiguousarray(order, dtype=np.int64),
        run_ptr,
        np.ascontiguousarray(ms[leaf_idx, pos]),
        pos.astype(np.int64),
        run_end,
    )


def _scale_of(ens: TreeEnsemble) -> str:
    return {"logit": "log-odds", "softmax": "margin", "log": "log"}.get(
        ens.link, "probability" if ens.output_names and ens.bias.size > 1 else "raw"
    )


class _Explainer:
    """Holds the per-model tables so every chunk (or dask partition) reuses them."""

    def __init__(
        self,
        prep: _Prepared,
        bg: np.ndarray | None,
        interactions: bool,
        probability: bool = False,
    ):
        self.prep = prep
        self.bg = bg
        self.interactions = interactions
        self.probability = False  # switched on after _fix_bias, which works on the margin
        ens = prep.ens
        if bg is None:
            # tables need 1 / z_p: leaves with a (near) zero cover ratio go the direct way
            z = np.where(np.arange(prep.leaf_z.shape[1]) < prep.leaf_d[:, None], prep.leaf_z, 1.0)
            ok = z.min(axis=1) > 1e-100
            self.tab_off, total = prep.table_offsets(1, _TABLE_D, ok)
            with np.errstate(divide="ignore", invalid="ignore"):
                self.leaf_r = np.where(ok[:, None], (1.0 - z) / z, 0.0)
            self.tab = np.zeros(max(total, 1))
            _g_tables(prep.leaf_d, prep.leaf_z, self.tab_off, prep.wts, 0, self.tab)
            self.base = ens.bias + prep.leaf_sum(prep.leaf_z.prod(axis=1))
        else:
            n_leaves = prep.leaf_d.shape[0]
            if n_leaves * bg.shape[0] > 200_000_000:
                raise ValueError(
                    f"background of {bg.shape[0]} rows on a model with {n_leaves} leaves needs "
                    "too much memory; pass a smaller background (e.g. 100-1000 rows of a "
                    "shap.sample / k-means summary)"
                )
            masks = np.zeros((n_leaves, bg.shape[0]), np.int64)
            bg_grid = _grid(ens, bg)
            _fail_masks(bg_grid, prep.trees, masks)
            self.tab_off, total = prep.table_offsets(3, _TABLE_D)
            self.tab = np.zeros(max(total, 1))
            _interventional_tables(prep.leaf_d, masks, self.tab_off, prep.wts, self.tab)
            self.base = ens.bias + prep.leaf_sum((masks == 0).mean(axis=1))
            if probability:  # the pair weights need each background row's own set
                self._runs = _runs_by_set(masks)
            masks.sort(axis=1)
            self.masks = masks
        self.bias_fix = np.zeros(ens.n_outputs)
        self._fix_bias()
        if probability:
            self.bg_margin = self._margin(bg)
            self.probability = True
            self.base = np.array([_sigmoid(self.bg_margin).mean()])

    def values(self, X: np.ndarray, *, progress: bool):
        prep = self.prep
        ens = prep.ens
        n, f, k = X.shape[0], ens.n_features, ens.n_outputs
        out = np.zeros((n, f, k))
        inter = np.zeros((n, f, f, k)) if self.interactions else None
        Xg = _grid(ens, X)
        desc = "tree_shap" if self.bg is None else "tree_shap_interventional"
        for sl in row_chunks(n, _CHUNK, progress=progress, desc=desc):
            if self.bg is None:
                _path_dependent_rows(
                    Xg[sl],
                    prep.trees,
                    self.leaf_r,
                    self.tab_off,
                    self.tab,
                    out[sl],
                    _block_rows(f, k),
                )
            elif self.probability:
                _interventional_scaled_rows(
                    Xg[sl], prep.trees, *self._runs, self._pair_scale(X[sl]), out[sl]
                )
            else:
                _interventional_block_rows(
                    Xg[sl],
                    prep.trees,
                    self.tab_off,
                    self.tab,
                    self.masks,
                    out[sl],
                    _block_rows(f, k),
                )
            if inter is not None and self.bg is None:
                _interaction_rows(Xg[sl], prep.trees, inter[sl])
            elif inter is not None:
                _interventional_interaction_rows(Xg[sl], prep.trees, self.masks, inter[sl])
        if inter is not None:
            diag = out - inter.sum(axis=2)  # Phi_ii = phi_i - sum_{j != i} Phi_ij
            idx = np.arange(f)
            inter[:, idx, idx, :] = diag
        return out, inter

    def _margin(self, X: np.ndarray) -> np.ndarray:
        """Raw output of the model as read (as shap computes it), on X encoded."""
        ens = self.prep.ens
        out = np.zeros((X.shape[0], ens.n_outputs))
        bias = ens.bias.astype(np.float64) + self.bias_fix
        _predict_margin(_grid(ens, X), self.prep.trees, bias, out)
        return out[:, 0]

    def _pair_scale(self, X: np.ndarray) -> np.ndarray:
        """shap's rescaling of each (row, background row) pair to the probability
        scale: (sigma(m_x) - sigma(m_r)) / (m_x - m_r), sigma'(m) where the margins tie
        (shap uses 1 there, a log-odds factor on a probability scale)."""
        mx = self._margin(X)[:, None]
        mr = self.bg_margin[None, :]
        dm = mx - mr
        sx = _sigmoid(mx)
        tie = np.abs(dm) < 1e-12
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (sx - _sigmoid(mr)) / np.where(tie, 1.0, dm)
        return np.ascontiguousarray(np.where(tie, sx * (1.0 - sx), out))

    def _fix_bias(self) -> None:
        """xgboost stores base_score per objective; if our reading of it disagrees with
        the model's own margin (an objective we do not know), take the model's.
        Done once, before any row, so concurrent dask blocks see fixed state."""
        ens = self.prep.ens
        if not ens.float32_values:
            return
        x0 = np.zeros((1, ens.n_features))
        interactions, self.interactions = self.interactions, False
        out, _ = self.values(x0, progress=False)
        self.interactions = interactions
        own = ens.predict_raw(x0)
        gap = (own - (out.sum(axis=1) + self.base))[0]
        scale = max(1.0, float(np.abs(own).max()))
        if np.any(np.abs(gap) > 1e-3 * scale):
            self.base = self.base + gap
            self.bias_fix = gap

    def check(self, X: np.ndarray, values: np.ndarray) -> None:
        ens = self.prep.ens
        expected = ens.predict_raw(X)
        if self.probability:
            expected = _sigmoid(expected)
        tol = 1e-4 if ens.float32_values else 1e-7
        method = "tree_shap" if self.bg is None else "tree_shap_interventional"
        check_additivity(
            values,
            np.broadcast_to(self.base, (len(X), ens.n_outputs)),
            expected,
            method=method,
            rtol=tol,
            atol=tol,
        )
