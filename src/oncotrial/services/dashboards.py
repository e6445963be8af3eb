"""The statistician's dashboards from the live casebook: enrolment over time, the phase Ib
cohort's DLT status with the next cohort decision, and confirmed responses against the Simon
two-stage boundaries.

Responses are the investigator-evaluator RECIST 1.1 timepoint responses the casebook stores
(computed on entry); best overall response with confirmation comes from the same engine the
ADaM derivation uses (:func:`oncotrial.rules.recist.classify_best_response`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import select

from oncotrial.protocol import CohortAction, Protocol
from oncotrial.rules.dlt import decide_cohort
from oncotrial.rules.recist import RecistSettings, classify_best_response
from oncotrial.services._unit import Unit, require_role
from oncotrial.services.enrolment import decide_rp2d_on, regimen_counts
from oncotrial.services.permissions import PERMISSIONS, Action
from oncotrial.store.schema import Enrolment, Site, Subject, TumourAssessment

__all__ = ["CohortStatus", "Dashboard", "dashboard"]


@dataclass(frozen=True, slots=True)
class CohortStatus:
    """One phase Ib regimen: counts and the cohort rule's decision on them."""

    regimen: str
    enrolled: int
    evaluable: int
    dlts: int
    action: str
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class Dashboard:
    """What the dashboard page draws."""

    enrolment: tuple[tuple[date, int], ...]  # cumulative enrolled by date
    by_site: dict[str, int]
    cohorts: tuple[CohortStatus, ...]
    current_regimen: str | None
    evaluable_for_response: int
    confirmed_responses: int
    simon: str  # the interim decision in words
    stage1_boundary: tuple[int, int]  # r1, n1
    final_boundary: tuple[int, int]  # r, n
    best_responses: dict[str, int]
    rp2d: str | None = None  # once dose finding has stopped: the RP2D and the deciding clause


def dashboard(unit: Unit, *, protocol: Protocol, today: date) -> Dashboard:
    """The dashboard for users who may see it (every site of their study-wide role).

    Parameters
    ----------
    unit
        A unit of work of a user whose role may view dashboards.
    protocol
        The trial protocol (phase Ib cohort rule, Simon design, response rules).
    today
        The date of the cohort decisions (DLT windows still open on this day are not
        evaluable).

    Returns
    -------
    Dashboard
        Cumulative enrolment by date and by site, each phase Ib cohort with the cohort rule's
        decision, the current regimen (and the RP2D once dose finding has stopped), the
        evaluable and confirmed responses against the Simon boundaries with the interim
        decision in words, and the count of each best overall response.

    Raises
    ------
    AccessError
        If the actor's role may not view dashboards.
    """
    require_role(unit.actor, PERMISSIONS[Action.VIEW_DASHBOARD], what="view dashboards")
    session = unit.session
    query = (select(Enrolment, Subject, Site).join(Subject, Subject.id == Enrolment.subject_id)
             .join(Site, Site.id == Subject.site_id).where(Enrolment.deleted.is_(False)))
    if not unit.actor.all_sites:
        query = query.where(Subject.site_id.in_(unit.actor.site_ids))
    rows = [(e, s, site) for e, s, site in session.execute(query).all()]
    per_day = Counter(e.enrolled_on for e, _s, _site in rows)
    running, curve = 0, []
    for day in sorted(per_day):
        running += per_day[day]
        curve.append((day, running))
    by_site = Counter(site.code for _e, _s, site in rows)
    cohorts, current, rp2d = _cohorts(unit, protocol, today)
    best, evaluable, confirmed = _responses(unit, protocol, rows)
    d = protocol.phase_ii.design
    counted = confirmed
    if evaluable < d.n1:
        simon = (f"stage 1: {counted} confirmed response(s) in {evaluable} of {d.n1} patients; "
                 f"more than {d.r1} needed to continue")
    elif evaluable < d.n:
        verdict = "continue to stage 2" if counted > d.r1 else "stop for futility"
        simon = f"stage 1 complete: {counted} confirmed response(s) > {d.r1}? {verdict}"
    else:
        verdict = "promising (reject p0)" if counted > d.r else "not promising"
        simon = (f"final: {counted} confirmed response(s) in {evaluable}; more than {d.r}: "
                 f"{verdict}")
    return Dashboard(enrolment=tuple(curve), by_site=dict(by_site), cohorts=tuple(cohorts),
                     current_regimen=current, evaluable_for_response=evaluable,
                     confirmed_responses=confirmed, simon=simon,
                     stage1_boundary=(d.r1, d.n1), final_boundary=(d.r, d.n),
                     best_responses=best, rp2d=rp2d)


def _cohorts(unit: Unit, protocol: Protocol, today: date) -> tuple[list[CohortStatus],
                                                                   str | None, str | None]:
    ib = protocol.phase_ib
    statuses: list[CohortStatus] = []
    current: str | None = None
    rp2d: str | None = None
    regimen: str | None = ib.start_regimen
    while regimen is not None and len(statuses) < len(ib.regimens):
        enrolled, evaluable, dlts = regimen_counts(unit, regimen, today, ib.dlt_window_days)
        decision = decide_cohort(evaluable, dlts, regimen=regimen, protocol=protocol)
        statuses.append(CohortStatus(regimen=regimen, enrolled=enrolled, evaluable=evaluable,
                                     dlts=dlts, action=decision.action.value,
                                     rule=decision.rule, reason=decision.reason))
        current = regimen
        if decision.action is CohortAction.STOP and decision.tolerated:
            found = decide_rp2d_on(unit, protocol, decision, today)
            rp2d = f"{found.regimen} by {found.clause.replace('_', ' ')}: {found.reason}"
        if decision.action is not CohortAction.DE_ESCALATE:
            break
        regimen = decision.next_regimen
    return statuses, current, rp2d


def _responses(unit: Unit, protocol: Protocol,
               rows: list[tuple[Enrolment, Subject, Site]]) -> tuple[dict[str, int], int, int]:
    ids = [e.subject_id for e, _s, _site in rows]
    points = unit.session.execute(
        select(TumourAssessment.subject_id, TumourAssessment.assessed_on,
               TumourAssessment.computed_response)
        .where(TumourAssessment.subject_id.in_(ids), TumourAssessment.deleted.is_(False),
               TumourAssessment.evaluator == "INVESTIGATOR",
               TumourAssessment.computed_response.is_not(None))).all()
    efficacy = [(e, s) for e, s, _site in rows
                if e.phase == "II" or protocol.phase_ii.phase_ib_counts_for_efficacy]
    reference = pd.DataFrame(
        [(str(e.subject_id), pd.Timestamp(e.reference_start_date or e.enrolled_on))
         for e, _s in efficacy], columns=["subject", "reference_date"])
    if reference.empty:
        return {}, 0, 0
    timepoints = pd.DataFrame(
        [(str(sid), "INVESTIGATOR", pd.Timestamp(day), str(resp)) for sid, day, resp in points],
        columns=["subject", "evaluator", "date", "overall_response"])
    best = classify_best_response(timepoints, reference=reference,
                                  settings=RecistSettings.from_protocol(protocol),
                                  evaluators=["INVESTIGATOR"])
    confirmed = best["cbor"]
    counts = Counter(str(v) for v in confirmed)
    return dict(counts), len(reference), counts.get("CR", 0) + counts.get("PR", 0)
