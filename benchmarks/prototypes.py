"""MMD-critic prototypes: ours vs the `mmd-critic` package (benchmark-only peer),
100 prototypes on scikit-learn's digits, same kernel; picks compared, ratio printed.

Also: exact vs Nystroem kernel on 40,000 rows (no peer: mmd-critic holds the
n x n matrix, 12.8 GB at that size), skipped with --quick.

Run: .venv/bin/python benchmarks/prototypes.py [--quick]   (needs `pip install mmd-critic`)
"""

from __future__ import annotations

import sys
import time

import numpy as np
from sklearn.datasets import load_digits

from surrogates import prototypes
from surrogates.prototypes import mmd2


def _best(fn, repeat: int = 3):
    """Best of ``repeat`` runs (ours and the peer alike: a shared machine is noisy)."""
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main(n_prototypes: int = 100, n_criticisms: int = 20) -> None:
    X, y = load_digits(return_X_y=True)
    sigma = np.sqrt(X.shape[1] * X.var() / 2)  # gamma = 1 / (2 sigma^2): scikit-learn's "scale"
    gamma = 1.0 / (2 * sigma**2)
    prototypes(X[:50], 2, gamma=gamma)  # warm-up (imports)
    ours_t, ours = _best(lambda: prototypes(X, n_prototypes, gamma=gamma))
    ours_ct, _ = _best(lambda: prototypes(X, n_prototypes, n_criticisms=n_criticisms, gamma=gamma))
    rng = np.random.default_rng(0)
    random = np.mean(
        [mmd2(X, X[rng.choice(len(X), n_prototypes, replace=False)], gamma=gamma) for _ in range(5)]
    )
    print(
        f"ours: MMD^2 {ours.mmd2:.5f} (random subsets: {random:.5f}); nearest-prototype accuracy with y: "
        f"{prototypes(X, n_prototypes, y=y, gamma=gamma).accuracy:.3f}"
    )
    try:
        from mmd_critic import MMDCritic
        from mmd_critic.kernels import RBFKernel
    except ImportError:
        print(f"ours {ours_t:.3f}s; mmd-critic is not installed, no ratio")
        return

    def peer():
        critic = MMDCritic(X, RBFKernel(sigma=sigma))
        return critic, critic.select_prototypes(n_prototypes)[0]

    peer_t, (critic, protos) = _best(peer)
    crit_t, _ = _best(lambda: critic.select_criticisms(n_criticisms, protos))
    peer_ct = peer_t + crit_t
    same = np.array_equal(protos, X[ours.prototype_indices])
    print(
        f"prototypes ({n_prototypes}) on digits {X.shape}: ours {ours_t:.3f}s mmd-critic "
        f"{peer_t:.3f}s ratio peer/ours = {peer_t / ours_t:.1f}x, same picks in the same order: {same}"
    )
    print(
        f"+ {n_criticisms} criticisms: ours {ours_ct:.3f}s mmd-critic {peer_ct:.3f}s ratio "
        f"peer/ours = {peer_ct / ours_ct:.1f}x (criticisms differ by design: our log-det term "
        "counts the criticisms already chosen)"
    )


def nystroem(n: int = 40000, p: int = 20, n_prototypes: int = 50, m: int = 300) -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=3, size=(20, p))
    X = centres[rng.integers(0, 20, n)] + rng.normal(size=(n, p))
    t = time.perf_counter()
    exact = prototypes(X, n_prototypes)
    exact_t = time.perf_counter() - t
    t = time.perf_counter()
    approx = prototypes(X, n_prototypes, approximation="nystroem", n_components=m, random_state=0)
    approx_t = time.perf_counter() - t
    gamma = exact.gamma
    e = mmd2(X, exact.prototypes, gamma=gamma)
    a = mmd2(X, approx.prototypes, gamma=gamma)
    print(
        f"{n} rows x {p}, {n_prototypes} prototypes: exact {exact_t:.2f}s (memory O(n)), "
        f"Nystroem({m}) {approx_t:.2f}s; exact MMD^2 of the picks {e:.5f} vs {a:.5f}; "
        f"ratio exact/nystroem = {exact_t / approx_t:.1f}x"
    )


if __name__ == "__main__":
    main()
    if "--quick" not in sys.argv:
        nystroem()
