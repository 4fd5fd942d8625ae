"""saliency, gradient_x_input, smoothgrad against captum (the oracle, in the test extra)."""

import numpy as np
import pytest

from glassbox.explanation import LocalExplanation


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


def _mlp(torch):
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(5, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3)
    ).eval()


def _cnn(torch):
    torch.manual_seed(1)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 4 * 4, 10),
    ).eval()


def test_tabular_matches_captum(torch):
    ca = _captum_or_skip()
    from surrogates.neural import gradient_x_input, saliency

    net = _mlp(torch)
    X = np.random.default_rng(0).normal(size=(13, 5))
    xt = torch.as_tensor(X, dtype=torch.float32)
    tgt = np.arange(13) % 3
    for abs_ in (True, False):
        ours = saliency(net, X, target=tgt, abs=abs_, batch_size=4)
        ref = ca.Saliency(net).attribute(xt, target=torch.as_tensor(tgt), abs=abs_).detach().numpy()
        assert isinstance(ours, LocalExplanation) and ours.values.shape == (13, 5)
        np.testing.assert_allclose(ours.values, ref, atol=1e-6)
    ours = gradient_x_input(net, xt, target=1)
    ref = ca.InputXGradient(net).attribute(xt, target=1).detach().numpy()
    np.testing.assert_allclose(ours.values, ref, atol=1e-6)
    with torch.no_grad():
        out = net(xt)[:, 1].numpy()
    np.testing.assert_allclose(ours.extras["output"], out, atol=1e-6)
    np.testing.assert_allclose(ours.values.sum(axis=1) + ours.base_values, out, atol=1e-6)


def test_images_match_captum_and_targets(torch):
    ca = _captum_or_skip()
    from surrogates.neural import NeuralExplanation, gradient_x_input, saliency

    net = _cnn(torch)
    x = torch.randn(6, 1, 8, 8, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        pred = net(x).argmax(dim=1)
    ours = gradient_x_input(net, x.numpy(), batch_size=4)  # None -> predicted class
    assert isinstance(ours, NeuralExplanation) and ours.values.shape == (6, 1, 8, 8)
    ref = ca.InputXGradient(net).attribute(x, target=pred).detach().numpy()
    np.testing.assert_allclose(ours.values, ref, atol=1e-6)
    # a callable target: the log-softmax of class 3
    fn = lambda out: torch.log_softmax(out, dim=1)[:, 3]  # noqa: E731
    ours = saliency(net, x, target=fn)
    wrapped = lambda z: torch.log_softmax(net(z), dim=1)  # noqa: E731
    ref = ca.Saliency(wrapped).attribute(x, target=3).numpy()
    np.testing.assert_allclose(ours.values, ref, atol=1e-6)


def test_smoothgrad_is_mean_of_captum_saliency_over_its_noise(torch):
    ca = _captum_or_skip()
    from surrogates.neural import smoothgrad

    net = _mlp(torch)
    X = np.random.default_rng(1).normal(size=(7, 5)).astype(np.float32)
    ours = smoothgrad(net, X, target=2, n_samples=9, noise_level=0.3, random_state=5, batch_size=4)
    sal = ca.Saliency(net)
    for b, start in enumerate(range(0, 7, 4)):  # documented noise: one generator per batch
        xb = torch.as_tensor(X[start : start + 4])
        gen = torch.Generator().manual_seed(5 + b)
        noise = torch.randn((9, *xb.shape), generator=gen)
        ref = np.mean(
            [sal.attribute(xb + 0.3 * noise[k], target=2, abs=False).numpy() for k in range(9)],
            axis=0,
        )
        np.testing.assert_allclose(ours.values[start : start + 4], ref, atol=1e-6)
    # with zero noise smoothgrad is captum's NoiseTunnel(smoothgrad) at stdev 0 = saliency
    nt = ca.NoiseTunnel(sal).attribute(
        torch.as_tensor(X), nt_type="smoothgrad", nt_samples=3, stdevs=0.0, target=2, abs=False
    )
    ours0 = smoothgrad(net, X, target=2, n_samples=3, noise_level=0.0)
    np.testing.assert_allclose(ours0.values, nt.numpy(), atol=1e-6)
    again = smoothgrad(net, X, target=2, n_samples=9, noise_level=0.3, random_state=5, batch_size=4)
    np.testing.assert_array_equal(again.values, ours.values)


def test_bad_input(torch):
    from surrogates.neural import saliency

    net = _mlp(torch)
    with pytest.raises(TypeError, match="nn.Module"):
        saliency(lambda z: z, np.zeros((2, 5)))
    with pytest.raises(ValueError, match="target"):
        saliency(net, np.zeros((2, 5)), target=7)
    with pytest.raises(ValueError, match="NaN"):
        saliency(net, np.full((2, 5), np.nan))
    with pytest.raises(ValueError, match="row axis"):
        saliency(net, np.zeros(5))
    with pytest.raises(ValueError, match="batch_size"):
        saliency(net, np.zeros((2, 5)), batch_size=0)


def test_import_stays_light():
    import subprocess
    import sys

    code = "import sys, surrogates.neural; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
