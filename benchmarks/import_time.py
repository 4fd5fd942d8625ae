"""Import time of glassbox (+ surrogates) beside interpret's, each in a fresh
interpreter, median of several runs. Prints the ratio (ours / interpret)."""

from __future__ import annotations

import statistics
import subprocess
import sys

RUNS = 5


def import_seconds(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    times = []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        times.append(float(out.stdout.strip()))
    return statistics.median(times)


def main() -> None:
    ours = import_seconds("import glassbox, surrogates")
    peer = import_seconds("import interpret.glassbox")
    print(f"import glassbox, surrogates : {ours * 1000:8.1f} ms (median of {RUNS})")
    print(f"import interpret.glassbox   : {peer * 1000:8.1f} ms (median of {RUNS})")
    print(f"ratio ours / interpret      : {ours / peer:8.2f}")


if __name__ == "__main__":
    main()
