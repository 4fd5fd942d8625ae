"""lrp: the LRP-0 = gradient x input identity on bias-free ReLU nets (MLP, CNN, residual
and concatenating custom modules), conservation, captum's LRP where captum runs, the
z+ / gamma / epsilon rules against hand and numpy computations, BatchNorm merging against
torch's own fusion, and clear errors."""

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn


def _gxi(net, x, target):
    """gradient x input straight from autograd (float64)."""
    xi = torch.as_tensor(x, dtype=torch.float64).clone().requires_grad_(True)
    out = net.double()(xi)
    out[torch.arange(len(xi)), torch.as_tensor(target)].sum().backward()
    return (xi.grad * xi).detach().numpy()


def _mlp(seed=0, bias=False):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(6, 10, bias=bias), nn.ReLU(), nn.Linear(10, 8, bias=bias), nn.LeakyReLU(0.1),
        nn.Dropout(0.3), nn.Linear(8, 3, bias=bias),
    ).eval()  # fmt: skip


def _cnn(seed=1, bias=False):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, bias=bias), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, bias=bias), nn.ReLU(), nn.AvgPool2d(2), nn.Identity(),
        nn.Flatten(), nn.Linear(6, 5, bias=bias),
    ).eval()  # fmt: skip


class _Residual(nn.Module):
    """x + relu(lin(x)), then a branch concatenated: exercises add and torch.cat."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(2)
        self.inp = nn.Linear(5, 7, bias=False)
        self.block = nn.Sequential(nn.Linear(7, 7, bias=False), nn.ReLU())
        self.side = nn.Linear(7, 3, bias=False)
        self.head = nn.Linear(10, 2, bias=False)

    def forward(self, x):
        h = torch.relu(self.inp(x))
        h = h + self.block(h)
        h = torch.cat([h, self.side(h)], dim=1)
        return self.head(h.view(h.shape[0], -1))


@pytest.mark.parametrize("kind", ["mlp", "cnn", "residual", "conv1d"])
def test_lrp0_equals_gradient_x_input_without_bias(kind):
    from surrogates.neural import lrp

    gen = torch.Generator().manual_seed(3)
    if kind == "mlp":
        net, x = _mlp(), torch.randn(9, 6, generator=gen)
    elif kind == "cnn":
        net, x = _cnn(), torch.randn(4, 1, 8, 8, generator=gen)
    elif kind == "residual":
        net, x = _Residual().eval(), torch.randn(7, 5, generator=gen)
    else:  # a shared module used twice, Conv1d, adaptive pooling, Unflatten
        torch.manual_seed(5)
        conv = nn.Conv1d(2, 2, 3, padding=1, bias=False)
        net = nn.Sequential(
            nn.Unflatten(1, (2, 9)), conv, nn.ReLU(), conv, nn.LeakyReLU(0.2),
            nn.AdaptiveAvgPool1d(3), nn.Flatten(), nn.Linear(6, 2, bias=False),
        ).eval()  # fmt: skip
        x = torch.randn(5, 18, generator=gen)
    tgt = np.arange(len(x)) % (3 if kind == "mlp" else 2)
    ref = _gxi(copy.deepcopy(net), x, tgt)
    res = lrp(net, x, target=tgt, epsilon=0.0, batch_size=3)
    np.testing.assert_allclose(res.values, ref, atol=1e-6)
    small = lrp(net, x, target=tgt, epsilon=1e-9)  # epsilon -> 0
    np.testing.assert_allclose(small.values, ref, atol=1e-6)


@pytest.mark.parametrize("kind", ["mlp", "cnn", "residual"])
def test_conservation_bias_free(kind):
    from surrogates.neural import lrp

    gen = torch.Generator().manual_seed(4)
    net = {"mlp": _mlp, "cnn": _cnn, "residual": lambda: _Residual().eval()}[kind]()
    x = {"mlp": (8, 6), "cnn": (3, 1, 8, 8), "residual": (6, 5)}[kind]
    x = torch.randn(*x, generator=gen)
    with torch.no_grad():
        out = copy.deepcopy(net).double()(x.double())[:, 1].numpy()
    for rule in ("epsilon", "gamma"):
        # a larger epsilon leaks relevance R_j eps / (|z_j| + eps) at every neuron: that
        # leak is what epsilon_absorbed reports, exactly
        res = lrp(net, x, target=1, rule=rule, epsilon=1e-4)
        total = res.values.reshape(len(x), -1).sum(axis=1)
        assert np.abs(res.extras["epsilon_absorbed"]).max() > 1e-9
        np.testing.assert_allclose(total + res.extras["epsilon_absorbed"], out, atol=1e-10)
        # epsilon -> 0: conserved within 1e-5 (relative to the output), layer by layer
        res = lrp(net, x, target=1, rule=rule, epsilon=1e-9)
        total = res.values.reshape(len(x), -1).sum(axis=1)
        np.testing.assert_allclose(res.extras["output"], out, atol=1e-12)
        np.testing.assert_allclose(total, out, rtol=1e-5, atol=0)
        np.testing.assert_allclose(res.extras["bias_absorbed"], 0.0, atol=1e-12)
        layers = res.extras["layers"]
        assert np.max([np.abs(e["conservation_error"]).max() for e in layers]) < 1e-10
        for e in layers:  # per layer: in = out - absorbed, and within 1e-5 without bias
            np.testing.assert_allclose(e["relevance_in"], e["relevance_out"], rtol=1e-5)
        # the top layer receives the output, the input gets what the bottom layer passes
        np.testing.assert_allclose(layers[-1]["relevance_out"], out, atol=1e-12)
        np.testing.assert_allclose(layers[0]["relevance_in"], total, atol=1e-10)


def test_bias_absorbed_is_accounted():
    from surrogates.neural import lrp

    net = _cnn(bias=True)
    x = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(5))
    res = lrp(net, x, target=0, epsilon=1e-4)
    total = res.values.reshape(3, -1).sum(axis=1)
    np.testing.assert_allclose(
        total + res.extras["bias_absorbed"] + res.extras["epsilon_absorbed"],
        res.extras["output"], atol=1e-10,
    )  # fmt: skip
    np.testing.assert_allclose(res.base_values, res.extras["output"] - total, atol=1e-12)
    assert np.abs(res.extras["bias_absorbed"]).min() > 1e-6  # the biases do absorb some
    # one Linear layer by hand: R_x = x w R / (z + eps), bias share b R / (z + eps)
    torch.manual_seed(0)
    lin = nn.Linear(4, 2)
    xx = np.random.default_rng(0).normal(size=(5, 4))
    one = lrp(lin, xx, target=1, epsilon=0.0)
    w, b = lin.weight.detach().double().numpy()[1], float(lin.bias.detach()[1])
    np.testing.assert_allclose(one.values, xx * w, atol=1e-12)  # R = z, so R / z = 1
    np.testing.assert_allclose(one.extras["bias_absorbed"], np.full(5, b), atol=1e-12)

    class Shifted(nn.Module):  # a parameter added in forward is a bias too
        def __init__(self):
            super().__init__()
            self.lin = lin
            self.shift = nn.Parameter(torch.tensor([0.3, -0.7]))

        def forward(self, z):
            return self.lin(z) + self.shift

    two = lrp(Shifted(), xx, target=1, epsilon=0.0)
    np.testing.assert_allclose(two.values, xx * w, atol=1e-12)
    np.testing.assert_allclose(two.extras["bias_absorbed"], np.full(5, b - 0.7), atol=1e-12)


def test_zplus_by_hand():
    from surrogates.neural import lrp

    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, -1.0], [2.0, 1.0]]))
        net[0].bias.copy_(torch.tensor([0.0, -1.0]))
        net[2].weight.copy_(torch.tensor([[-1.0, 2.0]]))
        net[2].bias.copy_(torch.tensor([0.5]))
    # x = (1, 2): h = (-1, 3), a = (0, 3), out = 6 + 0.5 = 6.5.
    # top layer z+: w+ = (0, 2), z = 6, R_a = a * w+ * 6.5 / 6 = (0, 6.5).
    # bottom z+: W+ = [[1, 0], [2, 1]], z = (1, 4), s = (0, 6.5 / 4),
    # R_x = x * (W+^T s) = (1 * 2 * 6.5 / 4, 2 * 1 * 6.5 / 4) = (3.25, 3.25)
    res = lrp(net, np.array([[1.0, 2.0]]), rule="zplus", epsilon=0.0)
    np.testing.assert_allclose(res.values, [[3.25, 3.25]], atol=1e-12)
    np.testing.assert_allclose(res.extras["output"], [6.5], atol=1e-12)
    np.testing.assert_allclose(res.extras["bias_absorbed"], [0.0], atol=1e-12)


def _numpy_lrp(W1, b1, W2, b2, X, t, rules, eps, gamma):
    def mod(w, b, r):
        if r == "gamma":
            return w + gamma * np.clip(w, 0, None), b + gamma * np.clip(b, 0, None)
        if r == "zplus":
            return np.clip(w, 0, None), 0 * b
        return w, b

    out = np.zeros_like(X)
    for i, x in enumerate(X):
        a = np.maximum(W1 @ x + b1, 0)
        z2 = W2 @ a + b2
        R = np.zeros_like(z2)
        R[t] = z2[t]
        for (w, b), inp, r in (((W2, b2), a, rules[1]), ((W1, b1), x, rules[0])):
            w, b = mod(w, b, r)
            z = w @ inp + b
            R = inp * (w.T @ (R / (z + eps * np.where(z >= 0, 1, -1))))
        out[i] = R
    return out


def test_rules_and_composites_against_numpy():
    from surrogates.neural import lrp

    torch.manual_seed(6)
    net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3)).double().eval()
    W1, b1 = net[0].weight.detach().numpy(), net[0].bias.detach().numpy()
    W2, b2 = net[2].weight.detach().numpy(), net[2].bias.detach().numpy()
    X = np.abs(np.random.default_rng(6).normal(size=(5, 4)))
    cases = [
        ("epsilon", ["epsilon", "epsilon"]),
        ("gamma", ["gamma", "gamma"]),
        ("zplus", ["zplus", "zplus"]),
        ({0: "zplus", -1: "epsilon"}, ["zplus", "epsilon"]),
        ([(nn.Linear, "gamma"), ("2", "epsilon")], ["gamma", "epsilon"]),  # name beats class
        ({"0": "gamma"}, ["gamma", "epsilon"]),  # unmatched layers: epsilon
    ]
    for rule, (r1, r2) in cases:
        res = lrp(net, X, target=2, rule=rule, epsilon=0.01, gamma=0.5)
        ref = _numpy_lrp(W1, b1, W2, b2, X, 2, [r1, r2], 0.01, 0.5)
        np.testing.assert_allclose(res.values, ref, atol=1e-12, err_msg=str(rule))
        assert [e["rule"] for e in res.extras["layers"]] == [r1, r2]


def test_equals_captum_lrp_and_handles_the_sequential_captum_rejects():
    ca = pytest.importorskip("captum.attr")
    from surrogates.neural import lrp

    seq = _cnn(seed=7, bias=True)

    class Unrolled(nn.Module):  # the same layers, flattening in forward, which captum runs
        def __init__(self, s):
            super().__init__()
            self.c1, self.r1, self.p1, self.c2, self.r2, self.p2 = (s[i] for i in range(6))
            self.fc = s[8]

        def forward(self, x):
            h = self.p2(self.r2(self.c2(self.p1(self.r1(self.c1(x))))))
            return self.fc(h.view(h.shape[0], -1))

    x = torch.randn(5, 1, 8, 8, generator=torch.Generator().manual_seed(8))
    with pytest.raises(TypeError, match="(Identity|Flatten).*has no rule"):
        ca.LRP(copy.deepcopy(seq)).attribute(x, target=3)
    ref = ca.LRP(Unrolled(copy.deepcopy(seq)).eval()).attribute(x, target=3).detach().numpy()
    ours = lrp(seq, x, target=3, epsilon=1e-9)  # captum's default: epsilon rule, 1e-9
    assert np.abs(ref).max() > 1e-3
    np.testing.assert_allclose(ours.values, ref, atol=1e-6)


def test_batchnorm_merged_like_torch_fusion():
    from torch.nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval

    from surrogates.neural import lrp

    torch.manual_seed(9)
    net = nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
        nn.Linear(3 * 16, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2),
    )  # fmt: skip
    for bn in (net[1], net[5]):
        bn.running_mean.normal_()
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.data.normal_()
        bn.bias.data.normal_()
    net.eval()
    fused = nn.Sequential(
        fuse_conv_bn_eval(net[0], net[1]), nn.ReLU(), nn.Flatten(),
        fuse_linear_bn_eval(net[4], net[5]), nn.ReLU(), net[7],
    ).eval()  # fmt: skip
    x = torch.randn(4, 1, 4, 4, generator=torch.Generator().manual_seed(10))
    for rule in ("epsilon", "gamma", "zplus"):
        a = lrp(net, x, target=1, rule=rule, epsilon=1e-3)
        b = lrp(fused, x, target=1, rule=rule, epsilon=1e-3)
        np.testing.assert_allclose(a.values, b.values, atol=1e-5)
    assert [e["type"] for e in a.extras["layers"]][:2] == [
        "Conv2d+BatchNorm2d",
        "Linear+BatchNorm1d",
    ]


def test_errors_name_the_problem():
    from surrogates.neural import lrp

    x = torch.randn(2, 3)
    with pytest.raises(ValueError, match=r"module '1' of type Tanh"):
        lrp(nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1)), x)

    class Mul(nn.Module):
        def forward(self, z):
            return z * z

    with pytest.raises(ValueError, match="mul"):
        lrp(nn.Sequential(nn.Linear(3, 3), Mul()), x)

    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 1)

        def forward(self, z):
            return self.lin(z) if z.sum() > 0 else -self.lin(z)

    with pytest.raises(ValueError, match="torch.fx"):
        lrp(Branchy(), x)
    net = nn.Sequential(nn.Linear(3, 2))
    with pytest.raises(ValueError, match="rule"):
        lrp(net, x, rule="alpha-beta")
    with pytest.raises(ValueError, match="composite"):
        lrp(net, x, rule=[("0", "epsilon", 1)])
    with pytest.raises(ValueError, match="one value per row"):
        lrp(net, x, target=lambda out: out)
    with pytest.raises(ValueError, match="epsilon"):
        lrp(net, x, epsilon=-1.0)


def test_model_untouched_and_changes_seen():
    """lrp neither copies nor casts the model: it restores train/eval flags, keeps float32,
    sees in-place weight changes and replaced submodules despite its cached trace."""
    from surrogates.neural import lrp

    net = _mlp(seed=11, bias=True).train()
    x = torch.randn(4, 6, generator=torch.Generator().manual_seed(12))
    first = lrp(net, x, target=0)
    assert net.training and all(m.training for m in net.modules())
    assert net[0].weight.dtype == torch.float32
    again = lrp(net, x, target=0)  # Dropout is off while explaining: same map twice
    np.testing.assert_array_equal(again.values, first.values)
    with torch.no_grad():
        net[0].weight.mul_(2.0)
    fresh = copy.deepcopy(net)
    np.testing.assert_allclose(
        lrp(net, x, target=0).values, lrp(fresh, x, target=0).values, atol=1e-12
    )
    net[2] = nn.Linear(10, 8)
    fresh = copy.deepcopy(net)
    np.testing.assert_allclose(
        lrp(net, x, target=0).values, lrp(fresh, x, target=0).values, atol=1e-12
    )
    assert np.abs(lrp(net, x, target=0).values - first.values).max() > 1e-3


def test_function_target_is_linear_in_the_starting_relevance():
    """A function g of the output starts as out * dg/dout: for g = out1 - out0 the epsilon
    rule (linear in the relevance) gives lrp(target=1) - lrp(target=0), and on a bias-free
    net with epsilon 0 the identity with gradient x input of g holds."""
    from surrogates.neural import gradient_x_input, lrp

    net = _mlp()
    x = torch.randn(8, 6, generator=torch.Generator().manual_seed(4))

    def diff(out):
        return out[:, 1] - out[:, 0]

    got = lrp(net, x, target=diff, epsilon=1e-3, batch_size=5)
    one = lrp(net, x, target=1, epsilon=1e-3)
    zero = lrp(net, x, target=0, epsilon=1e-3)
    np.testing.assert_allclose(got.values, one.values - zero.values, atol=1e-10)
    with torch.no_grad():
        np.testing.assert_allclose(got.extras["output"], diff(net(x)).double().numpy(), atol=1e-6)
    exact = lrp(net, x, target=diff, epsilon=0.0)
    ref = gradient_x_input(copy.deepcopy(net), x, target=diff).values
    np.testing.assert_allclose(exact.values, ref, atol=1e-6)
    # sums to g(out) (a linear g without constant, no bias): nothing left in the base
    np.testing.assert_allclose(exact.base_values, 0.0, atol=1e-6)
