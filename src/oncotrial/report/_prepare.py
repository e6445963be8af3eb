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

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from oncotrial.errors import DataError
from oncotrial.protocol import CohortAction, Protocol
from oncotrial.report.tables import ReportTable, format_count
from oncotrial.rules.dlt import decide_cohort, decide_rp2d
from oncotrial.rules.dosing._rules import load_dose_rules
from oncotrial.stats import SimonDesign as StatsSimonDesign
from oncotrial.stats import (
    compute_simon_oc,
    estimate_binomial_ci,
    estimate_simon_inference,
)

__all__ = [
    "Disposition",
    "SimonDesign",
    "best_change",
    "best_density_change",
    "by_histology_tables",
    "change_over_time",
    "compute_simon_table",
    "consort_branches",
    "consort_stages",
    "deaths_listing",
    "derive_disposition",
    "describe_adjustment",
    "disposition_table",
    "dlt_tables",
    "exposure_tables",
    "graded_lab_params",
    "population_label",
    "relatedness_columns",
    "serious_and_fatal_tables",
    "swimmer_data",
    "time_origin",
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


def _readable(text: str) -> str:
    """An upper-case controlled term as a reader writes it (``PROGRESSIVE DISEASE`` →
    ``Progressive disease``); mixed-case text is kept as written."""
    return text.capitalize() if text.isupper() else text


def _reasons(values: pd.Series) -> list[tuple[str, int]]:
    text = values.fillna("").astype(str).str.strip().replace("", "Not recorded")
    counts = text.map(_readable).value_counts()
    return [(str(reason), int(n)) for reason, n in sorted(counts.items())]


@dataclass(frozen=True)
class Disposition:
    """Subject disposition from ADSL: the CONSORT flow up to allocation (screened → enrolled →
    treated, with the exclusions at each step), then what became of the treated subjects
    (treatment ongoing or discontinued by reason, study status) and the analysis sets.

    Only screen failures and enrolled-but-untreated subjects are exclusions; a discontinuation
    is an outcome of treatment, not an exclusion (CONSORT 2010, item 13 and its flow diagram).
    """

    screened: int
    screen_failures: list[tuple[str, int]]
    enrolled: int
    enrolled_groups: list[tuple[str, int]]
    not_treated: int
    treated: int
    ongoing: int | None
    discontinued: list[tuple[str, int]]
    study_status: list[tuple[str, int]]
    analysed: list[tuple[str, int]]


def derive_disposition(adsl: pd.DataFrame) -> Disposition:
    """Disposition counts from ADSL (ENRLFL, SAFFL, SCRFREAS, PHASE/arm, EOTSTT, DCTREAS,
    EOSSTT, DCSREAS, EFFFL). ``ongoing`` is ``None`` when ADSL has no EOTSTT."""
    enrolled = _flag(adsl, "ENRLFL")
    treated = enrolled & _flag(adsl, "SAFFL")
    failures = (_reasons(adsl.loc[~enrolled, "SCRFREAS"]) if "SCRFREAS" in adsl
                else [("Screen failure", int((~enrolled).sum()))])
    on = adsl.loc[treated]
    ongoing: int | None = None
    discontinued: list[tuple[str, int]] = []
    if "EOTSTT" in on:
        status = on["EOTSTT"].astype(str).str.upper()
        ongoing = int((status == "ONGOING").sum())
        stopped = on.loc[status == "DISCONTINUED"]
        discontinued = _reasons(stopped["DCTREAS"] if "DCTREAS" in stopped
                                else pd.Series("", index=stopped.index))
    study: list[tuple[str, int]] = []
    if "EOSSTT" in on:
        status = on["EOSSTT"].astype(str).str.upper()
        study.append(("Ongoing in study", int((status == "ONGOING").sum())))
        left = on.loc[status == "DISCONTINUED"]
        study.append(("Discontinued study", len(left)))
        if "DCSREAS" in left:
            study += [(f"    {reason}", n) for reason, n in _reasons(left["DCSREAS"])]
    analysed = [("Safety population (SAFFL)", int(treated.sum()))]
    if "EFFFL" in adsl:
        analysed.append(("Evaluable for response (EFFFL)",
                         int((treated & _flag(adsl, "EFFFL")).sum())))
    return Disposition(
        screened=len(adsl), screen_failures=[r for r in failures if r[1]],
        enrolled=int(enrolled.sum()), enrolled_groups=_enrolled_by_group(adsl.loc[enrolled]),
        not_treated=int((enrolled & ~treated).sum()), treated=int(treated.sum()),
        ongoing=ongoing, discontinued=discontinued, study_status=study, analysed=analysed)


def consort_stages(disposition: Disposition) -> list[Stage]:
    """The stages up to allocation for the flow diagram: screened (screen failures on its
    arrow), enrolled (not treated on its arrow), treated."""
    groups = "; ".join(f"{label}: {n}" for label, n in disposition.enrolled_groups)
    not_treated = [("Enrolled, not treated", disposition.not_treated)] \
        if disposition.not_treated else []
    return [
        ("Screened", disposition.screened,
         [("Screen failure: " + reason, n) for reason, n in disposition.screen_failures]),
        ("Enrolled" + (f"\n({groups})" if groups else ""), disposition.enrolled, not_treated),
        ("Treated", disposition.treated, []),
    ]


def consort_branches(disposition: Disposition) -> list[Stage]:
    """What became of the treated subjects, drawn side by side under "Treated"."""
    branches: list[Stage] = []
    if disposition.ongoing is not None:
        branches.append(("Treatment ongoing", disposition.ongoing, []))
    stopped = sum(n for _, n in disposition.discontinued)
    branches.append(("Discontinued treatment", stopped, disposition.discontinued))
    return branches


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


def disposition_table(disposition: Disposition) -> ReportTable:
    """Disposition as a table: the counts of the flow diagram, percentages of treated."""
    treated = disposition.treated

    def row(label: str, n: int, *, percent: bool = True) -> dict[str, str]:
        share = f"{100.0 * n / treated:.1f}" if percent and treated else ""
        return {"Stage": label, "n": str(n), "% of treated": share}

    rows = [row("Screened", disposition.screened, percent=False)]
    rows += [row(f"    Screen failure: {r}", n, percent=False)
             for r, n in disposition.screen_failures]
    rows.append(row("Enrolled", disposition.enrolled, percent=False))
    rows += [row(f"    {label}", n, percent=False) for label, n in disposition.enrolled_groups]
    rows.append(row("Enrolled, not treated", disposition.not_treated, percent=False))
    rows.append(row("Treated", treated))
    if disposition.ongoing is not None:
        rows.append(row("    Treatment ongoing", disposition.ongoing))
    rows.append(row("    Discontinued treatment", sum(n for _, n in disposition.discontinued)))
    rows += [row(f"        {reason}", n) for reason, n in disposition.discontinued]
    rows += [row(label, n) for label, n in disposition.study_status]
    rows += [row(label, n) for label, n in disposition.analysed]
    return ReportTable("disposition", "Subject disposition", "all screened subjects "
                       f"(N = {disposition.screened})", pd.DataFrame(rows),
                       footnotes=(("Percentages are of treated subjects. Discontinuation reasons "
                                  "are ADSL DCTREAS (treatment) and DCSREAS (study)."),))


def _phase_ib_dlts(adsl: pd.DataFrame,
                   adae: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Phase Ib subjects, the DLT-evaluable ones (DLTEVLFL and SAFFL) and their DLT events."""
    phase_ib = adsl[adsl["PHASE"].astype(str) == "Ib"] if "PHASE" in adsl else adsl.iloc[0:0]
    evaluable = phase_ib[_flag(phase_ib, "DLTEVLFL") & _flag(phase_ib, "SAFFL")]
    dlt = adae[_flag(adae, "DLTFL") & adae["USUBJID"].isin(set(evaluable["USUBJID"]))] \
        if "DLTFL" in adae else adae.iloc[0:0]
    return phase_ib, evaluable, dlt


def _reduced_within(adex: pd.DataFrame, adsl: pd.DataFrame, *, drug: str,
                    days: int) -> set[str]:
    """Subjects whose *drug* (EXTRT, case-insensitive) has an ADEX REDUCED adjustment within
    the first *days* days of treatment (ADT − TRTSDT + 1 ≤ days)."""
    if "PARAMCD" not in adex or "TRTSDT" not in adsl:
        return set()
    adj = adex[(adex["PARAMCD"] == "DOSEADJ") & (adex["AVALC"].astype(str) == "REDUCED")
               & (adex["EXTRT"].astype(str).str.strip().str.lower() == drug.lower())]
    adj = adj.merge(adsl[["USUBJID", "TRTSDT"]], on="USUBJID", how="inner")
    day = (pd.to_datetime(adj["ADT"], errors="coerce")
           - pd.to_datetime(adj["TRTSDT"], errors="coerce")).dt.days + 1
    return set(adj.loc[day.between(1, days), "USUBJID"].astype(str))


def rp2d_table(adsl: pd.DataFrame, adae: pd.DataFrame, adex: pd.DataFrame,
               protocol: Protocol) -> ReportTable:
    """The dose-finding decision at each phase Ib regimen the data reach, by the protocol's
    cohort rules, and the RP2D with the clause that decided it: the DLT count, or the
    tolerability clause (patients with the drug reduced within the first cycles, from ADEX)."""
    phase_ib, evaluable, dlt = _phase_ib_dlts(adsl, adae)
    ib = protocol.phase_ib
    clause = ib.tolerability
    reduced = (set() if clause is None else _reduced_within(
        adex, adsl, drug=clause.drug, days=clause.cycles * protocol.cycle_length_days))
    with_dlt = set(dlt["USUBJID"].astype(str))
    reduced_column = (f"{clause.drug.capitalize()} reduced within {clause.cycles} cycles"
                      if clause else "Reduced")
    columns = ["Dose level", "Treated", "DLT-evaluable", "Patients with a DLT", reduced_column,
               "Decision", "RP2D"]
    rows = []
    for regimen in (r.name for r in ib.regimens):
        treated = phase_ib.loc[phase_ib["ACTARM"].astype(str) == regimen, "USUBJID"].astype(str)
        if treated.empty:
            continue
        subjects = set(evaluable.loc[evaluable["ACTARM"].astype(str) == regimen, "USUBJID"]
                       .astype(str))
        n_dlt = len(subjects & with_dlt)
        n_reduced = len(set(treated) & reduced)
        row = {"Dose level": regimen, "Treated": str(len(treated)),
               "DLT-evaluable": str(len(subjects)), "Patients with a DLT": str(n_dlt),
               reduced_column: format_count(n_reduced, len(treated)) if clause else "",
               "Decision": "", "RP2D": ""}
        try:
            decision = decide_cohort(len(subjects), n_dlt, regimen=regimen, protocol=protocol)
        except DataError as err:
            row["Decision"] = f"not decidable: {err}"
            rows.append(row)
            continue
        row["Decision"] = f"{decision.action.value} ({decision.rule})"
        if decision.action is CohortAction.STOP and decision.tolerated:
            rp2d = decide_rp2d(decision, n_patients=len(treated), n_modified=n_reduced,
                               protocol=protocol)
            row["RP2D"] = (f"{rp2d.regimen} by {rp2d.clause.replace('_', ' ')}: "
                           f"{rp2d.reason}")
        rows.append(row)
    notes = [(f"Cohort rules and DLT definition: protocol {protocol.id} version "
             f"{protocol.version}, phase_ib.")]
    if clause is not None:
        notes.append(f"Tolerability clause: more than {clause.modified_more_than_fraction:g} "
                     f"of the treated patients with {clause.drug} reduced (ADEX DOSEADJ "
                     f"REDUCED) within {clause.cycles} cycles moves the RP2D one regimen "
                     f"down. Source: {clause.source}")
    return ReportTable("rp2d_decision", "Dose-finding decisions and the recommended phase II "
                       "dose", f"phase Ib treated (N = {len(phase_ib)})",
                       pd.DataFrame(rows, columns=columns), footnotes=tuple(notes))


def dlt_tables(adsl: pd.DataFrame, adae: pd.DataFrame) -> list[ReportTable]:
    """Phase Ib: DLT-evaluable patients and DLTs per dose level, and the DLT events."""
    _, evaluable, dlt = _phase_ib_dlts(adsl, adae)
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
        # why the event is a DLT: the protocol criterion it met (AE.AEDLTCR), when recorded
        "DLT criterion": (events["AEDLTCR"].astype(str) if "AEDLTCR" in events
                          else pd.Series("", index=events.index)),
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


_PER_RULES = re.compile(r"^DOSE (?:HELD|REDUCED|OMITTED) PER RULES (?P<rules>.+)$")
_CLAUSE_END = re.compile(r"[.;:](?:\s|$)")


@cache
def _rule_wordings() -> dict[str, str]:
    """Each dose-modification rule's name → its reason, the first clause of the wording the
    rule table stores beside the rule (rules/data/dose_rules.yaml, LENVIMA/HALAVEN labels)."""
    table = load_dose_rules()
    wordings = {r.name: r.wording for r in table.rules}
    wordings |= {r.name: r.wording for r in table.schedule_rules}
    return {name: _CLAUSE_END.split(" ".join(text.split()), maxsplit=1)[0].strip()
            for name, text in wordings.items()}


def describe_adjustment(reason: str) -> str:
    """The reason of a dose adjustment as a reader understands it.

    ADEX ADJREAS (from EX EXADJ) is either the reason entered on the form, kept as written,
    or ``DOSE HELD PER RULES name;name`` naming the dose-modification rules that fired; each
    rule name is replaced by its wording from the rule table. A name the table does not know
    is shown as it is rather than dropped. Several rules are joined with "; ".
    """
    found = _PER_RULES.match(reason.strip())
    if found is None:
        return reason.strip() or "Not recorded"
    wordings = _rule_wordings()
    names = [n.strip() for n in found.group("rules").split(";") if n.strip()]
    parts = [wordings.get(name, name) for name in names]
    return "; ".join([parts[0]] + [p[:1].lower() + p[1:] for p in parts[1:]])


def _adjustment_table(adjustments: pd.DataFrame, adsl: pd.DataFrame,
                      population: str) -> ReportTable:
    total = int(_flag(adsl, "SAFFL").sum())
    readable = adjustments.assign(
        DRUG=adjustments["EXTRT"].astype(str).map(_readable),
        KIND=adjustments["AVALC"].astype(str).map(_readable),
        REASON=adjustments["ADJREAS"].fillna("").astype(str).map(describe_adjustment))
    rows = [{"Drug": str(drug), "Adjustment": str(kind), "Reason": str(reason),
             "Subjects": format_count(int(group["USUBJID"].nunique()), total),
             "Events": str(len(group))}
            for (drug, kind, reason), group in readable.groupby(
                ["DRUG", "KIND", "REASON"], sort=True)]
    return ReportTable("dose_adjustments", "Dose reductions and holds by reason", population,
                       pd.DataFrame(rows, columns=["Drug", "Adjustment", "Reason", "Subjects",
                                                   "Events"]),
                       footnotes=(("A subject is counted once per drug, adjustment and reason; "
                                  "events count every adjusted dose."),
                                  ("Reasons are the dose-modification rules that fired, in the "
                                  "wording of the rule table (LENVIMA and HALAVEN prescribing "
                                  "information); the rule names are in ADEX ADJREAS.")))


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


def deaths_listing(adsl: pd.DataFrame, adae: pd.DataFrame) -> ReportTable:
    """Listing of deaths among treated subjects (ADSL DTHDT), with the study day of death
    from the first dose and the fatal adverse events (AEOUT FATAL or CTCAE grade 5) of the
    subject; ICH E3 §12.3.1.1 and §14.3.2."""
    treated = adsl[_flag(adsl, "SAFFL")]
    died = treated[pd.to_datetime(treated["DTHDT"], errors="coerce").notna()] \
        if "DTHDT" in treated else treated.iloc[0:0]
    fatal = adae[(adae["AEOUT"].astype(str).str.upper() == "FATAL") if "AEOUT" in adae
                 else pd.Series(False, index=adae.index)]
    fatal = pd.concat([fatal, adae[pd.to_numeric(adae["ATOXGRN"], errors="coerce") == 5]])
    terms = fatal.groupby("USUBJID")["AEDECOD"].agg(
        lambda values: "; ".join(sorted(set(values.astype(str)))))
    start = died["TRTSDT"] if "TRTSDT" in died else pd.Series(pd.NaT, index=died.index)
    days = _study_day(died["DTHDT"], start)
    rows = pd.DataFrame({
        "Subject": died["USUBJID"].astype(str),
        "Date of death": pd.to_datetime(died["DTHDT"]).dt.date.astype(str),
        "Study day": days.map(lambda d: "" if pd.isna(d) else str(int(d))),
        "Fatal adverse event": died["USUBJID"].map(terms).fillna("none recorded"),
    }).sort_values(["Date of death", "Subject"], kind="mergesort")
    return ReportTable("deaths", "Deaths", f"SAFFL (N = {len(treated)})", rows,
                       footnotes=(("Study day counts from the first dose (day 1). Fatal "
                                  "adverse events: ADAE AEOUT = FATAL or CTCAE grade 5."),))


def graded_lab_params(adlb: pd.DataFrame) -> list[str]:
    """Lab parameters with at least one CTCAE grade, in alphabetical order."""
    graded = adlb[pd.to_numeric(adlb["ATOXGRN"], errors="coerce").notna()]
    return sorted(graded["PARAM"].astype(str).unique())


def compute_simon_table(adrs: pd.DataFrame, adsl: pd.DataFrame, design: SimonDesign) -> ReportTable:
    """Stage decisions of the Simon two-stage design on the confirmed responses of phase II.

    Stage 1 is the first ``n1`` response-evaluable phase II subjects by treatment start; the
    trial continues when more than ``r1`` of them responded, and the regimen is declared
    promising when more than ``r`` of ``n`` responded (Simon 1989, Control Clin Trials 10:1).

    Parameters
    ----------
    adrs
        ADRS with ``USUBJID``, ``PARAMCD`` and ``AVALC``; ``CRSP`` = ``Y`` is a confirmed
        response.
    adsl
        ADSL with ``USUBJID``; ``EFFFL``, ``PHASE`` (``II``) and ``TRTSDT`` are used when
        present.
    design
        The protocol's two-stage design.

    Returns
    -------
    ReportTable
        Rows: the design, the stage 1 decision (or pending), the final decision once all
        ``n`` are evaluable, the design-adjusted p-value, interval and estimate once the
        design has stopped, and the naive Clopper-Pearson estimate.
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


def best_density_change(adtr: pd.DataFrame, adrs: pd.DataFrame) -> pd.DataFrame:
    """Best (lowest) post-baseline % change in the mean target-lesion density (ADTR DENSITY)
    per subject, with the confirmed best response by Choi (CHOICBOR; MISSING without it).
    Assessments without a density (no target lesion left to measure) are skipped."""
    post = adtr[(adtr["PARAMCD"] == "DENSITY") & (adtr["ABLFL"].astype(str) != "Y")]
    best = post.groupby("USUBJID")["PCHG"].min().reset_index()
    choi = (adrs[adrs["PARAMCD"] == "CHOICBOR"][["USUBJID", "AVALC"]]
            .rename(columns={"AVALC": "BOR"}))
    merged = best.merge(choi, on="USUBJID", how="left")
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


_ORIGINS = (("RANDDT", "randomisation"), ("ENRLDT", "enrolment"),
            ("TRTSDT", "start of treatment"))


def time_origin(adtte: pd.DataFrame) -> str:
    """What the time-to-event origin STARTDT of *adtte* is, in words, for an axis label.

    The origin is named after the ADSL date it equals on every record (RANDDT, ENRLDT, TRTSDT,
    in that order); duration of response starts at the first documented response (ADaM
    convention for DOR). Records whose origin matches none of them are labelled by the
    variable itself, never by a guess.
    """
    if (adtte["PARAMCD"].astype(str) == "DOR").all() and len(adtte):
        return "first documented response"
    if "STARTDT" not in adtte:
        return "origin (STARTDT not in ADTTE)"
    start = pd.to_datetime(adtte["STARTDT"], errors="coerce")
    for column, words in _ORIGINS:
        if column in adtte:
            other = pd.to_datetime(adtte[column], errors="coerce")
            if start.notna().all() and (start == other).all():
                return words
    return "origin (ADTTE STARTDT)"


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
