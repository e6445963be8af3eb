"""The report's iRECIST tables, shown when ADRS carries the iRECIST parameters (``oncotrial
derive --criteria recist,irecist``; :mod:`oncotrial.cdisc.adam.adrs_irecist`).

- objective response by iRECIST beside RECIST 1.1 (confirmed and unconfirmed, exact CIs), with
  the subjects who respond by iRECIST only and the course of unconfirmed progression (iUPD
  confirmed as iCPD, reset by a later iSD/iPR/iCR, or left unconfirmed);
- confirmed best overall response by iRECIST (Seymour 2017 categories);
- progression-free survival by RECIST 1.1 and by iRECIST (ADTTE PFS and IPFS).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from oncotrial.report.tables import (
    ReportTable,
    _format_ci,
    _population,
    _population_name,
    compute_time_to_event_table,
    format_count,
)

__all__ = ["IRECIST_ORDER", "compute_irecist_tables"]

IRECIST_ORDER = ("iCR", "iPR", "iSD", "NON-iCR/NON-iUPD", "iUPD", "iCPD", "NE", "MISSING")
_ROWS = (("RECIST 1.1, confirmed", "CBOR", ("CR", "PR")),
         ("iRECIST, confirmed", "ICBOR", ("iCR", "iPR")),
         ("RECIST 1.1, unconfirmed", "BOR", ("CR", "PR")),
         ("iRECIST, unconfirmed", "IBOR", ("iCR", "iPR")))
_SOURCE = "Seymour et al., Lancet Oncol 2017;18:e143"


def _best(adrs: pd.DataFrame, paramcd: str, subjects: list[str]) -> pd.Series:
    rows = adrs[(adrs["PARAMCD"] == paramcd) & adrs["USUBJID"].isin(subjects)]
    return rows.set_index("USUBJID")["AVALC"].astype(str).reindex(subjects).fillna("MISSING")


def _progression_course(adrs: pd.DataFrame, subjects: list[str]) -> dict[str, int]:
    """Subjects with an iUPD, and how it ended: confirmed (iCPD), reset (a later iSD, iPR or
    iCR) or still unconfirmed at the last assessment."""
    ovr = adrs[(adrs["PARAMCD"] == "IOVR") & (adrs["ANL01FL"] == "Y")
               & adrs["USUBJID"].isin(subjects)].sort_values(["USUBJID", "ADT"])
    out = {"iupd": 0, "confirmed": 0, "reset": 0, "open": 0}
    for _, rows in ovr.groupby("USUBJID", sort=True):
        values = rows["AVALC"].tolist()
        if "iUPD" not in values:
            continue
        out["iupd"] += 1
        first = values.index("iUPD")
        if "iCPD" in values:
            out["confirmed"] += 1
        elif any(v in ("iSD", "iPR", "iCR") for v in values[first:]):
            out["reset"] += 1
        else:
            out["open"] += 1
    return out


def _orr_table(adrs: pd.DataFrame, subjects: list[str], population: str, conf_level: float
               ) -> ReportTable:
    total = len(subjects)
    level = f"{100 * conf_level:.0f}% CI"
    column = f"ORR, {level}"
    present = set(adrs["PARAMCD"])
    responders: dict[str, set[str]] = {}
    rows: list[dict[str, str]] = []
    for label, paramcd, good in _ROWS:
        if paramcd not in present:
            continue
        best = _best(adrs, paramcd, subjects)
        responders[paramcd] = set(best.index[best.isin(good)])
        x = len(responders[paramcd])
        rows.append({"Criteria": label,
                     column: f"{format_count(x, total)}; {_format_ci(x, total, conf_level)}"})
    for recist, irecist, what in (("CBOR", "ICBOR", "confirmed"), ("BOR", "IBOR",
                                                                   "unconfirmed")):
        if recist in responders and irecist in responders:
            only = len(responders[irecist] - responders[recist])
            rows.append({"Criteria": f"Responders ({what}) by iRECIST only", column: str(only)})
    course = _progression_course(adrs, subjects)
    rows += [
        {"Criteria": "Unconfirmed progression (iUPD)", column: format_count(course["iupd"],
                                                                            total)},
        {"Criteria": "iUPD confirmed (iCPD)", column: format_count(course["confirmed"], total)},
        {"Criteria": "iUPD reset by a later iSD, iPR or iCR", column: format_count(
            course["reset"], total)},
        {"Criteria": "iUPD not confirmed at the last assessment", column: format_count(
            course["open"], total)},
    ]
    return ReportTable(
        key="bor_irecist_orr",
        title="Objective response by RECIST 1.1 and by iRECIST",
        population=population,
        rows=pd.DataFrame(rows),
        footnotes=(("Exact (Clopper-Pearson) confidence intervals. ORR: CR+PR (RECIST 1.1), "
                   "iCR+iPR (iRECIST)."),
                   (f"iRECIST ({_SOURCE}): RECIST 1.1 progression is unconfirmed (iUPD) until "
                   "the next assessment shows a further increase (iCPD); new lesions are "
                   "measured apart from the target sum.")),
    )


def _bor_table(adrs: pd.DataFrame, subjects: list[str], population: str) -> ReportTable:
    total = len(subjects)
    counts = _best(adrs, "ICBOR", subjects).value_counts()
    rows = [{"Category": c, "n/N (%)": format_count(int(counts.get(c, 0)), total)}
            for c in IRECIST_ORDER
            if c in counts.index or c in ("iCR", "iPR", "iSD", "iUPD", "iCPD", "NE")]
    return ReportTable(
        key="bor_irecist",
        title="Best overall response (confirmed, iRECIST)",
        population=population,
        rows=pd.DataFrame(rows),
        footnotes=(f"ADRS ICBOR ({_SOURCE}, Table 3; iCR/iPR confirmed as RECIST 1.1 §4.6).",),
    )


def compute_irecist_tables(
    adam: Mapping[str, pd.DataFrame],
    *,
    population_flag: str | None = "EFFFL",
    conf_level: float = 0.95,
) -> list[ReportTable]:
    """The iRECIST tables (module docstring); empty when ADRS has no ICBOR/IBOR.

    Parameters
    ----------
    adam
        ADaM datasets by name; ``ADRS`` and ``ADSL`` are needed, ``ADTTE`` (PFS and IPFS) adds
        the survival table.
    population_flag
        ADSL flag selecting the population (``"Y"``); ``None``, or a flag ADSL lacks, for every
        subject.
    conf_level
        Confidence level of the exact (Clopper–Pearson) intervals and of the median's CI.

    Returns
    -------
    list[ReportTable]
        Objective response by iRECIST beside RECIST 1.1, confirmed best overall response by
        iRECIST (Seymour et al., Lancet Oncol 2017), and, with ADTTE IPFS, Kaplan–Meier PFS by
        both; an empty list without ADSL, ADRS or its iRECIST parameters.
    """
    adrs, adsl = adam.get("ADRS"), adam.get("ADSL")
    if adrs is None or adsl is None or not {"ICBOR", "IBOR"} & set(adrs["PARAMCD"]):
        return []
    selected = _population(adsl, population_flag)
    subjects = sorted(set(selected["USUBJID"]))
    population = f"{_population_name(adsl, population_flag)} (N = {len(subjects)})"
    tables = [_orr_table(adrs, subjects, population, conf_level),
              _bor_table(adrs, subjects, population)]
    adtte = adam.get("ADTTE")
    if adtte is not None and "IPFS" in set(adtte["PARAMCD"]):
        table = compute_time_to_event_table(adtte, paramcds=("PFS", "IPFS"),
                                            conf_level=conf_level)
        tables.append(ReportTable(
            key="time_to_event_irecist",
            title="Progression-free survival by RECIST 1.1 and by iRECIST (Kaplan-Meier)",
            population=f"all subjects in ADTTE (N = {adtte['USUBJID'].nunique()})",
            rows=table.rows,
            footnotes=(*table.footnotes,
                       ("iRECIST progression: the first iUPD of a run confirmed as iCPD, or an "
                       f"iUPD never confirmed nor reset ({_SOURCE}).")),
        ))
    return tables
