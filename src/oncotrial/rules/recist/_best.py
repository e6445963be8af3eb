"""Best overall response, unconfirmed and confirmed, from timepoint responses: the one engine.

Every caller goes through :func:`decide_best_responses` (or its steps): the RECIST engine
(:func:`classify_best`, behind ``oncotrial recist assess``), ADRS (``oncotrial derive``),
the simulator (``oncotrial.sim.observe``) and iRECIST (``criteria="irecist"``: the iBOR of
``oncotrial recist assess --criteria irecist`` and ADRS IBOR/ICBOR). Inputs are flat arrays
sorted by group (a subject and evaluator, or a virtual patient) then day, one record per day;
every step is a numpy operation over all groups at once. The order of the events comes from
``data/recist_1_1.yaml``; each event is a named vectorised predicate here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from oncotrial.errors import DataError
from oncotrial.rules.recist._rules import NamedRule, RecistRules
from oncotrial.rules.recist._settings import BestResponseSettings, RecistSettings

__all__ = [
    "BEST_RESPONSE_COLUMNS",
    "IRECIST_CODES",
    "RESPONSE_CODES",
    "WORST_OF_DAY_RANK",
    "BestDecision",
    "BestResponses",
    "classify_best",
    "confirm_responses",
    "confirmed_progression_runs",
    "cut_after_first_pd",
    "decide_best_responses",
    "next_decisive_code",
    "recode_cr_followed_by_worse",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Codes of timepoint responses inside the engine.
CR, PR, SD, NON, PD, NE = range(6)
RESPONSE_CODES = {"CR": CR, "PR": PR, "SD": SD, "NON-CR/NON-PD": NON, "PD": PD, "NE": NE}
# iRECIST (Seymour 2017): iCR, iPR, iSD, NON-iCR/NON-iUPD, iCPD and NE take the RECIST codes
# (iCPD is the final progression, cut after as PD); iUPD, progression not yet confirmed, has a
# code of its own: it ends no analysis and breaks a confirmation as PD does.
IUPD = 6
IRECIST_CODES = {"iCR": CR, "iPR": PR, "iSD": SD, "NON-iCR/NON-iUPD": NON, "iUPD": IUPD,
                 "iCPD": PD, "NE": NE}
# worst-of-day: PD > NON-CR/NON-PD > SD > PR > CR > NE (admiralonco ad_adrs.R ANL01FL)
WORST_OF_DAY_RANK = np.array([4, 3, 2, 1, 0, 5])  # indexed by code; lower = worse

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


def _firsts(group: IntArray, rows: IntArray) -> tuple[IntArray, IntArray]:
    """(group, row) of the first of *rows* (ascending) in each group that has any; a group's
    records are contiguous, so a change of group marks its first row (no sort needed)."""
    groups = group[rows]
    first = np.r_[True, groups[1:] != groups[:-1]] if len(rows) else np.zeros(0, dtype=bool)
    return groups[first], rows[first]


def _seen_before(group: IntArray, flag: BoolArray) -> BoolArray:
    """True where an earlier record of the same group has *flag*."""
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=bool)
    # flagged records strictly before, over all groups
    before: IntArray = np.cumsum(flag, dtype=np.int64) - flag
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    start_of = np.repeat(starts, np.diff(np.r_[starts, n]))
    return np.asarray(before - before[start_of] > 0, dtype=bool)


def recode_cr_followed_by_worse(group: IntArray, code: IntArray) -> BoolArray:
    """Records that are PR, SD or NON-CR/NON-PD after a CR of the same group.

    RECIST 1.1 Table 3 footnote a: once a CR is documented, disease seen later (even meeting
    PR criteria against baseline) has reappeared, so it is PD. The caller decides whether to
    recode (``cr_followed_by_worse_is_pd``); the mask is reported either way.

    Parameters
    ----------
    group, code
        Per record, sorted by group then day: group number and response code
        (:data:`RESPONSE_CODES`).

    Returns
    -------
    numpy.ndarray of bool
        True at each PR, SD or NON-CR/NON-PD record with an earlier CR in its group.

    Examples
    --------
    SD, CR, PR, PD of one subject: the PR after the CR is flagged.

    >>> import numpy as np
    >>> from oncotrial.rules.recist import RESPONSE_CODES as C, recode_cr_followed_by_worse
    >>> recode_cr_followed_by_worse(np.zeros(4, dtype=np.int64),
    ...                             np.array([C["SD"], C["CR"], C["PR"], C["PD"]]))
    array([False, False,  True, False])
    """
    worse: BoolArray = (code == PR) | (code == SD) | (code == NON)
    return worse & _seen_before(group, code == CR)


def cut_after_first_pd(group: IntArray, code: IntArray) -> BoolArray:
    """Records up to and including the first PD of their group (RECIST 1.1 §4.4.3).

    Parameters
    ----------
    group, code
        Per record, sorted by group then day: group number and response code
        (:data:`RESPONSE_CODES`; iCPD is PD in :data:`IRECIST_CODES`).

    Returns
    -------
    numpy.ndarray of bool
        True for the records that take part in best response; False after the first PD.

    Examples
    --------
    SD, PD, then PR: the PR after progression does not count.

    >>> import numpy as np
    >>> from oncotrial.rules.recist import RESPONSE_CODES as C, cut_after_first_pd
    >>> cut_after_first_pd(np.zeros(3, dtype=np.int64), np.array([C["SD"], C["PD"], C["PR"]]))
    array([ True,  True, False])
    """
    return ~_seen_before(group, code == PD)


def next_decisive_code(group: IntArray, code: IntArray) -> IntArray:
    """Per record, the code of the next later record of its group that is neither iUPD nor
    NE (−1: none), for the iRECIST runs of unconfirmed progression.

    Parameters
    ----------
    group, code
        Per record, sorted by group then day: group number and code of
        :data:`IRECIST_CODES`.

    Returns
    -------
    numpy.ndarray of int64
        Per record, the code of the next decisive record of the same group, or −1.
    """
    decisive = np.flatnonzero((code != IUPD) & (code != NE))
    nxt = np.searchsorted(decisive, np.arange(len(code)), side="right")
    out = np.full(len(code), -1, dtype=np.int64)
    has = nxt < len(decisive)
    later = decisive[nxt[has]]
    same = group[later] == group[has]
    rows = np.flatnonzero(has)[same]
    out[rows] = code[later[same]]
    return out


def confirmed_progression_runs(group: IntArray, code: IntArray) -> BoolArray:
    """iUPD records that iCPD confirms: the next record that is neither iUPD nor NE is iCPD
    (Seymour 2017 Table 3: an iUPD later confirmed counts as iCPD, dated at the first iUPD of
    the run; admiralonco iRECIST vignette ``icpd_y``).

    Parameters
    ----------
    group, code
        Per record, sorted by group then day: group number and code of
        :data:`IRECIST_CODES`.

    Returns
    -------
    numpy.ndarray of bool
        True at each iUPD record whose run ends in iCPD (NE records in between are skipped).

    Examples
    --------
    iSD, iUPD, NE, iCPD: the iUPD is confirmed progression.

    >>> import numpy as np
    >>> from oncotrial.rules.recist import IRECIST_CODES as C, confirmed_progression_runs
    >>> confirmed_progression_runs(np.zeros(4, dtype=np.int64),
    ...                            np.array([C["iSD"], C["iUPD"], C["NE"], C["iCPD"]]))
    array([False,  True, False, False])
    """
    return np.asarray((code == IUPD) & (next_decisive_code(group, code) == PD), dtype=bool)


def confirm_responses(
    group: IntArray, day: IntArray, code: IntArray, settings: BestResponseSettings
) -> BoolArray:
    """Which CR and PR records are confirmed (RECIST 1.1 §4.6; admiralonco ``crsp_y_cr``,
    ``crsp_y_pr``).

    For each CR (PR) the first later record that is CR (CR or PR) and at least
    ``confirmation_interval_days`` later confirms it (no +1 day), provided every record in
    between and the confirming one is CR or NE (CR, PR or NE, plus at most one SD when
    ``accept_sd_between``), at most ``max_ne_between`` are NE and, for a PR, no PR follows a
    CR. Evaluated with one vectorised pass per look-ahead distance, not per group.

    Parameters
    ----------
    group, day, code
        Per record, sorted by group then day: group number, day number and response code
        (:data:`RESPONSE_CODES`).
    settings
        ``confirmation_interval_days``, ``max_ne_between`` and ``accept_sd_between``.

    Returns
    -------
    numpy.ndarray of bool
        True at each confirmed CR or PR record.

    Examples
    --------
    RECIST 1.1 §4.6, confirmation no less than 4 weeks later: a PR on day 42 is confirmed
    by a PR on day 70, not by one on day 69.

    >>> import numpy as np
    >>> from oncotrial.rules.recist import (BestResponseSettings, RESPONSE_CODES as C,
    ...                                     confirm_responses)
    >>> settings = BestResponseSettings(confirmation_interval_days=28, min_sd_duration_days=42)
    >>> confirm_responses(np.array([0, 0, 1, 1]), np.array([42, 70, 42, 69]),
    ...                   np.full(4, C["PR"]), settings)
    array([ True, False, False, False])
    """
    n = len(code)
    is_cr = code == CR
    candidate = is_cr | (code == PR)
    open_ = candidate.copy()
    ok = candidate.copy()
    ne_count = np.zeros(n, dtype=np.int64)
    sd_count = np.zeros(n, dtype=np.int64)
    seen_cr = np.zeros(n, dtype=bool)
    confirmed = np.zeros(n, dtype=bool)
    max_sd = 1 if settings.accept_sd_between else 0
    gap = settings.confirmation_interval_days
    index = np.arange(n)
    step = 0
    while open_.any():
        step += 1
        rows = index[open_ & (index + step < n)]
        open_[index[open_ & (index + step >= n)]] = False
        later = rows + step
        same = group[later] == group[rows]
        open_[rows[~same]] = False
        rows, later = rows[same], later[same]
        value = code[later]
        ne_count[rows] += value == NE
        sd_count[rows] += value == SD
        cr_rows = is_cr[rows]
        allowed_cr = (value == CR) | (value == NE)
        allowed_pr = ((value == CR) | (value == PR) | (value == NE) | (value == SD)) & ~(
            (value == PR) & seen_cr[rows]
        )
        ok[rows] &= np.where(cr_rows, allowed_cr, allowed_pr)
        seen_cr[rows] |= value == CR
        confirms = np.where(cr_rows, value == CR, (value == CR) | (value == PR))
        confirms &= day[later] >= day[rows] + gap
        done = rows[confirms]
        confirmed[done] = (
            ok[done] & (ne_count[done] <= settings.max_ne_between) & (sd_count[done] <= max_sd)
        )
        open_[done] = False
        open_[rows[~ok[rows]]] = False
    return confirmed


@dataclass(frozen=True, slots=True)
class _Records:
    code: IntArray
    late: BoolArray  # on or after the group's reference date + minimum SD duration
    confirmed: BoolArray
    progression_confirmed: BoolArray  # iRECIST: iUPD of a run that iCPD confirms


Event = Callable[[_Records], BoolArray]


def _any_of(code: IntArray, codes: tuple[int, ...]) -> BoolArray:
    mask: BoolArray = code == codes[0]
    for other in codes[1:]:
        mask |= code == other
    return mask


def _is(*codes: int) -> Event:
    return lambda r: _any_of(r.code, codes)


def _late(*codes: int) -> Event:
    return lambda r: _any_of(r.code, codes) & r.late


_EVENTS: dict[str, Event] = {
    "bor_cr": _is(CR),
    "bor_pr": _is(PR),
    "bor_sd_min_duration": _late(SD),
    "bor_non_cr_non_pd_min_duration": _late(NON),
    "bor_pd": _is(PD),
    "bor_ne": lambda r: np.ones(len(r.code), dtype=bool),
    "cbor_confirmed_cr": lambda r: r.confirmed & (r.code == CR),
    "cbor_confirmed_pr": lambda r: r.confirmed & (r.code == PR),
    "cbor_sd_min_duration": _late(CR, PR, SD),
    "cbor_non_cr_non_pd_min_duration": _late(NON),
    "cbor_pd": _is(PD),
    "cbor_ne": lambda r: np.ones(len(r.code), dtype=bool),
    # iRECIST (names as the ARULE of ADRS IBOR/ICBOR; the confirmed list reuses the tail)
    "ibor_icr": _is(CR),
    "ibor_ipr": _is(PR),
    "ibor_isd": _late(CR, PR, SD),
    "ibor_non_icriupd": _late(NON),
    "ibor_icpd": lambda r: r.progression_confirmed | (r.code == PD),
    "ibor_iupd": _is(IUPD),
    "ibor_ne": lambda r: np.ones(len(r.code), dtype=bool),
    "icbor_icr": lambda r: r.confirmed & (r.code == CR),
    "icbor_ipr": lambda r: r.confirmed & (r.code == PR),
}


@dataclass(frozen=True, slots=True)
class BestDecision:
    """One best-response parameter for every group.

    ``position`` indexes the input records (−1: no record, the ``*_missing`` rule); ``rule``
    indexes ``rules`` (the ordered list it was decided by).
    """

    rules: tuple[NamedRule, ...]
    rule: IntArray
    position: IntArray

    @property
    def outcome(self) -> npt.NDArray[np.object_]:
        """Outcome (CR, PR, SD, NON-CR/NON-PD, PD, NE, MISSING; iRECIST: iCR … iCPD) per
        group."""
        return np.array([r.outcome for r in self.rules], dtype=object)[self.rule]

    @property
    def rule_name(self) -> npt.NDArray[np.object_]:
        """Name of the rule that decided, per group."""
        return np.array([r.name for r in self.rules], dtype=object)[self.rule]


@dataclass(frozen=True, slots=True)
class BestResponses:
    """The engine's result over records sorted by group then day.

    Per record: ``code`` after the CR-followed-by-worse recoding (when enabled),
    ``recoded`` (a PR/SD/NON-CR/NON-PD after a CR, recoded or not), ``analysed`` (up to and
    including the first PD) and ``confirmed`` (a confirmed CR or PR). Per group: ``bor`` and
    ``cbor``.
    """

    code: IntArray
    recoded: BoolArray
    analysed: BoolArray
    confirmed: BoolArray
    bor: BestDecision
    cbor: BestDecision


def _decide(
    rules: Sequence[NamedRule], records: _Records, group: IntArray, n_groups: int
) -> BestDecision:
    """First rule (in data-file order) with a qualifying record, per group; its earliest
    qualifying record dates it. Groups with no record take the ``*_missing`` rule."""
    rule = np.full(n_groups, -1, dtype=np.int64)
    position = np.full(n_groups, -1, dtype=np.int64)
    missing = -1
    for order, named in enumerate(rules):
        if named.name.endswith("_missing"):
            missing = order
            continue
        groups, first = _firsts(group, np.flatnonzero(_EVENTS[named.name](records)))
        fresh = rule[groups] < 0
        rule[groups[fresh]] = order
        position[groups[fresh]] = first[fresh]
    undecided = rule < 0
    if missing < 0 and undecided.any():  # pragma: no cover - the loader requires *_missing
        raise AssertionError("best-response rule list is not exhaustive")
    rule[undecided] = missing
    return BestDecision(rules=tuple(rules), rule=rule, position=position)


def decide_best_responses(
    group: IntArray,
    day: IntArray,
    code: IntArray,
    *,
    n_groups: int,
    sd_from: IntArray,
    settings: BestResponseSettings,
    rules: RecistRules,
    criteria: Literal["recist", "irecist"] = "recist",
) -> BestResponses:
    """BOR and confirmed BOR of every group (RECIST 1.1 §4.4.3, §4.6; admiralonco event order).

    Parameters
    ----------
    group, day, code
        One record per group and day, sorted by group then day: group number in
        ``[0, n_groups)``, day number, response code (:data:`RESPONSE_CODES`). Records before
        the reference date and all but the worst of a day are already removed.
    n_groups
        Number of groups; groups without records get the ``*_missing`` rule.
    sd_from
        Per group: first day on which SD and NON-CR/NON-PD count (reference day + minimum SD
        duration; inclusive, admiralonco #83).
    settings
        Confirmation interval, NE/SD tolerated before confirmation, CR-followed-by-worse.
    rules
        The loaded rule file; its ``bor_rules`` and ``cbor_rules`` give the event order
        (``ibor_rules`` and ``icbor_rules`` for iRECIST).
    criteria
        ``"irecist"``: codes of :data:`IRECIST_CODES` (iCPD as PD, iUPD its own code); an
        iUPD run that iCPD confirms counts as iCPD, iCPD ranks before iUPD (Seymour 2017
        Table 3; admiralonco iRECIST vignette), and no record is recoded: the iRECIST
        timepoint rules already decide iUPD/iCPD (``cr_followed_by_worse_is_pd`` is a RECIST
        1.1 Table 3 rule).

    Returns
    -------
    BestResponses
        Per record the code used (after any recoding), the CR-followed-by-worse mask, the
        records analysed (up to the first PD) and the confirmed CR/PR; per group the BOR and
        confirmed BOR, each with its deciding rule and the position of the record that dates
        it in the input arrays (−1 for ``*_missing``).
    """
    irecist = criteria == "irecist"
    recoded = (np.zeros(len(code), dtype=bool) if irecist
               else recode_cr_followed_by_worse(group, code))
    if settings.cr_followed_by_worse_is_pd:
        code = np.where(recoded, PD, code)
    analysed = cut_after_first_pd(group, code)
    kept = np.flatnonzero(analysed)
    k_group, k_day, k_code = group[kept], day[kept], code[kept]
    confirmed = confirm_responses(k_group, k_day, k_code, settings)
    records = _Records(code=k_code, late=k_day >= sd_from[k_group], confirmed=confirmed,
                       progression_confirmed=confirmed_progression_runs(k_group, k_code))
    bor_rules, cbor_rules = ((rules.ibor_rules, rules.icbor_rules) if irecist
                             else (rules.bor_rules, rules.cbor_rules))
    bor = _decide(bor_rules, records, k_group, n_groups)
    cbor = _decide(cbor_rules, records, k_group, n_groups)

    def to_input(decision: BestDecision) -> BestDecision:
        position = decision.position.copy()
        found = position >= 0
        position[found] = kept[position[found]]
        return BestDecision(rules=decision.rules, rule=decision.rule, position=position)

    confirmed_all = np.zeros(len(code), dtype=bool)
    confirmed_all[kept] = confirmed
    return BestResponses(code=code, recoded=recoded & analysed, analysed=analysed,
                         confirmed=confirmed_all, bor=to_input(bor), cbor=to_input(cbor))


# ---------------------------------------------------------------- the RECIST engine's frames


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


def _to_days(dates: pd.Series) -> IntArray:
    values = pd.to_datetime(dates)
    if bool(values.isna().any()):
        raise DataError(
            "missing date in best-response input",
            field="date",
            value=None,
            allowed="a date for every assessment and reference",
        )
    return np.asarray(values.to_numpy(dtype="datetime64[D]").astype(np.int64))


def _first_day(group: IntArray, day: IntArray, mask: BoolArray, n_groups: int) -> pd.Series:
    out = np.full(n_groups, np.nan)
    groups, first = _firsts(group, np.flatnonzero(mask))
    out[groups] = day[first]
    return pd.Series(out)


def _decision_day(decision: BestDecision, day: IntArray) -> pd.Series:
    out = np.full(len(decision.position), np.nan)
    found = decision.position >= 0
    out[found] = day[decision.position[found]]
    return pd.Series(out)


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
    evaluator_list = (
        list(evaluators)
        if evaluators is not None
        else sorted(timepoints["evaluator"].astype(str).unique())
    )
    subjects = sorted(ref_days)
    keys = pd.MultiIndex.from_product([subjects, evaluator_list], names=["subject", "evaluator"])
    tp["ref_day"] = tp["subject"].map(ref_days)
    tp = tp.loc[tp["day"] >= tp["ref_day"]]  # rule exclude_before_reference
    tp["group"] = keys.get_indexer(pd.MultiIndex.from_frame(tp[["subject", "evaluator"]]))
    tp = tp.loc[tp["group"] >= 0]  # evaluators not asked for
    tp["rank"] = WORST_OF_DAY_RANK[tp["code"].to_numpy(dtype=int)]
    tp = tp.sort_values(["group", "day", "rank"], kind="stable")
    tp = tp.drop_duplicates(["group", "day"], keep="first")  # worst_of_day
    group = tp["group"].to_numpy(dtype=np.int64)
    day = tp["day"].to_numpy(dtype=np.int64)
    key_subjects = keys.get_level_values("subject")
    ref_of_group = np.asarray([ref_days[s] for s in key_subjects], dtype=np.int64)
    result = decide_best_responses(
        group, day, tp["code"].to_numpy(dtype=np.int64), n_groups=len(keys),
        sd_from=ref_of_group + settings.min_sd_duration_days, settings=settings.best_response,
        rules=rules,
    )
    code, kept = result.code, result.analysed
    confirmed_days = _decision_day(result.cbor, day).where(
        pd.Series(result.cbor.outcome).isin(["CR", "PR"]).to_numpy())
    columns: dict[str, object] = {
        "subject": np.asarray(key_subjects, dtype=object),
        "evaluator": np.asarray(keys.get_level_values("evaluator"), dtype=object),
        "reference_date": pd.Series(ref_of_group.astype(float)),
        "n_assessments": np.bincount(group[kept], minlength=len(keys)),
        "bor": result.bor.outcome,
        "bor_date": _decision_day(result.bor, day),
        "bor_rule": result.bor.rule_name,
        "cbor": result.cbor.outcome,
        "cbor_date": _decision_day(result.cbor, day),
        "cbor_rule": result.cbor.rule_name,
        "response_date": _first_day(group, day, kept & ((code == CR) | (code == PR)), len(keys)),
        "confirmed_response_date": confirmed_days,
        "pd_date": _first_day(group, day, kept & (code == PD), len(keys)),
        "cr_followed_by_worse": np.bincount(group[result.recoded], minlength=len(keys)) > 0,
    }
    out = pd.DataFrame({name: columns[name] for name in BEST_RESPONSE_COLUMNS})
    for column in (
        "reference_date",
        "bor_date",
        "cbor_date",
        "response_date",
        "confirmed_response_date",
        "pd_date",
    ):
        out[column] = _dates_of_days(out[column].to_numpy(dtype=float))
    return out


def _dates_of_days(days: npt.NDArray[np.float64]) -> pd.Series:
    """Day numbers (days since 1970-01-01; NaN for none) as dates, by integer arithmetic:
    ``pd.to_datetime(floats, unit="D")`` rounds under ``np.errstate(over="raise")`` and raised
    FloatingPointError once in a full test run on the CDISC pilot's best responses."""
    dates = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[D]")
    known = ~np.isnan(days)
    dates[known] = days[known].astype(np.int64).astype("datetime64[D]")
    return pd.Series(dates.astype("datetime64[ns]"))
