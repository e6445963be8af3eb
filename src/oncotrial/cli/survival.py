"""``oncotrial survival km``: Kaplan-Meier estimates from a CSV file."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from oncotrial.errors import DataError
from oncotrial.stats import (
    CONF_TYPES,
    KaplanMeierResult,
    estimate_kaplan_meier,
    estimate_log_rank,
)

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)  # help: cli.COMMANDS


def _num(value: float | None) -> float | None:
    """JSON-safe number: NaN and infinities become null."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _km_json(label: str | None, km: KaplanMeierResult) -> dict[str, object]:
    table = [
        {"time": float(t), "n_risk": int(nr), "n_event": int(ne), "n_censor": int(nc),
         "survival": _num(float(s)), "std_err": _num(float(se)), "lower": _num(float(lo)),
         "upper": _num(float(up))}
        for t, nr, ne, nc, s, se, lo, up in zip(
            km.time, km.n_risk, km.n_event, km.n_censor, km.survival, km.std_err, km.lower,
            km.upper, strict=True)
    ]
    med = km.median
    return {
        "group": label, "n": km.n, "events": km.events,
        "median": {"estimate": med.estimate, "lower": med.lower, "upper": med.upper},
        "table": table,
    }


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    if not path.is_file():
        raise DataError("file not found", field="INPUT", value=str(path))
    header = pd.read_csv(path, nrows=0).columns.tolist()
    missing = [c for c in columns if c not in header]
    if missing:
        raise DataError(f"column not in {path.name}", field="column", value=missing,
                        allowed=", ".join(header))
    return pd.read_csv(path, usecols=columns)


def _print_km(console: Console, label: str | None, km: KaplanMeierResult) -> None:
    med = km.median

    def fmt(v: float | None) -> str:
        return "NR" if v is None else f"{v:g}"

    title = (f"{label + ': ' if label else ''}n={km.n}, events={km.events}, median "
             f"{fmt(med.estimate)} ({100 * km.conf_level:g}% CI {fmt(med.lower)}-{fmt(med.upper)})"
             f", {km.conf_type} intervals")
    table = Table(title=title)
    for col in ("time", "n.risk", "n.event", "n.censor", "survival", "std.err", "lower", "upper"):
        table.add_column(col, justify="right")
    for i in range(km.time.size):
        table.add_row(f"{km.time[i]:g}", str(km.n_risk[i]), str(km.n_event[i]),
                      str(km.n_censor[i]), f"{km.survival[i]:.4f}", f"{km.std_err[i]:.4f}",
                      f"{km.lower[i]:.4f}", f"{km.upper[i]:.4f}")
    console.print(table)


@app.command("km")
def km(
    input_csv: Annotated[
        Path, typer.Argument(metavar="INPUT.csv", help="CSV file, one row per subject.")
    ],
    *,
    time: Annotated[str, typer.Option("--time", help="Column of follow-up times.")],
    event: Annotated[str, typer.Option("--event", help="Column of events (1) / censoring (0).")],
    group: Annotated[str | None, typer.Option("--group", help="Column to stratify by.")] = None,
    conf_type: Annotated[str, typer.Option(
        "--conf-type", help=f"Interval type: {', '.join(CONF_TYPES)}.")] = "log-log",
    conf_level: Annotated[float, typer.Option("--conf-level")] = 0.95,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Kaplan-Meier curve(s) with Greenwood SE, pointwise intervals and median (R survfit)."""
    cols = [time, event] + ([group] if group else [])
    data = _read(input_csv, cols)
    t = data[time].to_numpy(dtype=np.float64)
    e = data[event].to_numpy()
    fits: list[tuple[str | None, KaplanMeierResult]] = []
    if group is None:
        fits.append((None, estimate_kaplan_meier(t, e, conf_level=conf_level, conf_type=conf_type)))
    else:
        labels = data[group].astype(str).to_numpy()
        for label in sorted(set(labels.tolist())):
            mask = labels == label
            fits.append((label, estimate_kaplan_meier(t[mask], e[mask], conf_level=conf_level,
                                                      conf_type=conf_type)))
    log_rank = estimate_log_rank(t, e, data[group].astype(str).to_numpy()) if (
        group is not None and len(fits) > 1) else None
    if as_json:
        out: dict[str, object] = {
            "conf_type": conf_type, "conf_level": conf_level,
            "groups": [_km_json(label, fit) for label, fit in fits],
        }
        if log_rank is not None:
            out["log_rank"] = {"chisq": log_rank.chisq, "df": log_rank.df,
                               "p_value": log_rank.p_value}
        typer.echo(json.dumps(out))
        return
    console = Console()
    for label, fit in fits:
        _print_km(console, label, fit)
    if log_rank is not None:
        console.print(f"log-rank chi-square {log_rank.chisq:.3f} on {log_rank.df} df, "
                      f"p = {log_rank.p_value:.4g}")
