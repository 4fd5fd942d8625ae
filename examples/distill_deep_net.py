"""Distill a deep torch network (4 hidden layers) into rules, a tree and an EBM.

The network is trained on scikit-learn's bundled breast-cancer data. Each student is
fitted to the network's answers on synthesized queries; its fidelity (agreement with the
network) is measured on fresh held-out queries and on the real test rows, each with a
95% Clopper-Pearson interval. Fidelity, not accuracy, is what makes a student a faithful
reading of the network.

Run: python examples/distill_deep_net.py        (about a minute)
     GLASSBOX_QUICK=1 python examples/distill_deep_net.py   (seconds)
Needs torch (pip install glassbox[torch]); without it the script says so and exits.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

QUICK = os.environ.get("GLASSBOX_QUICK") == "1"


def deep_mlp(X: np.ndarray, y: np.ndarray, *, epochs: int, width: int = 64, seed: int = 0):
    """Four hidden ReLU layers, standardization inside the module, full-batch Adam."""
    import torch

    torch.manual_seed(seed)
    mean = torch.tensor(X.mean(axis=0), dtype=torch.float32)
    sd = torch.tensor(X.std(axis=0) + 1e-12, dtype=torch.float32)

    class Standardize(torch.nn.Module):
        def forward(self, x):
            return (x - mean) / sd

    layers: list = [Standardize()]
    d = X.shape[1]
    for _ in range(4):
        layers += [torch.nn.Linear(d, width), torch.nn.ReLU()]
        d = width
    layers.append(torch.nn.Linear(d, int(y.max()) + 1))
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-4)
    Xt = torch.tensor(X, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.long)
    for _ in range(epochs):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(Xt), yt).backward()
        opt.step()
    return net.eval()


def main() -> int:
    try:
        import torch
    except ImportError:
        print("This example needs torch (pip install glassbox[torch]); it is not installed.")
        return 0
    from sklearn.model_selection import train_test_split

    from glassbox.datasets import breast_cancer
    from surrogates import as_blackbox, distill

    X, y = breast_cancer()
    classes = np.array(sorted(y.unique()))
    codes = np.searchsorted(classes, y.to_numpy())
    X_train, X_test, y_train, y_test = train_test_split(
        X, codes, test_size=0.3, random_state=0, stratify=codes
    )
    t0 = time.perf_counter()
    torch.set_num_threads(1)  # a small net: one thread is fastest, and kind to a shared machine
    net = deep_mlp(X_train.to_numpy(), y_train, epochs=150 if QUICK else 400)
    with torch.no_grad():
        pred = net(torch.tensor(X_test.to_numpy(), dtype=torch.float32)).argmax(1).numpy()
    print(
        f"Black box: torch MLP, 4 hidden layers x 64 (ReLU), trained in "
        f"{time.perf_counter() - t0:.1f} s; test accuracy {np.mean(pred == y_test):.3f}\n"
    )
    blackbox = as_blackbox(net, classes=classes, feature_names=list(X.columns))
    n_queries = 1_000 if QUICK else 20_000
    students = {
        "rules": {"max_depth": 4},
        "tree": {"max_depth": 4},
        # quick: a main-effects EBM with few rounds; full: distill's EBM defaults
        "ebm": {"verbose": False, "interactions": 0, "max_rounds": 200}
        if QUICK
        else {"verbose": False},
    }
    rows = []
    for name, params in students.items():
        t0 = time.perf_counter()
        sur = distill(
            blackbox,
            X_train,
            student=name,
            student_params=params,
            n_queries=n_queries,
            random_state=0,
            progress=False,
        )
        took = time.perf_counter() - t0
        held = sur.fidelity_  # on fresh held-out queries
        test = sur.fidelity(X_test)
        acc = float(np.mean(np.asarray(sur.predict(X_test)) == classes[y_test]))
        rows.append((name, sur, held, test, acc, took))
        print(f"=== student: {name} ({took:.1f} s) ===")
        if name != "ebm":  # an EBM prints one shape table per term: long
            print(sur)
        else:
            print(f"{type(sur.student_).__name__} with complexity {sur.complexity_}")
        print()
    print("Fidelity to the network (agreement, 95% Clopper-Pearson interval):")
    print(f"{'student':8s} {'complexity':>10s}  {'held-out queries':28s} {'real test rows':28s}"
          f" {'accuracy':>8s}")  # fmt: skip
    for name, sur, held, test, acc, _ in rows:
        h = f"{held.value:.3f} [{held.lower:.3f}, {held.upper:.3f}] n={held.n}"
        t = f"{test.value:.3f} [{test.lower:.3f}, {test.upper:.3f}] n={test.n}"
        print(f"{name:8s} {sur.complexity_!s:>10s}  {h:28s} {t:28s} {acc:8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
