"""RECIST 1.1 response evaluation from lesion measurements (pure, vectorised).

Source: Eisenhauer EA et al. New response evaluation criteria in solid tumours: revised RECIST
guideline (version 1.1). Eur J Cancer 2009;45:228-247. Thresholds, the ordered per-timepoint
rules, Tables 1-2 (overall timepoint response) and the ordered best-overall-response rules are
data in ``data/recist_1_1.yaml`` with a citation per entry; trial parameters come from the
protocol through :class:`RecistSettings`.

Input frames
------------
``lesions`` — one row per lesion and evaluator (SDTM TU):
    ``subject`` (USUBJID), ``evaluator`` (e.g. "INVESTIGATOR" or "INDEPENDENT ASSESSOR|READER 1"),
    ``lesion_id`` (TULNKID), ``role`` ("TARGET", "NON-TARGET", "NEW"), ``organ`` (TULOC),
    ``nodal`` (bool: lymph node, measured by short axis).
``measurements`` — one row per lesion, evaluator and visit (SDTM TR):
    ``subject``, ``evaluator``, ``lesion_id``, ``visitnum`` (float), ``visit`` (str),
    ``date`` (datetime64), ``diameter_mm`` (float; long axis, short axis for nodes; NaN if none),
    ``state`` ("" when a number is given, "PRESENT", "ABSENT", "UNEQUIVOCAL", "EQUIVOCAL",
    "NOT DONE", "TOO SMALL TO MEASURE", "INCREASED" — grown since the last assessment, read
    as PRESENT by RECIST 1.1 and used by iRECIST, :mod:`oncotrial.rules.irecist_lesions`).
    The earliest assessment of each subject and evaluator is the baseline. An assessment is
    (subject, evaluator, visitnum), dated by its last scan.

Output frames
-------------
``timepoints`` (post-baseline assessments; columns :data:`TIMEPOINT_COLUMNS`),
``best_response`` (one row per reference subject and evaluator; :data:`BEST_RESPONSE_COLUMNS`),
``baseline_checks`` (one row per lesion and violated check; :data:`BASELINE_CHECK_COLUMNS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from oncotrial.errors import DataError
from oncotrial.rules.recist._baseline import BASELINE_CHECK_COLUMNS, check_keyed_baseline
from oncotrial.rules.recist._best import (
    BEST_RESPONSE_COLUMNS,
    IRECIST_CODES,
    RESPONSE_CODES,
    WORST_OF_DAY_RANK,
    BestDecision,
    BestResponses,
    classify_best,
    confirm_responses,
    confirmed_progression_runs,
    cut_after_first_pd,
    decide_best_responses,
    next_decisive_code,
    recode_cr_followed_by_worse,
)
from oncotrial.rules.recist._input import key_input
from oncotrial.rules.recist._rules import (
    NEW_CATEGORIES,
    NONTARGET_CATEGORIES,
    TARGET_CATEGORIES,
    RecistRules,
    load_recist_rules,
)
from oncotrial.rules.recist._settings import (
    LESION_COLUMNS,
    MEASUREMENT_COLUMNS,
    MEASUREMENT_STATES,
    BestResponseSettings,
    RecistSettings,
)
from oncotrial.rules.recist._timepoint import (
    TIMEPOINT_COLUMNS,
    classify_keyed_timepoints,
    first_match,
    lesion_disappeared,
    target_sum_progressed,
    target_sum_responded,
)

__all__ = [
    "BASELINE_CHECK_COLUMNS",
    "BEST_RESPONSE_COLUMNS",
    "IRECIST_CODES",
    "LESION_COLUMNS",
    "MEASUREMENT_COLUMNS",
    "MEASUREMENT_STATES",
    "RESPONSE_CODES",
    "TARGET_CATEGORIES",
    "TIMEPOINT_COLUMNS",
    "WORST_OF_DAY_RANK",
    "BestDecision",
    "BestResponseSettings",
    "BestResponses",
    "RecistAssessment",
    "RecistSettings",
    "TimepointDecision",
    "classify_baseline_lesions",
    "classify_best_response",
    "classify_overall_response",
    "classify_timepoints",
    "confirm_responses",
    "confirmed_progression_runs",
    "cut_after_first_pd",
    "decide_best_responses",
    "derive_recist_responses",
    "first_match",
    "lesion_disappeared",
    "load_recist_rules",
    "next_decisive_code",
    "recode_cr_followed_by_worse",
    "target_sum_progressed",
    "target_sum_responded",
]


@dataclass(frozen=True, slots=True)
class TimepointDecision:
    """An overall timepoint response and the name of the table row that decided it."""

    response: str
    rule: str


@dataclass(frozen=True, slots=True)
class RecistAssessment:
    """Everything the engine derives from one set of lesions and measurements."""

    baseline_checks: pd.DataFrame
    timepoints: pd.DataFrame
    best_response: pd.DataFrame


def classify_overall_response(
    target: str, nontarget: str, new_lesion: str, *, rules: RecistRules | None = None
) -> TimepointDecision:
    """Overall timepoint response from the three component responses.

    Parameters
    ----------
    target
        One of CR, PR, SD, PD, NE, or NONE (no target lesion at baseline: Table 2).
    nontarget
        One of CR, NON-CR/NON-PD, PD, NE, or NONE (no non-target lesion at baseline).
    new_lesion
        "Y" or "N".
    rules
        The RECIST rule data to read the tables from; ``None`` (default) for the shipped
        ``data/recist_1_1.yaml``.

    Returns
    -------
    TimepointDecision
        The response per RECIST 1.1 Table 1 (target disease) or Table 2 (non-target only).

    Raises
    ------
    DataError
        For a category not allowed for its component.

    Examples
    --------
    >>> from oncotrial.rules import classify_overall_response
    >>> classify_overall_response("PR", "NON-CR/NON-PD", "N")
    TimepointDecision(response='PR', rule='overall_pr')
    >>> classify_overall_response("CR", "CR", "Y").response
    'PD'
    """
    table = (rules or load_recist_rules()).overall_table()
    for field, value, allowed in (
        ("target", target, TARGET_CATEGORIES),
        ("nontarget", nontarget, NONTARGET_CATEGORIES),
        ("new_lesion", new_lesion, NEW_CATEGORIES),
    ):
        if value not in allowed:
            raise DataError(
                "unknown response category", field=field, value=value, allowed=", ".join(allowed)
            )
    response, rule = table[(target, nontarget, new_lesion)]
    return TimepointDecision(response=response, rule=rule)


def classify_baseline_lesions(
    lesions: pd.DataFrame, measurements: pd.DataFrame, *, settings: RecistSettings
) -> pd.DataFrame:
    """Check baseline lesion selection (RECIST 1.1 §3.1-3.3), one row per lesion and problem.

    Checks: target lesion without baseline measurement; non-nodal target < 10 mm; nodal target
    short axis < 15 mm; non-target node < 10 mm (normal); NEW lesion at baseline; more than
    ``settings.max_target_lesions`` targets or ``settings.max_target_per_organ`` per organ
    (lymph nodes are one organ). Nothing is dropped: the engine still evaluates every lesion.

    Parameters
    ----------
    lesions, measurements
        The input frames described in the module (SDTM TU and TR).
    settings
        The trial's RECIST settings (lesion limits).

    Returns
    -------
    pandas.DataFrame
        One row per lesion and violated check (:data:`BASELINE_CHECK_COLUMNS`); empty when the
        selection is valid.

    Examples
    --------
    A non-nodal target of 8 mm and a nodal target with a 12 mm short axis are both not
    measurable (RECIST 1.1 §3.1.2: ≥ 10 mm, and ≥ 15 mm short axis for a node):

    >>> import pandas as pd
    >>> from oncotrial.protocol import load_protocol
    >>> from oncotrial.rules import RecistSettings, classify_baseline_lesions
    >>> lesions = pd.DataFrame({
    ...     "subject": "01-001", "evaluator": "INVESTIGATOR", "lesion_id": ["T01", "T02"],
    ...     "role": "TARGET", "organ": ["LUNG", "LYMPH NODE"], "nodal": [False, True]})
    >>> measurements = pd.DataFrame({
    ...     "subject": "01-001", "evaluator": "INVESTIGATOR", "lesion_id": ["T01", "T02"],
    ...     "visitnum": 0.0, "visit": "SCREENING", "date": pd.to_datetime(["2024-01-02"] * 2),
    ...     "diameter_mm": [8.0, 12.0], "state": ""})
    >>> checks = classify_baseline_lesions(
    ...     lesions, measurements, settings=RecistSettings.from_protocol(load_protocol()))
    >>> checks[["lesion_id", "check", "value_mm"]].values.tolist()
    [['T01', 'target_not_measurable', 8.0], ['T02', 'target_node_below_15mm', 12.0]]
    """
    keyed = key_input(lesions, measurements)
    return check_keyed_baseline(keyed, settings, load_recist_rules())


def classify_timepoints(
    lesions: pd.DataFrame, measurements: pd.DataFrame, *, settings: RecistSettings
) -> pd.DataFrame:
    """Timepoint responses of every post-baseline assessment (RECIST 1.1 §4.3-4.4.2).

    Per assessment: sum of diameters (long axis for non-nodal, short axis for nodal targets),
    change from baseline and from the nadir, the target response (20 % + 5 mm PD rule, nodal
    CR < 10 mm, too-small-to-measure, NE for missing lesions unless PD is evident), the
    non-target response, new lesions (an equivocal lesion confirmed later is PD from its first
    sighting) and the overall response from Tables 1-2. Each response carries its rule name.

    Parameters
    ----------
    lesions, measurements
        The input frames described in the module (SDTM TU and TR).
    settings
        The trial's RECIST settings.

    Returns
    -------
    pandas.DataFrame
        One row per post-baseline assessment (:data:`TIMEPOINT_COLUMNS`): sums, changes from
        baseline and nadir, the target, non-target, new-lesion and overall responses with their
        rules. :func:`derive_recist_responses` shows one worked case.
    """
    keyed = key_input(lesions, measurements)
    return classify_keyed_timepoints(keyed, settings, load_recist_rules())


def classify_best_response(
    timepoints: pd.DataFrame,
    *,
    reference: pd.DataFrame,
    settings: RecistSettings,
    evaluators: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Best overall response, unconfirmed (BOR) and confirmed (CBOR), per subject and evaluator.

    Parameters
    ----------
    timepoints
        Columns ``subject``, ``evaluator``, ``date``, ``overall_response`` (CR, PR, SD,
        NON-CR/NON-PD, PD, NE) — from :func:`classify_timepoints` or from SDTM RS OVRLRESP.
    reference
        Columns ``subject``, ``reference_date``: the reference start (first dose, enrolment or
        randomisation) for the SD window; every subject here gets a row (BOR MISSING when never
        assessed).
    settings
        Confirmation interval, minimum SD duration, NE/SD tolerance in the confirmation window.
    evaluators
        Evaluators to report for every subject (default: all evaluators in *timepoints*).

    Returns
    -------
    pandas.DataFrame
        One row per subject and evaluator (:data:`BEST_RESPONSE_COLUMNS`): ``bor`` and ``cbor``
        with their dates and rules, the response, confirmed-response and PD dates.

    Notes
    -----
    Pre-processing: assessments before the reference date are dropped, the worst response of a
    date is kept, a PR/SD/NON-CR/NON-PD after a CR becomes PD (RECIST 1.1 Table 3 footnote a;
    ``settings.cr_followed_by_worse_is_pd``), assessments after the first PD are dropped.
    Then the first event of the ordered rules in the data file wins (admiralonco order):
    CR, PR, SD (window), NON-CR/NON-PD (window), PD, NE, MISSING; confirmed: confirmed CR,
    confirmed PR, SD (CR/PR/SD in window), NON-CR/NON-PD (window), PD, NE, MISSING. The SD
    window is inclusive: ``date >= reference_date + min_sd_duration_days``.

    Examples
    --------
    PR at weeks 6 and 12 (42 days apart, at least the 28 days of confirmation), then PD:

    >>> import pandas as pd
    >>> from oncotrial.protocol import load_protocol
    >>> from oncotrial.rules import RecistSettings, classify_best_response
    >>> timepoints = pd.DataFrame({
    ...     "subject": "01-001", "evaluator": "INVESTIGATOR",
    ...     "date": pd.to_datetime(["2024-02-13", "2024-03-26", "2024-05-07"]),
    ...     "overall_response": ["PR", "PR", "PD"]})
    >>> reference = pd.DataFrame({
    ...     "subject": ["01-001"], "reference_date": pd.to_datetime(["2024-01-05"])})
    >>> best = classify_best_response(timepoints, reference=reference,
    ...                               settings=RecistSettings.from_protocol(load_protocol()))
    >>> best[["bor", "cbor", "cbor_rule"]].iloc[0].tolist()
    ['PR', 'PR', 'cbor_confirmed_pr']
    """
    return classify_best(timepoints, reference, settings, load_recist_rules(), evaluators)


def derive_recist_responses(
    lesions: pd.DataFrame,
    measurements: pd.DataFrame,
    *,
    reference: pd.DataFrame,
    settings: RecistSettings,
    evaluators: Sequence[str] | None = None,
) -> RecistAssessment:
    """Baseline checks, timepoint responses and best overall responses in one pass.

    Same inputs as :func:`classify_timepoints` and :func:`classify_best_response`; the input
    is validated and keyed once, which is what makes this the fast path for large trials.

    Parameters
    ----------
    lesions, measurements
        The input frames described in the module (SDTM TU and TR).
    reference
        Columns ``subject``, ``reference_date``: the start date of each subject.
    settings
        The trial's RECIST settings.
    evaluators
        Evaluators to report for every subject (default: all in the data).

    Returns
    -------
    RecistAssessment
        ``baseline_checks``, ``timepoints`` and ``best_response`` frames (see the module's
        description of their columns).

    Examples
    --------
    Two target lesions, 80 mm at baseline, 48 mm at week 6 (−40 %) and 43 mm at week 12: PR at
    both assessments, 12 weeks apart, so the best response is PR, confirmed (RECIST 1.1 §4.4.1,
    §4.6).

    >>> import pandas as pd
    >>> from oncotrial.protocol import load_protocol
    >>> from oncotrial.rules import RecistSettings, derive_recist_responses
    >>> lesions = pd.DataFrame({
    ...     "subject": "01-001", "evaluator": "INVESTIGATOR", "lesion_id": ["T01", "T02"],
    ...     "role": "TARGET", "organ": ["LUNG", "LIVER"], "nodal": False})
    >>> measurements = pd.DataFrame({
    ...     "subject": "01-001", "evaluator": "INVESTIGATOR", "lesion_id": ["T01", "T02"] * 3,
    ...     "visitnum": [0.0, 0.0, 1.0, 1.0, 2.0, 2.0],
    ...     "visit": ["SCREENING"] * 2 + ["WEEK 6"] * 2 + ["WEEK 12"] * 2,
    ...     "date": pd.to_datetime(["2024-01-02", "2024-02-13", "2024-03-26"]).repeat(2),
    ...     "diameter_mm": [50.0, 30.0, 28.0, 20.0, 25.0, 18.0], "state": ""})
    >>> reference = pd.DataFrame({
    ...     "subject": ["01-001"], "reference_date": pd.to_datetime(["2024-01-05"])})
    >>> result = derive_recist_responses(
    ...     lesions, measurements, reference=reference,
    ...     settings=RecistSettings.from_protocol(load_protocol()))
    >>> result.timepoints[["visit", "sum_mm", "change_from_baseline_pct", "overall_response"]]
         visit  sum_mm  change_from_baseline_pct overall_response
    0   WEEK 6    48.0                    -40.00               PR
    1  WEEK 12    43.0                    -46.25               PR
    >>> result.best_response[["bor", "cbor", "cbor_rule"]].iloc[0].tolist()
    ['PR', 'PR', 'cbor_confirmed_pr']
    >>> len(result.baseline_checks)
    0
    """
    rules = load_recist_rules()
    keyed = key_input(lesions, measurements)
    timepoints = classify_keyed_timepoints(keyed, settings, rules)
    return RecistAssessment(
        baseline_checks=check_keyed_baseline(keyed, settings, rules),
        timepoints=timepoints,
        best_response=classify_best(timepoints, reference, settings, rules, evaluators),
    )
