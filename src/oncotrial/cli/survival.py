"""``oncotrial survival km``: Kaplan-Meier estimates from a CSV file."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from oncotrial._inputs import csv_header, read_csv_text
from oncotrial._outputs import atomic_file, write_csv
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


def _km_rows(km: KaplanMeierResult) -> list[dict[str, object]]:
    return [
        {"time": float(t), "n_risk": int(nr), "n_event": int(ne), "n_censor": int(nc),
         "survival": _num(float(s)), "std_err": _num(float(se)), "lower": _num(float(lo)),
         "upper": _num(float(up))}
        for t, nr, ne, nc, s, se, lo, up in zip(
            km.time, km.n_risk, km.n_event, km.n_censor, km.survival, km.std_err, km.lower,
            km.upper, strict=True)
    ]


def _km_json(label: str | None, km: KaplanMeierResult) -> dict[str, object]:
    table = _km_rows(km)
    med = km.median
    return {
        "group": label, "n": km.n, "events": km.events,
        "median": {"estimate": med.estimate, "lower": med.lower, "upper": med.upper},
        "table": table,
    }


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    """The chosen columns of the CSV *path*, time and event as numbers.

    Raises
    ------
    DataError
        For a file that is not UTF-8 CSV, a missing column, no rows, or a time or event value
        that is not a number (naming the column, row and value).
    """
    text = read_csv_text(path, field="INPUT")
    header = csv_header(text, path, fold_case=False)
    missing = [c for c in columns if c not in header]
    if missing:
        raise DataError(f"column not in {path.name}", field="column", value=missing,
                        allowed=", ".join(header))
    data = pd.read_csv(io.StringIO(text), usecols=columns, dtype=str, keep_default_na=False)
    if data.empty:
        raise DataError("no rows to estimate from", field="INPUT", value=str(path),
                        allowed="a header and one row per subject")
    for column in columns[:2]:
        values = pd.to_numeric(data[column].str.strip(), errors="coerce")
        bad = values.isna() | ~np.isfinite(values)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"not a number in {path.name}, data row {row + 1}", field=column,
                            value=data[column].iloc[row], allowed="a finite number")
        data[column] = values
    return data


_ADAM_CENSOR = "CNSR"  # ADaM BDS-TTE: 1 = censored, 0 = event (ADaM IG, ADTTE)
_TIME_UNITS = {"days": 365.25 / 12, "months": 1.0}  # input units per plotted month


def _select_param(data: pd.DataFrame, param: str | None, column: str, path: Path) -> pd.DataFrame:
    """The rows of one parameter: refuse a file that mixes parameters unless *param* names
    one of them (an ADTTE holds PFS, OS, DOR … in one column)."""
    if column not in data:
        if param is not None:
            raise DataError(f"--param needs a {column} column in {path.name}", field="param",
                            value=param, allowed=f"a file with a {column} column")
        return data
    present = sorted(set(data[column].astype(str)))
    if param is None:
        if len(present) > 1:
            raise DataError(f"{path.name} holds several parameters in {column}; choose one",
                            field="param", value=None, allowed=", ".join(present))
        return data
    chosen = data[data[column].astype(str) == param]
    if chosen.empty:
        raise DataError(f"no rows of this parameter in {path.name}", field="param",
                        value=param, allowed=", ".join(present))
    return chosen


def _events(values: pd.Series, *, censor_coded: bool, column: str) -> np.ndarray:
    """Event indicator (1 = event): the column as it is, or 1 - value when it codes
    censoring (ADaM CNSR). Values other than 0 and 1 are refused when censor-coded."""
    numbers = values.to_numpy(dtype=np.float64)
    if not censor_coded:
        return numbers
    bad = ~np.isin(numbers, (0.0, 1.0))
    if bad.any():
        raise DataError("a censoring flag is 0 (event) or 1 (censored)", field=column,
                        value=float(numbers[int(np.flatnonzero(bad)[0])]), allowed="0, 1")
    return 1.0 - numbers


def _plot(data: pd.DataFrame, *, time: str, events: np.ndarray, group: str | None,
          unit: str, title: str, out: Path) -> None:
    """Draw the Kaplan-Meier curve(s) with the report's figure and write *out* (PNG, SVG or
    PDF by its suffix) in one rename."""
    from matplotlib.figure import Figure

    from oncotrial.report import plot_kaplan_meier
    from oncotrial.report._style import figure_style

    suffix = out.suffix.lower().lstrip(".")
    frame = pd.DataFrame({"TIME": data[time].to_numpy(dtype=np.float64) * (
        _TIME_UNITS["days"] / _TIME_UNITS[unit]), "CNSR": 1 - events})
    if group is not None:
        frame["GROUP"] = data[group].astype(str).to_numpy()
    with figure_style():
        figure = Figure(figsize=(7.0, 4.6), layout="constrained")
        plot_kaplan_meier(frame, ax=figure.add_subplot(), time="TIME", censor="CNSR",
                          group=None if group is None else "GROUP",
                          ylabel="Survival probability", xlabel="Time (months)")
        figure.suptitle(title, fontsize=10, weight="bold")
        with atomic_file(out) as temp:
            figure.savefig(temp, format=suffix)


def _write_table(fits: list[tuple[str | None, KaplanMeierResult]], out: Path) -> None:
    """The Kaplan-Meier table of every group as CSV, written all at once."""
    rows = [{"group": "" if label is None else label, **entry}
            for label, fit in fits for entry in _km_rows(fit)]
    with atomic_file(out) as temp:
        write_csv(pd.DataFrame(rows, columns=["group", "time", "n_risk", "n_event", "n_censor",
                                              "survival", "std_err", "lower", "upper"]), temp)


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


def _check_options(*, plot: Path | None, time_unit: str, event: str,
                   censor_coded: bool) -> None:
    """Refuse options that cannot work before anything is read or written."""
    if plot is not None and plot.suffix.lower() not in {".png", ".svg", ".pdf"}:
        raise DataError("unknown plot file type", field="plot", value=str(plot),
                        allowed="a .png, .svg or .pdf file")
    if time_unit not in _TIME_UNITS:
        raise DataError("unknown time unit", field="time-unit", value=time_unit,
                        allowed=", ".join(_TIME_UNITS))
    if event.upper() == _ADAM_CENSOR and not censor_coded:
        raise DataError("the ADaM censoring flag is 1 for censored; add --censor-coded",
                        field="event", value=event, allowed="--event CNSR --censor-coded")


def _load(path: Path, columns: list[str], *, param: str | None) -> pd.DataFrame:
    """The chosen columns (and PARAMCD when the file has it) of one parameter's rows."""
    header = csv_header(read_csv_text(path, field="INPUT"), path, fold_case=False)
    extra = ["PARAMCD"] if "PARAMCD" in header and "PARAMCD" not in columns else []
    return _select_param(_read(path, columns + extra), param, "PARAMCD", path)


@app.command("km")
def km(
    input_csv: Annotated[
        Path, typer.Argument(metavar="INPUT.csv", help="CSV file, one row per subject.")
    ],
    *,
    time: Annotated[str, typer.Option("--time", help="Column of follow-up times.")],
    event: Annotated[str, typer.Option(
        "--event", help="Column of events (1) / censoring (0); see --censor-coded.")],
    group: Annotated[str | None, typer.Option("--group", help="Column to stratify by.")] = None,
    param: Annotated[str | None, typer.Option(
        "--param", help="Keep the rows whose PARAMCD is this (e.g. PFS in an ADTTE).")] = None,
    censor_coded: Annotated[bool, typer.Option(
        "--censor-coded", help="The --event column codes censoring: 1 = censored, 0 = event "
        "(ADaM CNSR).")] = False,
    plot: Annotated[Path | None, typer.Option(
        "--plot", help="Also draw the curve(s) to this .png, .svg or .pdf file.")] = None,
    time_unit: Annotated[str, typer.Option(
        "--time-unit", help="Unit of --time, for the plot's month axis: days or months.")
    ] = "days",
    conf_type: Annotated[str, typer.Option(
        "--conf-type", help=f"Interval type: {', '.join(CONF_TYPES)}.")] = "log-log",
    conf_level: Annotated[float, typer.Option("--conf-level")] = 0.95,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Also write the Kaplan-Meier table(s) to this CSV file.")] = None,
) -> None:
    """Kaplan-Meier curve(s) with Greenwood SE, pointwise intervals and median (R survfit).

    On an ADTTE: ``--param PFS --time AVAL --event CNSR --censor-coded``. A file that holds
    several parameters in PARAMCD is refused without --param, and a CNSR column without
    --censor-coded, so that censored times are never taken as events.
    """
    _check_options(plot=plot, time_unit=time_unit, event=event, censor_coded=censor_coded)
    cols = [time, event] + ([group] if group else [])
    data = _load(input_csv, cols, param=param)
    t = data[time].to_numpy(dtype=np.float64)
    e = _events(data[event], censor_coded=censor_coded, column=event)
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
    if out is not None:
        _write_table(fits, out)
    if plot is not None:
        _plot(data, time=time, events=e, group=group, unit=time_unit, out=plot,
              title=f"Kaplan-Meier: {param or input_csv.stem}")
    if as_json:
        result: dict[str, object] = {
            "conf_type": conf_type, "conf_level": conf_level,
            "groups": [_km_json(label, fit) for label, fit in fits],
        }
        if log_rank is not None:
            result["log_rank"] = {"chisq": log_rank.chisq, "df": log_rank.df,
                                  "p_value": log_rank.p_value}
        typer.echo(json.dumps(result))
        return
    console = Console()
    for label, fit in fits:
        _print_km(console, label, fit)
    if log_rank is not None:
        console.print(f"log-rank chi-square {log_rank.chisq:.3f} on {log_rank.df} df, "
                      f"p = {log_rank.p_value:.4g}")
