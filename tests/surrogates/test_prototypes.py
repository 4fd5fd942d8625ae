"""MMD-critic prototypes and criticisms against a brute-force greedy search."""

import importlib

import numpy as np
import pytest
from sklearn.metrics.pairwise import laplacian_kernel, rbf_kernel
from sklearn.neighbors import KNeighborsClassifier

from surrogates import prototypes
from surrogates.prototypes import mmd2


def _mmd2(K, S):
    n, m = len(K), len(S)
    return K.sum() / n**2 - 2 * K[:, S].sum() / (n * m) + K[np.ix_(S, S)].sum() / m**2


def _brute(K, m, q):
    """Greedy by recomputing MMD^2 and log det from scratch for every candidate."""
    n = len(K)
    S = []
    for _ in range(m):
        best = min((c for c in range(n) if c not in S), key=lambda c: _mmd2(K, S + [c]))
        S.append(best)
    witness = K.mean(axis=0) - K[:, S].mean(axis=1)
    C = []
    for _ in range(q):
        cands = [c for c in range(n) if c not in S and c not in C]
        scores = [
            np.abs(witness[c]) + np.linalg.slogdet(K[np.ix_(C + [c], C + [c])])[1] for c in cands
        ]
        C.append(cands[int(np.argmax(scores))])
    return S, C, witness


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = np.vstack(
        [rng.normal(size=(50, 3)), rng.normal(loc=3, size=(30, 3)), rng.normal(loc=-4, size=(5, 3))]
    )
    y = np.array([0] * 50 + [1] * 30 + [2] * 5)
    return X, y


@pytest.mark.parametrize("kernel", ["rbf", "laplacian"])
def test_identical_to_brute_force_greedy(data, kernel):
    X, _ = data
    gamma = 0.3
    K = rbf_kernel(X, gamma=gamma) if kernel == "rbf" else laplacian_kernel(X, gamma=gamma)
    S, C, witness = _brute(K, 6, 4)
    res = prototypes(X, 6, n_criticisms=4, kernel=kernel, gamma=gamma)
    assert list(res.prototype_indices) == S
    assert list(res.criticism_indices) == C
    np.testing.assert_allclose(res.witness, witness[C], atol=1e-12)
    np.testing.assert_allclose(res.mmd2, _mmd2(K, S), atol=1e-12)
    np.testing.assert_allclose(mmd2(X, X[S], kernel=kernel, gamma=gamma), _mmd2(K, S), atol=1e-12)
    # the Nystroem kernel with every row a landmark is the exact kernel
    full = prototypes(
        X,
        6,
        n_criticisms=4,
        kernel=kernel,
        gamma=gamma,
        approximation="nystroem",
        n_components=10**6,
    )
    np.testing.assert_array_equal(full.prototype_indices, res.prototype_indices)
    np.testing.assert_array_equal(full.criticism_indices, res.criticism_indices)
    np.testing.assert_allclose(full.mmd2, res.mmd2, atol=1e-9)
    np.testing.assert_allclose(full.witness, res.witness, atol=1e-9)


def test_nystroem_approximates_with_fewer_landmarks(data):
    """Fewer landmarks: an approximation whose picks still beat random subsets on the
    exact MMD^2, and whose kernel columns match the exact ones closely."""
    from surrogates.prototypes import _ExactKernel, _NystroemKernel

    X, _ = data
    exact = _ExactKernel(X, "rbf", 0.05)  # a smooth kernel: few landmarks suffice
    approx = _NystroemKernel(X, "rbf", 0.05, np.arange(0, len(X), 2))
    np.testing.assert_allclose(approx.column(7), exact.column(7), atol=0.005)
    np.testing.assert_allclose(approx.colsum() / len(X), exact.colsum() / len(X), atol=0.01)
    res = prototypes(X, 6, gamma=0.3, approximation="nystroem", n_components=40, random_state=0)
    rng = np.random.default_rng(1)
    chosen = mmd2(X, X[res.prototype_indices], gamma=0.3)
    random = [mmd2(X, X[rng.choice(len(X), 6, replace=False)], gamma=0.3) for _ in range(20)]
    assert chosen < np.median(random)
    with pytest.raises(ValueError, match="approximation"):
        prototypes(X, 3, approximation="rff")


def test_colsum_kernel_equals_numpy(data):
    """The one-pass numba column sums against the full matrix (scikit-learn's kernels)."""
    from surrogates.prototypes import _ExactKernel

    X, _ = data
    for kernel, full in (("rbf", rbf_kernel), ("laplacian", laplacian_kernel)):
        kern = _ExactKernel(X, kernel, 0.2)
        np.testing.assert_allclose(kern.colsum(), full(X, gamma=0.2).sum(axis=0), rtol=1e-12)
        np.testing.assert_allclose(kern.column(3), full(X, gamma=0.2)[:, 3], rtol=1e-12)


def test_logdet_term_spreads_criticisms(data):
    X, _ = data
    K = rbf_kernel(X, gamma=0.3)
    plain = prototypes(X, 6, n_criticisms=4, gamma=0.3, regularizer=None)
    S = list(plain.prototype_indices)
    witness = K.mean(axis=0) - K[:, S].mean(axis=1)
    order = [c for c in np.argsort(-np.abs(witness), kind="stable") if c not in S][:4]
    assert list(plain.criticism_indices) == order


def test_chosen_set_beats_random_subsets(data):
    X, _ = data
    res = prototypes(X, 8)
    rng = np.random.default_rng(1)
    random = [mmd2(X, X[rng.choice(len(X), 8, replace=False)], gamma=res.gamma) for _ in range(50)]
    assert res.mmd2 < min(random)


def test_class_conditional_and_accuracy(data):
    X, y = data
    res = prototypes(X, 7, n_criticisms=2, y=y, gamma=0.3)
    assert list(res.prototype_labels) == [
        0,
        0,
        0,
        1,
        1,
        2,
        2,
    ]  # 7 split evenly, extra to the largest
    for label in (0, 1, 2):
        rows = np.nonzero(y == label)[0]
        mine = res.prototype_indices[res.prototype_labels == label]
        alone = prototypes(X[rows], len(mine), gamma=0.3)
        np.testing.assert_array_equal(mine, rows[alone.prototype_indices])
    knn = KNeighborsClassifier(n_neighbors=1).fit(res.prototypes, res.prototype_labels)
    assert res.accuracy == pytest.approx(np.mean(knn.predict(X) == y))
    frame = res.to_frame()
    assert list(frame["role"]).count("criticism") == 2 and "label" in frame


def test_bad_input(data):
    X, y = data
    with pytest.raises(ValueError, match="n_prototypes"):
        prototypes(X, 0)
    with pytest.raises(ValueError, match="kernel"):
        prototypes(X, 2, kernel="poly")
    with pytest.raises(ValueError, match="classes"):
        prototypes(X, 2, y=y)
    with pytest.raises(ValueError, match="more prototypes"):
        prototypes(X[:3], 4)


# --- the fast paths: vector exp, Gram tiles, near-tie re-check ----------------------------


def _canonical_kernel(X, gamma):
    """The RBF kernel from coordinate differences: equal rows get bit-identical
    columns, so ties between them are exact ties here."""
    return np.exp(-gamma * ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))


def test_vector_exp_within_two_ulp():
    from surrogates.effects._mmd_kernels import EXP_ULPS, exp_neg

    rng = np.random.default_rng(0)
    x = np.concatenate(
        [-rng.uniform(0, 708, 200_000), -rng.uniform(0, 1, 20_000), [0.0, -0.5 * np.log(2)]]
    )
    ref = np.exp(x)
    assert np.max(np.abs(exp_neg(x) - ref) / np.spacing(ref)) <= EXP_ULPS
    far = -rng.uniform(708, 2000, 1000)  # clamped at exp(-708): invisible in any sum
    assert np.all(exp_neg(far) <= 1e-307)


@pytest.mark.parametrize(
    ("n", "rows", "cols", "loc"),
    [(53, 7, 11, 5.0), (85, 16, 16, 5.0), (85, 256, 2048, 5.0), (61, 8, 24, 1e6)],
)
def test_gram_tiles_on_odd_sizes(n, rows, cols, loc, monkeypatch):
    """Column sums from Gram tiles of any shape (ragged last tiles, diagonal tiles
    wider than tall) equal the full matrix's, within the stated error bound, also
    far from the origin (where the Gram formula without centring would cancel)."""
    from surrogates.prototypes import _ExactKernel

    monkeypatch.setattr(_ExactKernel, "_TILE_ROWS", rows)
    monkeypatch.setattr(_ExactKernel, "_TILE_COLS", cols)
    # three threads share the row blocks, whatever this machine's core count
    monkeypatch.setattr(importlib.import_module("surrogates.prototypes"), "_workers", lambda: 3)
    rng = np.random.default_rng(n)
    X = rng.normal(loc=loc, size=(n, 4))
    kern = _ExactKernel(X, "rbf", 0.2)
    colsum = kern.colsum()
    K = _canonical_kernel(X, 0.2)
    np.testing.assert_allclose(colsum, K.sum(axis=0), rtol=1e-13)
    reference = np.array([kern.column(i).sum() for i in range(n)])
    np.testing.assert_allclose(reference, K.sum(axis=0), rtol=1e-13)
    assert np.all(np.abs(colsum - reference) <= kern.colsum_error(colsum))


def test_small_tiles_same_picks_as_brute_force(data, monkeypatch):
    from surrogates.prototypes import _ExactKernel

    monkeypatch.setattr(_ExactKernel, "_TILE_ROWS", 9)
    monkeypatch.setattr(_ExactKernel, "_TILE_COLS", 13)
    X, _ = data
    S, _, _ = _brute(_canonical_kernel(X, 0.3), 8, 0)
    assert list(prototypes(X, 8, gamma=0.3).prototype_indices) == S


@pytest.mark.parametrize("kernel", ["rbf", "laplacian"])
def test_recheck_of_every_row_keeps_the_picks(data, kernel):
    """With error bounds so wide that every row is re-checked at every step, the
    picks are still the brute-force greedy's: the re-check path decides right."""
    from surrogates.effects._mmd_kernels import greedy_prototypes
    from surrogates.prototypes import _ExactKernel

    X, _ = data
    gamma = 0.3
    K = rbf_kernel(X, gamma=gamma) if kernel == "rbf" else laplacian_kernel(X, gamma=gamma)
    S, _, _ = _brute(K, 6, 0)
    kern = _ExactKernel(X, kernel, gamma)
    colsum = kern.colsum()
    wrong = colsum + np.random.default_rng(0).uniform(-0.5, 0.5, len(X))  # bound covers it
    chosen, s_in, sum_ss = greedy_prototypes(
        kern.X, wrong, np.ones(len(X)), 6, gamma, kernel == "laplacian"
    )
    assert list(chosen) == S
    np.testing.assert_allclose(s_in, K[:, S].sum(axis=1), atol=1e-12)
    np.testing.assert_allclose(sum_ss, K[np.ix_(S, S)].sum(), atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 4])
def test_exact_ties_go_to_the_lowest_index(seed):
    """Equal rows tie exactly: the first of them is picked, as the brute-force greedy
    (and numpy's argmax) picks it, although the fast column sums of these rows differ
    in the last bits (the re-check decides; without it seeds 1 and 4 picked another)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 3)) * 3 + 7
    centre = X.mean(axis=0)
    for i in (7, 19, 40, 150, 299):  # the densest point, five times
        X[i] = centre
    K = _canonical_kernel(X, 0.3)
    S, _, _ = _brute(K, 3, 0)
    assert S[0] == 7
    assert list(prototypes(X, 3, gamma=0.3).prototype_indices) == S


def _numpy_greedy(K, m):
    """The greedy on the whole kernel matrix in numpy (argmax of the MMD^2 gain)."""
    n = len(K)
    colsum = K.sum(axis=0)
    S = []
    for size in range(1, m + 1):
        s_in = K[:, S].sum(axis=1)
        ss = K[np.ix_(S, S)].sum()
        gain = 2.0 / (n * size) * (colsum[S].sum() + colsum) - (ss + 2 * s_in + 1) / size**2
        gain[S] = -np.inf
        S.append(int(np.argmax(gain)))
    return S


@pytest.mark.parametrize("kernel", ["rbf", "laplacian"])
def test_many_picks_same_as_numpy_greedy(kernel):
    """More rows and picks than the brute force can afford, several Gram tiles."""
    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(loc=c, size=(150, 6)) for c in (0.0, 2.0, 5.0)]) * 3 + 10
    gamma = 1.0 / (X.shape[1] * X.var())
    d = (X[:, None, :] - X[None, :, :]) ** 2 if kernel == "rbf" else np.abs(X[:, None] - X[None])
    K = np.exp(-gamma * d.sum(axis=2))
    res = prototypes(X, 40, kernel=kernel, gamma=gamma)
    assert list(res.prototype_indices) == _numpy_greedy(K, 40)
