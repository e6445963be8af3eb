"""Dose-limiting toxicity (DLT) classification and the phase Ib cohort decision.

The DLT definition (window, attribution threshold, clauses, exemptions) and the cohort rules
are protocol data (``Protocol.phase_ib``). LEADER counted a grade 2 arthritis that forced a
lenvatinib interruption in cycle 1 as a DLT (Clin Cancer Res 2022;28:5058), so the shipped
definition has a grade 2 clause requiring ``treatment_interruption``; its other clauses follow
typical phase Ib definitions and are assumptions (see the protocol's ``source`` notes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from pydantic import BaseModel, ConfigDict, Field

from oncotrial.errors import DataError
from oncotrial.protocol import CohortAction, DltCriterion, Protocol
from oncotrial.protocol.models import ATTRIBUTION_ORDER, Attribution, DltFlag
from oncotrial.rules.dosing._rules import load_dose_rules

__all__ = [
    "CohortDecision",
    "DltAssessment",
    "DltEvent",
    "DltEventResult",
    "Rp2dDecision",
    "classify_dlt",
    "decide_cohort",
    "decide_rp2d",
]


class DltEvent(BaseModel):
    """An adverse event of one subject, as needed to judge it against the DLT definition."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    term: str
    grade: int = Field(ge=1, le=5)
    onset_day: int = Field(ge=1, description="Study day of onset; day 1 = first dose.")
    attribution: Attribution
    duration_days: float | None = Field(default=None, ge=0)
    flags: list[DltFlag] = Field(default_factory=list)
    controlled_within_hours: float | None = Field(
        default=None, ge=0, description="Hours until controlled with optimal supportive care."
    )


@dataclass(frozen=True)
class DltEventResult:
    """Whether one event is a DLT, and the rule that decided it."""

    term: str
    grade: int
    is_dlt: bool
    rule: str
    reason: str


@dataclass(frozen=True)
class DltAssessment:
    """One subject's DLT status over the window, with the verdict for each event."""

    is_dlt: bool
    events: tuple[DltEventResult, ...]

    @property
    def dlt_rules(self) -> tuple[str, ...]:
        """Names of the DLT clauses that fired."""
        return tuple(e.rule for e in self.events if e.is_dlt)


def _criterion_matches(crit: DltCriterion, event: DltEvent, hematologic: Sequence[str]) -> bool:
    is_heme = event.term in hematologic
    category_ok = (
        crit.category == "any"
        or (crit.category == "hematologic" and is_heme)
        or (crit.category == "non_hematologic" and not is_heme)
    )
    duration_ok = crit.lasting_more_than_days is None or (
        event.duration_days is not None and event.duration_days > crit.lasting_more_than_days
    )
    return (
        category_ok
        and duration_ok
        and event.grade >= crit.min_grade
        and (not crit.terms or event.term in crit.terms)
        and event.term not in crit.exclude_terms
        and all(flag in event.flags for flag in crit.requires)
    )


def _screen(event: DltEvent, protocol: Protocol) -> DltEventResult | None:
    """Reasons an event cannot count, before the clauses are tried (None = go on)."""
    ib = protocol.phase_ib
    dlt = ib.dlt
    if event.onset_day > ib.dlt_window_days:
        return DltEventResult(
            event.term,
            event.grade,
            False,
            "outside_window",
            f"onset day {event.onset_day} is after the {ib.dlt_window_days}-day DLT window",
        )
    if ATTRIBUTION_ORDER.index(event.attribution) < ATTRIBUTION_ORDER.index(dlt.min_attribution):
        return DltEventResult(
            event.term,
            event.grade,
            False,
            "attribution_below_threshold",
            f"attribution {event.attribution!r} is below {dlt.min_attribution!r}",
        )
    limit = dlt.exempt_if_controlled_within_hours
    controlled = event.controlled_within_hours
    if (
        limit is not None
        and event.term in dlt.exempt_terms_if_controlled
        and controlled is not None
        and controlled <= limit
    ):
        return DltEventResult(
            event.term,
            event.grade,
            False,
            "exempt_controlled",
            f"controlled within {controlled:g} h (≤ {limit:g} h) with optimal care",
        )
    return None


def _classify_event(
    event: DltEvent, protocol: Protocol, hematologic: Sequence[str]
) -> DltEventResult:
    screened = _screen(event, protocol)
    if screened is not None:
        return screened
    for crit in protocol.phase_ib.dlt.criteria:
        if _criterion_matches(crit, event, hematologic):
            return DltEventResult(event.term, event.grade, True, crit.name, crit.description)
    return DltEventResult(
        event.term, event.grade, False, "no_criterion", "meets no clause of the DLT definition"
    )


def classify_dlt(events: Sequence[DltEvent], *, protocol: Protocol) -> DltAssessment:
    """Classify one subject's adverse events against the protocol's DLT definition.

    Parameters
    ----------
    events
        The subject's adverse events with onset day, grade (CTCAE v5.0), attribution, duration
        and facts (fever, bleeding, transfusion, treatment interruption).
    protocol
        Supplies the DLT window, minimum attribution, clauses and exemptions.

    Returns
    -------
    DltAssessment
        ``is_dlt`` and, for each event, the clause (or exclusion rule) that decided it.

    Examples
    --------
    Under LEADER's definition, febrile neutropenia on day 12 of cycle 1 is a DLT; grade 3
    nausea controlled within 24 hours is exempt; an event after the 21-day window is not one.

    >>> from oncotrial.protocol import load_protocol
    >>> from oncotrial.rules import DltEvent, classify_dlt
    >>> leader = load_protocol()
    >>> result = classify_dlt([
    ...     DltEvent(term="Febrile neutropenia", grade=3, onset_day=12, attribution="possible"),
    ...     DltEvent(term="Nausea", grade=3, onset_day=3, attribution="probable",
    ...              controlled_within_hours=24)], protocol=leader)
    >>> result.is_dlt
    True
    >>> [(e.term, e.is_dlt, e.rule) for e in result.events]
    [('Febrile neutropenia', True, 'febrile_neutropenia'),
     ('Nausea', False, 'exempt_controlled')]
    >>> late = DltEvent(term="Febrile neutropenia", grade=3, onset_day=30, attribution="possible")
    >>> classify_dlt([late], protocol=leader).events[0].reason
    'onset day 30 is after the 21-day DLT window'
    """
    hematologic = load_dose_rules().hematologic_terms
    results = tuple(_classify_event(e, protocol, hematologic) for e in events)
    return DltAssessment(is_dlt=any(r.is_dlt for r in results), events=results)


@dataclass(frozen=True)
class CohortDecision:
    """The phase Ib decision at one regimen, with the rule that fired."""

    action: CohortAction
    regimen: str
    next_regimen: str | None
    tolerated: bool
    rule: str
    reason: str
    evaluable: int
    dlts: int


def _cohort_rule(n_evaluable: int, n_dlt: int, protocol: Protocol) -> tuple[str, CohortAction]:
    for rule in protocol.phase_ib.cohort_rules:
        if (
            rule.evaluable_min <= n_evaluable <= rule.evaluable_max
            and rule.dlt_min <= n_dlt <= rule.dlt_max
        ):
            return rule.name, rule.action
    raise DataError(  # unreachable for a validated protocol: the loader rejects gaps
        "no cohort rule matches", field="n_evaluable/n_dlt", value=(n_evaluable, n_dlt)
    )


def decide_cohort(
    n_evaluable: int, n_dlt: int, *, regimen: str, protocol: Protocol
) -> CohortDecision:
    """Decide continue / expand / de-escalate / stop at *regimen* from its DLT counts.

    The first matching rule of ``protocol.phase_ib.cohort_rules`` (3+3-type rules, Storer 1989)
    decides. De-escalating from the lowest regimen stops dose finding with no tolerated regimen;
    ``stop`` from a rule means the regimen is tolerated (``tolerated=True``).

    Parameters
    ----------
    n_evaluable, n_dlt
        Evaluable patients and patients with a DLT at *regimen*.
    regimen
        Name of a phase Ib regimen of the protocol.
    protocol
        Supplies the regimens, their order and the cohort rules.

    Returns
    -------
    CohortDecision
        Action, the regimen to treat next, whether *regimen* is tolerated, and the rule that
        decided.

    Raises
    ------
    DataError
        Negative counts, more DLTs than evaluable patients, more patients than the protocol
        allows per regimen, or an unknown regimen.

    Examples
    --------
    LEADER's published phase Ib: 1 DLT among 6 evaluable patients at the start regimen.

    >>> from oncotrial.protocol import load_protocol
    >>> from oncotrial.rules import decide_cohort
    >>> leader = load_protocol()
    >>> d = decide_cohort(3, 1, regimen="L18E1.1", protocol=leader)
    >>> d.action.value, d.rule
    ('expand', 'zero_or_one_of_three')
    >>> d = decide_cohort(6, 1, regimen="L18E1.1", protocol=leader)
    >>> d.action.value, d.tolerated, d.rule
    ('stop', True, 'at_most_one_of_six')
    >>> decide_cohort(6, 2, regimen="L18E1.1", protocol=leader).next_regimen
    'L14E1.1'
    """
    ib = protocol.phase_ib
    if not 0 <= n_dlt <= n_evaluable <= ib.max_patients_per_regimen:
        raise DataError(
            "need 0 ≤ DLTs ≤ evaluable ≤ maximum per regimen",
            field="n_evaluable/n_dlt",
            value=(n_evaluable, n_dlt),
            allowed=f"evaluable ≤ {ib.max_patients_per_regimen}",
        )
    names = [r.name for r in ib.regimens]
    if regimen not in names:
        raise DataError("unknown regimen", field="regimen", value=regimen, allowed=", ".join(names))
    rule, action = _cohort_rule(n_evaluable, n_dlt, protocol)
    counts = f"{n_dlt} DLT(s) among {n_evaluable} evaluable"
    if action is CohortAction.DE_ESCALATE:
        index = names.index(regimen)
        if index + 1 == len(names):
            return CohortDecision(
                CohortAction.STOP,
                regimen,
                None,
                False,
                rule,
                f"{counts} at the lowest regimen {regimen}: no tolerated regimen",
                n_evaluable,
                n_dlt,
            )
        nxt = names[index + 1]
        return CohortDecision(
            action, regimen, nxt, False, rule, f"{counts}: go to {nxt}", n_evaluable, n_dlt
        )
    tolerated = action is CohortAction.STOP
    reason = f"{counts}: {regimen} tolerated" if tolerated else f"{counts}: {action.value}"
    return CohortDecision(
        action, regimen, None if tolerated else regimen, tolerated, rule, reason, n_evaluable, n_dlt
    )


@dataclass(frozen=True)
class Rp2dDecision:
    """The recommended phase II regimen and the clause that decided it."""

    regimen: str
    clause: str  # "dlt_count" or "tolerability"
    reason: str


def decide_rp2d(decision: CohortDecision, *, n_patients: int, n_modified: int,
                protocol: Protocol) -> Rp2dDecision:
    """The RP2D once dose finding has stopped at a tolerated regimen.

    By the DLT count the tolerated regimen is the RP2D; the protocol's tolerability clause
    (``phase_ib.tolerability``) moves it one regimen down when more than its fraction of the
    *n_patients* treated there had the drug reduced or stopped within its first cycles
    (*n_modified*). LEADER: 1/6 DLT at L18E1.1 but 4/6 reduced lenvatinib by cycle 3 → RP2D
    L14E1.1 (Clin Cancer Res 2022;28:5058).

    Parameters
    ----------
    decision
        The cohort decision that stopped dose finding at a tolerated regimen.
    n_patients
        Patients treated at that regimen.
    n_modified
        Of them, those who had the protocol's drug reduced or stopped within its cycles.
    protocol
        Supplies the regimens and the tolerability clause.

    Returns
    -------
    Rp2dDecision
        The RP2D regimen, the clause that chose it (``dlt_count`` or ``tolerability``) and why.

    Raises
    ------
    DataError
        The cohort decision is not a tolerated stop, or the counts are impossible.

    Examples
    --------
    >>> from oncotrial.protocol import load_protocol
    >>> from oncotrial.rules import decide_cohort, decide_rp2d
    >>> leader = load_protocol()
    >>> stop = decide_cohort(6, 1, regimen="L18E1.1", protocol=leader)
    >>> rp2d = decide_rp2d(stop, n_patients=6, n_modified=4, protocol=leader)
    >>> rp2d.regimen, rp2d.clause
    ('L14E1.1', 'tolerability')
    """
    if not (decision.action is CohortAction.STOP and decision.tolerated):
        raise DataError("the RP2D follows a tolerated regimen (dose finding not finished)",
                        field="decision", value=f"{decision.action.value} at {decision.regimen}",
                        allowed="stop with a tolerated regimen")
    if not 0 <= n_modified <= n_patients or n_patients < 1:
        raise DataError("need 0 ≤ modified ≤ patients, patients ≥ 1",
                        field="n_patients/n_modified", value=(n_patients, n_modified))
    regimen = decision.regimen
    clause = protocol.phase_ib.tolerability
    by_count = Rp2dDecision(regimen, "dlt_count",
                            f"{decision.dlts} DLT(s) among {decision.evaluable}: {regimen} "
                            "tolerated")
    if clause is None:
        return by_count
    share = n_modified / n_patients
    counts = (f"{n_modified}/{n_patients} had {clause.drug} reduced or stopped within "
              f"{clause.cycles} cycles")
    if share <= clause.modified_more_than_fraction:
        return replace(by_count, reason=f"{by_count.reason}; {counts} "
                                        f"(not more than {clause.modified_more_than_fraction:g})")
    names = [r.name for r in protocol.phase_ib.regimens]
    index = names.index(regimen)
    if index + 1 == len(names):
        return Rp2dDecision(regimen, "tolerability",
                            f"{counts}, more than {clause.modified_more_than_fraction:g}, but "
                            f"{regimen} is the lowest regimen")
    lower = names[index + 1]
    return Rp2dDecision(lower, "tolerability",
                        f"{decision.dlts} DLT(s) among {decision.evaluable} at {regimen}, but "
                        f"{counts} (more than {clause.modified_more_than_fraction:g}): RP2D "
                        f"{lower}")
