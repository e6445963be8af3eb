"""iRECIST timepoint and best overall responses (Seymour et al., Lancet Oncol 2017;18:e143).

RECIST 1.1 progression becomes *unconfirmed* progression (iUPD); it is confirmed (iCPD) at a
later assessment by a further increase in a category already in iUPD — target sum ≥ 5 mm over
its value at iUPD (increases add up across assessments: EORTC RECIST FAQ "How do new lesions
define progression?"), any further increase of non-target disease, a new-lesion target sum
≥ 5 mm over its value at iUPD, any increase of new non-target lesions, or more new lesions — or
by RECIST progression newly met in another category (Seymour 2017 Table 2). When none of the
categories in iUPD still shows progression, and disease has not stayed unchanged, the bar
resets: the timepoint is iCR, iPR or iSD by the RECIST 1.1 rules against baseline and nadir
(Table 2; FAQ scenarios B and F: further shrinkage after a new lesion allows iPR, no change at
all keeps iUPD). New lesions are assessed apart from the target sum: up to 5 measurable new
lesions (2 per organ) form the new-lesion target sum (NLT), the others are new non-target
lesions (NLNT); after a reset, new iUPD needs further new lesions, NLT meeting RECIST PD
against its own nadir, or unequivocal NLNT progression.

Optionally (``min_confirmation_days``), a scan less than 4 weeks after the iUPD is
disregarded — stays iUPD, changes no nadir — unless it shows an additional new lesion (EORTC
RECIST FAQ "Can imaging be used to confirm progression, even when done LESS than four weeks
after the scans that showed iUPD").

Best overall response (Table 3) comes from the one best-response engine
(:func:`oncotrial.rules.recist.decide_best_responses`, ``criteria="irecist"``): iCR, iPR,
iSD, NON-iCR/NON-iUPD, then iCPD (an iUPD run later confirmed counts as iCPD), then iUPD;
not-evaluable timepoints count for nothing. The paper's table assumes no confirmation of
CR/PR; the confirmed best response (admiralonco's ICBOR) confirms iCR/iPR as RECIST 1.1 §4.6
confirms CR/PR, with iUPD breaking a confirmation as PD does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from oncotrial.errors import DataError
from oncotrial.rules.recist._best import IRECIST_CODES, BestResponses, decide_best_responses
from oncotrial.rules.recist._rules import load_recist_rules
from oncotrial.rules.recist._settings import BestResponseSettings

__all__ = [
    "IrecistAssessment",
    "IrecistTimepoint",
    "decide_irecist_best",
    "derive_irecist",
    "irecist_best_response",
]

NonTarget = Literal["CR", "NON-CR/NON-PD", "PD", "NE", "NA"]
Category = Literal["target", "nontarget", "new"]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class IrecistAssessment:
    """One follow-up assessment as iRECIST reads it.

    ``target_sum_mm`` is the sum of the baseline target lesions (None: not evaluable);
    ``target_cr`` all targets gone (nodes < 10 mm). ``nontarget`` is the RECIST 1.1 non-target
    status (PD = unequivocal progression) and ``nontarget_increased`` any further increase
    since the last assessment. ``new_lesions`` counts every new lesion seen so far,
    ``new_target_sum_mm`` is the NLT sum and ``new_nontarget_increased`` any increase of NLNT
    since the last assessment; ``new_present`` whether any new lesion is still there.
    """

    day: int
    target_sum_mm: float | None
    target_cr: bool = False
    nontarget: NonTarget = "NA"
    nontarget_increased: bool = False
    new_lesions: int = 0
    new_target_sum_mm: float | None = None
    new_nontarget_increased: bool = False
    # whether a new lesion is still there (None: any new lesion seen so far counts as present);
    # iCR needs every lesion gone, new ones included (Table 2, row 1)
    new_present: bool | None = None


@dataclass(frozen=True)
class IrecistTimepoint:
    """The iRECIST response of one assessment and the reason (the rule that decided)."""

    day: int
    response: Literal["iCR", "iPR", "iSD", "iUPD", "iCPD", "NE"]
    reason: str
    categories: tuple[Category, ...] = ()  # the categories in iUPD at this timepoint


@dataclass
class _State:
    baseline: float
    nadir: float
    last_sum: float | None
    new_seen: int = 0
    nlt_nadir: float | None = None
    iupd: dict[Category, float] = field(default_factory=dict)  # category → value at iUPD
    nlt_at_iupd: float | None = None  # new-lesion target sum when iUPD was assigned
    iupd_day: int = 0  # day of the iUPD that opened the run
    seen_at_iupd: int = 0  # new lesions counted when iUPD was assigned
    min_confirmation_days: int | None = None
    responded: bool = False  # iPR/iCR since the last iUPD: kept while there is no progression
    confirmed: bool = False


def _target_pd(s: _State, total: float) -> bool:
    # RECIST 1.1 §4.3.1: ≥ 20 % over the nadir and ≥ 5 mm in absolute terms
    return total >= 1.2 * s.nadir and total - s.nadir >= 5.0


def _new_lesion_progression(s: _State, a: IrecistAssessment) -> bool:
    """New lesions that make (new) iUPD: more of them than seen before, NLT meeting RECIST PD
    against its own nadir, or unequivocal growth of new non-target lesions."""
    if a.new_lesions > s.new_seen:
        return True
    nlt = a.new_target_sum_mm
    if nlt is not None and s.nlt_nadir is not None and (
            nlt >= 1.2 * s.nlt_nadir and nlt - s.nlt_nadir >= 5.0):
        return True
    return a.new_nontarget_increased


def _regular(s: _State, a: IrecistAssessment) -> tuple[str, str]:
    """RECIST 1.1 without progression (Table 2, rows 1–4): iCR, iPR, iSD or NE."""
    total = a.target_sum_mm
    if total is None:
        return "NE", "target lesions not evaluable"
    present = a.new_lesions > 0 if a.new_present is None else a.new_present
    if a.target_cr and a.nontarget in ("CR", "NA") and not present:
        return "iCR", "all lesions gone, no new lesion"
    if a.target_cr or total <= 0.7 * s.baseline:
        s.responded = True
        return "iPR", f"target sum {total:g} mm ≤ 70 % of baseline {s.baseline:g} mm" \
            if not a.target_cr else "targets gone, other disease present"
    if s.responded:  # RECIST FAQ: a PR stays PR while progression criteria are not met
        return "iPR", f"target sum {total:g} mm: response kept, no progression since"
    return "iSD", f"target sum {total:g} mm: neither −30 % from baseline nor PD"


def _progressing(s: _State, a: IrecistAssessment) -> list[Category]:
    """The categories meeting RECIST 1.1 progression at this assessment."""
    out: list[Category] = []
    if a.target_sum_mm is not None and _target_pd(s, a.target_sum_mm):
        out.append("target")
    if a.nontarget == "PD":
        out.append("nontarget")
    if _new_lesion_progression(s, a):
        out.append("new")
    return out


def _confirms(s: _State, a: IrecistAssessment) -> str | None:
    """The reason the assessment confirms iUPD as iCPD, or None."""
    for category, at_iupd in s.iupd.items():
        if category == "target" and a.target_sum_mm is not None \
                and a.target_sum_mm - at_iupd >= 5.0:
            return f"target sum {a.target_sum_mm:g} mm, ≥ 5 mm over {at_iupd:g} mm at iUPD"
        if category == "nontarget" and a.nontarget_increased:
            return "further increase of non-target disease after iUPD"
        if category == "new":
            if a.new_lesions > at_iupd:
                return f"more new lesions ({a.new_lesions} after {at_iupd:g} at iUPD)"
            if a.new_nontarget_increased:
                return "new non-target lesions increased after iUPD"
    nlt_at = s.nlt_at_iupd
    if nlt_at is not None and a.new_target_sum_mm is not None \
            and a.new_target_sum_mm - nlt_at >= 5.0:
        return f"new-lesion target sum {a.new_target_sum_mm:g} mm, ≥ 5 mm over {nlt_at:g} mm"
    for category in _progressing(s, a):
        if category not in s.iupd:
            return f"RECIST progression newly met in {category} lesions"
    return None


def _still_progressing(s: _State, a: IrecistAssessment) -> bool:
    """Whether a category in iUPD still shows progression, or nothing changed (FAQ scenario F:
    no change at all keeps iUPD; scenario B: further shrinkage resets)."""
    total = a.target_sum_mm
    if "target" in s.iupd and total is not None and _target_pd(s, total):
        return True
    if "nontarget" in s.iupd and a.nontarget == "PD":
        return True
    if "new" in s.iupd:
        shrinking = total is not None and s.last_sum is not None and total < s.last_sum
        return not shrinking
    return total is None


def derive_irecist(baseline_sum_mm: float, assessments: Sequence[IrecistAssessment], *,
                   min_confirmation_days: int | None = None) -> list[IrecistTimepoint]:
    """iRECIST timepoint responses of one subject's follow-up assessments, in day order.

    With *min_confirmation_days* (the RECIST working group FAQ: 4 weeks, i.e. 28), an
    assessment fewer days after the iUPD that opened the run neither confirms nor resets it
    (it stays iUPD) unless it shows an additional new lesion.

    Parameters
    ----------
    baseline_sum_mm
        Sum of the baseline target lesions' diameters in mm (> 0: measurable disease).
    assessments
        The follow-up assessments in increasing day order.
    min_confirmation_days
        Shortest interval from the iUPD to a scan that may confirm or reset it; ``None``
        (default): any later scan may.

    Returns
    -------
    list of IrecistTimepoint
        One per assessment: iCR, iPR, iSD, iUPD, iCPD or NE, the reason and the categories in
        iUPD.

    Raises
    ------
    DataError
        A baseline sum that is not positive, assessments out of day order, negative sums or
        counts, or a new-lesion count that goes down.

    Examples
    --------
    Seymour 2017 Table 2: a target sum from 100 to 125 mm is RECIST progression, iUPD; a
    further increase of at least 5 mm (131 mm) confirms it, iCPD.

    >>> from oncotrial.rules.irecist import IrecistAssessment, derive_irecist
    >>> points = derive_irecist(100.0, [IrecistAssessment(day=42, target_sum_mm=125.0),
    ...                                 IrecistAssessment(day=84, target_sum_mm=131.0)])
    >>> for p in points:
    ...     print(f"{p.response}: {p.reason}")
    iUPD: RECIST 1.1 progression in target
    iCPD: target sum 131 mm, ≥ 5 mm over 125 mm at iUPD

    Shrinkage to 60 mm instead resets the bar: iPR against the baseline.

    >>> derive_irecist(100.0, [IrecistAssessment(day=42, target_sum_mm=125.0),
    ...                        IrecistAssessment(day=84, target_sum_mm=60.0)])[1].response
    'iPR'
    """
    if not baseline_sum_mm > 0:
        raise DataError("iRECIST needs measurable disease at baseline",
                        field="baseline_sum_mm", value=baseline_sum_mm, allowed="> 0 mm")
    s = _State(baseline=baseline_sum_mm, nadir=baseline_sum_mm, last_sum=baseline_sum_mm,
               min_confirmation_days=min_confirmation_days)
    out: list[IrecistTimepoint] = []
    last_day = None
    for a in assessments:
        _check(a, last_day, s.new_seen)
        last_day = a.day
        disregarded = bool(s.iupd) and not s.confirmed and _too_early(s, a)
        out.append(_timepoint(s, a))
        if disregarded:  # a scan too early to confirm leaves nadirs and last sums alone
            continue
        if a.target_sum_mm is not None:
            s.nadir = min(s.nadir, a.target_sum_mm)
            s.last_sum = a.target_sum_mm
        if a.new_target_sum_mm is not None:
            s.nlt_nadir = a.new_target_sum_mm if s.nlt_nadir is None else min(
                s.nlt_nadir, a.new_target_sum_mm)
        s.new_seen = max(s.new_seen, a.new_lesions)
    return out


def _check(a: IrecistAssessment, last_day: int | None, seen: int) -> None:
    if last_day is not None and a.day <= last_day:
        raise DataError("assessments must be in day order", field="day", value=a.day,
                        allowed=f"> {last_day}")
    if (a.target_sum_mm is not None and a.target_sum_mm < 0) or a.new_lesions < 0 or (
            a.new_target_sum_mm is not None and a.new_target_sum_mm < 0):
        raise DataError("sums and counts cannot be negative", field="day", value=a.day)
    if a.new_lesions < seen:
        raise DataError("new lesions are counted cumulatively", field="new_lesions",
                        value=a.new_lesions, allowed=f">= {seen} (seen before)")


def _too_early(s: _State, a: IrecistAssessment) -> bool:
    """EORTC RECIST FAQ "Can imaging be used to confirm progression, even when done LESS than
    four weeks after the scans that showed iUPD": such scans are disregarded (neither confirm
    nor reset) unless they show an additional new lesion."""
    wait = s.min_confirmation_days
    return wait is not None and a.day - s.iupd_day < wait and a.new_lesions <= s.seen_at_iupd


def _timepoint(s: _State, a: IrecistAssessment) -> IrecistTimepoint:
    if s.confirmed:
        return IrecistTimepoint(a.day, "iCPD", "progression confirmed earlier")
    if s.iupd and _too_early(s, a):
        return IrecistTimepoint(
            a.day, "iUPD", f"{a.day - s.iupd_day} days after iUPD, under "
            f"{s.min_confirmation_days}: neither confirms nor resets", tuple(sorted(s.iupd)))
    if s.iupd:
        reason = _confirms(s, a)
        if reason is not None:
            s.confirmed = True
            return IrecistTimepoint(a.day, "iCPD", reason, tuple(sorted(s.iupd)))
        if _still_progressing(s, a):
            return IrecistTimepoint(a.day, "iUPD", "iUPD not confirmed: no further increase",
                                    tuple(sorted(s.iupd)))
        s.iupd.clear()  # the bar resets (Table 2; FAQ scenario B)
        s.nlt_at_iupd = None
        response, reason = _regular(s, a)
        return IrecistTimepoint(a.day, response, f"reset after iUPD: {reason}")  # type: ignore[arg-type]
    progressing = _progressing(s, a)
    if progressing:
        s.responded = False
        for category in progressing:
            s.iupd[category] = {"target": a.target_sum_mm or 0.0, "nontarget": 0.0,
                                "new": float(a.new_lesions)}[category]
        s.nlt_at_iupd = a.new_target_sum_mm
        s.iupd_day, s.seen_at_iupd = a.day, a.new_lesions
        return IrecistTimepoint(a.day, "iUPD", "RECIST 1.1 progression in "
                                + ", ".join(progressing), tuple(progressing))
    response, reason = _regular(s, a)
    return IrecistTimepoint(a.day, response, reason)  # type: ignore[arg-type]


def decide_irecist_best(group: IntArray, day: IntArray, responses: Sequence[str], *,
                        n_groups: int, settings: BestResponseSettings,
                        sd_from: IntArray | None = None) -> BestResponses:
    """iBOR and confirmed iBOR of every group by the one best-response engine
    (:func:`oncotrial.rules.recist.decide_best_responses` with ``criteria="irecist"``).

    *group*, *day* and *responses* hold one record per group and day, sorted by group then
    day. *sd_from* (per group, first day iSD counts) defaults to none: Seymour 2017 Table 3
    sets no minimum duration.

    Parameters
    ----------
    group, day
        Per record: group number in ``[0, n_groups)`` and day number.
    responses
        Per record: iCR, iPR, iSD, NON-iCR/NON-iUPD, iUPD, iCPD or NE.
    n_groups
        Number of groups; groups without records get ``MISSING``.
    settings
        Confirmation interval and the NE/SD tolerated before confirmation (iCBOR).
    sd_from
        Per group, the first day on which iSD counts; ``None``: from the first record.

    Returns
    -------
    BestResponses
        As :func:`oncotrial.rules.recist.decide_best_responses`: ``bor`` is the iBOR,
        ``cbor`` the confirmed iBOR, with the ``ibor_*`` / ``icbor_*`` rule that decided.

    Raises
    ------
    DataError
        A response that is not one of iCR, iPR, iSD, NON-iCR/NON-iUPD, iUPD, iCPD, NE.

    Examples
    --------
    Seymour 2017 Table 3: iUPD then iCPD is an iBOR of iCPD; iSD then an iUPD never confirmed
    is iSD (stable disease ranks before unconfirmed progression).

    >>> import numpy as np
    >>> from oncotrial.rules.irecist import decide_irecist_best
    >>> from oncotrial.rules.recist import BestResponseSettings
    >>> best = decide_irecist_best(
    ...     np.array([0, 0, 1, 1]), np.array([42, 84, 42, 84]), ["iUPD", "iCPD", "iSD", "iUPD"],
    ...     n_groups=2, settings=BestResponseSettings(confirmation_interval_days=28,
    ...                                               min_sd_duration_days=0))
    >>> best.bor.outcome.tolist(), best.bor.rule_name.tolist()
    (['iCPD', 'iSD'], ['ibor_icpd', 'ibor_isd'])
    """
    codes = []
    for response in responses:
        if response not in IRECIST_CODES:
            raise DataError("not an iRECIST response", field="response", value=response,
                            allowed=", ".join(IRECIST_CODES))
        codes.append(IRECIST_CODES[response])
    if sd_from is None:
        sd_from = np.full(n_groups, np.iinfo(np.int64).min, dtype=np.int64)
    return decide_best_responses(group, day, np.asarray(codes, dtype=np.int64),
                                 n_groups=n_groups, sd_from=sd_from, settings=settings,
                                 rules=load_recist_rules(), criteria="irecist")


def irecist_best_response(timepoints: Sequence[IrecistTimepoint], *, confirm: bool = False,
                          confirmation_days: int = 28) -> str:
    """Best overall iRECIST response of one subject (Seymour 2017 Table 3) by
    :func:`decide_irecist_best`: an iUPD later confirmed counts as iCPD, NE counts for nothing
    (MISSING without any timepoint); with *confirm*, iCR/iPR confirmed as RECIST 1.1 §4.6
    confirms CR/PR (a later iCR, or iCR/iPR, ≥ *confirmation_days* after, with at most one NE
    and nothing worse between), else counted as iSD.

    Parameters
    ----------
    timepoints
        One subject's timepoints in day order (:func:`derive_irecist`).
    confirm
        Whether iCR/iPR need confirmation (default ``False``, as Seymour 2017 Table 3).
    confirmation_days
        Shortest interval in days from an iCR/iPR to the scan that confirms it (default 28,
        RECIST 1.1 §4.6's 4 weeks).

    Returns
    -------
    str
        iCR, iPR, iSD, NON-iCR/NON-iUPD, iCPD, iUPD, NE or MISSING.

    Raises
    ------
    ProtocolError
        If *confirmation_days* is not an integer >= 1 (the message names it
        ``recist.confirmation_interval_days``).

    Examples
    --------
    iUPD, then iPR on days 84 and 100: the best response is iPR, but 16 days are too few to
    confirm it, so the confirmed best response is iSD.

    >>> from oncotrial.rules.irecist import (IrecistAssessment, derive_irecist,
    ...                                      irecist_best_response)
    >>> points = derive_irecist(100.0, [IrecistAssessment(day=42, target_sum_mm=125.0),
    ...                                 IrecistAssessment(day=84, target_sum_mm=60.0),
    ...                                 IrecistAssessment(day=100, target_sum_mm=55.0)])
    >>> irecist_best_response(points), irecist_best_response(points, confirm=True)
    ('iPR', 'iSD')
    """
    n = len(timepoints)
    result = decide_irecist_best(
        np.zeros(n, dtype=np.int64), np.asarray([t.day for t in timepoints], dtype=np.int64),
        [t.response for t in timepoints], n_groups=1,
        settings=BestResponseSettings(confirmation_interval_days=confirmation_days,
                                      min_sd_duration_days=0))
    return str((result.cbor if confirm else result.bor).outcome[0])
