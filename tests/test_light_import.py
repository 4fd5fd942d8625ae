"""`import glassbox` and `import surrogates` stay light: heavy backends load on use."""

import subprocess
import sys

HEAVY = [
    "interpret",
    "pygam",
    "imodels",
    "pyoperon",
    "xgboost",
    "torch",
    "dask",
    "shap",
    "lime",
    "wittgenstein",
    "mlxtend",
    "pysr",
    "matplotlib",
]


def test_import_does_not_load_heavy_backends():
    code = (
        "import sys, glassbox, surrogates, surrogates.shap\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"heavy modules imported: {out.stdout.strip()}"


def test_import_surrogates_does_not_compile_numba_kernels():
    """numba loads with surrogates.shap (the kernels), not with the adapters."""
    code = "import sys, glassbox, surrogates, surrogates.blackbox; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
