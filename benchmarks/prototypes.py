"""MMD-critic prototypes: ours vs the `mmd-critic` package (benchmark-only peer),
100 prototypes on scikit-learn's digits, same kernel; picks compared, ratio printed.

Run: .venv/bin/python benchmarks/prototypes.py   (needs `pip install mmd-critic`)
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.datasets import load_digits

from surrogates import prototypes
from surrogates.prototypes import mmd2


def main(n_prototypes: int = 100, n_criticisms: int = 20) -> None:
    X, y = load_digits(return_X_y=True)
    sigma = np.sqrt(X.shape[1] * X.var() / 2)  # gamma = 1 / (2 sigma^2): scikit-learn's "scale"
    gamma = 1.0 / (2 * sigma**2)
    prototypes(X[:50], 2, gamma=gamma)  # warm-up (imports)
    t = time.perf_counter()
    ours = prototypes(X, n_prototypes, gamma=gamma)
    ours_t = time.perf_counter() - t
    t = time.perf_counter()
    prototypes(X, n_prototypes, n_criticisms=n_criticisms, gamma=gamma)
    ours_ct = time.perf_counter() - t
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
    t = time.perf_counter()
    critic = MMDCritic(X, RBFKernel(sigma=sigma))
    protos, _ = critic.select_prototypes(n_prototypes)
    peer_t = time.perf_counter() - t
    t = time.perf_counter()
    critic.select_criticisms(n_criticisms, protos)
    peer_ct = peer_t + time.perf_counter() - t
    same = np.array_equal(protos, X[ours.prototype_indices])
    print(
        f"prototypes ({n_prototypes}) on digits {X.shape}: ours {ours_t:.3f}s mmd-critic "
        f"{peer_t:.3f}s ratio {peer_t / ours_t:.1f}x, same picks in the same order: {same}"
    )
    print(
        f"+ {n_criticisms} criticisms: ours {ours_ct:.3f}s mmd-critic {peer_ct:.3f}s ratio "
        f"{peer_ct / ours_ct:.1f}x (criticisms differ by design: our log-det term "
        "counts the criticisms already chosen)"
    )


if __name__ == "__main__":
    main()
