"""Our rule models vs the same backend estimator called directly.

For each rule model: held-out accuracy (R^2 for the regressor), complexity
(conditions, + linear terms for RuleFit) and fit time, ours vs the backend
(imodels / wittgenstein / mlxtend) fitted on the same training rows. Equal
accuracy is expected (we wrap, we do not change the algorithm); the fit-time
ratio is our overhead (validation, translating rules, supports).

Data: breast cancer (classification) and diabetes (regression), 70/30 split.
The Bayesian list, RIPPER and OneR get the discretized / binned inputs we
build for them (the backends need them), so "direct" there means the backend
on those same inputs.

Run: .venv/bin/python benchmarks/rules_vs_imodels.py
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split

from glassbox import (
    OneRClassifier,
    RipperClassifier,
    RuleListClassifier,
    RuleSetClassifier,
    RuleSetRegressor,
)

warnings.filterwarnings("ignore")


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def _seed(rs: int) -> int:
    return int(np.random.RandomState(rs).randint(2**31 - 1))


def main() -> None:
    Xc, yc = load_breast_cancer(return_X_y=True, as_frame=True)
    Xr, yr = load_diabetes(return_X_y=True, as_frame=True)
    Xa, Xb, ya, yb = train_test_split(Xc, yc.to_numpy(), test_size=0.3, random_state=0, stratify=yc)
    Ra, Rb, ta, tb = train_test_split(Xr, yr.to_numpy(), test_size=0.3, random_state=0)
    import imodels  # noqa: F401  (import once, outside the timings)
    import mlxtend.classifier  # noqa: F401
    import wittgenstein  # noqa: F401

    rows = []

    # greedy rule list
    from imodels import GreedyRuleListClassifier

    ours, t_o = _timed(lambda: RuleListClassifier("greedy", max_depth=5).fit(Xa, ya))
    np.random.seed(0)  # the stumps' tie-breaking, seeded as RuleListClassifier seeds it
    ref, t_r = _timed(lambda: GreedyRuleListClassifier(max_depth=5).fit(Xa.to_numpy(), ya))
    rows.append(
        (
            "RuleList greedy",
            "imodels GreedyRuleList",
            accuracy_score(yb, ours.predict(Xb)),
            accuracy_score(yb, ref.predict(Xb.to_numpy())),
            ours.complexity_,
            ref.complexity_,
            t_o,
            t_r,
        )
    )

    # Bayesian rule list (backend on our 0/1 items)
    from imodels import BayesianRuleListClassifier

    kw = dict(n_bins=3, min_support=0.3, max_iter=2000, n_chains=2, random_state=0)
    ours, t_o = _timed(lambda: RuleListClassifier("bayesian", **kw).fit(Xa, ya))
    items = ours.items_

    def _B(X):
        return np.column_stack([c.evaluate(X.to_numpy(float)) for c in items]).astype(float)

    seed = int(np.random.RandomState(0).randint(1, 2**31 - 1))  # as RuleListClassifier derives it

    def fit_brl():
        m = BayesianRuleListClassifier(
            listlengthprior=3,
            maxcardinality=2,
            minsupport=0.3,
            n_chains=2,
            max_iter=2000,
            random_state=seed,
        )
        m.burnin = 1000
        return m.fit(_B(Xa), ya)

    ref, t_r = _timed(fit_brl)
    rows.append(
        (
            "RuleList bayesian",
            "imodels BayesianRuleList",
            accuracy_score(yb, ours.predict(Xb)),
            accuracy_score(yb, ref.predict(_B(Xb))),
            ours.complexity_,
            ref.complexity_ - 1,
            t_o,
            t_r,
        )
    )  # imodels adds 1 for ELSE

    # RuleFit classifier
    from imodels import RuleFitClassifier, RuleFitRegressor

    ours, t_o = _timed(lambda: RuleSetClassifier(random_state=0).fit(Xa, ya))
    ref, t_r = _timed(lambda: RuleFitClassifier(random_state=_seed(0)).fit(Xa.to_numpy(), ya))
    rows.append(
        (
            "RuleSet rulefit",
            "imodels RuleFitClassifier",
            accuracy_score(yb, ours.predict(Xb)),
            accuracy_score(yb, ref.predict(Xb.to_numpy())),
            ours.complexity_,
            ref.complexity_,
            t_o,
            t_r,
        )
    )

    # RIPPER (backend on our binned frame)
    import wittgenstein as lw

    ours, t_o = _timed(lambda: RipperClassifier(random_state=0).fit(Xa, ya))
    Fa, Fb = ours._ripper_frame(Xa.to_numpy(float)), ours._ripper_frame(Xb.to_numpy(float))

    def fit_ripper():
        m = lw.RIPPER(k=2, n_discretize_bins=None, random_state=_seed(0))
        m.fit(Fa.assign(_target_=ya == 1), class_feat="_target_", pos_class=True)
        return m

    ref, t_r = _timed(fit_ripper)
    ref_pred = np.asarray(ref.predict(Fb)).astype(int)
    rows.append(
        (
            "Ripper",
            "wittgenstein RIPPER",
            accuracy_score(yb, ours.predict(Xb)),
            accuracy_score(yb, ref_pred),
            ours.complexity_,
            sum(len(r.conds) for r in ref.ruleset_.rules),
            t_o,
            t_r,
        )
    )

    # OneR (backend on our bin codes)
    from mlxtend.classifier import OneRClassifier as MlxOneR

    ours, t_o = _timed(lambda: OneRClassifier().fit(Xa, ya))
    Ca, Cb = ours._codes(Xa.to_numpy(float)), ours._codes(Xb.to_numpy(float))
    ref, t_r = _timed(lambda: MlxOneR().fit(Ca, ya))
    n_bins = len(ref.prediction_dict_["rules (value: class)"])
    rows.append(
        (
            "OneR",
            "mlxtend OneR",
            accuracy_score(yb, ours.predict(Xb)),
            accuracy_score(yb, ref.predict(Cb)),
            ours.complexity_,
            n_bins - 1,
            t_o,
            t_r,
        )
    )

    # RuleFit regressor
    ours, t_o = _timed(lambda: RuleSetRegressor(random_state=0).fit(Ra, ta))
    ref, t_r = _timed(lambda: RuleFitRegressor(random_state=_seed(0)).fit(Ra.to_numpy(), ta))
    rows.append(
        (
            "RuleSet regressor",
            "imodels RuleFitRegressor (R^2)",
            r2_score(tb, ours.predict(Rb)),
            r2_score(tb, ref.predict(Rb.to_numpy())),
            ours.complexity_,
            ref.complexity_,
            t_o,
            t_r,
        )
    )

    head = (
        f"{'model':<20}{'peer':<32}{'acc ours':>9}{'acc peer':>9}{'cx ours':>8}{'cx peer':>8}"
        f"{'fit ours s':>11}{'fit peer s':>11}{'ratio':>7}"
    )
    print(head)
    print("-" * len(head))
    for name, peer, a_o, a_r, c_o, c_r, t_o, t_r in rows:
        print(
            f"{name:<20}{peer:<32}{a_o:>9.4f}{a_r:>9.4f}{c_o:>8}{int(c_r):>8}"
            f"{t_o:>11.3f}{t_r:>11.3f}{t_o / t_r:>7.2f}"
        )
    print(
        "\ncomplexity: ours = conditions (+ non-zero linear terms for RuleFit); imodels' own "
        "complexity_ counts the same for RuleFit, rules for the greedy list, conditions + 1 "
        "for the Bayesian list (shown minus 1); RIPPER/OneR peers: conditions / bins - 1."
    )


if __name__ == "__main__":
    main()
