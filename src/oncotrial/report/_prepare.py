"""Reshape ADaM datasets into what the report's tables and figures draw.

The ADaM variables read here are the ones oncotrial's derivations write (``cdisc.adam``):

- ADSL: USUBJID, SAFFL, EFFFL, ENRLFL, SCRFREAS (screen-failure reason), PHASE, ACTARM (dose
  level), DLTEVLFL, EOTSTT/DCTREAS (end of treatment), HISTOL, TRTDURD, TRTSDT, DTHDT.
- ADAE: USUBJID, AEDECOD, ATOXGRN, TRTEMFL, AESER, AEACN, AEOUT, DLTFL, REL<drug> flags.
- ADEX: USUBJID, EXTRT, PARAMCD, PARAM, AVAL (BDS, one record per subject, drug, parameter).
- ADLB: USUBJID, PARAM, ABLFL, ATOXGRN, BTOXGRN.
- ADTR: USUBJID, PARAMCD = SUMDIAM, ADY, PCHG, ABLFL.
- ADRS: USUBJID, PARAMCD (BOR, CBOR, CRSP, PD, …), AVALC, ADT.

Variables that a dataset lacks leave their row out of a table; nothing is imputed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oncotrial.report.tables import ReportTable, format_count
from oncotrial.stats import SimonDesign as StatsSimonDesign
from oncotrial.stats import (
    compute_simon_oc,
    estimate_binomial_ci,
    estimate_simon_inference,
)

__all__ = [
    "SimonDesign",
    "best_change",
    "by_histology_tables",
    "change_over_time",
    "compute_simon_table",
    "consort_stages",
    "disposition_table",
    "dlt_tables",
    "exposure_tables",
    "graded_lab_params",
    "population_label",
    "relatedness_columns",
    "serious_and_fatal_tables",
    "swimmer_data",
]

Stage = tuple[str, int, list[tuple[str, int]]]
DRUG_CODES = {"LEN": "lenvatinib", "ERI": "eribulin"}


@dataclass(frozen=True)
class SimonDesign:
    """The phase II two-stage design the report checks the data against (from the protocol)."""

    p0: float
    p1: float
    r1: int
    n1: int
    r: int
    n: int


def _flag(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(True, index=frame.index)
    return frame[column].astype(str) == "Y"


def population_label(adsl: pd.DataFrame, flag: str) -> str:
    """``FLAG (N = n)`` for the subjects of ADSL with ``flag = "Y"``."""
    return f"{flag} (N = {int(_flag(adsl, flag).sum())})"


def _reasons(values: pd.Series) -> list[tuple[str, int]]:
    counts = values.astype(str).replace("", "Not recorded").value_counts()
    return [(str(reason), int(n)) for reason, n in sorted(counts.items())]


def consort_stages(adsl: pd.DataFrame) -> list[Stage]:
    """Screened → enrolled (by phase) → treated → evaluable, with exclusions at each arrow."""
    enrolled = _flag(adsl, "ENRLFL")
    stages: list[Stage] = []
    failures = adsl.loc[~enrolled, "SCRFREAS"] if "SCRFREAS" in adsl else adsl.loc[~enrolled,
                                                                                       "USUBJID"]
    stages.append(("Screened", len(adsl),
                   _reasons(failures) if "SCRFREAS" in adsl and len(failures) else
                   ([("Screen failure", int((~enrolled).sum()))] if (~enrolled).any() else [])))
    phase_text = _enrolled_by_group(adsl.loc[enrolled])
    treated = enrolled & _flag(adsl, "SAFFL")
    stages.append(("Enrolled", int(enrolled.sum()), phase_text))
    off = treated & (adsl["EOTSTT"].astype(str) == "DISCONTINUED") if "EOTSTT" in adsl else None
    discontinued = _reasons(adsl.loc[off, "DCTREAS"]) if off is not None and "DCTREAS" in adsl \
        else []
    stages.append(("Treated", int(treated.sum()), [("Discontinued treatment: " + r, n)
                                                   for r, n in discontinued]))
    stages.append(("Evaluable for response", int((treated & _flag(adsl, "EFFFL")).sum()), []))
    return stages


def arm_column(adsl: pd.DataFrame) -> str | None:
    """The ADSL variable naming the planned arm (TRT01P, else ARM) when treated subjects are in
    more than one arm, else ``None`` (a single-arm study)."""
    treated = adsl[_flag(adsl, "SAFFL")]
    for column in ("TRT01P", "ARM"):
        if column in treated and treated[column].astype(str).str.strip().ne("").any():
            return column if treated[column].astype(str).nunique() > 1 else None
    return None


def _enrolled_by_group(enrolled: pd.DataFrame) -> list[tuple[str, int]]:
    """Enrolled subjects by trial part (PHASE, when recorded) or else by arm."""
    if "PHASE" in enrolled and enrolled["PHASE"].astype(str).str.strip().ne("").any():
        counts = enrolled["PHASE"].astype(str).value_counts()
        return [(f"Phase {p}", int(n)) for p, n in sorted(counts.items())]
    arm = arm_column(enrolled)
    if arm is None:
        return []
    counts = enrolled[arm].astype(str).value_counts()
    return [(str(a), int(n)) for a, n in sorted(counts.items())]


def has_dose_finding(adsl: pd.DataFrame) -> bool:
    """Whether ADSL describes a dose-finding part (a DLT-evaluable flag or phase Ib subjects)."""
    phase_ib = "PHASE" in adsl and bool((adsl["PHASE"].astype(str) == "Ib").any())
    return "DLTEVLFL" in adsl or phase_ib


def disposition_table(stages: list[Stage]) -> ReportTable:
    """The CONSORT counts as a table (the figure shows the same numbers)."""
    rows: list[dict[str, str]] = []
    for label, n, exclusions in stages:
        rows.append({"Stage": label, "n": str(n)})
        rows.extend({"Stage": f"    {reason}", "n": str(k)} for reason, k in exclusions)
    return ReportTable("disposition", "Subject disposition", "all screened subjects",
                       pd.DataFrame(rows))


def dlt_tables(adsl: pd.DataFrame, adae: pd.DataFrame) -> list[ReportTable]:
    """Phase Ib: DLT-evaluable patients and DLTs per dose level, and the DLT events."""
    phase_ib = adsl[adsl["PHASE"].astype(str) == "Ib"] if "PHASE" in adsl else adsl.iloc[0:0]
    evaluable = phase_ib[_flag(phase_ib, "DLTEVLFL") & _flag(phase_ib, "SAFFL")]
    dlt = adae[_flag(adae, "DLTFL") & adae["USUBJID"].isin(set(evaluable["USUBJID"]))] \
        if "DLTFL" in adae else adae.iloc[0:0]
    with_dlt = dlt.groupby("USUBJID").size()
    rows = []
    for level, subjects in evaluable.groupby("ACTARM", sort=False)["USUBJID"]:
        n_dlt = int(subjects.isin(with_dlt.index).sum())
        rows.append({"Dose level": str(level), "DLT-evaluable patients": str(len(subjects)),
                     "Patients with a DLT": format_count(n_dlt, len(subjects))})
    summary = ReportTable("dlt_summary", "Dose-limiting toxicities per dose level (cycle 1)",
                          f"phase Ib DLT-evaluable (N = {len(evaluable)})",
                          pd.DataFrame(rows, columns=["Dose level", "DLT-evaluable patients",
                                                      "Patients with a DLT"]))
    events = dlt.merge(evaluable[["USUBJID", "ACTARM"]], on="USUBJID", how="left")
    listing = pd.DataFrame({
        "Subject": events["USUBJID"].astype(str),
        "Dose level": events["ACTARM"].astype(str),
        "CTCAE term": events["AEDECOD"].astype(str),
        "Grade": pd.to_numeric(events["ATOXGRN"], errors="coerce").astype("Int64").astype(str),
    })
    return [summary, ReportTable("dlt_events", "Dose-limiting toxicity events",
                                 f"phase Ib DLT-evaluable (N = {len(evaluable)})", listing)]


def exposure_tables(adex: pd.DataFrame, adsl: pd.DataFrame) -> list[ReportTable]:
    """Cycles, dose intensity, relative dose intensity, reductions and holds per drug as
    median (range); then the reductions and holds by reason (ADEX ``DOSEADJ`` records)."""
    population = population_label(adsl, "SAFFL")
    summary = adex[adex["PARAMCD"] != "DOSEADJ"]
    numeric = summary.assign(AVAL=pd.to_numeric(summary["AVAL"], errors="coerce"))
    units = (numeric["AVALU"].fillna("").astype(str) if "AVALU" in numeric
             else pd.Series("", index=numeric.index))
    numeric = numeric.assign(LABEL=numeric["PARAM"].astype(str).where(
        units.isin(["", "%", "records", "cycles"]), numeric["PARAM"].astype(str) + " (" + units
        + ")"))
    rows = []
    for (drug, param), values in numeric.groupby(["EXTRT", "LABEL"], sort=True)["AVAL"]:
        finite = values.dropna()
        if finite.empty:
            text = "not available"
        else:
            digits = 0 if np.allclose(finite, finite.round()) else 2
            text = (f"{finite.median():.{digits}f} ({finite.min():.{digits}f}–"
                    f"{finite.max():.{digits}f}); n = {len(finite)}")
        rows.append({"Drug": str(drug), "Parameter": str(param), "Median (range)": text})
    tables = [ReportTable("exposure", "Exposure by drug", population, pd.DataFrame(rows))]
    adjustments = adex[adex["PARAMCD"] == "DOSEADJ"]
    if "ADJREAS" in adex:
        tables.append(_adjustment_table(adjustments, adsl, population))
    return tables


def _adjustment_table(adjustments: pd.DataFrame, adsl: pd.DataFrame,
                      population: str) -> ReportTable:
    total = int(_flag(adsl, "SAFFL").sum())
    rows = [{"Drug": str(drug), "Adjustment": str(kind), "Reason": str(reason),
             "Subjects": format_count(int(group["USUBJID"].nunique()), total),
             "Events": str(len(group))}
            for (drug, kind, reason), group in adjustments.groupby(
                ["EXTRT", "AVALC", "ADJREAS"], sort=True)]
    return ReportTable("dose_adjustments", "Dose reductions and holds by reason", population,
                       pd.DataFrame(rows, columns=["Drug", "Adjustment", "Reason", "Subjects",
                                                   "Events"]),
                       footnotes=(("A subject is counted once per drug, adjustment and reason; "
                                  "events count every adjusted dose."),))


def relatedness_columns(adae: pd.DataFrame) -> list[tuple[str, str]]:
    """ADAE flags of relatedness to each drug (``RELLEN``, ``RELERI``) and the drug names."""
    return [(c, DRUG_CODES.get(c[3:], c[3:])) for c in adae.columns
            if c.startswith("REL") and len(c) > 3 and c[3:].isalpha()]


def serious_and_fatal_tables(adae: pd.DataFrame, adsl: pd.DataFrame) -> list[ReportTable]:
    """Serious AEs, AEs leading to discontinuation, and deaths: subjects counted once each."""
    population = adsl[_flag(adsl, "SAFFL")]
    total = len(population)
    events = adae[adae["USUBJID"].isin(set(population["USUBJID"]))]
    rows = []
    categories = (
        ("Serious adverse events", "AESER", "Y"),
        ("AEs leading to discontinuation of a drug", "AEACN", "DRUG WITHDRAWN"),
        ("Fatal adverse events", "AEOUT", "FATAL"),
    )
    for label, column, value in categories:
        if column in events:
            hit = events[column].astype(str).str.upper() == value
            subjects = int(events.loc[hit, "USUBJID"].nunique())
            rows.append({"Category": label, "Subjects": format_count(subjects, total)})
    if "DTHDT" in population:
        deaths = int(population["DTHDT"].notna().sum() - (population["DTHDT"] == "").sum())
        rows.append({"Category": "Deaths (any cause)", "Subjects": format_count(deaths, total)})
    return [ReportTable("serious", "Serious adverse events, discontinuations and deaths",
                        f"SAFFL (N = {total})", pd.DataFrame(rows))]


def graded_lab_params(adlb: pd.DataFrame) -> list[str]:
    """Lab parameters with at least one CTCAE grade, in alphabetical order."""
    graded = adlb[pd.to_numeric(adlb["ATOXGRN"], errors="coerce").notna()]
    return sorted(graded["PARAM"].astype(str).unique())


def compute_simon_table(adrs: pd.DataFrame, adsl: pd.DataFrame, design: SimonDesign) -> ReportTable:
    """Stage decisions of the Simon two-stage design on the confirmed responses of phase II.

    Stage 1 is the first ``n1`` response-evaluable phase II subjects by treatment start; the
    trial continues when more than ``r1`` of them responded, and the regimen is declared
    promising when more than ``r`` of ``n`` responded (Simon 1989, Control Clin Trials 10:1).
    """
    phase2 = adsl[(_flag(adsl, "EFFFL")) &
                  ((adsl["PHASE"].astype(str) == "II") if "PHASE" in adsl else True)]
    if "TRTSDT" in phase2:
        phase2 = phase2.sort_values(["TRTSDT", "USUBJID"], kind="mergesort")
    crsp = adrs[adrs["PARAMCD"] == "CRSP"].set_index("USUBJID")["AVALC"]
    responded = phase2["USUBJID"].map(crsp).fillna("N").eq("Y").to_numpy()
    stage1 = int(responded[: design.n1].sum())
    rows = [{"Step": "Design", "Result": f"p0 = {design.p0}, p1 = {design.p1}; stage 1: "
             f"stop if ≤ {design.r1}/{design.n1}; overall: promising if > {design.r}/{design.n}"}]
    if len(responded) < design.n1:
        rows.append({"Step": "Stage 1", "Result": f"{len(responded)} of {design.n1} subjects "
                     f"evaluable so far; {stage1} confirmed responses (decision pending)"})
    else:
        go = stage1 > design.r1
        rows.append({"Step": "Stage 1", "Result": f"{stage1}/{design.n1} confirmed responses: "
                     + ("continue to stage 2" if go else "stop for futility")})
        total = int(responded[: design.n].sum())
        if go and len(responded) >= design.n:
            verdict = "promising (reject p0)" if total > design.r else "not promising"
            rows.append({"Step": "Final", "Result": f"{total}/{design.n} confirmed responses: "
                         + verdict})
    rows += _design_adjusted(design, responded)
    n_all = len(responded)
    if n_all:
        ci = estimate_binomial_ci(int(responded.sum()), n_all)
        rows.append({"Step": "Naive estimate (Clopper-Pearson 95% CI)",
                     "Result": f"{int(responded.sum())}/{n_all}: {100 * ci.estimate:.1f}% "
                               f"({100 * ci.lower:.1f}–{100 * ci.upper:.1f})"})
    return ReportTable("simon", "Phase II two-stage design decisions",
                       f"phase II response-evaluable (N = {n_all})", pd.DataFrame(rows))


def _design_adjusted(design: SimonDesign, responded: np.ndarray) -> list[dict[str, str]]:
    """Koyama & Chen (2008) p-value and CI and the UMVUE, once the design has reached a stop."""
    stage1 = int(responded[: design.n1].sum())
    if len(responded) < design.n1 or (stage1 > design.r1 and len(responded) < design.n):
        return []
    stage = 1 if stage1 <= design.r1 else 2
    count = stage1 if stage == 1 else int(responded[: design.n].sum())
    oc0 = compute_simon_oc(design.r1, design.n1, design.r, design.n, p=design.p0)
    oc1 = compute_simon_oc(design.r1, design.n1, design.r, design.n, p=design.p1)
    stats_design = StatsSimonDesign(
        kind="protocol", r1=design.r1, n1=design.n1, r=design.r, n=design.n, p0=design.p0,
        p1=design.p1, alpha=oc0.reject, power=oc1.reject, pet0=oc0.pet, pet1=oc1.pet,
        en0=oc0.en, en1=oc1.en, q_lower=float("nan"), q_upper=float("nan"))
    result = estimate_simon_inference(stats_design, responses=count, stage=stage)
    return [{"Step": "Design-adjusted estimate (UMVUE; Koyama-Chen 95% CI)",
             "Result": f"{100 * result.umvue:.1f}% ({100 * result.lower:.1f}–"
                       f"{100 * result.upper:.1f}); one-sided p = {result.p_value:.4f} "
                       f"against p0 = {design.p0}"}]


def by_histology_tables(adrs: pd.DataFrame, adsl: pd.DataFrame) -> list[ReportTable]:
    """Confirmed ORR by histology (LMS, LPS) with exact CIs; none when no histology is
    recorded (a study without the sponsor-defined HISTOL qualifier)."""
    if "HISTOL" not in adsl or not adsl["HISTOL"].astype(str).str.strip().ne("").any():
        return []
    population = adsl[_flag(adsl, "EFFFL")]
    crsp = adrs[adrs["PARAMCD"] == "CRSP"].set_index("USUBJID")["AVALC"]
    rows = []
    for histology, subjects in population.groupby("HISTOL", sort=True)["USUBJID"]:
        responders = int(subjects.map(crsp).eq("Y").sum())
        n = len(subjects)
        text = format_count(responders, n)
        if n:
            ci = estimate_binomial_ci(responders, n)
            text += f"; 95% CI {100 * ci.lower:.1f}–{100 * ci.upper:.1f}%"
        rows.append({"Histology": str(histology), "Confirmed ORR": text})
    return [ReportTable("orr_histology", "Confirmed objective response by histology",
                        population_label(adsl, "EFFFL"), pd.DataFrame(rows))]


def best_change(adtr: pd.DataFrame, adrs: pd.DataFrame) -> pd.DataFrame:
    """Best (lowest) post-baseline % change in the sum of diameters per subject, with CBOR."""
    post = adtr[(adtr["PARAMCD"] == "SUMDIAM") & (adtr["ABLFL"].astype(str) != "Y")]
    best = post.groupby("USUBJID")["PCHG"].min().reset_index()
    merged = best.merge(_bor(adrs), on="USUBJID", how="left")
    return merged.fillna({"BOR": "MISSING"})


def change_over_time(adtr: pd.DataFrame, adrs: pd.DataFrame) -> pd.DataFrame:
    """Every SUMDIAM record (baseline at change 0) with the subject's confirmed BOR."""
    rows = adtr[adtr["PARAMCD"] == "SUMDIAM"][["USUBJID", "ADY", "PCHG", "ABLFL"]].copy()
    rows.loc[rows["ABLFL"].astype(str) == "Y", "PCHG"] = 0.0
    rows.loc[rows["ABLFL"].astype(str) == "Y", "ADY"] = 0.0
    return rows.merge(_bor(adrs), on="USUBJID", how="left").fillna({"BOR": "MISSING"})


def _bor(adrs: pd.DataFrame) -> pd.DataFrame:
    return (adrs[adrs["PARAMCD"] == "CBOR"][["USUBJID", "AVALC"]]
            .rename(columns={"AVALC": "BOR"}))


def _study_day(dates: pd.Series, start: pd.Series) -> pd.Series:
    delta = pd.to_datetime(dates, errors="coerce") - pd.to_datetime(start, errors="coerce")
    return delta.dt.days.astype(float) + 1.0


def swimmer_data(adsl: pd.DataFrame, adrs: pd.DataFrame) -> pd.DataFrame:
    """One row per treated subject: days on treatment, ongoing, response/PD/death study days."""
    treated = adsl[_flag(adsl, "SAFFL")].copy()
    start = treated["TRTSDT"]
    end = pd.to_datetime(treated["TRTEDT"], errors="coerce")
    frame = pd.DataFrame({"USUBJID": treated["USUBJID"].to_numpy()})
    frame["TRTDURD"] = _study_day(end, start).fillna(0.0).to_numpy()
    frame["ONGOING"] = (treated["EOTSTT"].astype(str) == "ONGOING").to_numpy() \
        if "EOTSTT" in treated else False
    for paramcd, column in (("CRSP", "RSPDY"), ("PD", "PDDY")):
        events = adrs[(adrs["PARAMCD"] == paramcd) & (adrs["AVALC"] == "Y")]
        dates = treated["USUBJID"].map(events.set_index("USUBJID")["ADT"])
        frame[column] = _study_day(dates, start).to_numpy()
    frame["DTHDY"] = (_study_day(treated["DTHDT"], start).to_numpy()
                      if "DTHDT" in treated else np.nan)
    merged: pd.DataFrame = frame.merge(_bor(adrs), on="USUBJID", how="left")
    return merged.fillna({"BOR": "MISSING"})
