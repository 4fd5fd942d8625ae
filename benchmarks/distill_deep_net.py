"""Fidelity of rules / tree / EBM students distilled from a 4-hidden-layer torch MLP.

Black box: a torch MLP, 4 hidden ReLU layers of 64, standardization inside the module,
trained full-batch with Adam (seeded). Data: scikit-learn's bundled breast cancer and wine,
and a make_classification table (20 features, 3 classes); 30% of rows held out.

For each student, ours is ``distill`` (synthesized queries labelled by the net, as many as
validation queries support); the peer is the usual global surrogate: the same student
class and settings fitted on the training rows labelled by the net. Fidelity is agreement
with the net on the real test rows with a 95% Clopper-Pearson interval (ours also on its
fresh held-out queries). The ratio printed is the peer's disagreement over ours
(1 - fidelity): above 1 means distill's student follows the net more closely.

Run: python benchmarks/distill_deep_net.py [--quick]
(--quick: breast cancer only, fewer epochs and queries, main-effects EBM.)
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")


def deep_mlp(X: np.ndarray, y: np.ndarray, *, epochs: int, width: int = 64, seed: int = 0):
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
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.long)
    for _ in range(epochs):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(Xt), yt).backward()
        opt.step()
    return net.eval()


def load(quick: bool):
    import pandas as pd
    from sklearn.datasets import make_classification

    from glassbox import datasets

    out = {"breast_cancer": datasets.breast_cancer()}
    if not quick:
        out["wine"] = datasets.wine()
        X, y = make_classification(n_samples=1500, n_features=20, n_informative=8,
                                   n_classes=3, random_state=0)  # fmt: skip
        out["make_classification"] = (
            pd.DataFrame(X, columns=[f"x{j}" for j in range(20)]),
            pd.Series(y),
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    import torch
    from sklearn.base import clone
    from sklearn.model_selection import train_test_split

    from surrogates import as_blackbox, distill, fidelity

    torch.set_num_threads(1)
    quick = args.quick
    students = {
        "rules": {"max_depth": 4},
        "tree": {"max_depth": 4},
        "ebm": {"verbose": False, "interactions": 0, "max_rounds": 300}
        if quick
        else {"verbose": False},
    }
    print(f"{'data':20s} {'student':6s} {'cx':>4s}  {'ours: test rows':26s} "
          f"{'usual: test rows':26s} {'ours: held-out queries':26s} {'s':>6s}")  # fmt: skip
    ratios = []
    for name, (X, y) in load(quick).items():
        classes = np.array(sorted(y.unique()))
        codes = np.searchsorted(classes, y.to_numpy())
        X_tr, X_te, y_tr, _ = train_test_split(X, codes, test_size=0.3, random_state=0,
                                               stratify=codes)  # fmt: skip
        net = deep_mlp(X_tr.to_numpy(), y_tr, epochs=150 if quick else 500)
        bb = as_blackbox(net, classes=classes, feature_names=list(X.columns))
        for student, params in students.items():
            t0 = time.perf_counter()
            sur = distill(bb, X_tr, student=student, student_params=params,
                          n_queries=1_000 if quick else 20_000, random_state=0,
                          progress=False)  # fmt: skip
            took = time.perf_counter() - t0
            ours = sur.fidelity(X_te)
            usual_model = clone(sur.student_).fit(X_tr, bb.predict(X_tr))
            usual = fidelity(bb, usual_model, X_te)
            held = sur.fidelity_

            def cell(f):
                return f"{f.value:.3f} [{f.lower:.3f}, {f.upper:.3f}] n={f.n}"

            print(f"{name:20s} {student:6s} {sur.complexity_!s:>4s}  {cell(ours):26s} "
                  f"{cell(usual):26s} {cell(held):26s} {took:6.1f}")  # fmt: skip
            ratios.append((name, student, 1 - usual.value, 1 - ours.value))
    print()
    for name, student, dis_usual, dis_ours in ratios:
        r = dis_usual / dis_ours if dis_ours > 0 else float("inf")
        print(f"{name} {student}: disagreement with the net, test rows: usual {dis_usual:.3f}, "
              f"ours {dis_ours:.3f}; ratio usual/ours = {r:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
