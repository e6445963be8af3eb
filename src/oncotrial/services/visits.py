"""A subject's visit plan from the protocol's eCRF: names, planned dates, windows and forms.

Visits are anchored on cycle 1 day 1 (the reference start date): treatment visits on the
protocol's cycle days, imaging every ``every_days`` until treatment ends, the end-of-treatment
visit after the decision to stop, follow-up contacts after it until death or the end of study.
Before cycle 1 day 1 is known, the screening and baseline visits are planned from consent.
Planning runs to the day given as ``through`` plus one visit ahead of each repeating kind, so
the casebook shows what is due next. Pure functions: no database.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from oncotrial.protocol import Protocol
from oncotrial.protocol.edc import EdcDefinition, FormDef, VisitDef

__all__ = ["LOG_VISIT", "PlannedVisit", "SubjectDates", "form_def", "forms_at", "plan_visits"]

LOG_VISIT = "LOG"
_MAX_REPEATS = 200  # a plan never grows past this many repeats of one visit kind


@dataclass(frozen=True, slots=True)
class SubjectDates:
    """The dates a plan hangs on."""

    consent: date
    reference_start: date | None = None  # cycle 1 day 1
    treatment_end: date | None = None  # the end-of-treatment decision
    study_end: date | None = None  # death or end of study


@dataclass(frozen=True, slots=True)
class PlannedVisit:
    """One visit of a subject: when it is due and which forms it holds."""

    name: str
    label: str
    kind: str
    visitnum: float
    cycle: int | None
    day: int | None
    planned: date | None
    earliest: date | None
    latest: date | None
    forms: tuple[str, ...]

    def overdue(self, today: date, *, grace_days: int = 0) -> bool:
        """Whether the window has closed (by *today*, after *grace_days*)."""
        return self.latest is not None and today > self.latest + timedelta(days=grace_days)


def forms_at(edc: EdcDefinition, template: VisitDef, *, day: int | None) -> tuple[str, ...]:
    """Ids of the forms expected at a visit made from *template* (on cycle *day*).

    Parameters
    ----------
    edc
        The protocol's case report form definitions.
    template
        The visit definition.
    day
        The day of the cycle for a treatment visit; a form restricted to some cycle days is
        expected only on them (``None``: every form of the visit).

    Returns
    -------
    tuple[str, ...]
        Form ids, in the order the protocol lists the forms.
    """
    return tuple(
        f.id for f in edc.forms
        if template.id in f.visits and (not f.cycle_days or day is None or day in f.cycle_days)
    )


def _visit(template: VisitDef, edc: EdcDefinition, *, name: str, label: str, visitnum: float,
           planned: date | None, cycle: int | None = None, day: int | None = None,
           ) -> PlannedVisit:
    earliest = None if planned is None else planned - timedelta(days=template.window_before_days)
    latest = None if planned is None else planned + timedelta(days=template.window_after_days)
    return PlannedVisit(name=name, label=label, kind=template.kind, visitnum=visitnum,
                        cycle=cycle, day=day, planned=planned, earliest=earliest, latest=latest,
                        forms=forms_at(edc, template, day=day))


def _before_start(template: VisitDef, edc: EdcDefinition, dates: SubjectDates,
                  visitnum: float) -> PlannedVisit:
    if dates.reference_start is not None:
        planned = dates.reference_start + timedelta(days=template.offset_days)
        return _visit(template, edc, name=template.id, label=template.label, visitnum=visitnum,
                      planned=planned)
    span = template.window_before_days + template.window_after_days
    visit = _visit(template, edc, name=template.id, label=template.label, visitnum=visitnum,
                   planned=dates.consent)
    return replace(visit, earliest=dates.consent, latest=dates.consent + timedelta(days=span))


def _treatment(template: VisitDef, edc: EdcDefinition, start: date, *, cycle_length: int,
               horizon: date, stop: date | None, last_cycle: int) -> list[PlannedVisit]:
    visits: list[PlannedVisit] = []
    for cycle in range(1, min(_MAX_REPEATS, last_cycle) + 1):
        cycle_start = start + timedelta(days=(cycle - 1) * cycle_length)
        if cycle_start > horizon or (stop is not None and cycle_start > stop):
            break
        for day in template.cycle_days:
            planned = cycle_start + timedelta(days=day - 1)
            if stop is not None and planned > stop:
                break
            name = template.id.format(cycle=cycle, day=day)
            label = template.label.format(cycle=cycle, day=day)
            visits.append(_visit(template, edc, name=name, label=label, visitnum=cycle + day / 100,
                                 planned=planned, cycle=cycle, day=day))
    return visits


def _repeating(template: VisitDef, edc: EdcDefinition, anchor: date, *, horizon: date,
               stop: date | None, base: float) -> list[PlannedVisit]:
    assert template.every_days is not None
    visits: list[PlannedVisit] = []
    for n in range(1, _MAX_REPEATS + 1):
        planned = anchor + timedelta(days=n * template.every_days + template.offset_days)
        if stop is not None and planned > stop:
            break
        visits.append(_visit(template, edc, name=template.id.format(n=n),
                             label=template.label.format(n=n), visitnum=base + n - 1,
                             planned=planned))
        if planned > horizon:  # one visit ahead of today
            break
    return visits


def _bounds(protocol: Protocol, start: date | None, *, through: date,
            last_cycle: int | None) -> tuple[int, date]:
    """The last treatment cycle to plan and the horizon of imaging visits."""
    if last_cycle is None:
        return _MAX_REPEATS, through
    if start is None:
        return last_cycle, through
    return last_cycle, min(through, start + timedelta(days=last_cycle * protocol.cycle_length_days))


def plan_visits(protocol: Protocol, dates: SubjectDates, *, through: date,
                last_cycle: int | None = None) -> list[PlannedVisit]:
    """The visits of one subject in order, up to *through* and one ahead of each kind
    (treatment visits up to cycle *last_cycle* and imaging up to its end, when given: a page
    showing cycles 1–3 need not plan cycle 40).

    Visit numbers follow the SDTM export: screening 0, baseline imaging 1, cycle *c* day *d*
    ``c + d/100``, imaging *n* ``9 + n``, end of treatment 900, follow-up *n* ``1000 + n``.

    Parameters
    ----------
    protocol
        The trial protocol; one without case report forms plans nothing.
    dates
        The subject's consent, reference start (cycle 1 day 1), end-of-treatment decision and
        end of study; treatment and imaging visits need the reference start, end of treatment
        and follow-up the end-of-treatment date.
    through
        Plan up to this date (and one visit ahead of each kind).
    last_cycle
        The last treatment cycle to plan (default: as many as *through* allows, at most 200).

    Returns
    -------
    list[PlannedVisit]
        By planned date then visit number, the subject-level log last; each with its window
        and forms.

    Examples
    --------
    >>> from datetime import date
    >>> from oncotrial.protocol import load_protocol
    >>> dates = SubjectDates(consent=date(2024, 1, 2), reference_start=date(2024, 1, 15))
    >>> plan = plan_visits(load_protocol(), dates, through=date(2024, 2, 1), last_cycle=1)
    >>> [(v.name, v.visitnum) for v in plan]
    [('SCREENING', 0.0), ('BASELINE', 1.0), ('C1D1', 1.01), ('C1D8', 1.08), ('C1D15', 1.15),
     ('IMAGING 1', 10.0), ('LOG', 9999.0)]
    >>> c1d8 = plan[3]
    >>> str(c1d8.planned), str(c1d8.earliest), str(c1d8.latest)
    ('2024-01-22', '2024-01-21', '2024-01-23')
    """
    edc = protocol.edc
    if edc is None:
        return []
    visits: list[PlannedVisit] = []
    start, end = dates.reference_start, dates.treatment_end
    cycles, imaging_horizon = _bounds(protocol, start, through=through, last_cycle=last_cycle)
    for template in edc.visits:
        kind = template.kind
        if kind == "screening":
            visits.append(_before_start(template, edc, dates, 0.0))
        elif kind == "baseline_imaging":
            visits.append(_before_start(template, edc, dates, 1.0))
        elif kind == "treatment" and start is not None:
            visits += _treatment(template, edc, start, cycle_length=protocol.cycle_length_days,
                                 horizon=through, stop=end, last_cycle=cycles)
        elif kind == "imaging" and start is not None:
            visits += _repeating(template, edc, start, horizon=imaging_horizon, stop=end,
                                 base=10.0)
        elif kind == "end_of_treatment" and end is not None:
            visits.append(_visit(template, edc, name=template.id, label=template.label,
                                 visitnum=900.0, planned=end))
        elif kind == "follow_up" and end is not None:
            visits += _repeating(template, edc, end, horizon=through, stop=dates.study_end,
                                 base=1001.0)
        elif kind == "log":
            visits.append(PlannedVisit(name=LOG_VISIT, label=template.label, kind="log",
                                       visitnum=9999.0, cycle=None, day=None, planned=None,
                                       earliest=None, latest=None,
                                       forms=forms_at(edc, template, day=None)))
    return sorted(visits, key=lambda v: (v.kind == "log", v.planned or date.max, v.visitnum))


def form_def(protocol: Protocol, form_id: str) -> FormDef:
    """The protocol's form *form_id*; a clear error if the protocol has no eCRF.

    Parameters
    ----------
    protocol
        The trial protocol.
    form_id
        The form's id (e.g. ``"labs_haematology"``).

    Returns
    -------
    FormDef
        The form's definition.

    Raises
    ------
    KeyError
        If the protocol has no case report forms or no form *form_id* (the message names the
        known forms).
    """
    if protocol.edc is None:
        raise KeyError(f"protocol {protocol.id} defines no eCRF")
    return protocol.edc.form(form_id)
