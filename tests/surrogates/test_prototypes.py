"""MMD-critic prototypes and criticisms against a brute-force greedy search."""

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
