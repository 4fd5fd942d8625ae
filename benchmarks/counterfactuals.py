"""Counterfactuals: ours (surrogates.counterfactuals, search for black boxes) vs dice-ml.

Two data sets (a synthetic 6-feature credit table with integer features, and
8 features of breast cancer), two black boxes (random forest, MLP), the same
query rows for both methods, 4 counterfactuals asked per query, the desired
class the opposite one. DiCE's own metrics (Mothilal, Sharma & Tan 2020), the
same code for both methods:
- validity: share of the 4 asked-for counterfactuals that are returned, unique
  and give the desired class when the model is called again on them;
- proximity: mean over counterfactuals of the mean |change| / MAD over features
  (lower is nearer; DiCE reports its negative);
- sparsity: mean number of features changed per counterfactual (lower is sparser);
- diversity: mean pairwise distance (mean |difference| / MAD) between the
  counterfactuals of a query (higher is more diverse);
- plausibility: mean distance (same units) from each counterfactual to the
  nearest training row of the desired class (lower is more plausible);
- time per query (seconds); untimed warm-up calls first, of ours on a small
  forest and a small MLP pipeline (numba's compiled tree walk is loaded from its
  on-disk cache once per process; the first calls of scikit-learn's code paths
  are slow) and of each DiCE method on the small forest.
dice-ml is a benchmark-only peer (pip install dice-ml); if it is missing, ours
is reported alone. DiCE methods: "random" and "genetic". "ours" is what a user
gets at the defaults (method="auto", time_limit=10): on these 100-tree forests
and the MLPs that is the black-box search (the forests are too large for the
exact cell enumeration at "auto"); on a forest its candidate rows go through
the forest's own trees read into arrays, checked against ``predict``, and every
returned row is re-checked with ``predict``. "ours-blackbox" (forests only) is
the same with the forest hidden behind a plain function (``predict`` only: no
trees read, every candidate asked of scikit-learn); "ours-cells" (forests only,
not with --quick) is the exact enumeration of the forest's cells
(method="cells", 10 s limit: 5 s enumeration, then the search fills up):
"exact" is the share of queries whose first row is proven nearest, "gap" the
cost of the first row minus the proven lower bound (0 when exact; otherwise the
search's row against the cost below which every grid point was checked).

Run: python benchmarks/counterfactuals.py [--queries 5] [--quick]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from glassbox.datasets import breast_cancer
from surrogates.counterfactual import counterfactuals

warnings.filterwarnings("ignore")
K = 4


def credit(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "income": rng.normal(2500, 700, n).round(0),
            "debt": rng.uniform(0, 2500, n).round(0),
            "age": rng.integers(18, 75, n),
            "years_employed": rng.integers(0, 30, n),
            "n_loans": rng.integers(0, 6, n),
            "savings": rng.exponential(3000, n).round(0),
        }
    )
    s = (
        X.income / 1000
        - X.debt / 800
        + 0.03 * X.years_employed
        - 0.3 * X.n_loans
        + X.savings / 5000
        + rng.normal(0, 0.4, n)
    )
    return X.astype(float), (s > 1.2).astype(int)


def cancer():
    X, y = breast_cancer()
    X = X.iloc[:, :8].copy()
    codes, _ = pd.factorize(np.asarray(y), sort=True)
    return X.astype(float), pd.Series(codes, name="y")


def metrics(cf: np.ndarray, x: np.ndarray, model, desired, mad, Xd: np.ndarray):
    if len(cf) == 0:
        return dict(
            validity=0.0, proximity=np.nan, sparsity=np.nan, diversity=np.nan, plausibility=np.nan
        )
    cf = np.unique(cf, axis=0)
    ok = model.predict(cf) == desired
    good = cf[ok]
    out = dict(validity=min(len(good), K) / K)
    if not len(good):
        return dict(out, proximity=np.nan, sparsity=np.nan, diversity=np.nan, plausibility=np.nan)
    d = np.abs(good - x) / mad
    out["proximity"] = float(d.mean())
    out["sparsity"] = float((np.abs(good - x) > 1e-9).sum(axis=1).mean())
    if len(good) > 1:
        pair = [np.mean(np.abs(a - b) / mad) for i, a in enumerate(good) for b in good[i + 1 :]]
        out["diversity"] = float(np.mean(pair))
    else:
        out["diversity"] = 0.0
    near = [np.min(np.mean(np.abs(Xd - g) / mad, axis=1)) for g in good]
    out["plausibility"] = float(np.mean(near))
    return out


def run_ours(model, Xtr, xq, desired, method=None, info=None):
    """Ours as a user calls it: the defaults (method="auto", time_limit=10 s),
    unless ``method`` asks for another solver (then a 10 s limit, as stated)."""
    kw = {} if method is None else dict(method=method, time_limit=10)
    t = time.perf_counter()
    # progress left at its default: the ticker's thread is part of what a user waits for
    res = counterfactuals(model, xq, X=Xtr, n=K, desired=desired, random_state=0, **kw)
    if info is not None:
        info.append(res)
    return res.rows.to_numpy(float), time.perf_counter() - t


class _Hidden:
    """The model behind ``predict`` only: nothing else of it is visible."""

    def __init__(self, model):
        self._predict = model.predict
        self.classes_ = model.classes_

    def predict(self, X):
        return self._predict(X)


def run_dice(model, Xtr, ytr, xq, method):
    import dice_ml

    frame = Xtr.copy()
    frame["y"] = np.asarray(ytr)
    d = dice_ml.Data(dataframe=frame, continuous_features=list(Xtr.columns), outcome_name="y")
    m = dice_ml.Model(model=model, backend="sklearn")
    exp = dice_ml.Dice(d, m, method=method)
    t = time.perf_counter()
    try:
        e = (
            exp.generate_counterfactuals(
                xq, total_CFs=K, desired_class="opposite", verbose=False, random_seed=0
            )
            if method == "random"
            else exp.generate_counterfactuals(
                xq, total_CFs=K, desired_class="opposite", verbose=False
            )
        )
        cf = e.cf_examples_list[0].final_cfs_df
        cf = np.empty((0, Xtr.shape[1])) if cf is None else cf[Xtr.columns].to_numpy(float)
    except Exception as exc:  # DiCE raises when it finds nothing
        print(f"    dice {method} failed: {type(exc).__name__}: {str(exc)[:80]}")
        cf = np.empty((0, Xtr.shape[1]))
    return cf, time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=5)
    ap.add_argument("--dice", default="random,genetic")
    ap.add_argument("--quick", action="store_true", help="2 queries, no cells run")
    args = ap.parse_args()
    if args.quick:
        args.queries = min(args.queries, 2)
    try:
        import dice_ml  # noqa: F401

        dice_methods = [m for m in args.dice.split(",") if m]
    except ImportError:
        print("dice-ml is not installed: ours alone")
        dice_methods = []
    # untimed calls first: numba's compiled tree walk loads from its cache once per
    # process, the first calls of a code path are slow (for DiCE too)
    Xw, yw = credit(200)
    warm = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(Xw, yw)
    warm_mlp = make_pipeline(StandardScaler(), MLPClassifier((4,), max_iter=50, random_state=0))
    warm_mlp.fit(Xw, yw)
    for w in (warm, warm_mlp):
        counterfactuals(w, Xw.iloc[[0]], X=Xw, n=2, random_state=0, progress=False)
    for meth in dice_methods:
        run_dice(warm, Xw, yw, Xw.iloc[[0]], meth)
    rows = []
    for dname, load in (("credit", credit), ("cancer", cancer)):
        X, y = load()
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0)
        Xtr, Xte = Xtr.reset_index(drop=True), Xte.reset_index(drop=True)
        v = Xtr.to_numpy(float)
        mad = np.median(np.abs(v - np.median(v, axis=0)), axis=0)
        mad[mad == 0] = 1.0
        models = {
            "forest": RandomForestClassifier(n_estimators=100, max_depth=8, random_state=0),
            "mlp": make_pipeline(
                StandardScaler(), MLPClassifier((32, 32), max_iter=800, random_state=0)
            ),
        }
        for mname, model in models.items():
            model.fit(Xtr, ytr)
            for q in range(args.queries):
                xq = Xte.iloc[[q]]
                pred = int(model.predict(xq)[0])
                desired = 1 - pred
                Xd = v[np.asarray(model.predict(Xtr)) == desired]
                x = xq.to_numpy(float)[0]
                runs = [("ours", None)] + [(f"dice-{m}", m) for m in dice_methods]
                if mname == "forest":
                    runs.append(("ours-blackbox", "blackbox"))
                    if not args.quick:
                        runs.append(("ours-cells", "cells"))
                for who, meth in runs:
                    info = []
                    if meth is None:
                        cf, sec = run_ours(model, Xtr, xq, desired)
                    elif meth == "blackbox":
                        cf, sec = run_ours(_Hidden(model), Xtr, xq, desired, "search")
                    elif meth == "cells":
                        cf, sec = run_ours(model, Xtr, xq, desired, "cells", info)
                    else:
                        cf, sec = run_dice(model, Xtr, ytr, xq, meth)
                    m = metrics(cf, x, model, desired, mad, Xd)
                    if info:  # the exact enumeration: proven nearest, or its gap
                        r = info[0]
                        m["exact"] = float(r.exact)
                        m["gap"] = float(r.costs[0] - r.lower_bound) if len(r) else np.nan
                    rows.append(
                        dict(data=dname, model=mname, method=who, query=q, seconds=sec, **m)
                    )
                    print(
                        f"{dname:7s} {mname:6s} q{q} {who:13s} {sec:7.2f}s "
                        f"valid={m['validity']:.2f}",
                        flush=True,
                    )
    df = pd.DataFrame(rows)
    summary = df.groupby(["data", "model", "method"]).mean(numeric_only=True).drop(columns="query")
    pd.set_option("display.width", 160)
    print()
    print(summary.round(3).to_string())
    print()
    overall = df.groupby("method").mean(numeric_only=True).drop(columns="query")
    print(overall.round(3).to_string())
    if dice_methods:
        # per setting too: the overall means weigh the slowest setting most
        sec = df.groupby(["data", "model", "method"])["seconds"].mean()
        for meth in dice_methods:
            ratios = []
            for (dname, mname), _ in df.groupby(["data", "model"]):
                r = sec[(dname, mname, f"dice-{meth}")] / sec[(dname, mname, "ours")]
                ratios.append(r)
                print(f"s/query dice-{meth} / ours ({dname}, {mname}): ratio peer/ours = {r:.1f}x")
            geo = float(np.exp(np.mean(np.log(ratios))))
            print(
                f"s/query dice-{meth} / ours (geometric mean of settings): ratio peer/ours = {geo:.1f}x"
            )
        for who in ("ours", "ours-blackbox"):
            sub = df[df.model == "forest"] if who == "ours-blackbox" else df
            per = sub.groupby("method")["seconds"].mean()
            for meth in dice_methods:
                scope = "forests only" if who == "ours-blackbox" else "all queries"
                print(
                    f"s/query dice-{meth} / {who} ({scope}): ratio peer/ours = "
                    f"{per[f'dice-{meth}'] / per[who]:.1f}x"
                )
        # the targets per setting: validity 1.0, proximity and sparsity no worse
        # (lower is better for both), >= 10x faster per query
        for meth in dice_methods:
            for (dname, mname), _ in df.groupby(["data", "model"]):
                o, d = (
                    summary.loc[(dname, mname, "ours")],
                    summary.loc[(dname, mname, f"dice-{meth}")],
                )
                ok = (
                    o.validity >= 1.0
                    and o.proximity <= d.proximity
                    and o.sparsity <= d.sparsity
                    and d.seconds >= 10 * o.seconds
                )
                print(
                    f"targets vs dice-{meth} ({dname}, {mname}): validity {o.validity:.2f} vs "
                    f"{d.validity:.2f}, proximity {o.proximity:.3f} vs {d.proximity:.3f}, "
                    f"sparsity {o.sparsity:.2f} vs {d.sparsity:.2f}, "
                    f"{d.seconds / o.seconds:.1f}x faster: {'met' if ok else 'NOT met'}"
                )


if __name__ == "__main__":
    main()
