"""Counterfactuals: the smallest changes to a row that give the outcome asked for.

``counterfactuals(model, x, desired=...)`` answers "what would have to change"
for one row ``x``: up to ``n`` rows near ``x`` that the model gives the
desired class (or a prediction in the desired interval), each with its changes
``(feature, from, to)`` and its cost, re-checked on the model (``valid``).

Cost (Wachter et al. 2017; DiCE's proximity): the L1 distance to ``x`` with
each numeric feature divided by its median absolute deviation on ``X`` (a
change of one "typical spread" costs 1), a categorical change costing 1, plus
``SPARSITY`` per changed feature, so that of two equally near rows the one
changing fewer features wins. ``cost`` replaces the per-feature weights.

Constraints the returned rows always satisfy: ``immutable`` features keep
their value, ``bounds`` (by default the range seen in ``X``, as DiCE does),
``monotone`` ("up" / "down": the feature may only grow / shrink), categorical
features take only levels seen in ``X`` (or in the model's schema), and
integer features (every value in ``X`` integral) stay integers.

Solvers (``method``), one module each; docs/counterfactuals.md says what
each proves:

- ``"tree"`` (``_tree``): glassbox trees, scikit-learn decision trees: the
  nearest point of every leaf box of the desired outcome (exact).
- ``"linear"`` (``_linear``): glassbox GLMs, scikit-learn linear models: a
  small mixed-integer program (scipy ``milp``; exact).
- ``"ruleset"`` (``_ruleset``): RuleFit rule sets on numeric features: rules
  and clipped linear terms as one mixed-integer program (exact to 1e-6).
- ``"additive"`` (``_additive``): EBMs without pairs (exact) and GAMs (exact
  on a grid of ``GAM_GRID`` values per feature, reported as
  ``"additive-grid"``, not ``exact``): branch and bound over per-feature
  shapes.
- ``"cells"`` (``_cells``): rule lists, OneR, EBMs with pairs, scikit-learn
  and xgboost tree ensembles: best-first enumeration of the cells cut by the
  thresholds (exact when it finishes; an honest ``lower_bound`` otherwise).
- ``"search"`` (``_search``): any model with ``predict`` or a callable:
  seeded, batched search, polish, diverse choice; stops at ``time_limit``.

``method="auto"`` takes the first exact solver that applies (in the order
above), the search otherwise; a scikit-learn or xgboost tree ensemble is
enumerated at ``"auto"`` only when small (``_cells.AUTO_NODES`` split nodes,
``_cells.AUTO_SECONDS`` at most), else searched (``message`` says so). Tree ensembles are read into arrays
(``_fast``) so the search and the cell enumeration need not call
``predict`` thousands of times; the reading is checked against ``predict``
and every returned row is re-checked on the model itself (``valid``). The
row space, cost and constraints live in ``_space``, the result dataclass in
``_result``. There is no ``explain_counterfactual`` method on glassbox
estimators: glassbox never imports surrogates (design.md); call
``counterfactuals(model, x)``. ``str`` of a result reads "Income 2,100 ->
2,650 and Debt 800 -> 0 turns 'refused' into 'approved'".
"""

from __future__ import annotations

from ._api import counterfactuals
from ._result import Counterfactuals
from ._space import SPARSITY

__all__ = ["SPARSITY", "Counterfactuals", "counterfactuals"]
