"""ADaM safety datasets from SDTM: ADAE (adverse events), ADEX (exposure), ADLB (laboratory).

Conventions follow the CDISC ADaM Occurrence Data Structure (ADAE) and the Basic Data Structure
(ADEX, ADLB) as the pharmaverse admiral templates derive them; each deviation is commented.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from oncotrial.cdisc.adam._dates import relative_day
from oncotrial.cdisc.dates import parse_dtc
from oncotrial.errors import DataError

__all__ = ["derive_adae", "derive_adex", "derive_adlb", "merge_supplemental"]

# Attribution answers that count as treatment-related (CTCAE/ICH E2A five-point scale: possibly,
# probably and definitely related are "related"; unlikely and unrelated are not).
_RELATED = ("Y", "RELATED", "POSSIBLY RELATED", "PROBABLY RELATED", "DEFINITELY RELATED",
            "POSSIBLE", "PROBABLE", "DEFINITE")


def merge_supplemental(parent: pd.DataFrame, supp: pd.DataFrame | None) -> pd.DataFrame:
    """Merge an SDTM SUPP-- dataset (QNAM/QVAL keyed by IDVAR/IDVARVAL) onto its parent.

    Each QNAM becomes a column of the parent; records are matched by USUBJID and the IDVAR
    value (e.g. ``AESEQ``). A QNAM that clashes with a parent variable is an error.

    Parameters
    ----------
    parent
        The parent domain (e.g. AE) with USUBJID and each IDVAR the SUPP-- dataset names.
    supp
        The SUPP-- dataset (USUBJID, IDVAR, IDVARVAL, QNAM, QVAL), or ``None``. IDVARVAL of a
        ``--SEQ`` IDVAR is compared as a number (``"3"`` matches 3.0).

    Returns
    -------
    pandas.DataFrame
        A copy of *parent* with one column per QNAM (``""`` where a record has no value);
        *parent* itself when *supp* is absent or empty.

    Raises
    ------
    DataError
        When a QNAM is already a variable of the parent.

    Examples
    --------
    >>> import pandas as pd
    >>> ae = pd.DataFrame({"USUBJID": ["S1", "S1"], "AESEQ": [1.0, 2.0]})
    >>> suppae = pd.DataFrame({"USUBJID": ["S1"], "IDVAR": ["AESEQ"], "IDVARVAL": ["2"],
    ...                        "QNAM": ["AEDLT"], "QVAL": ["Y"]})
    >>> merge_supplemental(ae, suppae)["AEDLT"].tolist()
    ['', 'Y']
    """
    if supp is None or supp.empty:
        return parent
    out = parent.copy()
    for (idvar_key, qnam), rows in supp.groupby(["IDVAR", "QNAM"], sort=True):
        idvar = str(idvar_key)
        if qnam in out.columns:
            raise DataError("supplemental qualifier clashes with a parent variable",
                            field="QNAM", value=qnam)
        key = pd.to_numeric(rows["IDVARVAL"], errors="coerce") if idvar.endswith("SEQ") \
            else rows["IDVARVAL"].astype(str)
        values = pd.Series(rows["QVAL"].to_numpy(), index=pd.MultiIndex.from_arrays(
            [rows["USUBJID"].astype(str).to_numpy(), key.to_numpy()]))
        parent_key = pd.to_numeric(out[idvar], errors="coerce") if idvar.endswith("SEQ") \
            else out[idvar].astype(str)
        index = pd.MultiIndex.from_arrays([out["USUBJID"].astype(str).to_numpy(),
                                           parent_key.to_numpy()])
        out[qnam] = values.reindex(index).fillna("").to_numpy()
    return out


def _dates_and_flags(values: pd.Series, *, impute: str, field: str
                     ) -> tuple[pd.Series, pd.Series]:
    """The dates of *values* and their ADaM imputation flags (``D``, ``M`` or empty)."""
    parsed = [parse_dtc(v, impute=impute, field=field)  # type: ignore[arg-type]
              for v in values.astype(str)]
    dates = pd.to_datetime(pd.Series([p.value if p else None for p in parsed],
                                     index=values.index, dtype=object))
    return dates, pd.Series([p.flag if p else "" for p in parsed], index=values.index,
                            dtype=object)


def _dates(values: pd.Series, *, impute: str, field: str) -> pd.Series:
    return _dates_and_flags(values, impute=impute, field=field)[0]


def _subject_dates(adsl: pd.DataFrame) -> pd.DataFrame:
    keep = [c for c in ("USUBJID", "TRTSDT", "TRTEDT", "SAFFL") if c in adsl]
    frame = adsl[keep].copy()
    for column in ("TRTSDT", "TRTEDT"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], errors="coerce")
    return frame


def derive_adae(
    ae: pd.DataFrame,
    adsl: pd.DataFrame,
    *,
    suppae: pd.DataFrame | None = None,
    emergent_window_days: int,
) -> pd.DataFrame:
    """ADAE: one record per AE with analysis dates, grade, emergence and relatedness flags.

    Partial start dates are imputed to the first day, end dates to the last day, as admiral's
    ``derive_vars_dt`` does for ADAE, and flagged in ASTDTF/AENDTF (``D`` day imputed, ``M``
    month and day imputed).

    Parameters
    ----------
    ae, suppae
        SDTM AE (and SUPPAE, whose qualifiers such as ``AEDLT`` and per-drug relatedness
        ``AERELLEN``/``AERELERI`` become columns).
    adsl
        For TRTSDT/TRTEDT.
    emergent_window_days
        Treatment-emergent: start on or after the first dose and no later than this many days
        after the last dose (a protocol value; admiral's ADAE template uses 30).

    Returns
    -------
    pandas.DataFrame
        AE (with the SUPPAE qualifiers) plus ASTDT, AENDT, ATOXGR/ATOXGRN (AETOXGR as
        recorded), TRTEMFL, ASTDY (ASTDT − TRTSDT + 1 from TRTSDT on, ASTDT − TRTSDT before:
        no day 0), RELxxxxx (``Y``/``N`` per attribution variable AERELxxxxx, related =
        possibly, probably or definitely) and DLTFL (from AEDLT); AE records of subjects not
        in ADSL are kept with empty dates.

    Raises
    ------
    DataError
        When AETOXGR is not a CTCAE grade 1-5, a date is not ISO 8601, or a SUPPAE qualifier
        clashes with an AE variable.
    """
    frame = merge_supplemental(ae, suppae).merge(_subject_dates(adsl), on="USUBJID", how="left")
    # ADaMIG 1.3 §3.1.3: an imputed date carries its flag (admiral derive_vars_dt, "auto")
    frame["ASTDT"], frame["ASTDTF"] = _dates_and_flags(frame["AESTDTC"], impute="first",
                                                       field="AESTDTC")
    frame["AENDT"], frame["AENDTF"] = _dates_and_flags(
        frame.get("AEENDTC", pd.Series("", index=frame.index)), impute="last", field="AEENDTC")
    recorded = frame["AETOXGR"] if "AETOXGR" in frame else pd.Series("", index=frame.index)
    frame["ATOXGR"] = recorded.astype(str).str.strip().replace("nan", "")
    frame["ATOXGRN"] = pd.to_numeric(frame["ATOXGR"], errors="coerce")
    bad = frame["ATOXGR"].ne("") & ~frame["ATOXGRN"].isin([1, 2, 3, 4, 5])
    if bad.any():
        row = frame[bad].iloc[0]
        raise DataError("CTCAE grade must be 1-5", field="AETOXGR", value=row["ATOXGR"],
                        allowed="1, 2, 3, 4, 5", subject=str(row["USUBJID"]))
    end_window = frame["TRTEDT"] + pd.to_timedelta(emergent_window_days, unit="D")
    emergent = (frame["ASTDT"] >= frame["TRTSDT"]) & (frame["ASTDT"] <= end_window)
    frame["TRTEMFL"] = np.where(emergent, "Y", "")
    frame["ASTDY"] = relative_day(frame["ASTDT"], frame["TRTSDT"])
    related = [c for c in frame.columns if c.startswith("AEREL") and len(c) > len("AEREL")]
    for column in related:
        answer = frame[column].astype(str).str.upper()
        frame["REL" + column[len("AEREL"):][:5]] = np.where(answer.isin(_RELATED), "Y", "N")
    if "AEDLT" in frame:
        frame["DLTFL"] = np.where(frame["AEDLT"].astype(str) == "Y", "Y", "")
    return frame.drop(columns=[c for c in ("TRTSDT", "TRTEDT", "SAFFL") if c in frame])


def derive_adex(
    ex: pd.DataFrame,
    adsl: pd.DataFrame,
    *,
    cycle_length_days: int | None,
    planned_days: Mapping[str, list[int]],
) -> pd.DataFrame:
    """ADEX (BDS): per subject and drug (EXTRT as recorded), the total dose, the numbers of
    adjustments, reductions and holds, one ``DOSEADJ`` record per adjustment (AVALC
    ``REDUCED``/``HELD``, ADT, ADJREAS = EXADJ) and, where the cycle length and the drug's
    planned dosing days are known, cycles started, dose intensity and RDI.

    Relative dose intensity = delivered cumulative dose / (starting dose × planned dosing
    days in the cycles started) × 100, the usual definition (Hryniuk & Goodyear 1990).

    Parameters
    ----------
    ex
        SDTM EX, one record per administration or dosing period (EXSTDTC–EXENDTC, dose per
        day EXDOSE; EXDOSE 0 marks a held dose; EXADJ gives the reason for an adjustment).
    cycle_length_days, planned_days
        Profile values: the cycle length (``None`` when unknown) and, per drug (EXTRT,
        case-insensitive), the planned dosing days of a cycle (lenvatinib 1–21, eribulin 1 and
        8). A drug without planned days is still summarised, without NCYCLE, DOSEINT and RDI.
    adsl
        ADSL for TRTSDT (cycle n starts at TRTSDT + (n − 1) × cycle length); EX records of
        subjects not in ADSL are left out.

    Returns
    -------
    pandas.DataFrame
        Columns USUBJID, EXTRT, PARAMCD, PARAM, AVAL, AVALU, AVALC, ADT, ADJREAS: per subject
        and drug NCYCLE, TDOSE, DOSEINT and RDI (the cycle ones only with planned days),
        NADJ, NRED, NHOLD, then one DOSEADJ record per adjustment.

    Raises
    ------
    DataError
        When EXSTDTC or EXENDTC is not an ISO 8601 date.
    """
    dates = _subject_dates(adsl)
    frame = ex.merge(dates, on="USUBJID", how="inner")
    start = _dates(frame["EXSTDTC"], impute="none", field="EXSTDTC")
    end = _dates(frame.get("EXENDTC", frame["EXSTDTC"]).replace("", np.nan).fillna(
        frame["EXSTDTC"]), impute="none", field="EXENDTC")
    frame["DAYS"] = ((end - start).dt.days + 1).fillna(1)
    dose = frame["EXDOSE"] if "EXDOSE" in frame else pd.Series(0.0, index=frame.index)
    frame["DOSE"] = pd.to_numeric(dose, errors="coerce").fillna(0.0)
    if cycle_length_days:
        frame["CYCLE"] = (start - frame["TRTSDT"]).dt.days // cycle_length_days + 1
    records: list[dict[str, object]] = []
    for (subject, drug), rows in frame.groupby(["USUBJID", "EXTRT"], sort=True):
        days = planned_days.get(str(drug).strip().lower()) if cycle_length_days else None
        records += _exposure_records(str(subject), str(drug), rows, start, days)
    return pd.DataFrame(records, columns=["USUBJID", "EXTRT", "PARAMCD", "PARAM", "AVAL",
                                          "AVALU", "AVALC", "ADT", "ADJREAS"])


def _exposure_records(
    subject: str, drug: str, rows: pd.DataFrame, start: pd.Series, days: list[int] | None
) -> list[dict[str, object]]:
    given = rows[rows["DOSE"] > 0]
    total = float((rows["DOSE"] * rows["DAYS"]).sum())
    unit = str(rows["EXDOSU"].iloc[0]) if "EXDOSU" in rows else ""
    reason = rows.get("EXADJ", pd.Series("", index=rows.index)).fillna("").astype(str)
    adjusted = rows[reason != ""]
    held = adjusted["DOSE"] <= 0
    values: list[tuple[str, str, float, str]] = [("TDOSE", "Total dose delivered", total, unit)]
    if days is not None:
        cycles = int(given["CYCLE"].nunique())
        first_dose = float(given.sort_values("CYCLE")["DOSE"].iloc[0]) if len(given) else 0.0
        planned = first_dose * len(days) * cycles
        values = [
            ("NCYCLE", "Number of cycles started", float(cycles), "cycles"), *values,
            ("DOSEINT", "Dose intensity per cycle", total / cycles if cycles else np.nan,
             f"{unit}/cycle"),
            ("RDI", "Relative dose intensity (%)",
             100.0 * total / planned if planned else np.nan, "%"),
        ]
    values += [
        ("NADJ", "Number of dose adjustments", float(len(adjusted)), "records"),
        ("NRED", "Number of dose reductions", float((~held).sum()), "records"),
        ("NHOLD", "Number of doses held or omitted", float(held.sum()), "records"),
    ]
    records: list[dict[str, object]] = [
        {"USUBJID": subject, "EXTRT": drug, "PARAMCD": code, "PARAM": label, "AVAL": value,
         "AVALU": avalu} for code, label, value, avalu in values]
    # One record per adjustment, its kind in AVALC and its reason (EXADJ) in ADJREAS.
    records += [{"USUBJID": subject, "EXTRT": drug, "PARAMCD": "DOSEADJ",
                 "PARAM": "Dose adjustment", "AVALC": "HELD" if dose <= 0 else "REDUCED",
                 "ADT": day, "ADJREAS": why}
                for dose, day, why in zip(adjusted["DOSE"], start[adjusted.index],
                                          reason[adjusted.index], strict=True)]
    return records


def derive_adlb(lb: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """ADLB (BDS): analysis values, baseline flag and baseline/analysis CTCAE grades.

    The CTCAE grade (LBTOXGR) is taken as recorded: the EDC grades each value with the rules
    engine when it is entered. Baseline (ABLFL) is the last non-missing value on or before the
    first dose, as admiral's ``derive_var_extreme_flag`` selects it.

    Parameters
    ----------
    lb
        SDTM LB (LBTESTCD, LBTEST, LBSTRESN, LBSTRESU, LBDTC, optionally LBTOXGR).
    adsl
        ADSL for TRTSDT; LB records of subjects not in ADSL are left out.

    Returns
    -------
    pandas.DataFrame
        LB plus ADT (complete dates only: a partial LBDTC gives no ADT), AVAL, PARAMCD
        (LBTESTCD), PARAM (``LBTEST (LBSTRESU)``), ATOXGRN, ADY (no day 0, as SDTMIG --DY),
        ABLFL, BASE, BTOXGRN and CHG.

    Raises
    ------
    DataError
        When LBDTC is not an ISO 8601 date.
    """

    frame = lb.merge(_subject_dates(adsl), on="USUBJID", how="inner")
    frame["ADT"] = _dates(frame["LBDTC"], impute="none", field="LBDTC")
    frame["AVAL"] = pd.to_numeric(frame["LBSTRESN"], errors="coerce")
    frame["PARAMCD"] = frame["LBTESTCD"].astype(str)
    frame["PARAM"] = frame["LBTEST"].astype(str) + " (" + frame["LBSTRESU"].astype(str) + ")"
    grade = frame.get("LBTOXGR", pd.Series("", index=frame.index)).astype(str)
    frame["ATOXGRN"] = pd.to_numeric(grade, errors="coerce")
    frame["ADY"] = relative_day(frame["ADT"], frame["TRTSDT"])
    eligible = frame["AVAL"].notna() & (frame["ADT"] <= frame["TRTSDT"])
    ordered = frame[eligible].sort_values(["USUBJID", "PARAMCD", "ADT"], kind="mergesort")
    baseline_index = ordered.groupby(["USUBJID", "PARAMCD"]).tail(1).index
    frame["ABLFL"] = np.where(frame.index.isin(baseline_index), "Y", "")
    base = frame.loc[baseline_index, ["USUBJID", "PARAMCD", "AVAL", "ATOXGRN"]].rename(
        columns={"AVAL": "BASE", "ATOXGRN": "BTOXGRN"})
    frame = frame.merge(base, on=["USUBJID", "PARAMCD"], how="left")
    frame["CHG"] = frame["AVAL"] - frame["BASE"]
    return frame.drop(columns=[c for c in ("TRTSDT", "TRTEDT", "SAFFL") if c in frame])
