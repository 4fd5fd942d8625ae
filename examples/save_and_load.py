"""Save a fitted model as JSON (no pickle), load it back, and check that it is
the same model: identical predictions and identical printout. Then write an
offline HTML report of the loaded model.

Run: python examples/save_and_load.py [OUTPUT_DIR]   (a few seconds)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from glassbox import GLMRegressor, TreeRegressor, datasets, io
from glassbox.render.html import report

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
out.mkdir(parents=True, exist_ok=True)
X, y = datasets.diabetes()

for model in (GLMRegressor(), TreeRegressor(max_depth=3, random_state=0)):
    model.fit(X, y)
    path = io.save(model, out / f"{type(model).__name__}.json")
    loaded = io.load(path)
    same_text = str(loaded) == str(model)
    max_diff = float(np.max(np.abs(loaded.predict(X) - model.predict(X))))
    print(
        f"{path.name}: {path.stat().st_size:,} bytes, same printout: {same_text}, "
        f"largest prediction difference: {max_diff:g}"
    )
    assert same_text and max_diff == 0.0

# A hand edit is caught by the checksum.
text = (out / "GLMRegressor.json").read_text()
try:
    io.loads(text.replace('"alpha":0.0', '"alpha":1.0', 1))
except ValueError as exc:
    print(f"edited file refused: {exc}")

page = out / "GLMRegressor.html"
report(io.load(out / "GLMRegressor.json"), X, y, path=page)
print(f"wrote {page} ({page.stat().st_size:,} bytes, self-contained)")
