"""Sanity checks: model randomisation on a trained digits MLP, deletion / insertion curves
against a hand loop and a known-perfect attribution, infidelity against captum."""

import copy

import numpy as np
import pytest
from scipy.stats import spearmanr

from surrogates.neural import (
    deletion_curve,
    infidelity,
    insertion_curve,
    randomization_test,
    saliency,
)
from surrogates.neural.sanity import _spearman_rows

torch = pytest.importorskip("torch")


def _train(X, y, epochs=80, seed=0):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 32), torch.nn.ReLU(),
        torch.nn.Linear(32, 10),
    )  # fmt: skip
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    xt, yt = torch.tensor(X, dtype=torch.float32), torch.as_tensor(np.asarray(y))
    for _ in range(epochs):  # full batch, ~1 s for 600 rows
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(xt), yt).backward()
        opt.step()
    return net.eval()


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny net trains fastest on one thread (restored below)
    try:
        net = _train(X[:600], y[:600])
    finally:
        torch.set_num_threads(threads)
    with torch.no_grad():
        acc = net(torch.tensor(X[1000:], dtype=torch.float32)).argmax(1).numpy() == y[1000:]
    assert acc.mean() > 0.85  # really trained
    return X, y, net


def test_spearman_matches_scipy():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(5, 30))
    B = A + rng.normal(size=(5, 30))
    B[2, :10] = B[2, 0]  # ties
    ref = [spearmanr(a, b).statistic for a, b in zip(A, B)]
    np.testing.assert_allclose(_spearman_rows(A, B), ref, atol=1e-12)
    assert np.isnan(_spearman_rows(A[:1], np.ones((1, 30))))[0]


def test_randomising_layers_destroys_gradient_maps(digits):
    X, y, net = digits
    before = [p.detach().clone() for p in net.parameters()]
    rows = X[1000:1030]
    res = randomization_test("saliency", net, rows, abs=False,
                             train_fn=lambda Xt, yt: _train(Xt, yt, epochs=60),
                             train_data=(X[:600], y[:600]))  # fmt: skip
    # the model itself is left as it was
    for p, q in zip(before, net.parameters()):
        assert torch.equal(p, q)
    assert res.layers == ("4", "2", "0") and res.spearman.shape == (3, 30)
    # the trained model's map against itself would be 1: randomising every layer leaves
    # little rank agreement, and so does training on permuted labels
    assert np.nanmean(res.spearman[-1]) < 0.4
    assert np.nanmean(res.spearman_abs[-1]) < 0.4
    assert np.nanmean(res.data_spearman) < 0.5
    frame = res.to_frame()
    assert list(frame["layer"]) == ["4", "2", "0", "labels permuted"]
    np.testing.assert_allclose(frame["spearman"][:3], np.nanmean(res.spearman, axis=1))
    # an independent check of one step: the maps of a model whose top layer is replaced by
    # the same re-initialisation (seed random_state + 0), compared with scipy
    rand = copy.deepcopy(net)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        rand[4].reset_parameters()
    target = net(torch.tensor(rows, dtype=torch.float32)).argmax(1).numpy()
    a = saliency(net, rows, target=target, abs=False).values
    b = saliency(rand, rows, target=target, abs=False).values
    ref = [spearmanr(u, v).statistic for u, v in zip(a, b)]
    np.testing.assert_allclose(res.spearman[0], ref, atol=1e-9)
    # independent mode randomises one layer per step: its first step is the same
    ind = randomization_test("saliency", net, rows, layers="independent", abs=False)
    np.testing.assert_allclose(ind.spearman[0], res.spearman[0], atol=1e-12)
    with pytest.raises(ValueError, match="layers must be"):
        randomization_test("saliency", net, rows, layers="bottom-up")
    with pytest.raises(ValueError, match="train_data"):
        randomization_test("saliency", net, rows, train_fn=_train)
    with pytest.raises(ValueError, match="method must be"):
        randomization_test("lrp_magic", net, rows)


def test_gradient_x_input_is_input_dominated(digits):
    # Adebayo et al.: gradient x input keeps much of its map on a random model
    X, _, net = digits
    rows = X[1000:1020]
    gxi = randomization_test("gradient_x_input", net, rows)
    sal = randomization_test("saliency", net, rows)
    assert gxi.mean_spearman_abs[-1] > sal.mean_spearman_abs[-1] + 0.3


def _hand_curve(f, x, attr, baseline, steps, kind):
    d = x.size
    order = np.argsort(-attr.ravel(), kind="stable")
    out = []
    for k in range(steps + 1):
        m = int(round(k * d / steps))
        if kind == "deletion":
            z = x.ravel().copy()
            z[order[:m]] = baseline
        else:
            z = np.full(d, baseline, dtype=float)
            z[order[:m]] = x.ravel()[order[:m]]
        out.append(f(z.reshape(1, *x.shape))[0])
    return np.array(out)


def test_deletion_of_perfect_attribution_on_linear_model(monkeypatch):
    rng = np.random.default_rng(1)
    w = rng.normal(size=12)
    X = rng.normal(size=(8, 12))

    def f(Z):  # a linear model; w * x is its exact attribution against baseline 0
        return (Z.reshape(len(Z), -1) @ w)[:, None]

    A = X * w
    dc = deletion_curve(f, X, A, steps=12, random_state=0, n_random=3)
    ic = insertion_curve(f, X, A, steps=12, random_state=0)
    for i in range(len(X)):
        np.testing.assert_allclose(dc.curve[i], _hand_curve(lambda z: f(z)[:, 0], X[i], A[i],
                                   0.0, 12, "deletion"), atol=1e-12)  # fmt: skip
        np.testing.assert_allclose(ic.curve[i], _hand_curve(lambda z: f(z)[:, 0], X[i], A[i],
                                   0.0, 12, "insertion"), atol=1e-12)  # fmt: skip
    # removing the largest contributions first is the fastest way down
    assert dc.mean_auc < dc.mean_random_auc
    assert ic.mean_auc > ic.mean_random_auc
    assert (dc.auc <= dc.random_auc + 1e-12).all()
    np.testing.assert_allclose(dc.auc, np.trapezoid(dc.curve, dc.fractions, axis=1))
    np.testing.assert_allclose(dc.curve[:, 0], X @ w)
    np.testing.assert_allclose(dc.curve[:, -1], 0.0, atol=1e-12)
    assert list(dc.to_frame().columns) == ["kind", "fraction", "attribution_order", "random_order"]
    # rows in blocks (a small memory budget) give the same curves
    import surrogates.neural.sanity as sanity

    monkeypatch.setattr(sanity, "_BLOCK_NUMBERS", 3 * 13 * 12)
    small = deletion_curve(f, X, A, steps=12, random_state=0, n_random=3)
    np.testing.assert_array_equal(small.curve, dc.curve)
    np.testing.assert_array_equal(small.random_curve, dc.random_curve)


def test_curves_on_torch_net_with_softmax(digits):
    X, _, net = digits
    rows = X[1000:1006]
    sal = saliency(net, rows)
    dc = deletion_curve(net, rows, sal, steps=8, output="softmax", baseline=0.5,
                        random_state=0)  # fmt: skip

    def probs(z):
        with torch.no_grad():
            return torch.softmax(net(torch.tensor(z, dtype=torch.float32)), 1).numpy()

    tgt = probs(rows).argmax(1)
    for i in range(len(rows)):
        hand = _hand_curve(lambda z, t=tgt[i]: probs(z)[:, t], rows[i], sal.values[i], 0.5, 8,
                           "deletion")  # fmt: skip
        np.testing.assert_allclose(dc.curve[i], hand, rtol=1e-5, atol=1e-6)  # float32 softmax
    with pytest.raises(ValueError, match="attributions have shape"):
        deletion_curve(net, rows, sal.values[:, :5])


@pytest.mark.parametrize("normalize", [False, True])
def test_infidelity_matches_captum(digits, normalize):
    cm = pytest.importorskip("captum.metrics")
    X, _, net = digits
    rows = torch.tensor(X[1000:1010], dtype=torch.float32)
    attr = saliency(net, rows, target=3, abs=False).values

    def perturb(inputs):
        noise = 0.1 * torch.randn(inputs.shape, dtype=inputs.dtype)
        return noise, inputs - noise

    torch.manual_seed(5)
    ref = cm.infidelity(net, perturb, rows, torch.tensor(attr, dtype=torch.float32), target=3,
                        n_perturb_samples=7, normalize=normalize).numpy()  # fmt: skip
    torch.manual_seed(5)
    ours = infidelity(net, rows, attr, target=3, perturb_func=perturb, n_perturb_samples=7,
                      normalize=normalize)  # fmt: skip
    np.testing.assert_allclose(ours, ref, rtol=2e-4, atol=1e-7)
    # the default perturbation is seeded
    a = infidelity(net, rows, attr, target=3, random_state=1)
    np.testing.assert_array_equal(a, infidelity(net, rows, attr, target=3, random_state=1))
    assert a.shape == (10,) and (a >= 0).all()
