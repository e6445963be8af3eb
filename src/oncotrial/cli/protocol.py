"""``oncotrial protocol validate|show``: check a protocol file and print a readable summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from oncotrial.protocol import Protocol, load_protocol, read_protocol_problems

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)  # help: cli.COMMANDS

FileArg = Annotated[
    Path | None,
    typer.Argument(help="Protocol YAML file (default: the shipped LEADER protocol)."),
]


@app.command("validate")
def validate(file: FileArg = None) -> None:
    """Check a protocol file; print every problem with its location (exit 1 on failure)."""
    from oncotrial.rules.dosing import find_flag_problems, load_dose_rules

    protocol, problems = read_protocol_problems(file)
    if protocol is not None:  # what the dose rules and the DLT definition need from the EDC
        problems += find_flag_problems(load_dose_rules(), protocol)
    name = "shipped LEADER protocol" if file is None else str(file)
    if problems:
        typer.echo(f"{name}: {len(problems)} problem(s)", err=True)
        for problem in problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"{name}: valid")


def _drug_table(protocol: Protocol) -> Table:
    table = Table(title="Drugs")
    for col in ("drug", "route", "unit", "days", "dose levels", "start"):
        table.add_column(col)
    for d in protocol.drugs:
        days = f"{d.days[0]}–{d.days[-1]} daily" if len(d.days) > 2 else ", ".join(map(str, d.days))
        levels = " → ".join(f"{v:g}" for v in d.dose_levels) + f" → {d.below_lowest_level}"
        table.add_row(d.name, d.route, d.unit, days, levels, f"{d.starting_level:g}")
    return table


def _schedule_table(protocol: Protocol) -> Table:
    table = Table(title="Schedule of assessments")
    for col in ("assessment", "period", "timing", "window (days)"):
        table.add_column(col)
    for a in protocol.schedule:
        window = f"-{a.window_before_days}/+{a.window_after_days}"
        table.add_row(a.name, a.period, a.timing, window)
    return table


def _eligibility_table(protocol: Protocol) -> Table:
    table = Table(title="Eligibility")
    for col in ("id", "criterion", "check"):
        table.add_column(col)
    for c in protocol.eligibility:
        unit = " × ULN" if c.basis == "xULN" else (f" {c.unit}" if c.unit else "")
        table.add_row(c.id, c.text, f"{c.field} {c.op} {c.value}{unit}")
    return table


def _dlt_table(protocol: Protocol) -> Table:
    dlt = protocol.phase_ib.dlt
    table = Table(
        title=f"DLT definition (window {protocol.phase_ib.dlt_window_days} days, "
        f"attribution ≥ {dlt.min_attribution})"
    )
    for col in ("clause", "description"):
        table.add_column(col)
    for c in dlt.criteria:
        table.add_row(c.name, c.description)
    return table


def _cohort_table(protocol: Protocol) -> Table:
    table = Table(title="Cohort decision rules (first match)")
    for col in ("rule", "evaluable", "DLTs", "action"):
        table.add_column(col)
    for r in protocol.phase_ib.cohort_rules:
        table.add_row(
            r.name,
            f"{r.evaluable_min}–{r.evaluable_max}",
            f"{r.dlt_min}–{r.dlt_max}",
            r.action.value,
        )
    return table


@app.command("show")
def show(file: FileArg = None) -> None:
    """Print a readable summary of a protocol, with the schedule of assessments as a table."""
    protocol = load_protocol(file)
    console = Console(width=120)
    console.print(f"[bold]{protocol.id}[/bold] {protocol.nct_id} — {protocol.title}")
    console.print(f"Sponsor: {protocol.sponsor}; cycle {protocol.cycle_length_days} days")
    console.print(_drug_table(protocol))
    ib = protocol.phase_ib
    console.print(
        f"Phase Ib: regimens {', '.join(r.name for r in ib.regimens)}; start {ib.start_regimen}; "
        f"cohorts of {ib.cohort_size}; DLT window {ib.dlt_window_days} days; "
        f"{len(ib.dlt.criteria)} DLT clauses"
    )
    d = protocol.phase_ii.design
    console.print(
        f"Phase II: RP2D {protocol.phase_ii.rp2d_regimen}; Simon {d.kind} p0={d.p0:g} "
        f"p1={d.p1:g} α={d.alpha:g} β={d.beta:g}: r1/n1={d.r1}/{d.n1}, r/n={d.r}/{d.n}"
    )
    b = protocol.bsa
    cap = f"cap {b.cap_m2:g} m²" if b.cap_m2 else "no cap"
    console.print(f"BSA: {b.formula}, {b.decimals} decimals, {cap}, {b.weight_basis} weight")
    console.print(_dlt_table(protocol))
    console.print(_cohort_table(protocol))
    console.print(_schedule_table(protocol))
    console.print(_eligibility_table(protocol))
