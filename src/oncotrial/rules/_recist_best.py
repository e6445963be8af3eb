"""Best overall response, unconfirmed and confirmed, from timepoint responses.

Pre-processing is vectorised (reference-date filter, worst-of-day); the event rules then run
over each subject's short integer sequence. The order of the events comes from
``data/recist_1_1.yaml``; each event is a small named predicate here, returning the index of
its earliest qualifying assessment or ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from oncotrial.errors import DataError
from oncotrial.rules._recist_rules import RecistRules
from oncotrial.rules._recist_settings import RecistSettings

__all__ = ["BEST_RESPONSE_COLUMNS", "RESPONSE_CODES", "classify_best"]

# Codes of timepoint responses inside this module.
CR, PR, SD, NON, PD, NE = range(6)
RESPONSE_CODES = {"CR": CR, "PR": PR, "SD": SD, "NON-CR/NON-PD": NON, "PD": PD, "NE": NE}
_NAMES = {code: name for name, code in RESPONSE_CODES.items()}
# worst-of-day: PD > NON-CR/NON-PD > SD > PR > CR > NE (admiralonco ad_adrs.R ANL01FL)
_WORST_RANK = np.array([4, 3, 2, 1, 0, 5])  # indexed by code; lower = worse

BEST_RESPONSE_COLUMNS = (
    "subject",
    "evaluator",
    "reference_date",
    "n_assessments",
    "bor",
    "bor_date",
    "bor_rule",
    "cbor",
    "cbor_date",
    "cbor_rule",
    "response_date",
    "confirmed_response_date",
    "pd_date",
    "cr_followed_by_worse",
)


@dataclass(frozen=True, slots=True)
class _Seq:
    """One subject's working sequence: days since epoch and response codes, sorted by day."""

    days: list[int]
    codes: list[int]
    sd_from: int  # first day on which SD counts (reference date + minimum SD duration)


Event = Callable[[_Seq, RecistSettings], int | None]


def _first(seq: _Seq, wanted: frozenset[int], *, windowed: bool = False) -> int | None:
    for i, code in enumerate(seq.codes):
        if code in wanted and (not windowed or seq.days[i] >= seq.sd_from):
            return i
    return None


def _confirmed(seq: _Seq, i: int, settings: RecistSettings) -> bool:
    """RECIST 1.1 §4.6 / admiralonco confirmation of the CR or PR at index *i*."""
    candidate = seq.codes[i]
    confirming = {CR} if candidate == CR else {CR, PR}
    allowed = {CR, NE} if candidate == CR else {CR, PR, NE}
    if candidate == PR and settings.accept_sd_between:
        allowed = allowed | {SD}
    due = seq.days[i] + settings.confirmation_interval_days
    j = next(
        (
            k
            for k in range(i + 1, len(seq.codes))
            if seq.codes[k] in confirming and seq.days[k] >= due
        ),
        None,
    )
    if j is None:
        return False
    window = seq.codes[i + 1 : j + 1]
    if any(c not in allowed for c in window) or window.count(NE) > settings.max_ne_between:
        return False
    if window.count(SD) > 1:
        return False
    if CR in window and PR in window:  # no PR after a CR inside the window
        first_cr = window.index(CR)
        return PR not in window[first_cr:]
    return True


def _first_confirmed(seq: _Seq, code: int, settings: RecistSettings) -> int | None:
    for i, c in enumerate(seq.codes):
        if c == code and _confirmed(seq, i, settings):
            return i
    return None


_ANY = frozenset(range(6))
_EVENTS: dict[str, Event] = {
    "bor_cr": lambda s, _: _first(s, frozenset({CR})),
    "bor_pr": lambda s, _: _first(s, frozenset({PR})),
    "bor_sd_min_duration": lambda s, _: _first(s, frozenset({SD}), windowed=True),
    "bor_non_cr_non_pd_min_duration": lambda s, _: _first(s, frozenset({NON}), windowed=True),
    "bor_pd": lambda s, _: _first(s, frozenset({PD})),
    "bor_ne": lambda s, _: _first(s, _ANY),
    "bor_missing": lambda s, _: None,
    "cbor_confirmed_cr": lambda s, st: _first_confirmed(s, CR, st),
    "cbor_confirmed_pr": lambda s, st: _first_confirmed(s, PR, st),
    "cbor_sd_min_duration": lambda s, _: _first(s, frozenset({CR, PR, SD}), windowed=True),
    "cbor_non_cr_non_pd_min_duration": lambda s, _: _first(s, frozenset({NON}), windowed=True),
    "cbor_pd": lambda s, _: _first(s, frozenset({PD})),
    "cbor_ne": lambda s, _: _first(s, _ANY),
    "cbor_missing": lambda s, _: None,
}


def _decide(
    seq: _Seq, rules: Sequence[tuple[str, str]], settings: RecistSettings
) -> tuple[str, int | None, str]:
    """First event (name, outcome) with a qualifying assessment → (outcome, index, name)."""
    for name, outcome in rules:
        if name.endswith("_missing"):
            if not seq.codes:
                return outcome, None, name
            continue
        index = _EVENTS[name](seq, settings)
        if index is not None:
            return outcome, index, name
    raise AssertionError("best-response rule list is not exhaustive")  # pragma: no cover


def _recode_and_cut(codes: list[int], settings: RecistSettings) -> tuple[list[int], bool]:
    """RECIST 1.1 Table 3 footnote a (a later PR/SD after CR is PD), then cut after first PD."""
    out: list[int] = []
    seen_cr = False
    recoded = False
    for code in codes:
        if seen_cr and code in (PR, SD, NON):
            recoded = True
            if settings.cr_followed_by_worse_is_pd:
                code = PD  # noqa: PLW2901 - the recoded value is the point
        out.append(code)
        if code == PD:
            break
        seen_cr = seen_cr or code == CR
    return out, recoded


def _prepare(
    timepoints: pd.DataFrame, reference: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, int]]:
    for column in ("subject", "evaluator", "date", "overall_response"):
        if column not in timepoints.columns:
            raise DataError(
                "timepoints frame lacks a column",
                field="columns",
                value=column,
                allowed="subject, evaluator, date, overall_response",
            )
    for column in ("subject", "reference_date"):
        if column not in reference.columns:
            raise DataError(
                "reference frame lacks a column",
                field="columns",
                value=column,
                allowed="subject, reference_date",
            )
    ref = reference.drop_duplicates("subject")
    ref_days = dict(
        zip(ref["subject"].astype(str), _to_days(ref["reference_date"]).tolist(), strict=True)
    )
    tp = timepoints.loc[:, ["subject", "evaluator", "date", "overall_response"]].copy()
    tp["subject"] = tp["subject"].astype(str)
    tp["evaluator"] = tp["evaluator"].astype(str)
    tp["code"] = tp["overall_response"].map(RESPONSE_CODES)
    bad = tp["code"].isna()
    if bool(bad.any()):
        row = tp.loc[bad].iloc[0]
        raise DataError(
            "unknown timepoint response",
            field="overall_response",
            value=row["overall_response"],
            allowed=", ".join(RESPONSE_CODES),
            subject=row["subject"],
        )
    tp["day"] = _to_days(tp["date"])
    return tp, ref_days


def _to_days(dates: pd.Series) -> np.ndarray:
    values = pd.to_datetime(dates)
    if bool(values.isna().any()):
        raise DataError(
            "missing date in best-response input",
            field="date",
            value=None,
            allowed="a date for every assessment and reference",
        )
    return np.asarray(values.to_numpy(dtype="datetime64[D]").astype(np.int64))


def _day_or_none(days: list[int], index: int | None) -> int | None:
    return None if index is None else days[index]


def _subject_row(
    seq_days: list[int],
    seq_codes: list[int],
    ref_day: int,
    settings: RecistSettings,
    rules: RecistRules,
) -> dict[str, object]:
    codes, recoded = _recode_and_cut(seq_codes, settings)
    days = seq_days[: len(codes)]
    seq = _Seq(days=days, codes=codes, sd_from=ref_day + settings.min_sd_duration_days)
    bor_rules = [(r.name, r.outcome) for r in rules.bor_rules]
    cbor_rules = [(r.name, r.outcome) for r in rules.cbor_rules]
    bor, bor_i, bor_rule = _decide(seq, bor_rules, settings)
    cbor, cbor_i, cbor_rule = _decide(seq, cbor_rules, settings)
    response_i = _first(seq, frozenset({CR, PR}))
    pd_i = _first(seq, frozenset({PD}))
    confirmed = cbor in ("CR", "PR")
    return {
        "n_assessments": len(codes),
        "bor": bor,
        "bor_date": _day_or_none(days, bor_i),
        "bor_rule": bor_rule,
        "cbor": cbor,
        "cbor_date": _day_or_none(days, cbor_i),
        "cbor_rule": cbor_rule,
        "response_date": _day_or_none(days, response_i),
        "confirmed_response_date": _day_or_none(days, cbor_i if confirmed else None),
        "pd_date": _day_or_none(days, pd_i),
        "cr_followed_by_worse": recoded,
    }


def classify_best(
    timepoints: pd.DataFrame,
    reference: pd.DataFrame,
    settings: RecistSettings,
    rules: RecistRules,
    evaluators: Sequence[str] | None,
) -> pd.DataFrame:
    """Best overall responses for every reference subject and evaluator."""
    tp, ref_days = _prepare(timepoints, reference)
    unknown = sorted(set(tp["subject"]) - set(ref_days))
    if unknown:
        raise DataError(
            "subject has timepoint responses but no reference start date",
            field="reference_date",
            value=None,
            allowed="a date per subject",
            subject=unknown[0],
        )
    tp["ref_day"] = tp["subject"].map(ref_days)
    tp = tp.loc[tp["day"] >= tp["ref_day"]]  # rule exclude_before_reference
    tp["rank"] = _WORST_RANK[tp["code"].to_numpy(dtype=int)]
    tp = tp.sort_values(["subject", "evaluator", "day", "rank"], kind="stable")
    tp = tp.drop_duplicates(["subject", "evaluator", "day"], keep="first")  # worst_of_day
    groups = _split_groups(tp)
    evaluator_list = (
        list(evaluators)
        if evaluators is not None
        else sorted(timepoints["evaluator"].astype(str).unique())
    )
    rows = []
    for subject in sorted(ref_days):
        for evaluator in evaluator_list:
            seq_days, seq_codes = groups.get((subject, evaluator), ([], []))
            row: dict[str, object] = {
                "subject": subject,
                "evaluator": evaluator,
                "reference_date": ref_days[subject],
            }
            row.update(_subject_row(seq_days, seq_codes, ref_days[subject], settings, rules))
            rows.append(row)
    out = pd.DataFrame(rows, columns=list(BEST_RESPONSE_COLUMNS))
    for column in (
        "reference_date",
        "bor_date",
        "cbor_date",
        "response_date",
        "confirmed_response_date",
        "pd_date",
    ):
        days = pd.to_numeric(out[column], errors="raise").astype(float)
        out[column] = pd.to_datetime(days, unit="D")
    return out


def _split_groups(tp: pd.DataFrame) -> dict[tuple[str, str], tuple[list[int], list[int]]]:
    """Per (subject, evaluator): days and codes as plain lists (input sorted by the key)."""
    subjects = tp["subject"].to_numpy(dtype=object)
    evaluators = tp["evaluator"].astype(str).to_numpy(dtype=object)
    days = tp["day"].to_numpy(dtype=np.int64).tolist()
    codes = tp["code"].to_numpy(dtype=np.int64).tolist()
    n = len(subjects)
    if n == 0:
        return {}
    change = np.ones(n, dtype=bool)
    change[1:] = (subjects[1:] != subjects[:-1]) | (evaluators[1:] != evaluators[:-1])
    starts = np.flatnonzero(change).tolist()
    ends = [*starts[1:], n]
    return {
        (str(subjects[a]), str(evaluators[a])): (days[a:b], codes[a:b])
        for a, b in zip(starts, ends, strict=True)
    }
