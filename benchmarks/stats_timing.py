"""Shared timing helpers for the statistics benchmarks (stats_km, stats_simon, stats_binomial)."""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy

RESULTS = Path(__file__).resolve().parent / "results"


def time_call(func: Callable[[], object], repeat: int) -> list[float]:
    """Wall times (s) of *repeat* calls, garbage collected before each."""
    out = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        func()
        out.append(time.perf_counter() - start)
    return out


def summary(times: list[float]) -> dict[str, float | int]:
    """Median, min and max of a list of timings."""
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "runs": len(times)}


def environment() -> dict[str, str]:
    """Versions and machine facts recorded with every result file."""
    import lifelines

    return {"python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "lifelines": lifelines.__version__,
            "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}",
            "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
            # other jobs share the 2 vCPUs: above ~2 every time is inflated
            "load_average_1m": f"{os.getloadavg()[0]:.1f}"}


def write_json(name: str, payload: dict[str, object]) -> Path:
    """Write benchmarks/results/<name>.json."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return path
