"""``oncotrial demo``: the virtual LEADER trial from database to endpoints (``make demo``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from oncotrial.protocol import load_protocol

if TYPE_CHECKING:
    from oncotrial.services.simulation import DemoSummary

__all__ = ["demo"]


def _print(summary: DemoSummary, out: Path, console: Console) -> None:
    console.print(f"[bold]Virtual LEADER trial[/bold]: {summary.n_patients} patients "
                  f"({summary.n_phase_ib} in phase Ib), written to {out}")
    for line in summary.cohorts:
        console.print(f"  phase Ib cohort — {line}")
    console.print(f"  DLTs: {summary.n_dlt}; RP2D (protocol): {summary.rp2d}; "
                  f"dose finding found {summary.rp2d_found}")
    orr = summary.orr
    console.print(f"  Confirmed ORR: {summary.responders}/{summary.n_evaluable} = "
                  f"{100 * orr.estimate:.1f} % (exact 95 % CI {100 * orr.lower:.1f}–"
                  f"{100 * orr.upper:.1f} %); Simon: {summary.simon_decision}")
    choi = summary.choi_orr
    console.print(f"  Confirmed ORR by Choi (size or density): {summary.choi_responders}/"
                  f"{summary.n_evaluable} = {100 * choi.estimate:.1f} % (exact 95 % CI "
                  f"{100 * choi.lower:.1f}–{100 * choi.upper:.1f} %)")
    med = summary.median_pfs_months

    def fmt(v: float | None) -> str:
        return "NR" if v is None or not math.isfinite(v) else f"{v:.2f}"  # None = not reached

    console.print(f"  Median PFS: {fmt(med.estimate)} months (95 % CI {fmt(med.lower)}–"
                  f"{fmt(med.upper)})")
    table = Table(title="Grade ≥ 3 adverse events (patients)")
    table.add_column("term")
    table.add_column("rate", justify="right")
    for term, rate in summary.grade3_rates:
        table.add_row(term, f"{100 * rate:.0f} %")
    console.print(table)
    report = out / "report" / "report.html"
    if report.exists():
        console.print(f"  Clinical study report: {report} (report.pdf; numbered TLFs in tlf/ "
                      "as RTF and CSV, listed in tlf/index.csv)")
    from oncotrial.services.simulation import DEMO_PASSWORD, DEMO_USERS

    console.print("\n[bold]Web EDC[/bold] (demo accounts, password "
                  f"[bold]{DEMO_PASSWORD}[/bold]):")
    console.print(f"  oncotrial serve --db {summary.db_url} --as-of {summary.cutoff.isoformat()}")
    console.print("  then open http://127.0.0.1:8000 and sign in as one of: "
                  + ", ".join(f"{u} ({role.value.replace('_', ' ')})"
                              for u, _name, role, _sites in DEMO_USERS) + ", admin")


def demo(
    *,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/demo"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the virtual trial.")] = 20180601,
    patients: Annotated[int, typer.Option("--patients", help="Patients to enrol.")] = 30,
    db: Annotated[str | None, typer.Option(
        "--db", help="Database URL (default: a fresh SQLite file in the output folder).")
    ] = None,
) -> None:
    """Simulate LEADER, enter it through the services, export SDTM, derive ADaM, estimate."""
    # The demo pulls in the store, SDTM export and ADaM: import them only when it runs, so
    # that every other command starts fast.
    from oncotrial.services.simulation import run_demo

    console = Console()
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("entering patients", total=patients)
        summary = run_demo(out, protocol=load_protocol(), seed=seed, n_patients=patients,
                           db_url=db, on_progress=lambda k: progress.advance(task, k))
    _print(summary, out, console)
