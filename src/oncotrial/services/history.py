"""Medical history, ECOG performance status and survival follow-up contacts."""

from __future__ import annotations

from datetime import date

from oncotrial.errors import DataError
from oncotrial.services._unit import Unit
from oncotrial.services._vocabulary import SURVIVAL_STATUSES
from oncotrial.services.form_fields import parse_partial_date
from oncotrial.store.schema import MedicalHistory, PerformanceStatus, SurvivalContact

__all__ = [
    "SURVIVAL_STATUSES",
    "record_medical_history",
    "record_performance_status",
    "record_survival_contact",
]



def _partial(value: str | None, *, field: str, subject: str) -> str | None:
    if value is None:
        return None
    try:
        return parse_partial_date(value)
    except ValueError as exc:
        raise DataError(str(exc), field=field, value=value,
                        allowed="YYYY, YYYY-MM or YYYY-MM-DD", subject=subject) from exc


def record_medical_history(
    unit: Unit, subject: str, *, term: str, start: str, ongoing: bool, end: str | None = None
) -> int:
    """Record a condition of the medical history (partial ISO 8601 dates, SDTMIG §4.4.4)."""
    term = term.strip()
    if not term:
        raise DataError("must not be blank", field="term", value=term, subject=subject)
    start_dtc = _partial(start, field="start", subject=subject)
    end_dtc = _partial(end, field="end", subject=subject)
    if ongoing and end_dtc:
        raise DataError("an ongoing condition has no end date", field="end", value=end,
                        subject=subject)
    if start_dtc and end_dtc and end_dtc[: len(start_dtc)] < start_dtc[: len(end_dtc)]:
        raise DataError("ends before it starts", field="end", value=end, subject=subject)
    with unit.step() as session:
        owner = unit.subject(subject, write=True)
        row = MedicalHistory(subject_id=owner.id, term=term, start_dtc=start_dtc or "",
                             end_dtc=end_dtc, ongoing=ongoing)
        session.add(row)
        session.flush()
        return row.id


def record_performance_status(unit: Unit, subject: str, *, assessed_on: date, score: int) -> int:
    """Record an ECOG performance status (0–4 in a living patient; Oken et al. 1982)."""
    if not 0 <= score <= 4:
        raise DataError("ECOG is 0–4 for a living patient", field="score", value=score,
                        allowed="0–4", subject=subject)
    with unit.step() as session:
        owner = unit.subject(subject, write=True)
        row = PerformanceStatus(subject_id=owner.id, assessed_on=assessed_on, scale="ECOG",
                                score=score)
        session.add(row)
        session.flush()
        return row.id


def record_survival_contact(
    unit: Unit, subject: str, *, contacted_on: date, status: str,
    new_anticancer_therapy: str = "",
) -> int:
    """Record a survival follow-up contact (alive, dead, or lost to follow-up)."""
    if status not in SURVIVAL_STATUSES:
        raise DataError("not a follow-up status", field="status", value=status,
                        allowed=", ".join(SURVIVAL_STATUSES), subject=subject)
    with unit.step() as session:
        owner = unit.subject(subject, write=True)
        if contacted_on < owner.consent_date:
            raise DataError("contact before consent", field="contacted_on",
                            value=contacted_on.isoformat(), subject=subject)
        row = SurvivalContact(subject_id=owner.id, contacted_on=contacted_on, status=status,
                              new_anticancer_therapy=new_anticancer_therapy)
        session.add(row)
        session.flush()
        return row.id
