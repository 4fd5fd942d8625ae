"""Prototypes and criticisms: MMD-critic (Kim, Khanna and Koyejo 2016).

Prototypes are chosen greedily to minimise the squared maximum mean discrepancy
(MMD^2) between the data and the chosen rows. With the kernel's column sums
computed once and the running sums of kernel values against the chosen set
kept up to date, each greedy step is O(n) plus one kernel column. Criticisms are
the rows where the witness function |mean k(x, data) - mean k(x, prototypes)| is
largest, with a log-determinant term that keeps them diverse: log det of the
kernel on the chosen criticisms, updated after every pick through an
incremental (pivoted) Cholesky factor, so the term grows with the criticisms
already chosen. The full n x n kernel matrix is never held: its column sums
come from one pass over the pairs i < j in tiles (RBF: Gram tiles from BLAS,
kernel values and sums in numba; memory O(n) plus one 2 MB tile), and a kernel
column is computed from coordinate differences when its row is picked. The
picks are those of these reference columns: where the fast column sums leave two
rows' gains within their rounding-error bounds, the rows' reference sums decide.
Past ~10k rows,
``approximation="nystroem"`` replaces the kernel by a rank-m Nystroem
approximation (time and memory O(n m)), and the picks are those of that
approximate kernel.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from glassbox._validation import default_feature_names

from ._threads import one_blas_thread

_KERNELS = ("rbf", "laplacian")


@dataclass(frozen=True)
class Prototypes:
    """Chosen rows: prototypes (represent the data) and criticisms (what they miss).

    ``mmd2`` is the squared MMD between the data and the prototypes (between each
    class and its prototypes, summed with class weights, when ``y`` was given).
    ``accuracy`` is the nearest-prototype classifier's accuracy on the data (None
    without ``y``).
    """

    prototype_indices: np.ndarray
    criticism_indices: np.ndarray
    prototypes: np.ndarray
    criticisms: np.ndarray
    prototype_labels: np.ndarray | None
    criticism_labels: np.ndarray | None
    witness: np.ndarray  # witness value of each criticism
    mmd2: float
    accuracy: float | None
    kernel: str
    gamma: float
    feature_names: tuple[str, ...]

    def predict(self, X) -> np.ndarray:
        """Label of the nearest prototype (highest kernel value) for each row."""
        if self.prototype_labels is None:
            raise ValueError("prototypes were chosen without y; there are no labels to predict")
        X = _rows(X)
        best = np.empty(len(X), dtype=np.int64)
        for s in range(0, len(X), 4096):
            best[s : s + 4096] = np.argmax(
                kernel_matrix(X[s : s + 4096], self.prototypes, self.kernel, self.gamma), axis=1
            )
        return self.prototype_labels[best]

    def to_frame(self) -> pd.DataFrame:
        """One row per chosen row: role, index in X, label, witness, then the features."""
        rows = np.vstack([self.prototypes, self.criticisms])
        frame = pd.DataFrame(rows, columns=list(self.feature_names))
        role = ["prototype"] * len(self.prototype_indices) + ["criticism"] * len(
            self.criticism_indices
        )
        frame.insert(0, "role", role)
        frame.insert(1, "index", np.concatenate([self.prototype_indices, self.criticism_indices]))
        if self.prototype_labels is not None:
            frame.insert(2, "label", np.concatenate([self.prototype_labels, self.criticism_labels]))
        frame.insert(
            frame.columns.get_loc("index") + 1 + (self.prototype_labels is not None),
            "witness",
            np.concatenate([np.full(len(self.prototype_indices), np.nan), self.witness]),
        )
        return frame


def _rows(X) -> np.ndarray:
    from ._rows import as_rows

    X = as_rows(X, allow_nan=False)
    if not np.isfinite(X).all():
        raise ValueError("X has NaN or infinity; impute it before choosing prototypes")
    return X


def kernel_matrix(A: np.ndarray, B: np.ndarray, kernel: str, gamma: float) -> np.ndarray:
    """k(a, b) for every pair of rows: exp(-gamma ||a-b||^2) or exp(-gamma ||a-b||_1)."""
    if kernel == "rbf":
        # in place: one n x m array instead of five temporaries
        d = A @ B.T
        d *= -2.0
        d += (A**2).sum(axis=1)[:, None]
        d += (B**2).sum(axis=1)[None, :]
        np.maximum(d, 0.0, out=d)
        d *= -gamma
        return np.exp(d, out=d)
    d = np.abs(A[:, None, :] - B[None, :, :]).sum(axis=2)
    return np.exp(-gamma * d)


class _ExactKernel:
    """Kernel columns and column sums computed from X on demand (memory O(n))."""

    # RBF column sums from Gram tiles of at most _TILE_ROWS x _TILE_COLS (2 MB)
    _TILE_ROWS = 128
    _TILE_COLS = 2048

    def __init__(self, X, kernel, gamma):
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        self.gamma = float(gamma)
        self.laplacian = kernel == "laplacian"

    def colsum(self) -> np.ndarray:
        """Column sums of the kernel matrix, each pair visited once. RBF: tiles of the
        Gram matrix of the centred rows from BLAS (distances are translation
        invariant; centring shrinks the norms the Gram formula cancels), then the
        kernel values and their sums in numba. Laplacian: the L1 distances in numba."""
        from .effects._mmd_kernels import colsum_laplacian, gram_tile_sums

        X, n = self.X, len(self.X)
        if self.laplacian:
            return colsum_laplacian(X, self.gamma, max(1, min(64, n // 16)))
        Xc, sq = self._centred()
        rows, cols = self._TILE_ROWS, self._TILE_COLS
        blocks = range(0, n, rows)
        n_workers = min(_workers(), len(blocks))
        outs = np.zeros((n_workers, n))
        take = itertools.count()  # next row block; next() on it is atomic under the GIL

        def work(out):  # row blocks taken as workers free up: the triangle's work is uneven
            while (b := next(take)) < len(blocks):
                i0 = blocks[b]
                i1 = min(i0 + rows, n)
                for c0 in range(i0, n, cols):
                    c1 = min(c0 + cols, n)
                    gram_tile_sums(  # releases the GIL, as BLAS does
                        Xc[i0:i1] @ Xc[c0:c1].T,
                        sq[i0:i1],
                        sq[c0:c1],
                        self.gamma,
                        c0 == i0,
                        out[i0:i1],
                        out[c0:c1],
                    )

        # threads of our own, one BLAS thread each: OpenMP or BLAS threads spin while
        # they wait and, on a busy machine, slowed these small products ~10x
        with one_blas_thread():
            if n_workers == 1:
                work(outs[0])
            else:
                list(_pool().map(work, outs))
        out = outs.sum(axis=0)
        self._sq = sq  # for colsum_error
        return out

    def _centred(self):
        Xc = self.X - self.X.mean(axis=0)
        return Xc, np.einsum("ij,ij->i", Xc, Xc)

    def colsum_error(self, colsum: np.ndarray) -> np.ndarray:
        """Bound on |colsum() - the sum of column(i)| per row, from the standard
        rounding-error bounds (Higham, ch. 3) with u = 2^-53, times 2 for margin:
        Gram distance |d^ - d| <= ((2p + 10) u)(|x_i|^2 + |x_j|^2) (dot product,
        norms, centring, the three additions), a kernel value moves by at most gamma
        times that; the differences' distance errs by (p + 2) u d, moving the kernel
        by at most (p + 2) u / e; each exp and product adds 2 EXP_ULPS + 1 u; each
        sum of n terms (n + 2) u colsum."""
        from .effects._mmd_kernels import EXP_ULPS

        u = 2.0**-53
        n, p = self.X.shape
        per_term = (p + 2) / np.e + 2 * EXP_ULPS + 1
        bound = n * (2 * per_term if self.laplacian else per_term + 2 * EXP_ULPS + 1)
        bound = bound + (2 * n + 4) * np.abs(colsum)
        if not self.laplacian:
            sq = getattr(self, "_sq", None)
            sq = self._centred()[1] if sq is None else sq
            bound = bound + (2 * p + 10) * self.gamma * (n * sq + sq.sum())
        return 2.0 * u * bound

    def column(self, c: int) -> np.ndarray:
        from .effects._mmd_kernels import column_kernel

        return column_kernel(self.X, int(c), self.gamma, self.laplacian)

    def diag(self) -> np.ndarray:
        return np.ones(len(self.X))


_POOL = None


def _workers() -> int:
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(8, cores or 1))


def _pool():
    """Threads for the Gram tiles, made once per process (a forked child has the
    pool object but not its threads, so it makes its own)."""
    import os

    global _POOL
    if _POOL is None or _POOL[0] != os.getpid():
        from concurrent.futures import ThreadPoolExecutor

        _POOL = (os.getpid(), ThreadPoolExecutor(_workers(), thread_name_prefix="glassbox-mmd"))
    return _POOL[1]


class _NystroemKernel:
    """The Nystroem approximation K ~ Phi Phi^T = K_nm K_mm^-1 K_mn from m landmark
    rows (through a Cholesky factor; if K_mm is numerically singular, through its
    eigenvectors with eigenvalues below 1e-12 of the largest dropped): column sums in
    O(n m), columns in O(n m), memory O(n m). With every row a landmark it is the
    exact kernel (up to the dropped eigenvalues)."""

    def __init__(self, X, kernel, gamma, landmarks):
        from scipy.linalg import cholesky, solve_triangular

        K_nm = kernel_matrix(X, X[landmarks], kernel, gamma)
        K_mm = K_nm[landmarks]
        try:  # Phi = K_nm L^-T with K_mm = L L^T: Phi Phi^T = K_nm K_mm^-1 K_mn
            L = cholesky(K_mm, lower=True)
            self.phi = solve_triangular(L, K_nm.T, lower=True).T
        except np.linalg.LinAlgError:  # numerically singular: drop the null directions
            w, U = np.linalg.eigh(K_mm)
            keep = w > 1e-12 * w.max()
            self.phi = K_nm @ (U[:, keep] / np.sqrt(w[keep]))

    def colsum(self) -> np.ndarray:
        return self.phi @ self.phi.sum(axis=0)

    def column(self, c: int) -> np.ndarray:
        return self.phi @ self.phi[c]

    def diag(self) -> np.ndarray:
        return np.einsum("ij,ij->i", self.phi, self.phi)


def _greedy_prototypes(kern, m, colsum):
    """Greedy MMD^2 minimisation. Returns chosen positions and, per row, the sum of
    kernel values against the chosen set."""
    n = len(colsum)
    chosen: list[int] = []
    s_in = np.zeros(n)  # sum_{j in S} k(x_c, x_j)
    sum_cs = 0.0  # sum_{j in S} colsum[j]
    sum_ss = 0.0  # sum_{i, j in S} k(x_i, x_j)
    diag = kern.diag()  # 1 for both exact kernels
    available = np.ones(n, dtype=bool)
    for size in range(1, m + 1):
        # J(S + c) = 2/(n|S+c|) sum_{i, j in S+c} k(x_i, x_j) - 1/|S+c|^2 sum_{S+c} k
        gain = 2.0 / (n * size) * (sum_cs + colsum) - (sum_ss + 2.0 * s_in + diag) / size**2
        gain[~available] = -np.inf
        c = int(np.argmax(gain))
        col = kern.column(c)
        sum_cs += colsum[c]
        sum_ss += 2.0 * s_in[c] + diag[c]
        s_in += col
        available[c] = False
        chosen.append(c)
    return np.asarray(chosen, dtype=np.int64), s_in, sum_ss


def _greedy_criticisms(kern, proto, s_in, colsum, m, regularizer):
    """Largest |witness| plus the log det of the kernel on the chosen criticisms."""
    n = len(colsum)
    witness = colsum / n - s_in / max(len(proto), 1)
    available = np.ones(n, dtype=bool)
    available[proto] = False
    residual = kern.diag().copy()  # k(c, c) - k_cC K_CC^-1 k_Cc (Schur complement), via Cholesky
    factors: list[np.ndarray] = []
    chosen: list[int] = []
    for _ in range(m):
        score = np.abs(witness)
        if regularizer == "logdet":
            # log det K_{C+c} = log det K_C + log residual(c)
            score = score + np.log(np.maximum(residual, 1e-300))
        score = np.where(available, score, -np.inf)
        c = int(np.argmax(score))
        if not np.isfinite(score[c]):
            break
        u = kern.column(c).copy()
        for f in factors:
            u -= f[c] * f
        u /= np.sqrt(max(residual[c], 1e-300))
        factors.append(u)
        residual = residual - u**2
        available[c] = False
        chosen.append(c)
    return np.asarray(chosen, dtype=np.int64), witness


def mmd2(X, S, *, kernel: str = "rbf", gamma: float | None = None) -> float:
    """Squared MMD between the rows of X and the rows of S (biased V-statistic)."""
    X, S = _rows(X), _rows(S)
    gamma = _gamma(X, gamma)
    kxx = _ExactKernel(X, kernel, gamma).colsum().sum()
    kxs = sum(
        kernel_matrix(X[s : s + 2048], S, kernel, gamma).sum() for s in range(0, len(X), 2048)
    )
    kss = kernel_matrix(S, S, kernel, gamma).sum()
    return float(kxx / len(X) ** 2 - 2.0 * kxs / (len(X) * len(S)) + kss / len(S) ** 2)


def _gamma(X: np.ndarray, gamma) -> float:
    if gamma is None:  # scikit-learn's "scale": 1 / (n_features * variance)
        var = X.var()
        return 1.0 / (X.shape[1] * var) if var > 0 else 1.0
    if not gamma > 0:
        raise ValueError(f"gamma must be positive, got {gamma}")
    return float(gamma)


def prototypes(
    X,
    n_prototypes: int,
    *,
    n_criticisms: int = 0,
    y=None,
    kernel: str = "rbf",
    gamma: float | None = None,
    regularizer: str | None = "logdet",
    approximation: str | None = None,
    n_components: int = 1000,
    random_state=None,
) -> Prototypes:
    """MMD-critic prototypes and criticisms.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_rows, n_features)
    n_prototypes : int
        Prototypes in all; with ``y`` they are split across classes as evenly
        as possible (at least one per class) and chosen within each class.
    n_criticisms : int, default=0
        Criticisms in all (split across classes like prototypes when ``y`` is given).
    y : array-like or None
        Class labels: class-conditional prototypes and the nearest-prototype
        classifier's accuracy.
    kernel : {"rbf", "laplacian"}, default="rbf"
    gamma : float or None
        Kernel width; None is 1 / (n_features * X.var()).
    regularizer : {"logdet", None}, default="logdet"
        Diversity term for criticisms.
    approximation : {None, "nystroem"}, default=None
        None: the exact kernel, never held whole: column sums in one pass over
        the pairs in tiles (time O(n^2 p), memory O(n) plus a 2 MB tile), kernel
        columns computed as rows are picked. "nystroem": the kernel approximated from
        ``n_components`` landmark rows drawn at random (K ~ Phi Phi^T), time and
        memory O(n m): for data far past ~10k rows. The picks then minimise the
        MMD^2 of the approximate kernel (``mmd2`` reports that one), an
        approximation of the exact picks; with every row a landmark it is exact.
    n_components : int, default=1000
        Landmark rows for "nystroem" (per class when ``y`` is given).
    random_state : int, RandomState or None
        Draws the landmarks.

    Returns
    -------
    Prototypes
    """
    names = tuple(str(c) for c in X.columns) if hasattr(X, "columns") else None
    X = _rows(X)
    n = len(X)
    names = names or tuple(default_feature_names(X.shape[1]))
    if kernel not in _KERNELS:
        raise ValueError(f"kernel must be one of {_KERNELS}, got {kernel!r}")
    if regularizer not in ("logdet", None):
        raise ValueError(f"regularizer must be 'logdet' or None, got {regularizer!r}")
    for name, value in (("n_prototypes", n_prototypes), ("n_criticisms", n_criticisms)):
        if not isinstance(value, (int, np.integer)) or value < (1 if name == "n_prototypes" else 0):
            raise ValueError(
                f"{name} must be an integer >= {1 if name == 'n_prototypes' else 0}, got {value!r}"
            )
    if approximation not in (None, "nystroem"):
        raise ValueError(f"approximation must be None or 'nystroem', got {approximation!r}")
    if not (isinstance(n_components, (int, np.integer)) and n_components >= 1):
        raise ValueError(f"n_components must be a positive integer, got {n_components!r}")
    rng = np.random.default_rng(random_state)
    gamma = _gamma(X, gamma)
    if y is None:
        groups = [(None, np.arange(n), int(n_prototypes), int(n_criticisms))]
    else:
        y = np.asarray(y)
        if y.shape != (n,):
            raise ValueError(f"y must have shape ({n},), got {y.shape}")
        classes, counts = np.unique(y, return_counts=True)
        if n_prototypes < len(classes):
            raise ValueError(
                f"n_prototypes={n_prototypes} is fewer than the {len(classes)} classes; "
                "class-conditional prototypes need one per class at least"
            )
        share_p = _split(int(n_prototypes), counts)
        share_c = _split(int(n_criticisms), counts)
        groups = [
            (c, np.nonzero(y == c)[0], p, q)
            for c, p, q in zip(classes, share_p, share_c, strict=True)
        ]
    if any(p + q > len(rows) for _, rows, p, q in groups):
        raise ValueError("more prototypes and criticisms than rows (per class when y is given)")
    p_idx, c_idx, p_lab, c_lab, wit = [], [], [], [], []
    total_mmd = 0.0
    for label, rows, p, q in groups:
        Xg = X if label is None else X[rows]
        # small data: the kernel matrix in memory; larger: column sums from blocks and
        # each picked row's kernel column computed when it is picked
        if approximation == "nystroem":
            m = min(int(n_components), len(Xg))
            landmarks = np.sort(rng.choice(len(Xg), m, replace=False))
            kern = _NystroemKernel(Xg, kernel, gamma, landmarks)
        else:
            kern = _ExactKernel(Xg, kernel, gamma)
        colsum = kern.colsum()
        if approximation == "nystroem":
            chosen, s_in, sum_ss = _greedy_prototypes(kern, p, colsum)
        else:
            from .effects._mmd_kernels import greedy_prototypes

            chosen, s_in, sum_ss = greedy_prototypes(
                kern.X, colsum, kern.colsum_error(colsum), p, kern.gamma, kern.laplacian
            )
        total_mmd += (
            len(rows)
            / n
            * float(
                colsum.sum() / len(Xg) ** 2
                - 2.0 * colsum[chosen].sum() / (len(Xg) * p)
                + sum_ss / p**2
            )
        )
        crit, witness = _greedy_criticisms(kern, chosen, s_in, colsum, q, regularizer)
        p_idx.append(rows[chosen])
        c_idx.append(rows[crit])
        wit.append(witness[crit])
        if label is not None:
            p_lab.append(np.full(len(chosen), label, dtype=y.dtype))
            c_lab.append(np.full(len(crit), label, dtype=y.dtype))
    p_idx = np.concatenate(p_idx)
    c_idx = np.concatenate(c_idx)
    result = Prototypes(
        prototype_indices=p_idx,
        criticism_indices=c_idx,
        prototypes=X[p_idx],
        criticisms=X[c_idx],
        prototype_labels=None if y is None else np.concatenate(p_lab),
        criticism_labels=None if y is None else np.concatenate(c_lab),
        witness=np.concatenate(wit),
        mmd2=total_mmd,
        accuracy=None,
        kernel=kernel,
        gamma=gamma,
        feature_names=names,
    )
    if y is not None:
        acc = float(np.mean(result.predict(X) == y))
        result = Prototypes(**{**result.__dict__, "accuracy": acc})
    return result


def _split(total: int, counts: np.ndarray) -> list[int]:
    """``total`` split over classes as evenly as possible, extra ones to the largest."""
    k = len(counts)
    share = np.full(k, total // k)
    for i in np.argsort(-counts, kind="stable")[: total % k]:
        share[i] += 1
    return [int(s) for s in share]
