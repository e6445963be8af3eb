"""Report tables computed from ADaM datasets at render time (nothing is typed in).

Every table is a :class:`ReportTable`: a title, the analysis population with its size, the
rows as a DataFrame of display strings, and footnotes. Percentages always carry their
denominator (``3/30 (10.0%)``); no confidence interval is shown when the denominator is 0.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oncotrial.errors import DesignError
from oncotrial.rules.ae_terms import load_ctcae_terms
from oncotrial.stats import Interval, KaplanMeierResult, estimate_binomial_ci, estimate_kaplan_meier

__all__ = [
    "ReportTable",
    "centred_columns",
    "compute_ae_table",
    "compute_baseline_table",
    "compute_bor_table",
    "compute_criteria_agreement_table",
    "compute_criteria_orr_table",
    "compute_lab_shift_table",
    "compute_time_to_event_table",
    "compute_time_to_response_table",
    "format_count",
]

DAYS_PER_MONTH = 365.25 / 12
RESPONSE_ORDER = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING")


@dataclass(frozen=True)
class ReportTable:
    """One table of the report, ready to display and to write as CSV."""

    key: str
    title: str
    population: str
    rows: pd.DataFrame
    footnotes: tuple[str, ...] = field(default=())
    number: str = ""  # "Table 14.3.1.1", given when the report numbers its outputs
    sources: tuple[str, ...] = field(default=())  # ADaM datasets it is computed from


_COUNT_LIKE = re.compile(r"[\d\s./()%–\-,;:+≥<>=]*|NR|not estimable.*|")


def centred_columns(rows: pd.DataFrame) -> list[bool]:
    """Per column, whether its cells are counts or numbers (``3/30 (10.0%)``, ``6.77
    (4.11–12.55)``) and so centred; text columns (terms, reasons) stay left-aligned. The
    first column, the row labels, is never centred.

    Parameters
    ----------
    rows
        The table's cells.

    Returns
    -------
    list[bool]
        One flag per column, in order.

    Examples
    --------
    >>> import pandas as pd
    >>> centred_columns(pd.DataFrame({"Term": ["Nausea"], "n (%)": ["3/30 (10.0%)"],
    ...                               "Reason": ["adverse event"]}))
    [False, True, False]
    """
    flags = []
    for position in range(rows.shape[1]):
        values = rows.iloc[:, position].astype(str)
        flags.append(position > 0 and all(_COUNT_LIKE.fullmatch(v.strip()) or v == "nan"
                                          for v in values))
    return flags


def format_count(n: int, total: int) -> str:
    """``n/total (p%)``; the percentage is left out when the denominator is 0.

    Parameters
    ----------
    n
        The count.
    total
        The denominator.

    Returns
    -------
    str
        ``n/total (p%)`` with one decimal, or ``n/0``.

    Examples
    --------
    >>> from oncotrial.report import format_count
    >>> format_count(3, 30), format_count(0, 0)
    ('3/30 (10.0%)', '0/0')
    """
    if total == 0:
        return f"{n}/0"
    return f"{n}/{total} ({100.0 * n / total:.1f}%)"


def _format_ci(x: int, n: int, conf_level: float) -> str:
    if n == 0:
        return "not estimable (n = 0)"
    ci = estimate_binomial_ci(x, n, method="clopper-pearson", conf_level=conf_level)
    return f"{100 * ci.estimate:.1f}% ({100 * ci.lower:.1f}–{100 * ci.upper:.1f})"


def _population(adsl: pd.DataFrame, flag: str | None) -> pd.DataFrame:
    if flag is None or flag not in adsl:
        return adsl
    return adsl[adsl[flag].astype(str) == "Y"]


def _population_name(adsl: pd.DataFrame, flag: str | None) -> str:
    """How a table names the population :func:`_population` selected: the flag, or "all
    subjects" when there is none or ADSL lacks it (every subject is then counted)."""
    return flag if flag is not None and flag in adsl else "all subjects"


def compute_bor_table(
    adrs: pd.DataFrame,
    adsl: pd.DataFrame,
    *,
    paramcd: str = "CBOR",
    population_flag: str | None = "EFFFL",
    conf_level: float = 0.95,
) -> ReportTable:
    """Best overall response counts with ORR (CR + PR) and DCR (CR + PR + SD) and exact CIs.

    Confidence intervals are Clopper-Pearson (exact binomial), as the trial's primary analysis
    specifies for objective response rate.

    Parameters
    ----------
    adrs
        ADRS with ``USUBJID``, ``PARAMCD`` and ``AVALC``.
    adsl
        ADSL with ``USUBJID`` (and the population flag).
    paramcd
        Best-response parameter: ``CBOR`` (confirmed) or ``BOR`` (unconfirmed); a code
        starting with ``C`` is titled confirmed.
    population_flag
        ADSL flag column selecting the population (``"Y"``); ``None``, or a column ADSL does
        not have, takes every subject of ADSL.
    conf_level
        Confidence level of the intervals.

    Returns
    -------
    ReportTable
        One row per category CR, PR, SD, (NON-CR/NON-PD,) PD, NE (and MISSING: subjects of the
        population without the parameter), then ORR and DCR with their intervals; DCR counts
        NON-CR/NON-PD with SD.

    Examples
    --------
    3 partial responses among 10 subjects: ORR 30 % with the exact interval of R
    ``binom.test(3, 10)$conf.int`` (0.0667, 0.6525):

    >>> import pandas as pd
    >>> from oncotrial.report import compute_bor_table
    >>> adsl = pd.DataFrame({"USUBJID": [f"S{i:02d}" for i in range(10)], "EFFFL": "Y"})
    >>> adrs = pd.DataFrame({"USUBJID": adsl["USUBJID"], "PARAMCD": "CBOR",
    ...                      "AVALC": ["PR"] * 3 + ["SD"] * 4 + ["PD"] * 3})
    >>> compute_bor_table(adrs, adsl).rows["n/N (%)"].iloc[-2]
    '3/10 (30.0%); 30.0% (6.7–65.2)'
    """
    population = _population(adsl, population_flag)
    subjects = set(population["USUBJID"])
    total = len(subjects)
    bor = adrs[(adrs["PARAMCD"] == paramcd) & adrs["USUBJID"].isin(subjects)]
    values = bor.set_index("USUBJID")["AVALC"].reindex(sorted(subjects)).fillna("MISSING")
    counts = values.value_counts()
    rows: list[dict[str, str]] = [
        {"Category": category, "n/N (%)": format_count(int(counts.get(category, 0)), total)}
        for category in RESPONSE_ORDER
        if category in counts.index or category in {"CR", "PR", "SD", "PD", "NE"}
    ]
    responders = int(counts.get("CR", 0) + counts.get("PR", 0))
    controlled = responders + int(counts.get("SD", 0)) + int(counts.get("NON-CR/NON-PD", 0))
    level = f"{100 * conf_level:.0f}% CI"
    rows.append({"Category": f"Objective response rate (CR+PR), {level}",
                 "n/N (%)": f"{format_count(responders, total)}; "
                            f"{_format_ci(responders, total, conf_level)}"})
    rows.append({"Category": f"Disease control rate (CR+PR+SD), {level}",
                 "n/N (%)": f"{format_count(controlled, total)}; "
                            f"{_format_ci(controlled, total, conf_level)}"})
    confirmed = "confirmed" if paramcd.startswith("C") else "unconfirmed"
    return ReportTable(
        key=f"bor_{paramcd.lower()}",
        title=f"Best overall response ({confirmed}, RECIST 1.1)",
        population=f"{_population_name(adsl, population_flag)} (N = {total})",
        rows=pd.DataFrame(rows),
        footnotes=("Exact (Clopper-Pearson) confidence intervals.",),
    )


# (label, PARAMCD) of the response criteria compared side by side; Choi parameters are written
# by ``oncotrial derive --criteria recist,choi`` (oncotrial.cdisc.adam.adrs.CHOI_PARAMS).
_CRITERIA_ROWS = (
    ("RECIST 1.1, confirmed", "CBOR"),
    ("Choi, confirmed", "CHOICBOR"),
    ("RECIST 1.1, unconfirmed", "BOR"),
    ("Choi, unconfirmed", "CHOIBOR"),
)


def compute_criteria_orr_table(
    adrs: pd.DataFrame,
    adsl: pd.DataFrame,
    *,
    population_flag: str | None = "EFFFL",
    conf_level: float = 0.95,
) -> ReportTable | None:
    """Objective response rate by RECIST 1.1 and by Choi side by side, with exact CIs and the
    subjects who respond by one criteria and not the other; ``None`` without Choi parameters.

    Parameters
    ----------
    adrs
        ADRS with ``USUBJID``, ``PARAMCD`` (``CBOR``, ``BOR``, ``CHOICBOR``, ``CHOIBOR``) and
        ``AVALC``.
    adsl
        ADSL with ``USUBJID`` (and the population flag).
    population_flag
        ADSL flag column selecting the population (``"Y"``); ``None``, or a column ADSL does
        not have, takes every subject of ADSL.
    conf_level
        Confidence level of the Clopper-Pearson intervals.

    Returns
    -------
    ReportTable or None
        One row per criteria present, then the count of responders by Choi only / by RECIST
        only; ``None`` when ADRS has neither ``CHOIBOR`` nor ``CHOICBOR``.
    """
    present = set(adrs["PARAMCD"])
    if not {"CHOIBOR", "CHOICBOR"} & present:
        return None
    population = _population(adsl, population_flag)
    subjects = sorted(set(population["USUBJID"]))
    total = len(subjects)
    level = f"{100 * conf_level:.0f}% CI"
    responders: dict[str, set[str]] = {}
    rows: list[dict[str, str]] = []
    for label, paramcd in _CRITERIA_ROWS:
        if paramcd not in present:
            continue
        best = adrs[(adrs["PARAMCD"] == paramcd) & adrs["USUBJID"].isin(subjects)]
        values = best.set_index("USUBJID")["AVALC"]
        responders[paramcd] = set(values.index[values.isin(["CR", "PR"])])
        x = len(responders[paramcd])
        rows.append({"Criteria": label, f"ORR (CR+PR), {level}":
                     f"{format_count(x, total)}; {_format_ci(x, total, conf_level)}"})
    for recist, choi, what in (("CBOR", "CHOICBOR", "confirmed"), ("BOR", "CHOIBOR",
                                                                    "unconfirmed")):
        if recist in responders and choi in responders:
            only_choi = len(responders[choi] - responders[recist])
            only_recist = len(responders[recist] - responders[choi])
            rows.append({"Criteria": f"Responders ({what}) by Choi only / by RECIST only",
                         f"ORR (CR+PR), {level}": f"{only_choi} / {only_recist}"})
    return ReportTable(
        key="orr_criteria",
        title="Objective response by RECIST 1.1 and by Choi criteria",
        population=f"{_population_name(adsl, population_flag)} (N = {total})",
        rows=pd.DataFrame(rows),
        footnotes=("Exact (Clopper-Pearson) confidence intervals.",
                   ("Choi: PR = size -10 % or CT density (HU) -15 % from baseline "
                    "(Choi et al., J Clin Oncol 2007;25:1753).")),
    )


_BOR_ORDER = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING")


def compute_criteria_agreement_table(
    adrs: pd.DataFrame, adsl: pd.DataFrame, *, population_flag: str | None = "EFFFL",
) -> ReportTable | None:
    """Confirmed best overall response by RECIST 1.1 (rows) against Choi (columns): how the
    two criteria classify the same subjects; ``None`` without Choi parameters.

    Parameters
    ----------
    adrs
        ADRS with ``USUBJID``, ``PARAMCD`` (``CBOR`` and ``CHOICBOR``) and ``AVALC``.
    adsl
        ADSL with ``USUBJID`` (and the population flag).
    population_flag
        ADSL flag column selecting the population (``"Y"``); ``None``, or a column ADSL does
        not have, takes every subject of ADSL.

    Returns
    -------
    ReportTable or None
        Cross-tabulation of the categories present, with row and column totals and the
        number classified alike in a footnote; ``None`` unless ADRS has both ``CBOR`` and
        ``CHOICBOR``.
    """
    if not {"CBOR", "CHOICBOR"} <= set(adrs["PARAMCD"]):
        return None
    population = _population(adsl, population_flag)
    subjects = set(population["USUBJID"])

    def best(paramcd: str) -> pd.Series:
        rows = adrs[(adrs["PARAMCD"] == paramcd) & adrs["USUBJID"].isin(subjects)]
        return rows.set_index("USUBJID")["AVALC"].astype(str)

    pairs = pd.DataFrame({"RECIST": best("CBOR"), "Choi": best("CHOICBOR")}).fillna("MISSING")
    levels = [v for v in _BOR_ORDER if v in set(pairs["RECIST"]) | set(pairs["Choi"])]
    table = pd.crosstab(pairs["RECIST"], pairs["Choi"]).reindex(
        index=levels, columns=levels, fill_value=0)
    counts = {(r, c): int(table.to_numpy()[i, j]) for i, r in enumerate(levels)
              for j, c in enumerate(levels)}
    head = "RECIST 1.1 (rows) by Choi"
    rows = [{head: r, **{c: str(counts[r, c]) for c in levels},
             "Total": str(sum(counts[r, c] for c in levels))} for r in levels]
    total = sum(counts.values())
    rows.append({head: "Total", **{c: str(sum(counts[r, c] for r in levels)) for c in levels},
                 "Total": str(total)})
    same = sum(counts[v, v] for v in levels)
    return ReportTable(
        key="bor_agreement",
        title="Confirmed best overall response: RECIST 1.1 against Choi criteria",
        population=f"{_population_name(adsl, population_flag)} (N = {len(subjects)})",
        rows=pd.DataFrame(rows),
        footnotes=((f"Same category by both: {same}/{total}. Rows RECIST 1.1 (ADRS CBOR), "
                   "columns Choi (ADRS CHOICBOR)."),),
    )


# (label, ADTTE time to response, ADRS confirmed response it is dated by): the criteria whose
# ADRS has the confirmed-response parameter are shown (oncotrial.cdisc.adam.adtte.TTR_PARAMS).
_TTR_ROWS = (
    ("RECIST 1.1", "TTR", "CRSP"),
    ("Choi", "CHOITTR", "CHOICRSP"),
)


def compute_time_to_response_table(
    adtte: pd.DataFrame,
    adrs: pd.DataFrame,
    adsl: pd.DataFrame,
    *,
    population_flag: str | None = "EFFFL",
) -> ReportTable | None:
    """Time to confirmed response by each response criteria, among the confirmed responders
    of the population: n, median and range in months and in days, read from ADTTE TTR and
    CHOITTR (start date to the first assessment of the confirmed response, AVAL in days).

    A criteria is shown when ADRS has its confirmed-response parameter (CRSP, CHOICRSP), so a
    criteria without responders reads 0 rather than vanishing; ``None`` when ADRS has neither.
    A responder of ADRS without an ADTTE record (ADTTE derived before time to response
    existed) makes the row say so instead of summarising fewer subjects.

    Parameters
    ----------
    adtte
        ADTTE with PARAMCD TTR and/or CHOITTR (AVAL in days).
    adrs
        ADRS with CRSP and/or CHOICRSP (AVALC ``Y`` for a confirmed responder).
    adsl
        ADSL, for the population.
    population_flag
        ADSL flag selecting the population (``"Y"``); ``None``, or a flag ADSL lacks, for every
        subject.

    Returns
    -------
    ReportTable or None
        One row per criteria shown: confirmed responders, median (range) in months of
        30.4375 days (two decimals) and in days; ``None`` when ADRS has neither parameter.
    """
    present = set(adrs["PARAMCD"])
    shown = [row for row in _TTR_ROWS if row[2] in present]
    if not shown:
        return None
    population = _population(adsl, population_flag)
    subjects = set(population["USUBJID"])
    head = "Median (range), months"
    rows: list[dict[str, str]] = []
    for label, paramcd, source in shown:
        flags = adrs[(adrs["PARAMCD"] == source) & adrs["USUBJID"].isin(subjects)]
        responders = set(flags.loc[flags["AVALC"] == "Y", "USUBJID"])
        records = adtte[(adtte["PARAMCD"] == paramcd) & adtte["USUBJID"].isin(responders)]
        days = pd.to_numeric(records["AVAL"], errors="coerce").dropna()
        row = {"Criteria": label, "Confirmed responders": str(len(responders))}
        if len(days) != len(responders):
            missing = len(responders) - len(days)
            rows.append(row | {head: f"not available: {missing} responder(s) without ADTTE "
                                     f"{paramcd}", "Median (range), days": ""})
            continue
        if days.empty:
            rows.append(row | {head: "no confirmed responder", "Median (range), days": ""})
            continue
        months = days / DAYS_PER_MONTH
        rows.append(row | {
            head: f"{months.median():.2f} ({months.min():.2f}–{months.max():.2f})",
            "Median (range), days": f"{days.median():g} ({days.min():g}–{days.max():g})"})
    return ReportTable(
        key="time_to_response",
        title="Time to confirmed response by RECIST 1.1 and by Choi criteria",
        population=f"{_population_name(adsl, population_flag)} (N = {len(subjects)}), confirmed "
                   "responders by each criteria",
        rows=pd.DataFrame(rows),
        footnotes=(("ADTTE TTR (RECIST 1.1), CHOITTR (Choi): from STARTDT to the first "
                    "assessment of a confirmed response, ADT − STARTDT + 1 days; unconfirmed "
                    "responses not counted."),),
    )


def _median_range(values: pd.Series) -> str:
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    if numbers.empty:
        return "not available"
    return f"{numbers.median():.1f} ({numbers.min():.1f}–{numbers.max():.1f})"


def _levels(values: pd.Series) -> pd.Series:
    """Category labels: whole numbers without a decimal point (ECOG 0, not 0.0), blanks and
    missing values as ``Missing``."""
    def label(value: object) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
            return "Missing"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    return values.map(label)


def compute_baseline_table(
    adsl: pd.DataFrame,
    *,
    population_flag: str | None = "SAFFL",
    categorical: Sequence[tuple[str, str]] = (
        ("SEX", "Sex"), ("HISTOL", "Histology"), ("ECOGBL", "ECOG performance status"),
        ("PHASE", "Phase"),
    ),
    continuous: Sequence[tuple[str, str]] = (
        ("AGE", "Age (years), median (range)"),
        ("PRIORLN", "Prior lines of therapy, median (range)"),
        ("BLSOD", "Baseline sum of diameters (mm), median (range)"),
        ("NSITES", "Sites of disease, median (range)"),
    ),
) -> ReportTable:
    """Table 1: baseline characteristics of the population, variables present in ADSL only.

    Parameters
    ----------
    adsl
        ADSL, one row per subject.
    population_flag
        ADSL flag column selecting the population (``"Y"``); ``None``, or a column ADSL does
        not have, takes every subject of ADSL.
    categorical
        ``(variable, label)`` pairs shown as ``n/N (%)`` per level (blank = ``Missing``).
    continuous
        ``(variable, label)`` pairs shown as median (range).

    Returns
    -------
    ReportTable
        Columns ``Characteristic`` and ``Value``: continuous variables first, then each level
        of the categorical ones in sorted order.
    """
    population = _population(adsl, population_flag)
    total = len(population)
    rows: list[dict[str, str]] = []
    for variable, label in continuous:
        if variable in population:
            rows.append({"Characteristic": label, "Value": _median_range(population[variable])})
    for variable, label in categorical:
        if variable not in population:
            continue
        counts = _levels(population[variable]).value_counts()
        rows.extend({"Characteristic": f"{label}: {level}",
                     "Value": format_count(int(counts[level]), total)}
                    for level in sorted(counts.index))
    return ReportTable(
        key="baseline",
        title="Baseline characteristics",
        population=f"{_population_name(adsl, population_flag)} (N = {total})",
        rows=pd.DataFrame(rows, columns=["Characteristic", "Value"]),
    )


GRADES = (1, 2, 3, 4, 5)
AE_LABEL = "System organ class / CTCAE term"


def _soc_of(events: pd.DataFrame) -> pd.Series:
    """System organ class per AE: ADAE AESOC (or AEBODSYS) when present, else the MedDRA SOC
    that CTCAE v5.0 lists for the term; a term outside CTCAE is "Not coded"."""
    for column in ("AESOC", "AEBODSYS"):
        if column in events and events[column].astype(str).str.strip().ne("").all():
            return events[column].astype(str)
    terms = load_ctcae_terms()
    return events["AEDECOD"].astype(str).map(
        lambda term: terms[term].soc if term in terms else "Not coded")


def _grade_cells(worst: pd.Series, total: int) -> dict[str, str]:
    """Subjects at each worst grade 1..5, grade ≥ 3 and any grade (*worst* has one entry
    per subject)."""
    cells = {f"Grade {g}": format_count(int((worst == g).sum()), total) for g in GRADES}
    cells["Grade ≥ 3"] = format_count(int((worst >= 3).sum()), total)
    cells["Any grade"] = format_count(len(worst), total)
    return cells


def compute_ae_table(
    adae: pd.DataFrame,
    adsl: pd.DataFrame,
    *,
    population_flag: str | None = "SAFFL",
    related_to: str | None = None,
    subset: tuple[str, str] | None = None,
    key: str | None = None,
    title: str = "Treatment-emergent adverse events by system organ class, CTCAE term and "
                 "worst grade",
) -> ReportTable:
    """Subjects with treatment-emergent AEs by system organ class and CTCAE v5.0 term, in
    columns grade 1 to 5, grade ≥ 3 and any grade.

    A subject counts once per term at the worst grade of that term (ATOXGRN), once per system
    organ class at the worst grade within it, and once in "Any adverse event" (the convention
    of ICH E3 §12.2.2 summary tables). Classes and terms are ordered by decreasing any-grade
    frequency, then alphabetically. With *related_to* the table keeps AEs whose relatedness
    flag column (e.g. ``RELLEN``) is ``Y``; with *subset* ``(column, value)`` it keeps AEs
    whose *column* equals *value* (``("AESER", "Y")``: serious AEs; ``("AEACN", "DRUG
    WITHDRAWN")``: AEs leading to discontinuation), and a missing column keeps none. A subject
    with no grade recorded counts in "Any grade" only.

    Parameters
    ----------
    adae
        ADAE with ``USUBJID``, ``AEDECOD``, ``ATOXGRN``; ``TRTEMFL`` (only ``Y`` kept; without
        it every AE counts) and ``AESOC`` or ``AEBODSYS`` are used when present.
    adsl
        ADSL with ``USUBJID`` (and the population flag).
    population_flag
        ADSL flag column selecting the population (``"Y"``); ``None``, or a column ADSL does
        not have, takes every subject of ADSL.
    related_to
        ADAE relatedness flag column; only its ``Y`` AEs are kept.
    subset
        ``(column, value)``; only AEs whose *column* equals *value* (case-insensitive).
    key
        Key of the table; default ``ae`` or ``ae_<related_to>``.
    title
        Title of the table.

    Returns
    -------
    ReportTable
        Rows "Any adverse event", then each system organ class followed by its terms
        (indented); columns grade 1–5, grade ≥ 3 and any grade as ``n/N (%)``.
    """
    population = _population(adsl, population_flag)
    total = len(population)
    events = adae[adae["USUBJID"].isin(set(population["USUBJID"]))]
    if "TRTEMFL" in events:
        events = events[events["TRTEMFL"] == "Y"]
    if related_to is not None:
        events = events[events[related_to].astype(str) == "Y"]
    if subset is not None:
        column, value = subset
        events = events[events[column].astype(str).str.upper() == value.upper()] \
            if column in events else events.iloc[0:0]
    events = events.assign(GRADE=pd.to_numeric(events["ATOXGRN"], errors="coerce"),
                           SOC=_soc_of(events))
    rows = [{AE_LABEL: "Any adverse event",
             **_grade_cells(events.groupby("USUBJID")["GRADE"].max(), total)}]
    by_soc = events.groupby("SOC")["USUBJID"].nunique()
    for soc in sorted(by_soc.index, key=lambda name: (-by_soc[name], name)):
        in_soc = events[events["SOC"] == soc]
        rows.append({AE_LABEL: str(soc),
                     **_grade_cells(in_soc.groupby("USUBJID")["GRADE"].max(), total)})
        by_term = in_soc.groupby("AEDECOD")["USUBJID"].nunique()
        for term in sorted(by_term.index, key=lambda name: (-by_term[name], name)):
            worst = in_soc[in_soc["AEDECOD"] == term].groupby("USUBJID")["GRADE"].max()
            rows.append({AE_LABEL: f"    {term}", **_grade_cells(worst, total)})
    return ReportTable(
        key=key or ("ae" if related_to is None else f"ae_{related_to.lower()}"),
        title=title,
        population=f"{_population_name(adsl, population_flag)} (N = {total})",
        rows=pd.DataFrame(rows),
        footnotes=(("A subject is counted once per term and once per system organ class, at "
                   "the worst CTCAE v5.0 grade; n/N (%) with N the population size."),
                   ("System organ class: ADAE AESOC when coded, else the MedDRA SOC that CTCAE "
                   "v5.0 lists for the term.")),
    )


def compute_lab_shift_table(adlb: pd.DataFrame, *, param: str, population: str) -> ReportTable:
    """Shift from baseline CTCAE grade (BTOXGRN) to worst post-baseline grade (ATOXGRN).

    Parameters
    ----------
    adlb
        ADLB with ``USUBJID``, ``PARAM``, ``BTOXGRN``, ``ATOXGRN`` (and ``ABLFL``: baseline
        records, ``Y``, are left out of the worst grade).
    param
        The ``PARAM`` to tabulate.
    population
        Population text shown with the table.

    Returns
    -------
    ReportTable
        Rows baseline grade (``Missing``, 0–4), columns worst grade (``Missing``, 0–4),
        subject counts as text.
    """
    rows = adlb[(adlb["PARAM"] == param)]
    post = rows[rows.get("ABLFL", pd.Series("", index=rows.index)) != "Y"]
    worst = post.groupby("USUBJID").agg(
        base=("BTOXGRN", "first"), worst=("ATOXGRN", "max"))
    grades = list(range(5))
    table = pd.crosstab(
        pd.Categorical(worst["base"].fillna(-1).astype(int), categories=[-1, *grades]),
        pd.Categorical(worst["worst"].fillna(-1).astype(int), categories=[-1, *grades]),
        dropna=False,
    )
    table.index = pd.Index(["Missing" if int(g) == -1 else f"Baseline grade {g}"
                            for g in table.index])
    table.columns = pd.Index(["Missing" if int(g) == -1 else f"Worst grade {g}"
                              for g in table.columns])
    frame = table.reset_index(names="Baseline").astype(str)
    return ReportTable(key="shift_" + re.sub(r"[^a-z0-9]+", "_", param.lower()).strip("_"),
                       title=f"Shift from baseline to worst CTCAE grade: {param}",
                       population=population, rows=frame)


def compute_time_to_event_table(
    adtte: pd.DataFrame,
    *,
    paramcds: Sequence[str] = ("PFS", "OS", "DOR"),
    landmarks_months: Sequence[float] = (3.0, 6.0),
    conf_level: float = 0.95,
    population: str = "",
) -> ReportTable:
    """Median and landmark rates of each time-to-event parameter (Kaplan-Meier, log-log CI).

    Landmark rates at 3 and 6 months follow the EORTC soft-tissue sarcoma benchmarks
    (Van Glabbeke et al. 2002, Eur J Cancer 38:543).

    Parameters
    ----------
    adtte
        ADTTE with ``PARAMCD``, ``AVAL`` (days), ``CNSR`` (0 = event) and optionally
        ``PARAM`` (the row label).
    paramcds
        The parameters, one row each (a parameter without records reads "no subjects").
    landmarks_months
        Months at which the survival rate is given.
    conf_level
        Confidence level of the intervals.
    population
        Population text shown with the table.

    Returns
    -------
    ReportTable
        Columns ``Parameter``, ``N``, ``Events``, median in months with CI (``NR`` = not
        reached) and one rate column per landmark (not estimable when no subject is still at
        risk).
    """
    rows: list[dict[str, str]] = []
    for paramcd in paramcds:
        data = adtte[adtte["PARAMCD"] == paramcd]
        name = (str(data["PARAM"].iloc[0]) if "PARAM" in data and len(data) else paramcd)
        row = {"Parameter": re.sub(r"\s*\((days|months)\)$", "", name), "N": str(len(data))}
        if data.empty:
            rows.append(row | {"Events": "0", "Median (months, 95% CI)": "no subjects"})
            continue
        days = data["AVAL"].to_numpy(dtype=float)
        events = data["CNSR"].to_numpy(dtype=float) == 0
        km = estimate_kaplan_meier(days, events, conf_level=conf_level)
        row["Events"] = str(int(events.sum()))
        row["Median (months, 95% CI)"] = _format_median(km.median)
        for months in landmarks_months:
            row[f"Rate at {months:g} months (95% CI)"] = _format_landmark(km, months)
        rows.append(row)
    return ReportTable(key="time_to_event", title="Time-to-event endpoints (Kaplan-Meier)",
                       population=population, rows=pd.DataFrame(rows).fillna(""),
                       footnotes=(("Log-log confidence intervals; Brookmeyer-Crowley CI for the "
                                  "median. NR: not reached."),))


def _months(value: float | None) -> str:
    if value is None or not np.isfinite(value):
        return "NR"
    return f"{value / DAYS_PER_MONTH:.2f}"


def _format_median(median: Interval) -> str:
    return f"{_months(median.estimate)} ({_months(median.lower)}–{_months(median.upper)})"


def _format_landmark(km: KaplanMeierResult, months: float) -> str:
    """``rate (lower–upper)`` at a landmark, or why it cannot be given.

    No subject still at risk at the landmark (follow-up ended before it): not estimable, the
    curve is not extrapolated. A rate of 100 % or 0 % has no log-log interval (R ``survfit``
    gives NA); neither has a rate whose interval collapses onto it.
    """
    day = months * DAYS_PER_MONTH
    at_risk = int(km.n_at_risk([day])[0])
    try:
        survival, lower, upper = km.survival_at([day])
    except DesignError:
        return "not estimable (no subject at risk)"
    value = float(survival[0])
    rate = f"{100 * value:.1f}%"
    if at_risk == 0 and value > 0.0:
        return "not estimable (no subject at risk)"
    low, high = float(lower[0]), float(upper[0])
    if not (np.isfinite(low) and np.isfinite(high)) or value in {0.0, 1.0} or low == high:
        return f"{rate} (CI not estimable)"
    return f"{rate} ({100 * low:.1f}–{100 * high:.1f})"
