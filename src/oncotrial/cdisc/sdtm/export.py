"""Casebook rows (plain dictionaries, one list per store table) to SDTM domains.

The input is what :func:`oncotrial.store.read_tables` returns; nothing here touches a
database. Variables follow SDTMIG 3.3 (and the oncology TU/TR/RS domains of SDTMIG 3.3 §6.3.16)
with the names the RECIST and ADaM code reads. Choices worth knowing:

- USUBJID is ``STUDYID-screening number``; SITEID the site code; HISTOL (LMS/LPS) and PHASE
  (Ib/II, blank if never enrolled) are kept on DM, where
  :func:`oncotrial.cdisc.adam.derive_adsl` reads them.
- DS holds INFORMED CONSENT OBTAINED and ENROLLED as protocol milestones and the disposition
  events (screen failure, end of treatment, end of study, death).
- EX has one record per administration given, and a record with EXDOSE 0 for a dose held or
  omitted; EXADJ carries the reason of a reduction, hold or omission (the reason entered, else
  the dose rules that fired).
- TR: non-nodal target lesions as ``LDIAM``, nodal targets (short axis) as ``LPERP``, states
  of non-target and new lesions as ``TUMSTATE``.
- RS: per timepoint TRGRESP, NTRGRESP, NEWLPROG and OVRLRESP with ``RSEVAL = INVESTIGATOR``
  (OVRLRESP is the investigator's response, or the computed one when none was entered), and
  the engine's own OVRLRESP with ``RSEVAL = OTHER``, ``RSEVALID = RECIST ENGINE``; baseline
  ECOG as ``RSCAT = ECOG``.
- AE carries AERELLEN/AERELERI (attribution to lenvatinib/eribulin) and AEDLT beside AEREL.
- EG holds the corrected QT of each ECG (EGTESTCD QTCFAG/QTCBAG); MH the medical history with
  partial dates as collected and MHENRTPT ONGOING against MHENTPT SCREENING; DV the protocol
  deviations (a dose recorded against the dose rules writes one itself); CM and MH keep
  partial dates (SDTMIG 3.3 §4.4.4).
- SV holds the EDC visits and the tumour assessment visits (baseline, imaging), so that every
  VISITNUM of TU, TR and RS is an SV visit.
- Every --DTC/--STDTC/--ENDTC has its study day (--DY/--STDY/--ENDY, from DM.RFSTDTC), and the
  dated records of EX, AE, LB, VS, TU, TR, RS and CM their EPOCH (:func:`epoch`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from oncotrial._outputs import atomic_folder, final_path
from oncotrial.cdisc.define import StudyInfo
from oncotrial.cdisc.io import write_dataset
from oncotrial.cdisc.sdtm._events import _ae, _ds, _dv, _mh
from oncotrial.cdisc.sdtm._findings import _eg, _lb, _rs, _tr, _tu, _vs
from oncotrial.cdisc.sdtm._interventions import _cm, _ex
from oncotrial.cdisc.sdtm._rows import Tables, _Context, _context, _dtc
from oncotrial.cdisc.sdtm._special import _dm, _sv
from oncotrial.cdisc.submission import dataset_labels, study_info, write_submission_files
from oncotrial.errors import DataError

__all__ = ["SDTM_DOMAINS", "build_sdtm", "epoch", "study_day", "write_sdtm"]


SDTM_DOMAINS = (
    "DM", "DS", "EX", "AE", "LB", "VS", "EG", "TU", "TR", "RS", "SV", "CM", "MH", "DV",
)
_OMIT_WHEN_EMPTY = frozenset({"EG", "MH", "DV"})
# the domains whose records get EPOCH from their date (DS sets its own from the event)
_EPOCH_DOMAINS = ("EX", "AE", "LB", "VS", "EG", "TU", "TR", "RS", "CM", "DV")


# --- DM and DS ----------------------------------------------------------------------------------


# --- interventions and events ------------------------------------------------------------------


# --- findings -----------------------------------------------------------------------------------


# --- tumour domains -----------------------------------------------------------------------------


def build_sdtm(
    tables: Tables, *, study_id: str, routes: Mapping[str, str] | None = None,
    country: str = "", dlt_criteria: Mapping[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Build the SDTM domains DM, DS, EX, AE, LB, VS, EG, TU, TR, RS, SV, CM, MH and DV.

    Parameters
    ----------
    tables
        Store table name -> list of row dictionaries (``site``, ``subject``, ``enrolment``,
        ``visit``, ``drug_administration``, ``adverse_event``, ``lab_result``, ...), as
        returned by ``oncotrial.store.read_tables``.
    study_id
        STUDYID (e.g. the protocol id).
    routes
        Drug name -> EXROUTE (CDISC CT C66729, e.g. ``ORAL``, ``INTRAVENOUS``).
    country
        DM.COUNTRY (ISO 3166-1 alpha-3) of every subject.
    dlt_criteria
        DLT criterion name -> the protocol's wording, for AE.AEDLTCR (why an event is a DLT).

    Returns
    -------
    dict of str to pandas.DataFrame
        Domain name -> domain, in the order above; every --DTC/--STDTC/--ENDTC followed by its
        study day (:func:`study_day` from DM.RFSTDTC) and the dated records of EX, AE, LB,
        VS, EG, TU, TR, RS, CM and DV given EPOCH (:func:`epoch`). EG, MH and DV may be empty.

    Raises
    ------
    DataError
        When *study_id* is empty.
    """
    if not study_id:
        raise DataError("STUDYID is required", field="study_id", value=study_id)
    ctx = _context(tables, study_id, dlt_criteria)
    builders: dict[str, Callable[[_Context], pd.DataFrame]] = {
        "DM": lambda c: _dm(c, country),
        "DS": _ds,
        "EX": lambda c: _ex(c, routes or {}),
        "AE": _ae,
        "LB": _lb,
        "VS": _vs,
        "EG": _eg,
        "TU": _tu,
        "TR": _tr,
        "RS": _rs,
        "SV": _sv,
        "CM": _cm,
        "MH": _mh,
        "DV": _dv,
    }
    domains = {name: build(ctx) for name, build in builders.items()}
    return _with_timing(domains, ctx)


def _complete_date(values: pd.Series) -> pd.Series:
    """The date part of ISO 8601 values as datetime64; NaT when missing or partial."""
    text = values.astype(str).str.slice(0, 10).where(values.notna(), "")
    text = text.where(text.str.fullmatch(r"\d{4}-\d{2}-\d{2}"), "")
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")


def study_day(dates: pd.Series, reference: pd.Series) -> pd.Series:
    """SDTM study day of each ISO 8601 date against the subject's RFSTDTC (SDTMIG 3.3 §4.4.4):
    ``date − RFSTDTC + 1`` on or after RFSTDTC, ``date − RFSTDTC`` before it (no day 0); NaN
    when either is missing or not a complete date.

    Parameters
    ----------
    dates
        --DTC values (ISO 8601; a time part is ignored, a partial date gives NaN).
    reference
        The subject's DM.RFSTDTC for each row of *dates* (same index).

    Returns
    -------
    pandas.Series
        The study day of each row as float (NaN where it cannot be computed).

    Examples
    --------
    The day before RFSTDTC is day -1 and RFSTDTC itself day 1; a partial date has no day:

    >>> import pandas as pd
    >>> dates = pd.Series(["2024-01-09", "2024-01-10T08:30", "2024-02-09", "2024-01"])
    >>> study_day(dates, pd.Series(["2024-01-10"] * 4)).tolist()
    [-1.0, 1.0, 31.0, nan]
    """
    days = (_complete_date(dates) - _complete_date(reference)).dt.days
    return (days + (days >= 0)).astype(float)


def epoch(dates: pd.Series, consent: pd.Series, first_dose: pd.Series,
          end_of_treatment: pd.Series) -> pd.Series:
    """EPOCH of each record date from the subject's element dates (SDTMIG 3.3 §4.1.3.1; the
    elements of TA/TE): SCREENING from informed consent to the day before the first dose (any
    date after consent when never dosed), TREATMENT from the first-dose day through the
    end-of-treatment decision (onwards while treatment goes on), FOLLOW-UP after it; empty
    before consent or when the date is missing or partial. Dates only: records of the
    first-dose day are TREATMENT.

    Parameters
    ----------
    dates
        The record dates (ISO 8601 --DTC or --STDTC).
    consent, first_dose, end_of_treatment
        For each row, the subject's informed consent date (DM.RFICDTC), first dose date
        (DM.RFXSTDTC) and end-of-treatment disposition date (DS); missing when not (yet)
        reached.

    Returns
    -------
    pandas.Series
        ``SCREENING``, ``TREATMENT``, ``FOLLOW-UP`` or ``""`` per row, on the index of *dates*.

    Examples
    --------
    >>> import pandas as pd
    >>> dates = pd.Series(["2024-01-01", "2024-01-05", "2024-01-10", "2024-03-02", "2024-03"])
    >>> epoch(dates, pd.Series(["2024-01-02"] * 5), pd.Series(["2024-01-10"] * 5),
    ...       pd.Series(["2024-03-01"] * 5)).tolist()
    ['', 'SCREENING', 'TREATMENT', 'FOLLOW-UP', '']
    """
    day, start = _complete_date(dates), _complete_date(consent)
    dosed, end = _complete_date(first_dose), _complete_date(end_of_treatment)
    out = pd.Series("", index=dates.index, dtype=object)
    known = day.notna() & start.notna() & (day >= start)
    out[known] = "SCREENING"
    treated = known & dosed.notna() & (day >= dosed)
    out[treated] = "TREATMENT"
    out[treated & end.notna() & (day > end)] = "FOLLOW-UP"
    return out


def _with_timing(domains: dict[str, pd.DataFrame], ctx: _Context) -> dict[str, pd.DataFrame]:
    """Add --DY/--STDY/--ENDY right after each --DTC/--STDTC/--ENDTC of the subject domains,
    and EPOCH before the record's date in the general-observation-class domains (FDA business
    rules FB1601, FB3201-FB3203 and FB2201, checked by CDISC CORE)."""
    dm = domains["DM"]
    start = dict(zip(dm["USUBJID"], dm["RFSTDTC"], strict=True))
    consent = dict(zip(dm["USUBJID"], dm["RFICDTC"], strict=True))
    first_dose = dict(zip(dm["USUBJID"], dm["RFXSTDTC"], strict=True))
    ended: dict[str, str] = {}
    for d in ctx.rows("disposition"):
        if d["event"] == "END OF TREATMENT":
            subject = ctx.usubjid[int(d["subject_id"])]
            ended[subject] = min(ended.get(subject, "9999"), _dtc(d["occurred_on"]))
    out = {}
    for name, frame in domains.items():
        dates = [c for c in frame.columns if c in (f"{name}DTC", f"{name}STDTC", f"{name}ENDTC")]
        if name in _EPOCH_DOMAINS and dates:
            who = frame["USUBJID"]
            frame.insert(list(frame.columns).index(dates[0]), "EPOCH",
                         epoch(frame[dates[0]], who.map(consent), who.map(first_dose),
                               who.map(ended)))
        if name != "DM":
            for column in dates:
                target = column[:-3] + "DY" if column == f"{name}DTC" else column[:-2] + "Y"
                frame.insert(list(frame.columns).index(column) + 1, target,
                             study_day(frame[column], frame["USUBJID"].map(start)))
        out[name] = frame
    return out


def write_sdtm(domains: Mapping[str, pd.DataFrame], directory: Path, *,
               study: StudyInfo | None = None, created: datetime | None = None) -> list[Path]:
    """Write every domain as ``<domain>.xpt`` (SAS transport v5, labels from the SDTM
    specification), ``<domain>.csv`` and ``<domain>.json`` (Dataset-JSON 1.1), with
    ``define.xml`` (Define-XML 2.1) and ``define.html``, all at once or not at all
    (:func:`oncotrial._outputs.atomic_folder`). *created* stamps define.xml and the JSON files
    (default now).

    Parameters
    ----------
    domains
        Domain name -> domain, as :func:`build_sdtm` returns. EG, MH and DV are left out
        when empty (an empty dataset is not submitted, FDA Study Data TCG §4.1.1.1); other
        empty domains are written with their columns.
    directory
        Output folder; replaced as a whole when the writing succeeds.
    study
        STUDYID, name and protocol title for define.xml; default read from the domains
        (:func:`oncotrial.cdisc.submission.study_info`).
    created
        Creation time of define.xml and the Dataset-JSON files.

    Returns
    -------
    list of pathlib.Path
        The files written, at their final place in *directory*.
    """
    # An empty dataset is not submitted (FDA Study Data Technical Conformance Guide §4.1.1.1);
    # only the domains nothing downstream reads are left out when empty.
    domains = {name: frame for name, frame in domains.items()
               if not (frame.empty and name in _OMIT_WHEN_EMPTY)}
    written: list[Path] = []
    with atomic_folder(directory) as temp:
        for name, frame in domains.items():
            labels, table = dataset_labels(name, frame, "SDTM")
            written += write_dataset(frame, temp, name, labels=labels, table_label=table)
        written += write_submission_files(
            domains, temp, standard="SDTM", study=study or study_info(domains),
            created=created or datetime.now(UTC))
    return [final_path(path, temp, directory) for path in written]
