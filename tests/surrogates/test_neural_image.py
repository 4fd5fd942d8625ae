"""explain_image: segment Shapley values against brute-force enumeration, LIME against
scikit-learn's weighted ridge (what lime fits), kernel SHAP additivity, torch modules."""

from itertools import combinations
from math import factorial

import numpy as np
import pytest

from surrogates.neural import NeuralExplanation, explain_image
from surrogates.neural.image import segment_image


def _classifier(shape, n_classes=3, seed=0):
    """A nonlinear numpy classifier of images (softmax of tanh features)."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(n_classes, int(np.prod(shape))))

    def f(images):
        z = np.tanh(images.reshape(len(images), -1) @ W.T / 4.0)
        z = z + 0.3 * z[:, [1, 2, 0]] * z  # interactions between classes' features
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    return f


def _brute_force(f, image, base, seg, col):
    """Shapley values of the segment game by the textbook formula, one image per coalition."""
    M = int(seg.max()) + 1

    def v(S):
        keep = np.isin(seg, list(S))
        if image.ndim == 3:
            keep = np.broadcast_to(keep[None], image.shape)
        return f(np.where(keep, image, base)[None])[0, col]

    phi = np.zeros(M)
    for i in range(M):
        others = [j for j in range(M) if j != i]
        for s in range(M):
            w = factorial(s) * factorial(M - s - 1) / factorial(M)
            for S in combinations(others, s):
                phi[i] += w * (v(S + (i,)) - v(S))
    return phi


@pytest.mark.parametrize(
    "segments, n_segments, baseline",
    [("grid", 9, "mean"), ("grid", 6, 0.0), ("slic", 10, "blur")],
)
def test_exact_equals_brute_force(segments, n_segments, baseline):
    rng = np.random.default_rng(1)
    image = rng.random((10, 10))
    f = _classifier(image.shape)
    e = explain_image(f, image, segments=segments, n_segments=n_segments, baseline=baseline,
                      target=2)  # fmt: skip
    assert isinstance(e, NeuralExplanation) and e.values.shape == (1, 10, 10)
    seg = e.extras["segments"]
    M = int(seg.max()) + 1
    assert 2 <= M <= 10 and e.extras["exact"]
    ref = _brute_force(f, image, e.extras["baseline_image"], seg, 2)
    np.testing.assert_allclose(e.extras["segment_values"], ref, atol=1e-12)
    # additivity: values + base = f(x), base = f(baseline image)
    fx = f(image[None])[0, 2]
    fb = f(e.extras["baseline_image"][None])[0, 2]
    assert abs(e.values.sum() + e.base_values[0] - fx) < 1e-10
    assert abs(e.base_values[0] - fb) < 1e-12
    # each segment's value spread evenly over its pixels
    for k in range(M):
        px = e.values[0][seg == k]
        np.testing.assert_allclose(px, ref[k] / px.size, rtol=1e-9, atol=1e-15)


def test_channels_and_torch_module():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 4, 5),
    ).double().eval()  # fmt: skip
    image = np.random.default_rng(2).random((3, 8, 8))
    e = explain_image(net, image, segments="grid", n_segments=8, baseline=0.0, batch_size=7)
    seg = e.extras["segments"]

    def f(imgs):
        with torch.no_grad():
            return net(torch.as_tensor(imgs)).numpy()

    col = int(np.argmax(f(image[None])[0]))
    assert e.extras["target"] == col and e.extras["channel_axis"] == 0
    ref = _brute_force(f, image, np.zeros_like(image), seg, col)
    np.testing.assert_allclose(e.extras["segment_values"], ref, atol=1e-10)
    assert e.values.shape == (1, 3, 8, 8)
    np.testing.assert_allclose(e.values.sum() + e.base_values[0], f(image[None])[0, col],
                               atol=1e-10)  # fmt: skip
    # channels-last layout gives the same segment values
    e2 = explain_image(lambda b: f(np.moveaxis(b, -1, 1)), np.moveaxis(image, 0, -1),
                       segments="grid", n_segments=8, baseline=0.0)  # fmt: skip
    assert e2.extras["channel_axis"] == 2
    np.testing.assert_allclose(e2.extras["segment_values"], ref, atol=1e-10)


def test_kernel_shap_above_max_exact():
    rng = np.random.default_rng(3)
    image = rng.random((12, 12))
    f = _classifier(image.shape)
    seg = np.repeat(np.repeat(np.arange(16).reshape(4, 4), 3, axis=0), 3, axis=1)
    e = explain_image(f, image, segments=seg, n_samples=4000, random_state=0, target=0)
    assert not e.extras["exact"] and e.method == "kernel_shap_segments"
    fx, fb = f(image[None])[0, 0], f(e.extras["baseline_image"][None])[0, 0]
    assert abs(e.values.sum() - (fx - fb)) < 1e-10
    # 16 segments is still enumerable in a test: kernel SHAP close to the exact values
    ex = explain_image(f, image, segments=seg, max_exact=16, target=0)
    assert ex.extras["exact"]
    np.testing.assert_allclose(e.extras["segment_values"], ex.extras["segment_values"],
                               atol=5e-3)  # fmt: skip
    e_again = explain_image(f, image, segments=seg, n_samples=4000, random_state=0, target=0)
    np.testing.assert_array_equal(e.values, e_again.values)


def test_lime_equals_weighted_ridge():
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(4)
    image = rng.random((9, 9))
    f = _classifier(image.shape)
    e = explain_image(f, image, segments="grid", n_segments=9, method="lime", n_samples=300,
                      random_state=5, target=1)  # fmt: skip
    seg, M = e.extras["segments"], 9
    # lime's sampling, repeated: same generator, first row all on
    Z = np.random.default_rng(5).integers(0, 2, size=(300, M)).astype(float)
    Z[0] = 1
    cos = 1 - Z.sum(1) / (np.sqrt(Z.sum(1)) * 3.0 + 1e-300)
    cos[Z.sum(1) == 0] = 1.0
    w = np.sqrt(np.exp(-(cos**2) / 0.25**2))
    base = e.extras["baseline_image"]
    y = np.array([f(np.where(np.isin(seg, np.flatnonzero(z)), image, base)[None])[0, 1] for z in Z])
    ref = Ridge(alpha=1.0).fit(Z, y, sample_weight=w)
    np.testing.assert_allclose(e.extras["segment_values"], ref.coef_, atol=1e-9)
    assert abs(e.extras["score"] - ref.score(Z, y, sample_weight=w)) < 1e-9


def test_segmenters_and_errors():
    pytest.importorskip("skimage")
    rng = np.random.default_rng(6)
    image = rng.random((3, 16, 16))
    for name in ("slic", "quickshift", "felzenszwalb", "grid"):
        seg = segment_image(image, name, n_segments=8, random_state=0)
        assert seg.shape == (16, 16) and seg.min() == 0
        assert np.array_equal(np.unique(seg), np.arange(seg.max() + 1))
    f = _classifier(image.shape)
    with pytest.raises(ValueError, match="segments must be one of"):
        explain_image(f, image, segments="watershed")
    with pytest.raises(ValueError, match="method must be"):
        explain_image(f, image, method="occlude")
    with pytest.raises(ValueError, match="target must be"):
        explain_image(f, image, segments="grid", target=7)
    with pytest.raises(ValueError, match="NaN"):
        explain_image(f, np.full((4, 4), np.nan))
    with pytest.raises(TypeError, match="callable"):
        explain_image(3, image)
    with pytest.raises(ValueError, match="int array of shape"):
        explain_image(f, image, segments=np.zeros((4, 4), dtype=int))
