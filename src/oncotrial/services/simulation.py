"""Use case: the virtual LEADER trial end to end (``oncotrial demo``).

A fresh database gets sites and users; :func:`oncotrial.sim.simulate_trial` produces plain
records; every screening, enrolment, dose, lab, vital sign, adverse event, tumour assessment and
disposition is then entered through the same services a site user calls (validation, CTCAE
grading, RECIST derivation and the audit log all apply).  The database is exported as SDTM,
ADaM is derived from the exported files, and the endpoints are estimated from ADaM.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from oncotrial.cdisc.adam import derive_adam, write_adam
from oncotrial.cdisc.define import StudyInfo
from oncotrial.cdisc.sdtm import read_sdtm
from oncotrial.errors import DataError
from oncotrial.protocol import Protocol
from oncotrial.report import compute_simon_table, read_adam
from oncotrial.services import _simulation as entry
from oncotrial.services._unit import open_unit
from oncotrial.services.admin import bootstrap_admin, create_site, create_user, log_in
from oncotrial.services.auth import set_password
from oncotrial.services.export import export_sdtm
from oncotrial.services.reporting import report_for_protocol, simon_design_of
from oncotrial.sim import SimulatedTrial, simulate_trial
from oncotrial.sim.parameters import DAYS_PER_MONTH
from oncotrial.stats import estimate_binomial_ci, estimate_kaplan_meier
from oncotrial.stats.results import BinomialInterval, Interval
from oncotrial.store import Store, upgrade
from oncotrial.store.connect import check_database_url, database_errors, open_store
from oncotrial.types import Channel, Role

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "DemoSummary",
    "enter_trial",
    "fresh_demo_store",
    "run_demo",
    "set_up_demo_users",
]

SITES = (("01", "National Taiwan University Hospital"), ("02", "Taipei Veterans General Hospital"))
DEFAULT_START = date(2018, 6, 1)  # LEADER registered May 2018 (NCT03526679); virtual start


@dataclass(frozen=True)
class DemoSummary:
    """What the demo did and found."""

    n_patients: int
    n_phase_ib: int
    cohorts: tuple[str, ...]  # one line per phase Ib cohort decision
    n_dlt: int
    rp2d: str
    rp2d_found: str  # what the simulated dose finding decided, with the clause
    responders: int
    n_evaluable: int
    orr: BinomialInterval
    choi_responders: int
    choi_orr: BinomialInterval
    simon_decision: str
    median_pfs_months: Interval
    grade3_rates: tuple[tuple[str, float], ...]  # most frequent grade ≥ 3 AE terms
    files: tuple[Path, ...]
    cutoff: date  # the data cut-off: "today" of the virtual trial
    db_url: str


def _clock(start: date) -> Callable[[], datetime]:
    """A deterministic store clock: one second per call from the virtual study start."""
    state = {"t": datetime(start.year, start.month, start.day, 8, 0, tzinfo=UTC)}

    def now() -> datetime:
        state["t"] += timedelta(seconds=1)
        return state["t"]

    return now


_XPT_STAMP = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")
_XPT_NAMESTR = b"HEADER RECORD*******NAMESTR"


def _stamp_xpt(paths: list[Path], when: date) -> None:
    """Set the created/modified stamps of XPT v5 headers to *when* (the writer uses the clock).

    Only the library and member headers before the first NAMESTR record are touched, so the
    data are unchanged; the same seed then gives byte-identical files.
    """
    stamp = when.strftime("%d%b%y:00:00:00").upper().encode("ascii")
    for path in paths:
        if path.suffix != ".xpt":
            continue
        data = path.read_bytes()
        cut = data.find(_XPT_NAMESTR)
        head = _XPT_STAMP.sub(stamp, data[:cut])
        path.write_bytes(head + data[cut:])


def fresh_demo_store(out: Path, db_url: str | None, start: date) -> Store:
    """A migrated store for the demo: *db_url*, or a new ``out/demo.sqlite``; its clock starts
    on the trial's *start* date.

    Parameters
    ----------
    out
        The demo's output folder; an existing ``out/demo.sqlite`` is deleted first when
        *db_url* is ``None``.
    db_url
        A database URL to use instead (migrated, not emptied).
    start
        The virtual study's first day; the store's clock ticks one second per call from it,
        so the audit trail is reproducible.

    Returns
    -------
    Store
        The open store; the caller disposes of it.

    Raises
    ------
    DataError
        If the URL is invalid or the database cannot be reached or migrated.
    """
    if db_url is None:
        path = out / "demo.sqlite"
        path.unlink(missing_ok=True)
        db_url = f"sqlite:///{path}"
    check_database_url(db_url, must_exist=False)
    with database_errors(db_url):
        upgrade(db_url)
    return open_store(db_url, clock=_clock(start))


#: the password of every demo account (demo databases only; a real trial sets each one)
DEMO_PASSWORD = "virtual sarcoma casebook 2018"  # noqa: S105  (printed for the demo's users)
#: (user, full name, role, sites) of the demo accounts, one per role
DEMO_USERS: tuple[tuple[str, str, Role, tuple[str, ...]], ...] = (
    *((f"inv{code}", f"Investigator site {code}", Role.INVESTIGATOR, (code,))
      for code, _name in SITES),
    *((f"coord{code}", f"Coordinator site {code}", Role.COORDINATOR, (code,))
      for code, _name in SITES),
    ("monitor", "Clinical Research Monitor", Role.MONITOR, tuple(c for c, _n in SITES)),
    ("dm", "Data Manager", Role.DATA_MANAGER, ()),
    ("stat", "Trial Statistician", Role.STATISTICIAN, ()),
)


def set_up_demo_users(store: Store) -> None:
    """The administrator, the sites and one account per role, with the demo password.

    Parameters
    ----------
    store
        An empty, migrated store (:func:`fresh_demo_store`).

    Returns
    -------
    None

    Raises
    ------
    AccessError
        If the database already has users.
    """
    admin = bootstrap_admin(store, username="admin", full_name="Demo Administrator")
    with open_unit(store, admin) as unit:
        for code, name in SITES:
            create_site(unit, code, name=name)
        for username, full_name, role, sites in DEMO_USERS:
            create_user(unit, username, full_name=full_name, role=role, sites=list(sites))
        for username in ("admin", *(u[0] for u in DEMO_USERS)):
            set_password(unit, username, DEMO_PASSWORD)


def enter_trial(
    store: Store,
    trial: SimulatedTrial,
    *,
    protocol: Protocol,
    start: date,
    on_progress: Callable[[int], None] | None = None,
    strict: bool = True,
) -> list[str]:
    """Enter every simulated patient through the site services (the demo accounts must
    exist). Every dose goes through the dosing service, which decides from the casebook; the
    decisions where it differs from the simulator are returned (with *strict*, the first one
    is an error instead).

    Parameters
    ----------
    store
        The demo store, with the accounts of :func:`set_up_demo_users`.
    trial
        The simulated trial (:func:`oncotrial.sim.simulate_trial`).
    protocol
        The trial protocol.
    start
        The calendar date the virtual trial opens.
    on_progress
        Called with 1 after each patient.
    strict
        Raise at the first dose the casebook decides otherwise than the simulator (default);
        with ``False``, collect them.

    Returns
    -------
    list[str]
        The differing dose decisions, one line each (empty when *strict*).

    Raises
    ------
    DataError
        With *strict*, at a differing dose decision; or when a service refuses a simulated
        value.
    AccessError
        If the demo accounts do not exist.
    """
    actors = {code: log_in(store, f"inv{code}", channel=Channel.SIMULATION) for code, _ in SITES}
    differences: list[str] = []
    for i in range(trial.patients.n):
        site = SITES[i % len(SITES)][0]
        with open_unit(store, actors[site]) as unit:
            differences += entry.enter_patient(unit, trial, i, site=site, protocol=protocol,
                                               start=start, strict=strict)
        if on_progress is not None:
            on_progress(1)
    return differences


def _estimate(
    adsl: pd.DataFrame, adrs: pd.DataFrame, adtte: pd.DataFrame, protocol: Protocol
) -> tuple[int, int, BinomialInterval, str, Interval]:
    """Confirmed ORR over the efficacy population (exact CI), the Simon decision and KM
    median PFS, from ADaM — computed as the report computes them."""
    efficacy = set(adsl.loc[adsl["EFFFL"] == "Y", "USUBJID"])
    crsp = adrs[(adrs["PARAMCD"] == "CRSP") & adrs["USUBJID"].isin(efficacy)]
    n = len(efficacy)
    x = int(crsp.loc[crsp["AVALC"] == "Y", "USUBJID"].nunique())
    orr = estimate_binomial_ci(x, max(n, 1), method="clopper-pearson")
    design = simon_design_of(protocol)
    if design is None:  # a Protocol always has its phase II design
        raise DataError("the protocol has no two-stage design", field="phase_ii.design",
                        value=None)
    simon = compute_simon_table(adrs, adsl, design).rows
    steps = simon[simon["Step"].isin(["Stage 1", "Final"])]
    verdict = "; ".join(f"{step.lower()}: {result}" for step, result in steps.itertuples(
        index=False))
    pfs = adtte[adtte["PARAMCD"] == "PFS"]
    km = estimate_kaplan_meier(
        pfs["AVAL"].to_numpy(dtype=float) / DAYS_PER_MONTH, (pfs["CNSR"] == 0).to_numpy()
    )
    return x, n, orr, verdict, km.median


def _choi_orr(adsl: pd.DataFrame, adrs: pd.DataFrame) -> tuple[int, BinomialInterval]:
    """Confirmed ORR by Choi (CHOICBOR CR or PR) over the same efficacy population."""
    efficacy = set(adsl.loc[adsl["EFFFL"] == "Y", "USUBJID"])
    best = adrs[(adrs["PARAMCD"] == "CHOICBOR") & adrs["USUBJID"].isin(efficacy)]
    x = int(best.loc[best["AVALC"].isin(["CR", "PR"]), "USUBJID"].nunique())
    return x, estimate_binomial_ci(x, max(len(efficacy), 1), method="clopper-pearson")


def _grade3(sdtm: dict[str, pd.DataFrame], n: int) -> tuple[tuple[str, float], ...]:
    ae = sdtm.get("AE")
    if ae is None or ae.empty:
        return ()
    severe = ae[pd.to_numeric(ae["AETOXGR"], errors="coerce") >= 3]
    counts = severe.groupby("AEDECOD")["USUBJID"].nunique().sort_values(ascending=False)
    return tuple((str(term), float(k) / n) for term, k in counts.head(6).items())


def run_demo(
    out: Path,
    *,
    protocol: Protocol,
    seed: int = 20180601,
    n_patients: int = 30,
    db_url: str | None = None,
    start: date = DEFAULT_START,
    on_progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Simulate LEADER, enter it through the services, export SDTM, derive ADaM, estimate.

    Parameters
    ----------
    out
        Output folder; ``out/sdtm``, ``out/adam`` and ``out/report`` (the clinical study
        report, rendered from the ADaM files just written) are replaced.
    protocol
        The trial protocol (LEADER by default in the CLI).
    seed, n_patients
        The virtual trial; the same seed gives byte-identical SDTM and ADaM files.
    db_url
        Database URL; default a fresh SQLite file ``out/demo.sqlite``.
    start
        Calendar date the virtual trial opens.
    on_progress
        Called with 1 after each patient has been entered.

    Returns
    -------
    DemoSummary
        The phase Ib cohort decisions and RP2D, DLTs, confirmed ORR by RECIST 1.1 and by
        Choi with exact 95% intervals, the Simon decision, median PFS, the most frequent
        grade ≥ 3 adverse events, the files written, the data cut-off and the database URL.

    Raises
    ------
    DataError
        If the database cannot be created or reached, or the casebook decides a dose
        otherwise than the simulator (see :func:`enter_trial`).
    """
    out.mkdir(parents=True, exist_ok=True)
    trial = simulate_trial(protocol, n_patients=n_patients, seed=seed)
    store = fresh_demo_store(out, db_url, start)
    set_up_demo_users(store)
    enter_trial(store, trial, protocol=protocol, start=start, on_progress=on_progress)
    sdtm_dir, adam_dir = out / "sdtm", out / "adam"
    for folder in (sdtm_dir, adam_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    cutoff = start + timedelta(
        days=int(trial.enrol_day.max()) + int(trial.outcomes.off_study_day.max())
    )
    stamp = datetime(cutoff.year, cutoff.month, cutoff.day, tzinfo=UTC)  # reproducible files
    statistician = log_in(store, "stat", channel=Channel.SIMULATION)
    with open_unit(store, statistician) as unit:
        files = export_sdtm(unit, sdtm_dir, protocol=protocol, created=stamp)
    store.engine.dispose()
    sdtm = read_sdtm(sdtm_dir)
    # the virtual lesions carry their density (TR ATTEN): Choi beside RECIST 1.1 in ADRS
    adam = derive_adam(sdtm, protocol=protocol, supporting=True, criteria=("recist", "choi"))
    study = StudyInfo(study_id=protocol.id, name=protocol.id, description=protocol.title,
                      protocol=protocol.nct_id or protocol.id)
    files += write_adam(adam, adam_dir, study=study, created=stamp)
    _stamp_xpt(files, cutoff)
    report_dir = out / "report"
    shutil.rmtree(report_dir, ignore_errors=True)
    files += report_for_protocol(read_adam(adam_dir), report_dir, protocol=protocol,
                                 cutoff=cutoff)
    x, n, orr, verdict, median = _estimate(adam.adsl, adam.adrs, adam.adtte, protocol)
    choi_x, choi_orr = _choi_orr(adam.adsl, adam.adrs)
    n_ib = sum(1 for p in trial.phase if p.value == "Ib")
    cohorts = tuple(
        f"{c.regimen}: {c.dlts} DLT(s) / {c.evaluable} evaluable → {c.action.value} ({c.rule})"
        for c in trial.cohorts
    )
    return DemoSummary(
        n_patients=n_patients,
        n_phase_ib=n_ib,
        cohorts=cohorts,
        n_dlt=int(np.sum(trial.dlt)),
        rp2d=trial.rp2d_regimen,
        rp2d_found=("no tolerated regimen" if trial.rp2d_found is None else
                    f"{trial.rp2d_found.regimen} by {trial.rp2d_found.clause.replace('_', ' ')}"
                    f" ({trial.rp2d_found.reason})"),
        responders=x,
        n_evaluable=n,
        orr=orr,
        choi_responders=choi_x,
        choi_orr=choi_orr,
        simon_decision=verdict,
        median_pfs_months=median,
        grade3_rates=_grade3(dict(sdtm), n_patients),
        files=tuple(files),
        cutoff=cutoff,
        db_url=store.url,
    )
