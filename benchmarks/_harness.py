"""Tiny side-by-side harness: run each contender on the same data in one process, repeat,
report min and median wall time, and the tracemalloc peak of one extra run (numpy and
shapely report their buffers there)."""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any


def measure(fn: Callable[[], Any], repeat: int = 3) -> dict[str, float]:
    """Time ``repeat`` runs without tracing (tracing slows Python code far more than C code,
    which would bias the ratio), then one more run under tracemalloc for the peak."""
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    gc.collect()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {"min_s": min(times), "median_s": statistics.median(times), "peak_mib": peak}


def report(title: str, ours: dict[str, float], base: dict[str, float], base_name: str) -> str:
    ratio = ours["min_s"] / base["min_s"]
    return (f"{title}\n"
            f"  indspace : min {ours['min_s']:.2f} s  median {ours['median_s']:.2f} s  "
            f"peak {ours['peak_mib']:.0f} MiB\n"
            f"  {base_name:9s}: min {base['min_s']:.2f} s  median {base['median_s']:.2f} s  "
            f"peak {base['peak_mib']:.0f} MiB\n"
            f"  ratio (indspace / baseline, min): {ratio:.2f}×")


def scale_args() -> argparse.Namespace:
    """The options every city benchmark takes: ``--scale`` (demo size) and ``--repeat``."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="city")
    ap.add_argument("--repeat", type=int, default=3)
    return ap.parse_args()
