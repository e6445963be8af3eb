"""``oncotrial sim calibrate|oc``: calibration report and operating characteristics."""

from __future__ import annotations

import math
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from oncotrial.protocol import Protocol, load_protocol
from oncotrial.sim import (
    DEFAULT_PARAMETERS,
    Scenario,
    design_from_protocol,
    estimate_calibration,
    estimate_operating_characteristics,
)
from oncotrial.sim.oc import DEFAULT_SCENARIOS

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)  # help: cli.COMMANDS

ProtocolOpt = Annotated[Path | None, typer.Option("--protocol",
                                                  help="Protocol YAML (default: LEADER).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the whole run.")]


def _fmt(value: float, pct: bool) -> str:
    if math.isinf(value):
        return "NR"
    return f"{100 * value:.1f} %" if pct else f"{value:.2f}"


@app.command("calibrate")
def calibrate(
    *,
    trials: Annotated[int, typer.Option("--trials", help="Simulated 30-patient trials.")] = 2000,
    ib_cohorts: Annotated[int, typer.Option(
        "--ib-cohorts", min=0,
        help="Simulated 6-patient phase Ib cohorts at the start regimen (0: skip).")] = 200,
    safety_patients: Annotated[int, typer.Option(
        "--safety-patients", min=0,
        help="Virtual patients treated at the RP2D for the safety profile (0: skip).")] = 600,
    seed: SeedOpt = 20220901,
    protocol: ProtocolOpt = None,
) -> None:
    """Print simulated versus published LEADER targets: confirmed ORR, median PFS, the phase
    Ib course (DLTs and lenvatinib reductions of 6 patients at the start regimen) and the
    safety profile at the RP2D against the ranges assembled from the two drugs' studies."""
    loaded = load_protocol(protocol)
    design = design_from_protocol(loaded)
    report = estimate_calibration(design, params=DEFAULT_PARAMETERS, n_trials=trials, seed=seed)
    table = Table(title=f"Calibration: {trials} simulated trials of {report.n_patients} "
                        f"patients (seed {seed})")
    for col in ("statistic", "published", "published 95 % CI", "simulated (pooled)",
                "simulated trials 5–95 %", "published inside"):
        table.add_column(col)
    for row in report.rows:
        pct = "ORR" in row.target.name
        table.add_row(row.target.name, _fmt(row.target.value, pct),
                      f"{_fmt(row.target.lower, pct)} – {_fmt(row.target.upper, pct)}",
                      _fmt(row.simulated, pct),
                      f"{_fmt(row.trial_p05, pct)} – {_fmt(row.trial_p95, pct)}",
                      "yes" if row.within else "NO")
    console = Console()
    console.print(table)
    console.print(f"P(≥ 6/{report.n_patients} confirmed responses) in simulated trials: "
                  f"{report.p_at_least_6_responders:.2f}")
    console.print("Sources: " + "; ".join(r.target.source for r in report.rows))
    if ib_cohorts:
        _print_phase_ib(console, loaded, n_cohorts=ib_cohorts, seed=seed)
    if safety_patients:
        _print_safety(console, loaded, n_patients=safety_patients, seed=seed)


def _print_safety(console: Console, protocol: Protocol, *, n_patients: int, seed: int) -> None:
    from oncotrial.sim.safety_profile import (
        combination_priors,
        load_component_rates,
        simulate_safety_profile,
    )

    rates = load_component_rates()
    regimen = protocol.regimen(protocol.phase_ii.rp2d_regimen)
    priors = combination_priors(rates, regimen.doses)
    with console.status(f"treating {n_patients} virtual patients at {regimen.name}"):
        profile = simulate_safety_profile(protocol, params=DEFAULT_PARAMETERS,
                                          n_patients=n_patients, seed=seed)
    table = Table(title=f"Safety profile: {n_patients} virtual patients at {regimen.name}, "
                        f"{profile.cycles} cycles")
    for col in ("term", "grade", "component studies", "expected", "simulated", "inside"):
        table.add_column(col)
    inside = 0
    for p in priors:
        sim = profile.incidence(p.term, p.min_grade)
        inside += p.contains(sim)
        studies = "; ".join(f"{r.drug[0].upper()}{r.dose:g} {r.percent:g} % {r.source}"
                            for r in p.components)
        table.add_row(p.term, "any" if p.min_grade == 1 else f"≥ {p.min_grade}", studies,
                      f"{100 * p.low:.1f} – {100 * p.high:.1f} %", f"{100 * sim:.1f} %",
                      "yes" if p.contains(sim) else "NO")
    console.print(table)
    console.print(f"{inside} of {len(priors)} inside. Expected = the larger drug's incidence "
                  "at LEADER's dose (dose-proportional between the studied dose and LEADER's) "
                  "up to independent occurrence of both; sources in "
                  "oncotrial/sim/data/component_ae_rates.csv. L = lenvatinib mg, "
                  "E = eribulin mg/m².")


def _print_phase_ib(console: Console, protocol: Protocol, *, n_cohorts: int, seed: int) -> None:
    from oncotrial.sim.phase_ib_course import PUBLISHED_IB, simulate_phase_ib_course

    with console.status(f"simulating {n_cohorts} phase Ib cohorts"):
        course = simulate_phase_ib_course(protocol, params=DEFAULT_PARAMETERS,
                                          n_cohorts=n_cohorts, seed=seed)
    size, dlts, reduced = PUBLISHED_IB
    table = Table(title=f"Phase Ib course: {n_cohorts} simulated cohorts of {course.cohort} "
                        f"at {course.regimen}, first {course.cycles} cycles")
    for col in ("statistic", "published", "simulated P(= published)",
                "simulated P(≥ published)", "simulated cohorts 5–95 %", "published inside"):
        table.add_column(col)
    for name, value, counts in (("DLTs in the DLT window", dlts, course.dlts),
                                ("lenvatinib reduced or stopped", reduced, course.reduced)):
        low, high = course.range_5_95(counts)
        table.add_row(name, f"{value}/{size}", f"{course.share(counts, value):.2f}",
                      f"{course.share(counts, value, at_least=True):.2f}",
                      f"{low:g} – {high:g}", "yes" if low <= value <= high else "NO")
    console.print(table)
    console.print("Source: Chen 2022 CCR 28:5058 (abstract): 6 patients at L18E1.1, 1 DLT, "
                  "4/6 reduced lenvatinib to 14 mg between cycles 2 and 3")


def _client(stack: ExitStack, scheduler: str | None, workers: int) -> Any:
    from distributed import Client, LocalCluster

    if scheduler:
        return stack.enter_context(Client(scheduler))  # type: ignore[no-untyped-call]
    cluster = stack.enter_context(LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers, threads_per_worker=1, dashboard_address=None))
    return stack.enter_context(Client(cluster))  # type: ignore[no-untyped-call]


@app.command("oc")
def oc(
    *,
    trials: Annotated[int, typer.Option("--trials", help="Trials per scenario.")] = 2000,
    seed: SeedOpt = 1,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Address of an existing Dask scheduler (default: local cluster).")
    ] = None,
    workers: Annotated[int, typer.Option("--workers", help="Local cluster workers.")] = 2,
    in_process: Annotated[bool, typer.Option("--in-process",
                                             help="Run without Dask (same results).")] = False,
    kill_factor: Annotated[list[float] | None, typer.Option(
        "--kill-factor", help="Scenario: multiplier on the calibrated kill (repeatable).")
    ] = None,
    protocol: ProtocolOpt = None,
) -> None:
    """How often the protocol's Simon design decides right under scenario settings."""
    proto = load_protocol(protocol)
    design = design_from_protocol(proto)
    simon = proto.phase_ii.design
    scenarios = (tuple(Scenario(f"kill × {k:g}", kill_factor=k) for k in kill_factor)
                 if kill_factor else DEFAULT_SCENARIOS)
    with ExitStack() as stack:
        client = None if in_process else _client(stack, scheduler, workers)
        progress = stack.enter_context(Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn()))
        task = progress.add_task("virtual trials", total=trials * len(scenarios))
        results = estimate_operating_characteristics(
            design, params=DEFAULT_PARAMETERS, p0=simon.p0, p1=simon.p1, scenarios=scenarios,
            n_trials=trials, seed=seed, client=client,
            on_progress=lambda k: progress.advance(task, k))
    table = Table(title=f"Simon {simon.kind} design r1/n1 = {simon.r1}/{simon.n1}, "
                        f"r/n = {simon.r}/{simon.n} (p0 {simon.p0:g}, p1 {simon.p1:g}); "
                        f"{trials} trials per scenario, seed {seed}")
    for col in ("scenario", "true ORR", "P(stop at stage 1)", "P(declare active)", "E[N]",
                "P(right decision)", "median of trial mPFS (mo)"):
        table.add_column(col)
    for r in results:
        right = "—" if r.correct_decision is None else f"{r.correct_decision:.3f}"
        table.add_row(r.scenario.name, f"{r.true_orr:.3f}", f"{r.p_early_stop:.3f}",
                      f"{r.p_declare_active:.3f}", f"{r.expected_n:.1f}", right,
                      f"{r.median_pfs_months:.2f}")
    Console().print(table)
