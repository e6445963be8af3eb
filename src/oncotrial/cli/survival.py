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
from numpy.typing import NDArray
from rich.console import Console
from rich.table import Table

from oncotrial._inputs import csv_header, read_csv_text
from oncotrial._outputs import atomic_file, write_csv
from oncotrial.errors import DataError, DesignError
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


def _read_numeric(path: Path, columns: list[str]) -> pd.DataFrame:
    """The chosen columns with pandas' C parser typing time and event as numbers.

    Falls back to :func:`_read` (text first, precise error naming row and value) when the
    file cannot be read that way or a time/event value is not a finite number.
    """
    group = columns[2:]
    try:
        data = pd.read_csv(path, usecols=columns, dtype=dict.fromkeys(group, str),
                           keep_default_na=False, encoding="utf-8-sig", engine="c")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, OSError):
        return _read(path, columns)
    numeric = all(data[c].dtype.kind in "iuf" for c in columns[:2])
    if data.empty or not numeric or not all(
            np.isfinite(data[c].to_numpy(dtype=np.float64)).all() for c in columns[:2]):
        return _read(path, columns)
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


def _group_codes(column: pd.Series) -> tuple[NDArray[np.int64], list[str]]:
    """Integer code per row and the labels in sorted order (hashing, not a string sort)."""
    codes, uniques = pd.factorize(column.astype(str), sort=True)
    return codes.astype(np.int64), [str(u) for u in uniques]


def _parse_landmarks(text: str) -> list[float]:
    """Landmark times from ``"6,12,24"``; each a finite number >= 0."""
    values: list[float] = []
    for part in (p.strip() for p in text.split(",")):
        try:
            value = float(part)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value >= 0):
            raise DataError("landmark is not a time", field="--landmarks", value=part,
                            allowed="comma-separated numbers >= 0, e.g. 6,12,24")
        values.append(value)
    return values


def _default_landmarks(last_time: float) -> list[float]:
    """Three or four round landmark times within follow-up: multiples of 1, 2 or 5 x 10^k."""
    if not last_time > 0:
        return []
    for step_base in (10.0 ** math.floor(math.log10(last_time / 4.0)),):
        for factor in (5.0, 2.0, 1.0):
            step = factor * step_base
            if last_time / step >= 3:
                return [step * i for i in range(1, 5) if step * i <= last_time][:4]
    return []


def _km_summary(label: str | None, km: KaplanMeierResult,
                landmarks: list[float]) -> dict[str, object]:
    """n, events, median with its interval and survival at each landmark (JSON-ready)."""
    med = km.median
    points: list[dict[str, object]] = []
    for at in landmarks:
        entry: dict[str, object] = {"time": at, "n_risk": int(km.n_at_risk([at])[0])}
        try:
            surv, low, up = km.survival_at([at])
        except DesignError:  # past the last follow-up while the curve is above 0
            entry.update(survival=None, lower=None, upper=None, note="past follow-up")
        else:
            entry.update(survival=_num(float(surv[0])), lower=_num(float(low[0])),
                         upper=_num(float(up[0])))
        points.append(entry)
    return {"group": label, "n": km.n, "events": km.events,
            "median": {"estimate": med.estimate, "lower": med.lower, "upper": med.upper},
            "landmarks": points}


def _landmark_cell(point: dict[str, object]) -> tuple[str, str]:
    """Survival and ``lower - upper`` to three decimals; NA where a limit is undefined."""
    if point["survival"] is None:
        return "past follow-up", ""

    def f3(v: object) -> str:
        return "NA" if v is None else f"{float(str(v)):.3f}"

    return f3(point["survival"]), f"{f3(point['lower'])} - {f3(point['upper'])}"


def _print_summary(console: Console, summaries: list[dict[str, object]], conf_level: float,
                   conf_type: str) -> None:
    """Per group: n and events, then the median and each landmark with its interval."""

    def fmt(v: object) -> str:
        return "NR" if v is None else f"{v:g}"

    level = f"{100 * conf_level:g}%"
    table = Table(title=f"Kaplan-Meier summary ({level} CI, {conf_type}; NR = not reached)")
    for col, justify in (("group", "left"), ("n", "right"), ("events", "right"),
                         ("estimate", "left"), ("value", "right"), (f"{level} CI", "right"),
                         ("at risk", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for summary in summaries:
        med = summary["median"]
        points = summary["landmarks"]
        assert isinstance(med, dict)
        assert isinstance(points, list)
        table.add_row(str(summary["group"] or "all"), str(summary["n"]), str(summary["events"]),
                      "median", fmt(med["estimate"]), f"{fmt(med['lower'])} - {fmt(med['upper'])}",
                      "")
        for point in points:
            value, interval = _landmark_cell(point)
            table.add_row("", "", "", f"S({point['time']:g})", value, interval,
                          str(point["n_risk"]))
        table.add_section()
    console.print(table)


def _write_table(fits: list[tuple[str | None, KaplanMeierResult]], out: Path) -> None:
    """The Kaplan-Meier table of every group as CSV, built column-wise, written all at once."""
    columns: dict[str, object] = {
        "group": np.concatenate([np.full(fit.time.size, "" if label is None else label,
                                         dtype=object) for label, fit in fits]),
    }
    for name in ("time", "n_risk", "n_event", "n_censor", "survival", "std_err", "lower",
                 "upper"):
        columns[name] = np.concatenate([getattr(fit, name) for _, fit in fits])
    with atomic_file(out) as temp:
        write_csv(pd.DataFrame(columns), temp)


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
    return _select_param(_read_numeric(path, columns + extra), param, "PARAMCD", path)


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
    landmarks: Annotated[str | None, typer.Option(
        "--landmarks", help="Comma-separated times for survival estimates (default: three or "
        "four round times within follow-up).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    table: Annotated[Path | None, typer.Option(
        "--table", help="Write the full Kaplan-Meier table(s) to this CSV file.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Also write the Kaplan-Meier table(s) to this CSV file.")] = None,
) -> None:
    """Kaplan-Meier summary per group: n, events, median (CI), survival at landmarks (R survfit).

    The full curve (one row per distinct time) goes to --table FILE, never to the screen. On an
    ADTTE: ``--param PFS --time AVAL --event CNSR --censor-coded``; a file holding several
    parameters in PARAMCD is refused without --param, and a CNSR column without
    --censor-coded, so that censored times are never taken as events.
    """
    _check_options(plot=plot, time_unit=time_unit, event=event, censor_coded=censor_coded)
    chosen = _parse_landmarks(landmarks) if landmarks is not None else None
    cols = [time, event] + ([group] if group else [])
    data = _load(input_csv, cols, param=param)
    t = data[time].to_numpy(dtype=np.float64)
    e = _events(data[event], censor_coded=censor_coded, column=event)
    fits: list[tuple[str | None, KaplanMeierResult]] = []
    codes, labels = _group_codes(data[group]) if group is not None else (None, [])
    if codes is None:
        fits.append((None, estimate_kaplan_meier(t, e, conf_level=conf_level, conf_type=conf_type)))
    else:
        for code, label in enumerate(labels):
            mask = codes == code
            fits.append((label, estimate_kaplan_meier(t[mask], e[mask], conf_level=conf_level,
                                                      conf_type=conf_type)))
    log_rank = estimate_log_rank(t, e, codes) if codes is not None and len(fits) > 1 else None
    for path in {p for p in (table, out) if p is not None}:
        _write_table(fits, path)
    if plot is not None:
        _plot(data, time=time, events=e, group=group, unit=time_unit, out=plot,
              title=f"Kaplan-Meier: {param or input_csv.stem}")
    times = chosen if chosen is not None else _default_landmarks(float(t.max()))
    summaries = [_km_summary(label, fit, times) for label, fit in fits]
    if as_json:
        result: dict[str, object] = {"conf_type": conf_type, "conf_level": conf_level,
                                     "groups": summaries}
        if log_rank is not None:
            result["log_rank"] = {"chisq": log_rank.chisq, "df": log_rank.df,
                                  "p_value": log_rank.p_value}
        typer.echo(json.dumps(result))
        return
    console = Console()
    _print_summary(console, summaries, conf_level, conf_type)
    if log_rank is not None:
        console.print(f"log-rank chi-square {log_rank.chisq:.3f} on {log_rank.df} df, "
                      f"p = {log_rank.p_value:.4g}")
