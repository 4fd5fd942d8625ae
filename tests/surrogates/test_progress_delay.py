"""Progress bars appear only for work over ~2 s (tqdm's ``delay``): a tree SHAP job
of a few hundredths of a second prints nothing, even with progress on."""

from __future__ import annotations

import numpy as np

from surrogates.shap import _common


def test_short_tree_shap_job_prints_no_bar(capsys):
    from sklearn.tree import DecisionTreeRegressor

    from surrogates.shap import tree_shap

    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 4))
    model = DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, X[:, 0] - X[:, 1])
    phi = tree_shap(model, X, progress=True)  # several chunks: a bar would be made
    np.testing.assert_allclose(phi.output(), model.predict(X), atol=1e-9)
    captured = capsys.readouterr()
    assert "it/s" not in captured.err and "row/s" not in captured.err and "%|" not in captured.err


def test_row_chunks_bar_waits_two_seconds(monkeypatch):
    """The bar is made with delay=2.0 (and is disabled when progress is off)."""
    import tqdm.auto

    made = []

    class Spy:
        def __init__(self, *args, **kwargs):
            made.append(kwargs)

        def update(self, n):
            pass

        def close(self):
            pass

    monkeypatch.setattr(tqdm.auto, "tqdm", Spy)
    slices = list(_common.row_chunks(10, 3, progress=True, desc="x"))
    assert [(s.start, s.stop) for s in slices] == [(0, 3), (3, 6), (6, 9), (9, 10)]
    assert made[-1]["delay"] == 2.0 and made[-1]["disable"] is False
    list(_common.row_chunks(10, 3, progress=False, desc="x"))
    assert made[-1]["disable"] is True
