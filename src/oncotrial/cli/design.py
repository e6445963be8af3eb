"""``oncotrial design``: Simon two-stage, BOIN decision tables and dose-finding OC."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from oncotrial.errors import DesignError

if TYPE_CHECKING:
    from oncotrial.stats import DoseFindingOC, SimonDesign

# Each command imports the numerics it needs when it runs (the CLI starts at once).

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)  # help: cli.COMMANDS

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _design_json(d: SimonDesign) -> dict[str, object]:
    return {
        "kind": d.kind, "r1": d.r1, "n1": d.n1, "r": d.r, "n": d.n, "en0": d.en0,
        "pet0": d.pet0, "alpha": d.alpha, "power": d.power,
    }


@app.command("simon")
def simon(
    *,
    p0: Annotated[float, typer.Option("--p0", help="Uninteresting response rate.")],
    p1: Annotated[float, typer.Option("--p1", help="Target response rate.")],
    alpha: Annotated[float, typer.Option("--alpha", help="Maximum type I error.")] = 0.05,
    beta: Annotated[float, typer.Option("--beta", help="Maximum type II error.")] = 0.20,
    nmax: Annotated[
        int | None, typer.Option("--nmax", help="Largest n to search (default: grow until proven).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Minimax, admissible and optimal Simon two-stage designs (Simon 1989; Jung et al. 2004)."""
    from oncotrial.stats.simon import design_simon_two_stage

    res = design_simon_two_stage(p0, p1, alpha=alpha, beta=beta, nmax=nmax)
    if as_json:
        typer.echo(json.dumps({"designs": [_design_json(d) for d in res.designs]}))
        return
    table = Table(title=f"Simon two-stage: p0={p0}, p1={p1}, alpha={alpha}, beta={beta}")
    for col in ("design", "r1/n1", "r/n", "EN0", "PET0", "alpha", "power", "q range"):
        table.add_column(col, justify="right")
    for d in res.designs:
        table.add_row(d.kind, f"{d.r1}/{d.n1}", f"{d.r}/{d.n}", f"{d.en0:.2f}", f"{d.pet0:.3f}",
                      f"{d.alpha:.4f}", f"{d.power:.4f}", f"{d.q_lower:.3f}-{d.q_upper:.3f}")
    console = Console()
    console.print(table)
    proof = "proven" if res.optimum_proven else "NOT proven (raise --nmax)"
    console.print(f"searched n <= {res.nmax_searched}; optimum {proof}")


@app.command("boin")
def boin(
    *,
    target: Annotated[float, typer.Option("--target", help="Target DLT rate.")] = 0.30,
    cohort_size: Annotated[int, typer.Option("--cohort-size", help="Patients per cohort.")] = 3,
    max_n: Annotated[int, typer.Option("--max-n", help="Largest n at one dose.")] = 12,
    as_json: JsonOption = False,
) -> None:
    """BOIN decision table (Liu & Yuan 2015; as BOIN::get.boundary)."""
    from oncotrial.stats.boin import compute_boin_boundaries, compute_boin_decision_table

    b = compute_boin_boundaries(target)
    tab = compute_boin_decision_table(target, cohort_size=cohort_size, max_n=max_n)
    rows = [
        {"n": n, "escalate_at_most": e, "deescalate_at_least": d, "eliminate_at_least": x}
        for n, e, d, x in zip(tab.n, tab.escalate_at_most, tab.deescalate_at_least,
                              tab.eliminate_at_least, strict=True)
    ]
    if as_json:
        typer.echo(json.dumps({"target": target, "lambda_e": b.lambda_e,
                               "lambda_d": b.lambda_d, "table": rows}))
        return
    table = Table(title=f"BOIN target {target}: lambda_e={b.lambda_e:.4f}, "
                        f"lambda_d={b.lambda_d:.4f}")
    table.add_column("patients treated", justify="right")
    for row in rows:
        table.add_column(str(row["n"]), justify="right")
    na = "NA"
    table.add_row("escalate if DLT <=", *[str(r["escalate_at_most"]) for r in rows])
    table.add_row("de-escalate if DLT >=", *[str(r["deescalate_at_least"]) for r in rows])
    table.add_row("eliminate if DLT >=",
                  *[na if r["eliminate_at_least"] is None else str(r["eliminate_at_least"])
                    for r in rows])
    Console().print(table)


def _parse_scenario(text: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise DesignError(f"--scenario {text!r}: expected comma-separated probabilities") from exc


def _leader_ladder() -> tuple[list[str], int]:
    """LEADER regimens in increasing toxicity (the protocol lists them highest first)."""
    from oncotrial.protocol import load_protocol

    ib = load_protocol().phase_ib
    names = [reg.name for reg in reversed(ib.regimens)]
    return names, names.index(ib.start_regimen)


def _oc_json(oc: DoseFindingOC) -> dict[str, object]:
    return {
        "design": oc.design, "labels": list(oc.labels), "p_true": list(oc.p_true),
        "selection": list(oc.selection), "no_mtd": oc.no_mtd,
        "mean_patients": list(oc.mean_patients), "mean_dlt": list(oc.mean_dlt),
        "exact": oc.exact, "n_trials": oc.n_trials,
    }


@app.command("oc")
def oc(
    *,
    scenario: Annotated[
        list[str], typer.Option("--scenario", help="True DLT rates per dose, e.g. 0.1,0.25,0.5 "
                                "(lowest dose first); repeat for more scenarios.")
    ],
    design: Annotated[str, typer.Option("--design", help="boin or 3+3.")] = "boin",
    target: Annotated[float, typer.Option("--target", help="BOIN target DLT rate.")] = 0.30,
    cohort_size: Annotated[int, typer.Option("--cohort-size")] = 3,
    n_cohorts: Annotated[int, typer.Option("--n-cohorts", help="Cohorts per BOIN trial.")] = 10,
    n_earlystop: Annotated[int, typer.Option(
        "--n-earlystop", help="BOIN: stop when the current dose has this many patients.")] = 100,
    start: Annotated[int, typer.Option("--start", help="Start dose index (0 = lowest).")] = 0,
    leader: Annotated[bool, typer.Option(
        "--leader", help="Use the LEADER regimen ladder and start regimen from the protocol.")
    ] = False,
    n_trials: Annotated[int, typer.Option("--ntrial", help="Simulated BOIN trials.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random generator.")] = 6,
    as_json: JsonOption = False,
) -> None:
    """Operating characteristics over true-toxicity scenarios (3+3 exact, BOIN simulated)."""
    import numpy as np
    from rich.progress import Progress

    from oncotrial.stats.boin import compute_boin_oc
    from oncotrial.stats.three_plus_three import compute_3plus3_oc

    if design not in ("boin", "3+3"):
        raise DesignError(f"--design {design!r} is not allowed (allowed: boin, 3+3)")
    labels: list[str] | None = None
    if leader:
        labels, start = _leader_ladder()
    rng = np.random.default_rng(seed)
    results = []
    err = Console(file=sys.stderr)
    for text in scenario:
        p_true = _parse_scenario(text)
        if design == "3+3":
            results.append(compute_3plus3_oc(p_true, start=start, labels=labels))
            continue
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task(f"BOIN {text}", total=n_trials)
            results.append(compute_boin_oc(
                p_true, target=target, cohort_size=cohort_size, n_cohorts=n_cohorts,
                start=start, n_trials=n_trials, rng=rng, n_earlystop=n_earlystop, labels=labels,
                progress=lambda k, t=task: bar.advance(t, k),  # type: ignore[misc]
            ))
    if as_json:
        typer.echo(json.dumps({"scenarios": [_oc_json(r) for r in results]}))
        return
    console = Console()
    for res in results:
        table = Table(title=f"{res.design} OC, p_true={list(res.p_true)}"
                            + ("" if res.exact else f" ({res.n_trials} trials, seed {seed})"))
        for col in ("dose", "true DLT", "selected %", "mean patients", "mean DLT"):
            table.add_column(col, justify="right")
        for i, name in enumerate(res.labels):
            table.add_row(name, f"{res.p_true[i]:.2f}", f"{100 * res.selection[i]:.1f}",
                          f"{res.mean_patients[i]:.2f}", f"{res.mean_dlt[i]:.2f}")
        table.add_row("no MTD", "", f"{100 * res.no_mtd:.1f}", "", "")
        console.print(table)
