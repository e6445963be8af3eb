"""Validation and integer keying of the RECIST engine's input frames.

Bad input raises :class:`DataError` naming the column, the value, what is allowed and, when
known, the subject and visit. The SDTM reader turns the common real-world problems into listed
data issues before the engine sees them; what reaches here is a programming or data error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from oncotrial.errors import DataError
from oncotrial.rules.recist._settings import (
    LESION_COLUMNS,
    LESION_ROLES,
    MEASUREMENT_COLUMNS,
    MEASUREMENT_STATES,
)

__all__ = ["KeyedInput", "key_input"]


@dataclass(frozen=True, slots=True)
class KeyedInput:
    """Lesions and measurements with integer keys.

    ``sk`` numbers subject-evaluator pairs, ``lk`` lesions, ``ak`` assessments (subject,
    evaluator, visit); ``assessments`` has one row per ``ak`` sorted by subject, evaluator, date.
    """

    lesions: pd.DataFrame
    measurements: pd.DataFrame
    assessments: pd.DataFrame


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{name} frame lacks required columns",
            field="columns",
            value=missing,
            allowed=", ".join(columns),
        )


def _first_bad(frame: pd.DataFrame, mask: pd.Series, column: str, allowed: str, what: str) -> None:
    if bool(mask.any()):
        row = frame.loc[mask].iloc[0]
        visit = str(row["visit"]) if "visit" in frame.columns else None
        value = row[column]
        raise DataError(
            f"{what} (lesion {row.get('lesion_id', '')!s})",
            field=column,
            value=value.item() if isinstance(value, np.generic) else value,
            allowed=allowed,
            subject=str(row["subject"]),
            visit=visit,
        )


def _check_lesions(lesions: pd.DataFrame) -> None:
    _require_columns(lesions, LESION_COLUMNS, "lesions")
    _first_bad(
        lesions,
        ~lesions["role"].isin(LESION_ROLES),
        "role",
        ", ".join(LESION_ROLES),
        "unknown lesion role",
    )
    _first_bad(
        lesions,
        ~lesions["nodal"].isin([True, False]),
        "nodal",
        "True, False",
        "nodal must be a boolean",
    )
    dup = lesions.duplicated(["subject", "evaluator", "lesion_id"], keep="first")  # small frame
    _first_bad(
        lesions,
        dup,
        "lesion_id",
        "one identification per lesion and evaluator",
        "lesion identified twice",
    )


def _check_measurements(meas: pd.DataFrame) -> None:
    _require_columns(meas, MEASUREMENT_COLUMNS, "measurements")
    states = ", ".join(repr(s) for s in MEASUREMENT_STATES)
    _first_bad(
        meas, ~meas["state"].isin(MEASUREMENT_STATES), "state", states, "unknown lesion state"
    )
    _first_bad(meas, meas["date"].isna(), "date", "a date", "assessment without date")
    _first_bad(meas, meas["visitnum"].isna(), "visitnum", "a number", "assessment without VISITNUM")
    diam = meas["diameter_mm"]
    _first_bad(
        meas,
        diam.notna() & ~np.isfinite(diam.fillna(0.0)) | (diam < 0),
        "diameter_mm",
        "a finite number >= 0 (mm)",
        "impossible diameter",
    )


def _codes(first: pd.Series, second: pd.Series) -> npt.NDArray[np.int64]:
    """Codes of the values of two columns, factorised together (first's rows, then second's)."""
    joined = np.concatenate([first.astype(str).to_numpy(), second.astype(str).to_numpy()])
    codes, _ = pd.factorize(joined, sort=True)
    return np.asarray(codes, dtype=np.int64)


def key_input(lesions: pd.DataFrame, measurements: pd.DataFrame) -> KeyedInput:
    """Validate both frames and add integer keys ``sk``, ``lk`` and ``ak``."""
    _check_lesions(lesions)
    meas = measurements.copy()
    if "state" in meas.columns:
        meas["state"] = meas["state"].fillna("").astype(str)
    if "diameter_mm" in meas.columns:
        meas["diameter_mm"] = pd.to_numeric(meas["diameter_mm"], errors="raise").astype(float)
    _check_measurements(meas)
    meas["date"] = pd.to_datetime(meas["date"]).dt.normalize()
    meas["visitnum"] = meas["visitnum"].astype(float)

    # optional: iRECIST new-lesion designation (TARGET / NON-TARGET / ""), read by
    # oncotrial.rules.irecist_lesions
    optional = [c for c in ("new_designation",) if c in lesions.columns]
    les = lesions.loc[:, [*LESION_COLUMNS, *optional]].copy()
    les["nodal"] = les["nodal"].astype(bool)
    n_les = len(les)
    # integer keys from one factorisation of both frames (string concatenation is slow)
    subject_code = _codes(les["subject"], meas["subject"])
    evaluator_code = _codes(les["evaluator"], meas["evaluator"])
    lesion_code = _codes(les["lesion_id"], meas["lesion_id"])
    pair = subject_code * (int(evaluator_code.max(initial=0)) + 1) + evaluator_code
    sk_all, _ = pd.factorize(pair, sort=True)  # subjects in sorted order
    les["sk"] = sk_all[:n_les]
    meas["sk"] = sk_all[n_les:]
    triple = sk_all * (int(lesion_code.max(initial=0)) + 1) + lesion_code
    lesion_index = pd.Index(triple[:n_les])
    meas["lk"] = lesion_index.get_indexer(pd.Index(triple[n_les:]))
    les["lk"] = np.arange(n_les)
    unknown = meas["lk"] < 0
    _first_bad(
        meas,
        unknown,
        "lesion_id",
        "a lesion identified for this subject and evaluator",
        "lesion measured without identification",
    )
    dup = meas.duplicated(["lk", "visitnum"], keep="first")
    _first_bad(
        meas,
        dup,
        "lesion_id",
        "one record per lesion and visit",
        "lesion measured twice at one visit",
    )
    lk = meas["lk"].to_numpy()
    meas["role"] = les["role"].to_numpy()[lk]
    meas["nodal"] = les["nodal"].to_numpy()[lk]

    meas["ak"] = meas.groupby(["sk", "visitnum"], sort=True).ngroup()
    assessments = _assessments(meas, int(meas["ak"].max()) + 1 if len(meas) else 0)
    return KeyedInput(lesions=les, measurements=meas, assessments=assessments)


def _assessments(meas: pd.DataFrame, n_assess: int) -> pd.DataFrame:
    grouped = meas.groupby("ak", sort=True)
    assessments = pd.DataFrame(
        {
            "ak": np.arange(n_assess),
            "sk": grouped["sk"].first().to_numpy(),
            "subject": grouped["subject"].first().to_numpy(),
            "evaluator": grouped["evaluator"].first().to_numpy(),
            "visitnum": grouped["visitnum"].first().to_numpy(),
            "visit": grouped["visit"].first().to_numpy(),
            # an assessment spread over several scan dates is dated by its last scan
            # (FDA 2018 PFS guidance: progression by sum is dated at the last scan of the set)
            "date": grouped["date"].max().to_numpy(),
        }
    )
    assessments = assessments.sort_values(["sk", "date", "visitnum"], kind="stable")
    assessments["is_baseline"] = ~assessments["sk"].duplicated(keep="first")
    return assessments.reset_index(drop=True)
