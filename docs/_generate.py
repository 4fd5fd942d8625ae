"""Write docs/families/<family>.md: each family fitted on bundled data, printed.

The printed outputs in the family pages come from this script (real runs, not
hand-written). Re-run it after changing a family or its text rendering:

    .venv/bin/python docs/_generate.py

It loops over ``glassbox.registry.FAMILIES``, so a new family gets its page
(titled by its ``traits.title``, fitted with its ``traits.quick_params``).
"""

from __future__ import annotations

import inspect
import sys
import warnings
from pathlib import Path

import numpy as np

from glassbox import datasets
from glassbox.registry import FAMILIES, fast

HERE = Path(__file__).resolve().parent
OUT = HERE / "families"

#: a readable subset of the breast cancer features (the printouts stay short)
CANCER_COLUMNS = [
    "mean radius",
    "mean texture",
    "mean smoothness",
    "worst concavity",
    "worst symmetry",
]


def _title(name: str) -> str:
    """A family's page title: its classes' ``traits.title``."""
    classes = [c for c in FAMILIES[name] if c is not None]
    return classes[0].traits.title or name.replace("_", " ").title()


def _summary(cls) -> str:
    doc = inspect.getdoc(cls) or ""
    return doc.split("\n\n")[0].replace("\n", " ")


def _params(cls) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in cls.traits.quick_params.items())


def _section(cls, classification: bool) -> str:
    if classification:
        X, y = datasets.breast_cancer()
        X = X[CANCER_COLUMNS]
        load = f"X, y = datasets.breast_cancer()\nX = X[{CANCER_COLUMNS!r}]"
    else:
        X, y = datasets.diabetes()
        load = "X, y = datasets.diabetes()"
    model = fast(cls)
    params = _params(cls)
    # seeded where the family draws at random, so the page is the same on every run
    if "random_state" in model.get_params() and "random_state" not in cls.traits.quick_params:
        model.set_params(random_state=0)
        params = ", ".join(p for p in (params, "random_state=0") if p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    text = str(model)
    score = model.score(X, y)
    metric = "accuracy" if classification else "R^2"
    code = (
        f"from glassbox import datasets, {cls.__name__}\n\n{load}\n"
        f"model = {cls.__name__}({params}).fit(X, y)\nprint(model)"
    )
    return (
        f"## {cls.__name__}\n\n{_summary(cls)}\n\n"
        f"```python\n{code}\n```\n\n"
        f"```text\n{text}\n```\n\n"
        f"Training {metric}: {score:.4f} (on the rows it was fitted to).\n"
    )


def write_family(name: str, classes) -> Path:
    title = _title(name)
    parts = [
        f"# {title}\n",
        f"`glassbox fit DATA.csv --target COL --family {name}` fits this family from the "
        "command line. The outputs below were produced by `docs/_generate.py` "
        "(real runs on data bundled with scikit-learn).\n",
    ]
    clf, reg = classes
    if clf is not None:
        parts.append(_section(clf, True))
    if reg is not None:
        parts.append(_section(reg, False))
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{name}.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def write_nav() -> None:
    """List every family page in mkdocs.yml's nav, between the markers."""
    config = HERE.parent / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    begin = text.index("# BEGIN families")
    begin = text.index("\n", begin) + 1
    end = text.index("      # END families")
    entries = "".join(f"      - {_title(name)}: families/{name}.md\n" for name in sorted(FAMILIES))
    config.write_text(text[:begin] + entries + text[end:], encoding="utf-8")


def write_api() -> None:
    """One mkdocstrings entry per registered class in docs/api.md."""
    from glassbox.registry import CLASSIFIERS, REGRESSORS

    page = HERE / "api.md"
    text = page.read_text(encoding="utf-8")
    begin = text.index("<!-- BEGIN families")
    begin = text.index("\n", begin) + 1
    end = text.index("<!-- END families -->")
    names = sorted({c.__name__ for c in CLASSIFIERS + REGRESSORS})
    entries = "".join(f"\n::: glassbox.{name}\n" for name in names) + "\n"
    page.write_text(text[:begin] + entries + text[end:], encoding="utf-8")


def main(argv: list[str]) -> int:
    np.random.seed(0)
    wanted = argv or sorted(FAMILIES)
    for name in wanted:
        print("wrote", write_family(name, FAMILIES[name]))
    write_nav()
    write_api()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
