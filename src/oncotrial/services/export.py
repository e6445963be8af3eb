"""Exports of the store: SDTM (XPT v5 + CSV). Every export is written to the change log."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from oncotrial.cdisc.define import StudyInfo
from oncotrial.cdisc.sdtm.export import build_sdtm, write_sdtm
from oncotrial.cdisc.sdtm.trial_design import TrialVisit, build_trial_design
from oncotrial.protocol import Protocol
from oncotrial.services._unit import Unit, require_role
from oncotrial.services.permissions import PERMISSIONS, Action
from oncotrial.services.visits import SubjectDates, plan_visits
from oncotrial.store import read_tables, record_event

__all__ = ["check_export", "export_sdtm"]

_EXPORTERS = PERMISSIONS[Action.EXPORT]
_ROUTES = {"oral": "ORAL", "iv": "INTRAVENOUS"}  # protocol route -> CDISC CT C66729


def trial_visits(protocol: Protocol) -> list[TrialVisit]:
    """The planned visits of the protocol for SDTM TV, numbered as the EDC numbers them (and
    SV shows them): the first occurrence of each repeating visit, its repetition in the end
    rule. Study days count from cycle 1 day 1 = day 1."""
    start = date(2001, 1, 1)  # any cycle 1 day 1: only days relative to it are kept
    cycle = protocol.cycle_length_days
    dates = SubjectDates(consent=start - timedelta(days=14), reference_start=start,
                         treatment_end=start + timedelta(days=cycle),
                         study_end=start + timedelta(days=cycle + 365))
    # imaging is planned only while treatment lasts: the first imaging visit comes from a plan
    # whose treatment runs a year, every other visit from the one-cycle plan above
    long = SubjectDates(consent=dates.consent, reference_start=start,
                        treatment_end=start + timedelta(days=365), study_end=dates.study_end)
    first_imaging = [v for v in plan_visits(protocol, long, through=start + timedelta(days=cycle),
                                            last_cycle=1) if v.kind == "imaging"][:1]
    planned = [v for v in plan_visits(protocol, dates, through=start + timedelta(days=cycle),
                                      last_cycle=1) if v.kind != "imaging"]
    visits = []
    for v in sorted((*planned, *first_imaging), key=lambda v: v.visitnum):
        if v.planned is None or v.kind == "log":
            continue
        offset = (v.planned - start).days
        day: int | None = offset + 1 if offset >= 0 else offset
        repeats = {"treatment": f"repeats every cycle of {cycle} days",
                   "imaging": "repeats at the imaging interval until progression",
                   "follow_up": "repeats until death or end of study"}.get(v.kind, "")
        window = ("" if v.earliest is None or v.latest is None else
                  f"window study days {(v.earliest - start).days} to {(v.latest - start).days} "
                  "from C1D1")
        rule = f"{v.label}: planned study day {day} from cycle 1 day 1"
        if v.kind in ("end_of_treatment", "follow_up"):
            rule = f"{v.label}: after the decision to end treatment"
            day = None
        visits.append(TrialVisit(visitnum=v.visitnum, visit=v.name, visitdy=day,
                                 start_rule=rule,
                                 end_rule="; ".join(x for x in (repeats, window) if x)))
    return visits


def export_sdtm(unit: Unit, directory: Path, *, protocol: Protocol,
                created: datetime | None = None) -> list[Path]:
    """Export the casebooks the actor may see as SDTM domains into *directory*, with the
    trial design domains (TS, TA, TE, TV, TI) from the protocol, Dataset-JSON copies and
    define.xml.

    Site-scoped roles export their own sites only. Returns the files written. The export is
    recorded in the audit trail.

    Parameters
    ----------
    unit
        A unit of work of a data manager, statistician or investigator.
    directory
        Folder the files are written to.
    protocol
        The trial protocol: study id, title, drugs' routes, DLT criteria, visit schedule.
    created
        Creation time written into Dataset-JSON and define.xml (default now), for
        reproducible files.

    Returns
    -------
    list[Path]
        The files written.

    Raises
    ------
    AccessError
        If the actor's role may not export.
    """
    require_role(unit.actor, _EXPORTERS, what="export data")
    sites = None if unit.actor.all_sites else unit.actor.site_ids
    tables = read_tables(unit.session, site_ids=sites)
    routes = {d.name: _ROUTES.get(d.route, d.route.upper()) for d in protocol.drugs}
    criteria = {c.name: c.description for c in protocol.phase_ib.dlt.criteria}
    domains = build_sdtm(tables, study_id=protocol.id, routes=routes, country=protocol.country,
                         dlt_criteria=criteria)
    domains.update(build_trial_design(protocol, study_id=protocol.id, dm=domains["DM"],
                                      visits=trial_visits(protocol)))
    study = StudyInfo(study_id=protocol.id, name=protocol.id, description=protocol.title,
                      protocol=protocol.nct_id or protocol.id)
    written = write_sdtm(domains, directory, study=study, created=created)
    with unit.step():
        record_event(
            unit.session,
            action="export",
            table_name="sdtm",
            detail=f"SDTM {','.join(domains)} to {directory}",
        )
    return written


def check_export(unit: Unit) -> None:
    """Refuse users who may not export (the export page itself).

    Parameters
    ----------
    unit
        A unit of work of any user.

    Returns
    -------
    None

    Raises
    ------
    AccessError
        If the actor's role may not export (data managers, statisticians and investigators
        may).
    """
    require_role(unit.actor, _EXPORTERS, what="export data")
