"""Distill a neural network trained on breast cancer data into rules.

A torch MLP when torch is installed (``pip install glassbox[torch]``), else a
scikit-learn MLPClassifier. The student is a rule list. The printout is the
student, then its fidelity to the network on held-out queries, with a
Clopper-Pearson interval, and the agreement on the real test rows.

Run: python examples/distill_mlp_to_rules.py   (well under a minute)
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split

from glassbox.datasets import breast_cancer
from surrogates import distill


def torch_mlp(X: np.ndarray, y: np.ndarray):
    """A 2x64 MLP in torch with the standardization inside the module."""
    import torch

    torch.manual_seed(0)
    mean = torch.tensor(X.mean(axis=0), dtype=torch.float32)
    sd = torch.tensor(X.std(axis=0) + 1e-12, dtype=torch.float32)

    class Standardize(torch.nn.Module):
        def forward(self, x):
            return (x - mean) / sd

    net = torch.nn.Sequential(
        Standardize(),
        torch.nn.Linear(X.shape[1], 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 2),
    )
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    Xt = torch.tensor(X, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.long)
    for _ in range(200):  # full-batch training: 400 rows
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(Xt), yt)
        loss.backward()
        opt.step()
    return net


def main() -> None:
    X, y = breast_cancer()
    classes = np.array(sorted(y.unique()))
    codes = np.searchsorted(classes, y.to_numpy())
    X_train, X_test, y_train, y_test = train_test_split(X, codes, test_size=0.3, random_state=0)
    try:
        import torch  # noqa: F401

        model = torch_mlp(X_train.to_numpy(), y_train)
        from surrogates import as_blackbox

        # the module sees raw features in the DataFrame's column order
        blackbox = as_blackbox(model, classes=classes, feature_names=list(X.columns))
        kind = "torch MLP (2x64)"
    except ImportError:
        from sklearn.neural_network import MLPClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        model = make_pipeline(
            StandardScaler(), MLPClassifier((64, 64), random_state=0, max_iter=500)
        ).fit(X_train, classes[y_train])
        blackbox = model
        kind = "scikit-learn MLPClassifier (2x64)"

    sur = distill(
        blackbox,
        X_train,
        student="rules",
        student_params={"max_depth": 4},
        n_queries=10_000,
        random_state=0,
    )
    print(f"Black box: {kind}\n")
    print(sur)
    print()
    test = sur.fidelity(X_test)
    print(f"On the {test.n} real test rows: {test}")
    print("\nWeakest regions (held-out queries):")
    print(sur.regions().head(5).to_string(index=False))


if __name__ == "__main__":
    main()
