"""SHAP over dask arrays / DataFrames on a LocalCluster equals the in-process values."""

import dask.array as da
import dask.dataframe as dd
import distributed
import numpy as np
import pandas as pd
import pytest

from surrogates.shap.exact import exact_shap
from surrogates.shap.kernel import kernel_shap
from surrogates.shap.linear import linear_shap
from surrogates.shap.permutation import permutation_shap


class Model:
    """A picklable model with two outputs and interactions."""

    def __init__(self, M):
        rng = np.random.default_rng(0)
        self.W = rng.normal(size=(M, 2))

    def __call__(self, X):
        X = np.asarray(X, dtype=float)
        return np.tanh(X @ self.W + X[:, :1] * X[:, 1:2])


@pytest.fixture(scope="module")
def client():
    # processes=False keeps the test fast (worker processes would each import
    # numba and the package); the partitions still go through the scheduler.
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    return rng.normal(size=(45, 5)), rng.normal(size=(8, 5))


def test_dask_array_exact_kernel_permutation(client, data):
    X, bg = data
    f = Model(5)
    dX = da.from_array(X, chunks=(10, 5))
    for fn, kw in [
        (exact_shap, {}),
        (kernel_shap, {"n_samples": 20, "random_state": 3}),  # sampled: same seed per partition
        (kernel_shap, {"random_state": 3}),
        (permutation_shap, {"n_permutations": 4, "random_state": 3}),
    ]:
        lazy = fn(f, dX, bg, **kw)
        assert isinstance(lazy, da.Array) and lazy.shape == (45, 5, 2)
        assert lazy.numblocks[0] == 5
        got = client.compute(lazy).result()
        ref = fn(f, X, bg, progress=False, **kw).values
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-10, err_msg=fn.__name__)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_dask_dataframe_and_linear(client, data):
    from sklearn.linear_model import LinearRegression

    X, bg = data
    frame = pd.DataFrame(X, columns=list("abcde"))
    ddf = dd.from_pandas(frame, npartitions=3)
    model = LinearRegression().fit(X, X @ np.arange(5.0))
    lazy = linear_shap(model, ddf, bg)
    assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(
        client.compute(lazy).result(), linear_shap(model, X, bg).values, atol=1e-12
    )

    def f(Z):  # plain callables receive numpy arrays
        return Z[:, 0] * Z[:, 1] + Z[:, 4]

    lazy = exact_shap(f, ddf, bg)
    np.testing.assert_allclose(
        client.compute(lazy).result(),
        exact_shap(f, frame, bg, progress=False).values,
        rtol=0,
        atol=1e-10,
    )
    # an estimator fitted on named columns gets DataFrames with those names back
    from sklearn.neural_network import MLPRegressor

    mlp = MLPRegressor(hidden_layer_sizes=(5,), max_iter=300, random_state=0).fit(
        frame, X[:, 0] * X[:, 1]
    )
    lazy = kernel_shap(mlp, ddf, frame.iloc[:6], random_state=0)
    ref = kernel_shap(mlp, frame, frame.iloc[:6], random_state=0, progress=False).values
    np.testing.assert_allclose(client.compute(lazy).result(), ref, rtol=0, atol=1e-10)


def test_dask_dataframe_columns_matched_by_name(client, data):
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import LinearRegression

    from surrogates.shap.tree import tree_shap

    X, _ = data
    frame = pd.DataFrame(X, columns=list("abcde"))
    y = X @ np.arange(5.0) + X[:, 0] * X[:, 1]
    shuffled = dd.from_pandas(frame[list("edcba")], npartitions=3)
    forest = RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0).fit(frame, y)
    np.testing.assert_allclose(
        client.compute(tree_shap(forest, shuffled)).result(),
        tree_shap(forest, frame, progress=False).values,
        atol=1e-12,
    )
    lin = LinearRegression().fit(frame, y)
    np.testing.assert_allclose(
        client.compute(linear_shap(lin, shuffled, frame)).result(),
        linear_shap(lin, frame, frame).values,
        atol=1e-12,
    )
