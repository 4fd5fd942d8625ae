"""occlusion against captum's Occlusion and a direct loop over windows."""

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


def _cnn(torch):
    torch.manual_seed(1)
    return torch.nn.Sequential(
        torch.nn.Conv2d(2, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 7 * 6, 5),
    ).eval()


@pytest.mark.parametrize(
    "window,stride,baseline",
    [((1, 3, 3), (1, 2, 2), 0.0), ((2, 2, 4), 1, 0.5), ((1, 7, 6), 1, 0.0)],
)
def test_images_equal_captum(torch, window, stride, baseline):
    ca = _captum_or_skip()
    from surrogates.neural import NeuralExplanation, occlusion

    net = _cnn(torch)
    x = torch.randn(4, 2, 7, 6, generator=torch.Generator().manual_seed(0))
    tgt = np.array([0, 4, 2, 1])
    ours = occlusion(net, x, window, stride, baseline, target=tgt, batch_size=7)
    ref = ca.Occlusion(net).attribute(
        x,
        sliding_window_shapes=window,
        strides=stride,
        baselines=baseline,
        target=torch.as_tensor(tgt),
    )
    assert isinstance(ours, NeuralExplanation) and ours.values.shape == (4, 2, 7, 6)
    np.testing.assert_allclose(ours.values, ref.numpy(), atol=1e-6)


def test_tabular_single_feature_windows_are_drops(torch):
    """window 1 on tabular rows: each value is f(x) - f(x with that feature at baseline)."""
    from glassbox.explanation import LocalExplanation
    from surrogates.neural import occlusion

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    X = np.random.default_rng(0).normal(size=(5, 4))
    ours = occlusion(net, X, window=1, baseline=np.array([0.1, -0.2, 0.3, 0.0]))
    assert isinstance(ours, LocalExplanation)
    xt = torch.as_tensor(X, dtype=torch.float32)
    with torch.no_grad():
        fx = net(xt)[:, 0]
        for j, bj in enumerate([0.1, -0.2, 0.3, 0.0]):
            xo = xt.clone()
            xo[:, j] = bj
            np.testing.assert_allclose(ours.values[:, j], (fx - net(xo)[:, 0]).numpy(), atol=1e-6)


def test_bad_window(torch):
    from surrogates.neural import occlusion

    net = _cnn(torch)
    x = np.zeros((1, 2, 7, 6))
    with pytest.raises(ValueError, match="window"):
        occlusion(net, x, window=(1, 3), target=0)
    with pytest.raises(ValueError, match="stride"):
        occlusion(net, x, window=(1, 2, 2), stride=(1, 3, 3), target=0)
    with pytest.raises(ValueError, match="larger"):
        occlusion(net, x, window=(1, 9, 2), target=0)
