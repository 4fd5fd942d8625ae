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


def _best(fn, repeat: int = 5):
    """Best of ``repeat`` runs (ours and the peer alike: a shared machine is noisy)."""
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _rounds(fns: dict, repeat: int, inner: int = 3):
    """Every function ``inner`` times in a row per round, ``repeat`` rounds: load
    that comes and goes hits ours and the peer alike, and no one's first run after
    the other's (BLAS threads still spinning) decides. Returns each one's times and
    last output."""
    times = {name: [] for name in fns}
    outs = {}
    for _ in range(repeat):
        for name, fn in fns.items():
            for _ in range(inner):
                t = time.perf_counter()
                outs[name] = fn()
                times[name].append(time.perf_counter() - t)
    return times, outs


def main(n_prototypes: int = 100, n_criticisms: int = 20, repeat: int = 5) -> None:
    X, y = load_digits(return_X_y=True)
    sigma = np.sqrt(X.shape[1] * X.var() / 2)  # gamma = 1 / (2 sigma^2): scikit-learn's "scale"
    gamma = 1.0 / (2 * sigma**2)
    prototypes(X[:50], 2, gamma=gamma)  # warm-up (imports)
    ours_ct, _ = _best(lambda: prototypes(X, n_prototypes, n_criticisms=n_criticisms, gamma=gamma))
    rng = np.random.default_rng(0)
    random = np.mean(
        [mmd2(X, X[rng.choice(len(X), n_prototypes, replace=False)], gamma=gamma) for _ in range(5)]
    )
    ours = prototypes(X, n_prototypes, gamma=gamma)
    print(
        f"ours: MMD^2 {ours.mmd2:.5f} (random subsets: {random:.5f}); nearest-prototype accuracy with y: "
        f"{prototypes(X, n_prototypes, y=y, gamma=gamma).accuracy:.3f}"
    )
    try:
        from mmd_critic import MMDCritic
        from mmd_critic.kernels import RBFKernel
    except ImportError:
        ours_t, _ = _best(lambda: prototypes(X, n_prototypes, gamma=gamma))
        print(f"ours {ours_t:.3f}s; mmd-critic is not installed, no ratio")
        return

    def peer():  # the kernel matrix and the greedy search: the whole job, as ours
        critic = MMDCritic(X, RBFKernel(sigma=sigma))
        return critic, critic.select_prototypes(n_prototypes)[0]

    times, outs = _rounds(
        {"ours": lambda: prototypes(X, n_prototypes, gamma=gamma), "peer": peer}, repeat
    )
    ours_t, peer_t = min(times["ours"]), min(times["peer"])
    critic, protos = outs["peer"]
    crit_t, _ = _best(lambda: critic.select_criticisms(n_criticisms, protos))
    peer_ct = peer_t + crit_t
    same = np.array_equal(protos, X[outs["ours"].prototype_indices])
    spread = "; ".join(
        f"{name} best {min(t) * 1e3:.1f} ms, median {np.median(t) * 1e3:.1f}, worst {max(t) * 1e3:.1f}"
        for name, t in times.items()
    )
    print(f"{repeat} rounds of 3 runs each, alternating: {spread}")
    print(
        f"prototypes ({n_prototypes}) on digits {X.shape}: ours {ours_t:.4f}s mmd-critic "
        f"{peer_t:.4f}s ratio peer/ours = {peer_t / ours_t:.1f}x, same picks in the same order: {same}"
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
