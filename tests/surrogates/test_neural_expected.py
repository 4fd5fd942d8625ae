"""expected_gradients: captum's GradientShap with the same draws, a reference loop, the
closed form on a linear model, and the project's exact SHAP on a quadratic net (where
integrated gradients from one baseline are that baseline's Shapley values)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")


class _Square(torch.nn.Module):
    def forward(self, z):
        return z * z


def _quadratic_net(d=4, h=6, k=1, seed=0):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(d, h), _Square(), torch.nn.Linear(h, k))
    return net.double().eval()


def _tanh_net(d=5, k=3, seed=0):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(d, 8), torch.nn.Tanh(), torch.nn.Linear(8, k))
    return net.double().eval()


def _reference(net, X, bg, idx, alpha, tgt):
    """Slow loop: one gradient per (row, draw), straight from the definition."""
    out = np.zeros_like(X)
    for i in range(len(X)):
        for j in range(idx.shape[1]):
            b = bg[idx[i, j]]
            p = torch.as_tensor(b + alpha[i, j] * (X[i] - b)).requires_grad_(True)
            net(p[None])[0, tgt[i]].backward()
            out[i] += p.grad.numpy() * (X[i] - b)
    return out / idx.shape[1]


@pytest.mark.parametrize("sampling", ["stratified", "iid"])
def test_equals_reference_loop_and_batching(sampling):
    from surrogates.neural import expected_gradients

    net = _tanh_net()
    rng = np.random.default_rng(1)
    X, bg = rng.normal(size=(6, 5)), rng.normal(size=(7, 5))
    tgt = np.array([0, 1, 2, 2, 1, 0])
    eg = expected_gradients(
        net, X, bg, target=tgt, n_samples=9, random_state=3, sampling=sampling, batch_size=20
    )
    ref = _reference(net, X, bg, eg.extras["background_index"], eg.extras["alpha"], tgt)
    np.testing.assert_allclose(eg.values, ref, atol=1e-12)
    one = expected_gradients(net, X, bg, target=tgt, n_samples=9, random_state=3,
                             sampling=sampling, batch_size=None)  # fmt: skip
    np.testing.assert_allclose(one.values, eg.values, atol=1e-12)
    with torch.no_grad():
        fb = net(torch.as_tensor(bg)).numpy()[:, tgt].mean(axis=0)
        fx = net(torch.as_tensor(X)).numpy()[np.arange(6), tgt]
    np.testing.assert_allclose(eg.base_values, fb, atol=1e-12)
    np.testing.assert_allclose(eg.extras["output"], fx, atol=1e-12)
    np.testing.assert_allclose(
        eg.extras["completeness_error"], eg.values.sum(axis=1) - (fx - fb), atol=1e-12
    )
    if sampling == "stratified":  # each row's strata: one alpha in each [k/9, (k+1)/9)
        np.testing.assert_array_equal(np.sort(np.floor(eg.extras["alpha"] * 9), axis=1),
                                      np.tile(np.arange(9.0), (6, 1)))  # fmt: skip


def test_equals_captum_gradient_shap_with_the_same_draws(monkeypatch):
    ca = pytest.importorskip("captum.attr")
    from surrogates.neural import expected_gradients

    net = _tanh_net()
    rng = np.random.default_rng(2)
    X, bg = rng.normal(size=(5, 5)), rng.normal(size=(11, 5))
    eg = expected_gradients(net, X, bg, target=1, n_samples=13, random_state=0, sampling="iid")
    # captum draws baseline indices with np.random.choice and alphas with np.random.uniform,
    # for the rows repeated n_samples times in row order: hand it our draws
    monkeypatch.setattr(np.random, "choice", lambda *a, **k: eg.extras["background_index"].ravel())
    monkeypatch.setattr(np.random, "uniform", lambda *a, **k: eg.extras["alpha"].ravel())
    ref = ca.GradientShap(net).attribute(
        torch.as_tensor(X), baselines=torch.as_tensor(bg), target=1, n_samples=13, stdevs=0.0
    )
    np.testing.assert_allclose(eg.values, ref.detach().numpy(), atol=1e-10)


def test_linear_model_equals_closed_form():
    from surrogates.neural import expected_gradients

    torch.manual_seed(4)
    net = torch.nn.Linear(6, 2).double()
    rng = np.random.default_rng(4)
    X, bg = rng.normal(size=(8, 6)), rng.normal(size=(10, 6))
    # stratified draws use every background row equally when n_samples is a multiple of it
    eg = expected_gradients(net, X, bg, target=1, n_samples=30, random_state=0)
    w = net.weight.detach().numpy()[1]
    np.testing.assert_allclose(eg.values, w * (X - bg.mean(axis=0)), atol=1e-12)
    np.testing.assert_allclose(eg.extras["completeness_error"], 0.0, atol=1e-12)


def test_estimates_exact_shap_on_a_quadratic_net():
    """exact_shap with the same background is the target. Tolerance: with iid draws the
    estimate of each value is a mean of n_samples iid terms, so (estimate - target) / SE is
    ~N(0, 1) for large n; over 5 x 4 = 20 values a 4.5 SE bound fails by chance with
    probability < 20 * 7e-6. Convergence: the error must fall roughly as 1/sqrt(n)."""
    from surrogates.neural import expected_gradients
    from surrogates.shap import exact_shap

    net = _quadratic_net()
    rng = np.random.default_rng(0)
    X, bg = rng.normal(size=(5, 4)), rng.normal(size=(20, 4))

    def f(A):
        with torch.no_grad():
            return net(torch.as_tensor(A)).numpy()[:, 0]

    ex = exact_shap(f, X, bg, progress=False)
    errs = []
    for n in (50, 800, 12800):
        eg = expected_gradients(net, X, bg, n_samples=n, random_state=1, sampling="iid")
        z = np.abs(eg.values - ex.values) / eg.extras["standard_error"]
        assert z.max() < 4.5, (n, z.max())
        errs.append(np.sqrt(np.mean((eg.values - ex.values) ** 2)))
        np.testing.assert_allclose(eg.base_values, ex.base_values, atol=1e-12)
    # 256x the samples: the RMS error (over 20 values, itself noisy) should fall ~16x;
    # ask for 4x overall and a fall at each step
    assert errs[2] < errs[1] < errs[0] and errs[2] < errs[0] / 4, errs
    # stratified draws are at least as accurate here
    st = expected_gradients(net, X, bg, n_samples=800, random_state=1)
    assert np.sqrt(np.mean((st.values - ex.values) ** 2)) < 2 * errs[1]


def test_images_and_bad_input():
    from surrogates.neural import NeuralExplanation, expected_gradients

    torch.manual_seed(0)
    cnn = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(3 * 6 * 6, 4),
    ).eval()  # fmt: skip
    x = torch.randn(3, 1, 6, 6, generator=torch.Generator().manual_seed(1))
    bg = torch.randn(5, 1, 6, 6, generator=torch.Generator().manual_seed(2))
    eg = expected_gradients(cnn, x, bg, n_samples=10, random_state=0)
    assert isinstance(eg, NeuralExplanation) and eg.values.shape == (3, 1, 6, 6)
    again = expected_gradients(cnn, x, bg, n_samples=10, random_state=0, batch_size=7)
    np.testing.assert_allclose(again.values, eg.values, atol=1e-6)
    with pytest.raises(ValueError, match="background"):
        expected_gradients(cnn, x, torch.zeros(5, 1, 5, 5))
    with pytest.raises(ValueError, match="background"):
        expected_gradients(cnn, x, None)
    with pytest.raises(ValueError, match="n_samples"):
        expected_gradients(cnn, x, bg, n_samples=1)
    with pytest.raises(ValueError, match="sampling"):
        expected_gradients(cnn, x, bg, sampling="sobol")
