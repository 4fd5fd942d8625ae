"""integrated_gradients: captum's step rules reproduced, the exact piecewise-linear mode
against a closed form and against completeness, the adaptive mode on a smooth net."""

import numpy as np
import pytest


def _torch_or_skip():
    try:
        import torch
    except ImportError:
        pytest.skip("torch is an optional extra (pip install glassbox[torch]) and is not installed")
    return torch


def _captum_or_skip():
    try:
        import captum.attr as ca
    except ImportError:
        pytest.skip("captum (test extra) is not installed")
    return ca


@pytest.fixture
def torch():
    return _torch_or_skip()


def _relu_mlp(torch, hidden=(16, 16), d=5, k=3, seed=0):
    torch.manual_seed(seed)
    layers, width = [], d
    for h in hidden:
        layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
        width = h
    return torch.nn.Sequential(*layers, torch.nn.Linear(width, k)).eval()


@pytest.mark.parametrize("rule", ["riemann_trapezoid", "gausslegendre"])
def test_step_rules_equal_captum(torch, rule):
    ca = _captum_or_skip()
    from surrogates.neural import integrated_gradients

    net = _relu_mlp(torch)
    x = torch.randn(11, 5, generator=torch.Generator().manual_seed(3))
    base = torch.randn(1, 5, generator=torch.Generator().manual_seed(4))
    tgt = np.arange(11) % 3
    ours = integrated_gradients(
        net, x, baseline=base, target=tgt, method=rule, n_steps=37, batch_size=4
    )
    ref = ca.IntegratedGradients(net).attribute(
        x, baselines=base, target=torch.as_tensor(tgt), method=rule, n_steps=37
    )
    np.testing.assert_allclose(ours.values, ref.detach().numpy(), atol=1e-6)
    with torch.no_grad():
        fx = net(x)[torch.arange(11), torch.as_tensor(tgt)].numpy()
        fb = net(base)[0, torch.as_tensor(tgt)].numpy()
    np.testing.assert_allclose(ours.base_values, fb, atol=1e-6)
    np.testing.assert_allclose(
        ours.extras["completeness_error"], ours.values.sum(axis=1) - (fx - fb), atol=1e-6
    )


def test_exact_mode_equals_closed_form_on_one_hidden_layer(torch):
    """One ReLU layer: unit j switches at alpha_j = -z_j(b) / (z_j(x) - z_j(b)), so IG has a
    closed form: sum over units of w2_j * W1_j * (length of the path where unit j is on)."""
    from surrogates.neural import integrated_gradients

    net = _relu_mlp(torch, hidden=(12,), d=4, k=2, seed=5).double()
    rng = np.random.default_rng(0)
    X, B = rng.normal(size=(9, 4)), rng.normal(size=(9, 4))
    ours = integrated_gradients(net, X, baseline=B, target=1)
    assert ours.extras["integration"] == "exact" and ours.extras["converged"].all()
    W1, b1 = net[0].weight.detach().numpy(), net[0].bias.detach().numpy()
    w2 = net[2].weight.detach().numpy()[1]
    for i in range(9):
        zb, zx = W1 @ B[i] + b1, W1 @ X[i] + b1
        on = np.empty(12)
        for j in range(12):  # fraction of alpha in [0, 1] with zb + alpha (zx - zb) > 0
            if zx[j] == zb[j]:
                on[j] = float(zb[j] > 0)
            else:
                a0 = np.clip(-zb[j] / (zx[j] - zb[j]), 0, 1)
                on[j] = 1 - a0 if zx[j] > zb[j] else a0
        ref = ((w2 * on) @ W1) * (X[i] - B[i])
        np.testing.assert_allclose(ours.values[i], ref, atol=1e-9)


def test_exact_mode_completeness_on_relu_cnn_where_captum_misses(torch):
    ca = _captum_or_skip()
    from surrogates.neural import NeuralExplanation, integrated_gradients

    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 8, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(8 * 4 * 4, 10),
    ).eval()
    from sklearn.datasets import load_digits

    x = torch.as_tensor(load_digits().data[:6] / 16.0, dtype=torch.float32).view(6, 1, 8, 8)
    ours = integrated_gradients(net, x, tol=1e-5)
    assert isinstance(ours, NeuralExplanation) and ours.values.shape == (6, 1, 8, 8)
    assert ours.extras["integration"] == "exact" and ours.extras["converged"].all()
    # completeness checked independently: sum of maps vs f(x) - f(0) from the model itself
    tgt = torch.as_tensor(ours.extras["target"])
    with torch.no_grad():
        gap = (net(x) - net(torch.zeros_like(x)))[torch.arange(6), tgt].double().numpy()
    rel = np.abs(ours.values.reshape(6, -1).sum(axis=1) - gap) / np.abs(gap)
    assert rel.max() < 1e-5
    ref = ca.IntegratedGradients(net).attribute(x, target=tgt, n_steps=300)
    rel_c = np.abs(ref.detach().double().numpy().reshape(6, -1).sum(axis=1) - gap) / np.abs(gap)
    assert rel_c.max() > 1e-5  # captum's 300 steps do not get there
    # and the maps agree with captum's up to captum's own integration error
    assert np.abs(ours.values - ref.detach().numpy()).max() < 50 * rel_c.max() * np.abs(gap).max()


def test_adaptive_mode_on_smooth_net(torch):
    ca = _captum_or_skip()
    from surrogates.neural import integrated_gradients

    torch.manual_seed(2)
    net = torch.nn.Sequential(
        torch.nn.Linear(4, 10), torch.nn.Tanh(), torch.nn.Linear(10, 2)
    ).double()
    x = torch.randn(7, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 2
    tgt = np.array([0, 1, 1, 0, 1, 0, 0])
    ours = integrated_gradients(net, x, target=tgt, tol=1e-8, batch_size=5)
    assert ours.extras["integration"] == "adaptive" and ours.extras["converged"].all()
    assert np.abs(ours.extras["completeness_error"]).max() < 1e-8
    ref = ca.IntegratedGradients(net).attribute(
        x, target=torch.as_tensor(tgt), method="gausslegendre", n_steps=200
    )
    np.testing.assert_allclose(ours.values, ref.detach().numpy(), atol=1e-8)


def test_bad_input(torch):
    from surrogates.neural import integrated_gradients

    net = _relu_mlp(torch)
    X = np.zeros((2, 5))
    with pytest.raises(ValueError, match="method"):
        integrated_gradients(net, X, method="simpson")
    with pytest.raises(ValueError, match="baseline"):
        integrated_gradients(net, X, baseline=np.zeros(3), target=0)
    with pytest.raises(ValueError, match="tol"):
        integrated_gradients(net, X, tol=-1, target=0)
