"""What does a small CNN look at? Attributions on scikit-learn's 8 x 8 digits, with the
sanity checks that tell a map of the model from a map of the input.

1. Train a 2-conv CNN on the digits (bundled with scikit-learn, nothing downloaded).
2. Attribute its predictions: integrated gradients (exact for this ReLU / max-pool net:
   completeness to rounding), saliency (plain gradient), gradient x input, occlusion,
   and explain_image (exact Shapley values over 10 SLIC superpixels).
3. Sanity checks: the cascading model-randomisation test (Adebayo et al. 2018) and
   deletion curves against a random order.

PNGs are written to the current directory: digits_attributions.png,
digits_explain_image.png, digits_randomization.png, digits_deletion.png.

Run: python examples/digits_cnn_attributions.py           (about a minute)
     GLASSBOX_QUICK=1 python examples/digits_cnn_attributions.py   (seconds)
Needs torch (pip install glassbox[torch]); without it the script says so and exits.
SLIC superpixels need scikit-image; without it a 3 x 3 grid is used.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

QUICK = os.environ.get("GLASSBOX_QUICK") == "1"


def train_cnn(X: np.ndarray, y: np.ndarray, *, epochs: int, seed: int = 0):
    import torch

    torch.manual_seed(seed)
    nn = torch.nn
    net = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10),
    )  # fmt: skip
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    Xt = torch.tensor(X, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.long)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for idx in torch.randperm(len(Xt), generator=gen).split(128):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(Xt[idx]), yt[idx]).backward()
            opt.step()
    return net.eval()


def main() -> int:
    try:
        import torch
    except ImportError:
        print("This example needs torch (pip install glassbox[torch]); it is not installed.")
        return 0
    from sklearn.datasets import load_digits

    from glassbox.render import neural_plots
    from surrogates.neural import (
        deletion_curve,
        explain_image,
        gradient_x_input,
        integrated_gradients,
        occlusion,
        randomization_test,
        saliency,
    )

    torch.set_num_threads(1)  # a tiny net: one thread is fastest, and kind to a shared machine
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).reshape(-1, 1, 8, 8)
    train, test = slice(0, 1200), slice(1200, None)
    t0 = time.perf_counter()
    net = train_cnn(X[train], y[train], epochs=8 if QUICK else 40)
    with torch.no_grad():
        acc = (net(torch.tensor(X[test], dtype=torch.float32)).argmax(1).numpy() == y[test]).mean()
    print(f"CNN trained in {time.perf_counter() - t0:.1f} s; test accuracy {acc:.3f}")

    rows = X[test][: 8 if QUICK else 32]
    t0 = time.perf_counter()
    ig = integrated_gradients(net, rows)  # zero baseline, exact integration
    err = np.abs(ig.extras["completeness_error"])
    print(
        f"\nIntegrated gradients ({ig.extras['integration']}): {len(rows)} images in "
        f"{time.perf_counter() - t0:.2f} s, max |completeness error| {err.max():.2e}, "
        f"{ig.extras['n_evals'].mean():.0f} gradient evaluations per image"
    )
    maps = {
        "integrated gradients": ig,
        "saliency": saliency(net, rows, abs=False),
        "gradient x input": gradient_x_input(net, rows),
        "occlusion 2x2": occlusion(net, rows, window=(1, 2, 2), stride=(1, 1, 1)),
    }
    fig = neural_plots.image_attributions(maps, rows=[0, 1, 2])
    fig.savefig("digits_attributions.png", dpi=110)

    try:
        import skimage  # noqa: F401

        segments = "slic"
    except ImportError:
        segments = "grid"
    img = rows[0]
    t0 = time.perf_counter()
    ei = explain_image(net, img, segments=segments, n_segments=10, baseline=0.0, random_state=0)
    fx, fb = ei.extras["output"][0], ei.extras["baseline_output"]
    print(
        f"\nexplain_image ({segments}, {ei.extras['segments'].max() + 1} segments, "
        f"{ei.method}, {ei.extras['n_evaluations']} masked images, "
        f"{time.perf_counter() - t0:.2f} s): sum of values {ei.values.sum():.6f} = "
        f"f(x) - f(baseline) = {fx - fb:.6f}"
    )
    print("segment values:", np.array2string(ei.extras["segment_values"], precision=3))
    neural_plots.image_attribution(ei, title="Shapley values of superpixels").savefig(
        "digits_explain_image.png", dpi=110
    )

    print("\nCascading model-randomisation test (Spearman rank correlation with the trained")
    print("model's maps, mean over images; |map|: on absolute values):")
    sanity_rows = rows[:8]
    results = [
        randomization_test("saliency", net, sanity_rows, abs=False),
        randomization_test("gradient_x_input", net, sanity_rows),
        randomization_test("integrated_gradients", net, sanity_rows),
    ]
    for res in results:
        frame = res.to_frame()
        cells = "  ".join(
            f"{r.layer} {r.module}: {r.spearman:+.2f} (|map| {r.spearman_abs:+.2f})"
            for r in frame.itertuples()
        )
        print(f"  {res.method:22s} {cells}")
    print(
        "  A map that stays correlated once every layer is random shows the input, not what\n"
        "  the network learnt: gradient x input and IG (from a black baseline) keep the\n"
        "  digit's shape (zero pixels get zero attribution), the plain gradient does not."
    )
    neural_plots.randomization(results).savefig("digits_randomization.png", dpi=110)

    print("\nDeletion curves (probability of the predicted class as the most-attributed")
    print("pixels are set to 0; lower AUC is better):")
    curves = []
    for name, e in maps.items():
        c = deletion_curve(net, rows, e, output="softmax", steps=16, random_state=0)
        curves.append(c)
        print(f"  {name:22s} AUC {c.mean_auc:.3f}   random order {c.mean_random_auc:.3f}")
    neural_plots.perturbation_curves(curves, labels=list(maps)).savefig(
        "digits_deletion.png", dpi=110
    )
    print("\nwrote digits_attributions.png, digits_explain_image.png, "
          "digits_randomization.png, digits_deletion.png")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
