"""Conformance checks of SDTM and ADaM folders: the rules that matter most for a submission.

These are oncotrial's own checks, each with a rule id and a severity (CDISC CORE needs Python
3.12 and its rules cache; ``tools/core_check.sh`` runs it where both are at hand):

- ``FDA-TRC-1734``: SDTM has TS with a valid SSTDTC; ``FDA-TRC-1735``: define.xml beside the
  datasets; ``FDA-TRC-1736``: SDTM has DM and ADaM has ADSL (FDA Technical Rejection Criteria
  for Study Data, rules 1734-1736) — errors;
- ``DEFINE-XSD``: define.xml valid against the Define-XML 2.1 schema — error;
- ``REQ``: a Required variable of the specification missing or empty (error), an Expected one
  missing (warning);
- ``ISO8601``: every ``--DTC`` value an ISO 8601 date/time — error;
- ``SEQ``: ``--SEQ`` unique within a subject (TSSEQ within TSPARMCD) — error;
- ``CT``: values of variables with a codelist (value level included): outside a non-extensible
  CDISC codelist is an error; outside an extensible CDISC codelist or oncotrial's own sponsor
  codelist (another study's sponsor terms), or a term the specification lists as a sponsor
  extension, a warning (define.xml lists it with ``def:ExtendedValue="Yes"``);
- ``VISIT-SV``: every (USUBJID, VISITNUM) of a subject-level SDTM domain has its SV record
  (SDTMIG 3.3 §5.2 SV; SDTM conformance rule CG0034, CORE-000168) — error;
- ``NSV``: a sponsor variable kept in its parent SDTM domain — warning (FDA expects SUPP--);
- ``ADSL-ONE``: ADSL one record per subject; ``ADAM-SUBJ``: every ADaM subject in ADSL;
  ``PARAM``: PARAMCD and PARAM one-to-one in each dataset — errors.

Findings are rows (:data:`FINDING_COLUMNS`), never exceptions: data from any system is reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from oncotrial.cdisc.define import DEFINE_FILE, validate_define
from oncotrial.cdisc.io import DATASET_SUFFIXES, read_dataset
from oncotrial.cdisc.spec import DatasetSpec, Specification, Standard, load_specification
from oncotrial.errors import DataError

__all__ = ["FINDING_COLUMNS", "check_folder", "read_folder"]

FINDING_COLUMNS = ("RULE", "SEVERITY", "STANDARD", "DATASET", "VARIABLE", "VALUE", "COUNT",
                   "MESSAGE")
_SIDE_FILES = {"adam_issues", "analysis_profile"}
_ISO8601 = re.compile(
    r"^(\d{4}|-)(-(\d{2}|-)(-(\d{2}|-)(T(\d{2}|-)(:(\d{2}|-)(:\d{2}(\.\d+)?)?)?)?)?)?"
    r"(Z|[+-]\d{2}(:\d{2})?)?$")


def read_folder(directory: Path) -> dict[str, pd.DataFrame]:
    """Every dataset file of *directory* by dataset name (``rs_onco.csv`` is RS; XPT preferred
    to SAS7BDAT and CSV).

    Parameters
    ----------
    directory
        Folder of ``.xpt``, ``.sas7bdat`` or ``.csv`` datasets; ``adam_issues`` and
        ``analysis_profile`` (oncotrial's side files) and other files are skipped.

    Returns
    -------
    dict of str to pandas.DataFrame
        Upper-case dataset name (the file name up to its first ``_``) -> dataset, sorted by
        name.

    Raises
    ------
    DataError
        When *directory* is not a folder, or a dataset file cannot be read
        (:func:`oncotrial.cdisc.io.read_dataset`).
    """
    if not directory.is_dir():
        raise DataError("not a directory", field="folder", value=str(directory),
                        allowed="a folder of .xpt, .sas7bdat or .csv datasets")
    rank = {s: i for i, s in enumerate(DATASET_SUFFIXES)}
    chosen: dict[str, Path] = {}
    for path in sorted(directory.iterdir()):
        suffix = path.suffix.lower().lstrip(".")
        if not path.is_file() or suffix not in rank or path.stem.lower() in _SIDE_FILES:
            continue
        name = path.stem.split("_")[0].upper()
        if name not in chosen or rank[suffix] < rank[chosen[name].suffix.lower().lstrip(".")]:
            chosen[name] = path
    return {name: read_dataset(path) for name, path in sorted(chosen.items())}


class _Findings:
    def __init__(self, standard: str) -> None:
        self.standard = standard
        self.rows: list[dict[str, object]] = []

    def add(self, rule: str, severity: str, dataset: str, message: str, *, variable: str = "",
            value: object = "", count: int = 1) -> None:
        self.rows.append({"RULE": rule, "SEVERITY": severity, "STANDARD": self.standard,
                          "DATASET": dataset, "VARIABLE": variable, "VALUE": str(value),
                          "COUNT": count, "MESSAGE": message})


def _text(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip().where(values.notna(), "")


def _rejection(found: _Findings, frames: Mapping[str, pd.DataFrame], directory: Path,
               standard: Standard) -> None:
    if not (directory / DEFINE_FILE).is_file():
        found.add("FDA-TRC-1735", "error", "", "no define.xml beside the datasets")
    else:
        try:
            validate_define((directory / DEFINE_FILE).read_bytes())
        except DataError as exc:
            found.add("DEFINE-XSD", "error", "", f"define.xml is not valid: {exc}")
    key = "DM" if standard == "SDTM" else "ADSL"
    if key not in frames:
        found.add("FDA-TRC-1736", "error", key, f"no {key} dataset")
    if standard != "SDTM":
        return
    ts = frames.get("TS")
    if ts is None or "TSPARMCD" not in ts.columns:
        found.add("FDA-TRC-1734", "error", "TS", "no TS dataset (Trial Summary)")
        return
    start: list[object] = (ts.loc[_text(ts["TSPARMCD"]) == "SSTDTC", "TSVAL"].tolist()
                           if "TSVAL" in ts else [])
    if not any(re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(v).strip()) for v in start):
        found.add("FDA-TRC-1734", "error", "TS", "TS has no SSTDTC with a complete ISO 8601 "
                  "study start date", variable="TSVAL")


def _required(found: _Findings, name: str, frame: pd.DataFrame, spec: DatasetSpec) -> None:
    for v in spec.variables:
        if v.name not in frame.columns:
            if v.core in ("Req", "Exp"):
                found.add("REQ", "error" if v.core == "Req" else "warning", name,
                          f"{v.core} variable missing", variable=v.name)
        elif v.core == "Req" and len(frame):
            empty = int((_text(frame[v.name]) == "").sum())
            if empty:
                found.add("REQ", "error", name, "Required variable with empty values",
                          variable=v.name, count=empty)
        if v.nonstandard and v.name in frame.columns:
            found.add("NSV", "warning", name, "sponsor variable kept in the parent domain "
                      "(define.xml: def:IsNonStandard; FDA expects SUPP--)", variable=v.name)


def _dates(found: _Findings, name: str, frame: pd.DataFrame) -> None:
    for column in frame.columns:
        if not str(column).endswith("DTC"):
            continue
        values = _text(frame[column])
        bad = values[(values != "") & ~values.str.match(_ISO8601)]
        if len(bad):
            found.add("ISO8601", "error", name, "value is not an ISO 8601 date/time",
                      variable=column, value=bad.iloc[0], count=len(bad))


def _sequence(found: _Findings, name: str, frame: pd.DataFrame) -> None:
    seq = f"{name[:2]}SEQ" if name != "TS" else "TSSEQ"
    by = "TSPARMCD" if name == "TS" else "USUBJID"
    if seq not in frame.columns or by not in frame.columns:
        return
    repeated = frame.duplicated([by, seq], keep=False)
    if repeated.any():
        found.add("SEQ", "error", name, f"{seq} not unique within {by}", variable=seq,
                  value=frame.loc[repeated, by].iloc[0], count=int(repeated.sum()))


def _visits(found: _Findings, frames: Mapping[str, pd.DataFrame]) -> None:
    """VISIT-SV: a visit number used by a subject's records is one of the subject's SV visits."""
    sv = frames.get("SV")
    if sv is None or not {"USUBJID", "VISITNUM"} <= set(sv.columns):
        return
    have = set(zip(_text(sv["USUBJID"]), pd.to_numeric(sv["VISITNUM"], errors="coerce"),
                   strict=True))
    for name, frame in frames.items():
        if name == "SV" or not {"USUBJID", "VISITNUM"} <= set(frame.columns):
            continue
        number = pd.to_numeric(frame["VISITNUM"], errors="coerce")
        pairs = zip(_text(frame["USUBJID"]), number, strict=True)
        missing = [(u, v) for u, v in pairs if u and pd.notna(v) and (u, v) not in have]
        if missing:
            subject, visit = missing[0]
            found.add("VISIT-SV", "error", name, "VISITNUM not among the subject's SV visits "
                      "(CG0034)", variable="VISITNUM", value=f"{subject} {visit:g}",
                      count=len(missing))


def _codelist_check(found: _Findings, spec: Specification, name: str, variable: str, *,
                    values: pd.Series, codelist: str, where: str = "") -> None:
    cl = spec.codelists[codelist]
    counts = _text(values)[_text(values) != ""].value_counts()
    extended = {t.value for t in cl.terms if cl.is_cdisc and not t.code}
    label = f"{cl.name} ({cl.code or 'sponsor'})" + (f" where {where}" if where else "")
    for value, count in counts.items():
        if value in extended:
            found.add("CT", "warning", name, f"sponsor extension of the extensible codelist "
                      f"{label}, listed in define.xml", variable=variable, value=value,
                      count=int(count))
        elif value not in cl.values:
            severity = "error" if cl.is_cdisc and not cl.extensible else "warning"
            kind = ("non-extensible" if severity == "error" else
                    "extensible" if cl.is_cdisc else "oncotrial sponsor")
            found.add("CT", severity, name, f"value not in the {kind} codelist {label}",
                      variable=variable, value=value, count=int(count))


def _terminology(found: _Findings, spec: Specification, name: str, frame: pd.DataFrame,
                 dataset: DatasetSpec) -> None:
    for v in dataset.variables:
        if v.name not in frame.columns:
            continue
        if v.codelist:
            _codelist_check(found, spec, name, v.name, values=frame[v.name],
                            codelist=v.codelist)
        if v.value_level and v.value_level_by in frame.columns:
            by = _text(frame[v.value_level_by])
            for level in v.value_level:
                if level.codelist:
                    _codelist_check(found, spec, name, v.name,
                                    values=frame.loc[by == level.value, v.name],
                                    codelist=level.codelist,
                                    where=f"{v.value_level_by} = {level.value}")


def _adam(found: _Findings, frames: Mapping[str, pd.DataFrame]) -> None:
    adsl = frames.get("ADSL")
    subjects: set[str] = set()
    if adsl is not None and "USUBJID" in adsl.columns:
        repeated = adsl["USUBJID"].duplicated(keep=False)
        if repeated.any():
            found.add("ADSL-ONE", "error", "ADSL", "more than one record per subject",
                      variable="USUBJID", value=adsl.loc[repeated, "USUBJID"].iloc[0],
                      count=int(repeated.sum()))
        subjects = set(_text(adsl["USUBJID"]))
    for name, frame in frames.items():
        if "PARAMCD" in frame.columns and "PARAM" in frame.columns:
            pairs = frame[["PARAMCD", "PARAM"]].astype(str).drop_duplicates()
            for column in ("PARAMCD", "PARAM"):
                several = pairs[pairs[column].duplicated(keep=False)]
                if len(several):
                    found.add("PARAM", "error", name, f"PARAMCD and PARAM not one-to-one: one "
                              f"{column} with several of the other", variable=column,
                              value=several[column].iloc[0], count=len(several))
        if name != "ADSL" and subjects and "USUBJID" in frame.columns:
            unknown = sorted(set(_text(frame["USUBJID"])) - subjects - {""})
            if unknown:
                found.add("ADAM-SUBJ", "error", name, "subject not in ADSL", variable="USUBJID",
                          value=unknown[0], count=len(unknown))


def check_folder(directory: Path, *, standard: Standard) -> pd.DataFrame:
    """Check the SDTM or ADaM datasets of *directory*; one row per finding
    (:data:`FINDING_COLUMNS`).

    Parameters
    ----------
    directory
        Folder of datasets (:func:`read_folder`), with ``define.xml`` beside them.
    standard
        ``"SDTM"`` or ``"ADaM"``: the specification the datasets are checked against and the
        rules applied (VISIT-SV for SDTM; ADSL-ONE, ADAM-SUBJ, PARAM for ADaM).

    Returns
    -------
    pandas.DataFrame
        One row per finding (RULE, SEVERITY ``error``/``warning``, STANDARD, DATASET,
        VARIABLE, VALUE: the first offending value, COUNT: how many, MESSAGE), rules as in the
        module description; empty when the folder conforms. Findings are never raised.

    Raises
    ------
    DataError
        When the folder cannot be read (not a folder, an unreadable file) or *standard* is
        unknown.
    """

    frames = read_folder(directory)
    spec = load_specification(standard)
    found = _Findings(standard)
    _rejection(found, frames, directory, standard)
    for name, frame in frames.items():
        dataset = spec.datasets.get(name)
        if dataset is not None:
            _required(found, name, frame, dataset)
            _terminology(found, spec, name, frame, dataset)
        _dates(found, name, frame)
        _sequence(found, name, frame)
    if standard == "SDTM":
        _visits(found, frames)
    if standard == "ADaM":
        _adam(found, frames)
    return pd.DataFrame(found.rows, columns=list(FINDING_COLUMNS))
