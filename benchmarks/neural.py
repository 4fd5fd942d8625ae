"""surrogates.neural vs captum on a small CNN trained on scikit-learn's digits.

For each method: wall time (best of 5 runs; 3 for expected gradients) of ours and of
captum on the same 32 test images, the largest difference between the maps, and the ratio
captum time / our time. For integrated
gradients also the completeness error, max over rows of
|sum of attributions - (f(x) - f(0))| / |f(x) - f(0)|: ours in exact mode (piecewise-linear
net, float64) against captum with the Gauss-Legendre and trapezoid rules at growing
n_steps. "Equal completeness" compares with the first captum run that reaches our error;
when none does, the ratio against captum's largest run is a lower bound.

LRP: captum's LRP rejects this nn.Sequential (no rule for nn.Flatten; printed), so captum
runs on the same layers with the flattening moved into forward; ours runs on the Sequential
(in float64, after a torch.fx trace). Expected gradients vs captum's GradientShap: same
background (100 training images) and number of draws, different draws, so "max |diff|" is
Monte-Carlo error; the completeness gap of both is printed.

Run: .venv/bin/python benchmarks/neural.py [--quick]
"""

from __future__ import annotations

import copy
import os
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from captum import attr as ca  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

from surrogates import neural  # noqa: E402

torch.set_num_threads(1)
QUICK = "--quick" in sys.argv


def digits_cnn():
    X, y = load_digits(return_X_y=True)
    X = torch.as_tensor(X / 16.0, dtype=torch.float32).view(-1, 1, 8, 8)
    y = torch.as_tensor(y)
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(16 * 4 * 4, 10),
    )
    opt = torch.optim.Adam(net.parameters(), 1e-2)
    for _ in range(2 if QUICK else 4):
        for i in range(0, 1400, 64):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(X[i : i + 64]), y[i : i + 64]).backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        acc = (net(X[1400:]).argmax(1) == y[1400:]).float().mean().item()
    return net, X[1400:1416] if QUICK else X[1400:1432], acc


def timed(fn, repeats: int = 1):
    """fn's result and its best wall time over ``repeats`` runs (the machine is shared, so
    the minimum is the least noisy estimate)."""
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return out, best


class Unrolled(torch.nn.Module):
    """The digits CNN with the flattening done in forward: captum's LRP has no rule for
    nn.Flatten, so this is the form of the same net that captum can run."""

    def __init__(self, seq):
        super().__init__()
        self.c1, self.r1, self.p1, self.c2, self.r2 = (seq[i] for i in range(5))
        self.fc = seq[6]

    def forward(self, x):
        h = self.r2(self.c2(self.p1(self.r1(self.c1(x)))))
        return self.fc(h.view(h.shape[0], -1))


def captum_lrp_on_sequential(net, x, tgt) -> str:
    try:
        ca.LRP(copy.deepcopy(net)).attribute(x, target=tgt)
    except Exception as exc:  # noqa: BLE001 - the point is to show captum's failure
        return f"fails ({type(exc).__name__}: {str(exc)[:60]}...)"
    return "runs"


def expected_gradients_rows(net, x, tgt) -> None:
    """Same number of (baseline, alpha) draws for both; the draws differ, so the maps differ
    by Monte-Carlo error. Completeness gap: mean over rows of |sum of values - (f(x) - mean
    f(background))|; ours uses stratified draws (the default), captum iid ones."""
    X_all, _ = load_digits(return_X_y=True)
    bg = torch.as_tensor(X_all[:100] / 16.0, dtype=torch.float32).view(-1, 1, 8, 8)
    with torch.no_grad():
        fb = net(bg)[:, tgt].mean(dim=0).numpy()
        fx = net(x)[torch.arange(len(x)), tgt].numpy()
    for n in (50, 200) if QUICK else (50, 200, 800):
        ours_fn = lambda n=n: neural.expected_gradients(  # noqa: E731
            net, x, bg, target=tgt.numpy(), n_samples=n, random_state=0
        )
        theirs_fn = lambda n=n: ca.GradientShap(net).attribute(  # noqa: E731
            x, baselines=bg, target=tgt, n_samples=n, stdevs=0.0
        )
        ours_fn(), theirs_fn()
        (o, to), (c, tc) = timed(ours_fn, 3), timed(theirs_fn, 3)
        c = c.detach().numpy()
        gap_o = np.abs(o.extras["completeness_error"]).mean()
        gap_c = np.abs(c.reshape(len(x), -1).sum(axis=1) - (fx - fb)).mean()
        print(
            f"{'expected_gradients n=' + str(n):<34}{to:9.3f}{tc:10.3f}{tc / to:8.2f}"
            f"{np.abs(o.values - c).max():12.2e}   completeness gap ours {gap_o:.1e}, "
            f"captum {gap_c:.1e}"
        )
        print(f"  ratio peer/ours = {tc / to:.2f}x (expected_gradients vs GradientShap, n={n})")


def main() -> None:
    net, x, acc = digits_cnn()
    with torch.no_grad():
        tgt = net(x).argmax(1)
    print(f"digits CNN, test accuracy {acc:.3f}; {len(x)} images 1x8x8; torch threads 1\n")
    print(f"{'method':<34}{'ours s':>9}{'captum s':>10}{'ratio':>8}{'max |diff|':>12}")

    def row(name, ours, theirs):
        ours(), theirs()  # warm-up: first calls pay for lazy imports and allocator growth
        (o, to), (c, tc) = timed(ours, 5), timed(theirs, 5)
        c = c.detach().numpy() if hasattr(c, "detach") else c
        diff = np.abs(o.values - c).max()
        print(f"{name:<34}{to:9.3f}{tc:10.3f}{tc / to:8.2f}{diff:12.2e}")
        print(f"  ratio peer/ours = {tc / to:.2f}x ({name})")

    row(
        "saliency",
        lambda: neural.saliency(net, x, target=tgt.numpy()),
        lambda: ca.Saliency(net).attribute(x, target=tgt),
    )
    row(
        "gradient_x_input",
        lambda: neural.gradient_x_input(net, x, target=tgt.numpy()),
        lambda: ca.InputXGradient(net).attribute(x, target=tgt),
    )
    # different noise draws, so the maps differ by sampling error only
    row(
        "smoothgrad (25 samples, sd 0.1)",
        lambda: neural.smoothgrad(net, x, target=tgt.numpy(), n_samples=25, noise_level=0.1),
        lambda: ca.NoiseTunnel(ca.Saliency(net)).attribute(
            x, nt_type="smoothgrad", nt_samples=25, stdevs=0.1, target=tgt, abs=False
        ),
    )
    row(
        "occlusion (window 1x2x2, stride 1)",
        lambda: neural.occlusion(net, x, (1, 2, 2), 1, 0.0, target=tgt.numpy()),
        lambda: ca.Occlusion(net).attribute(
            x, sliding_window_shapes=(1, 2, 2), strides=1, baselines=0.0, target=tgt
        ),
    )

    print(f"  captum LRP on this nn.Sequential: {captum_lrp_on_sequential(net, x, tgt)}")
    row(
        "lrp epsilon 1e-9 (captum: unrolled)",
        lambda: neural.lrp(net, x, target=tgt.numpy(), epsilon=1e-9),
        lambda: ca.LRP(Unrolled(copy.deepcopy(net)).eval()).attribute(x, target=tgt),
    )
    expected_gradients_rows(net, x, tgt)

    print("\nintegrated gradients, baseline 0 (completeness: max relative error over rows)")
    neural.integrated_gradients(net, x[:2], target=tgt[:2].numpy())  # warm-up
    ours, t_ours = timed(lambda: neural.integrated_gradients(net, x, target=tgt.numpy()))
    gap = ours.extras["output"] - ours.base_values
    err_ours = np.abs(ours.extras["completeness_error"] / gap).max()
    print(
        f"  ours ({ours.extras['integration']}): {t_ours:.3f} s, completeness {err_ours:.1e}, "
        f"{ours.extras['n_evals'].mean():.0f} gradient evaluations per image"
    )
    for rule in ("gausslegendre", "riemann_trapezoid"):
        # captum's Gauss-Legendre nodes come from numpy's leggauss, an O(n^3) eigen-solve
        # that dominates its time above ~2000 steps (reported below), so GL stops at 3000
        if QUICK:
            steps = [50, 300, 1000]
        else:
            steps = (
                [50, 300, 1000, 3000] if rule == "gausslegendre" else [50, 300, 1000, 3000, 10000]
            )
        last = None
        for n in steps:
            ig = ca.IntegratedGradients(net)
            a, tc = timed(
                lambda ig=ig, n=n, rule=rule: ig.attribute(
                    x, target=tgt, n_steps=n, method=rule, internal_batch_size=512
                )
            )
            s = a.detach().double().numpy().reshape(len(x), -1).sum(axis=1)
            err = np.abs((s - gap) / gap).max()
            diff = np.abs(a.detach().numpy() - ours.values).max()
            print(
                f"  captum {rule:<18} n_steps {n:>5}: {tc:8.3f} s, completeness {err:.1e}, "
                f"max |map - ours| {diff:.1e}, time ratio {tc / t_ours:6.2f}"
            )
            if rule == "gausslegendre":
                _, t_nodes = timed(lambda n=n: np.polynomial.legendre.leggauss(n))
                print(f"{'':<10}(of which numpy leggauss nodes: {t_nodes:.3f} s)")
            last = (n, tc, err)
            if err <= err_ours:
                break
        n, tc, err = last
        kind = "equal completeness" if err <= err_ours else "lower bound (captum not there)"
        print(f"  -> {rule}: ratio captum/ours {tc / t_ours:.1f}x ({kind}, captum at {n} steps)")


if __name__ == "__main__":
    main()
