"""Medical history, ECOG performance status, ECGs, protocol deviations and survival
follow-up contacts."""

from __future__ import annotations

from datetime import date

from oncotrial.errors import DataError
from oncotrial.services._unit import Unit
from oncotrial.services._vocabulary import DEVIATION_CATEGORIES, ECG_TESTS, SURVIVAL_STATUSES
from oncotrial.services.form_fields import parse_partial_date
from oncotrial.store.schema import (
    EcgResult,
    MedicalHistory,
    PerformanceStatus,
    ProtocolDeviation,
    SurvivalContact,
)

__all__ = [
    "QTC_CORRECTIONS",
    "SURVIVAL_STATUSES",
    "record_ecg",
    "record_medical_history",
    "record_performance_status",
    "record_protocol_deviation",
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
    """Record a condition of the medical history (partial ISO 8601 dates, SDTMIG §4.4.4).

    Parameters
    ----------
    unit
        A unit of work of a user who may enter data at the subject's site.
    subject
        The subject's screening number.
    term
        The condition as reported, non-blank (trimmed).
    start
        Onset as collected: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.
    ongoing
        Whether the condition is ongoing at screening; an ongoing condition has no end.
    end
        End as collected, same forms (optional); not before *start* at the precision both have.

    Returns
    -------
    int
        The medical history row's id.

    Raises
    ------
    DataError
        If the term is blank, a date malformed, an ongoing condition has an end, or the end
        precedes the start.
    NotFoundError
        If there is no such subject or it is at a site the user does not see.
    AccessError
        If the user's role at the subject's site may not enter data.
    LockedError
        If a lock covers the subject's record.
    """
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


#: QT correction as the form names it -> EGTESTCD
QTC_CORRECTIONS = {"fridericia": "QTCFAG", "bazett": "QTCBAG"}
_QTC_RANGE = (200.0, 800.0)  # msec; outside it the value is a typing error, not a reading


def record_ecg(
    unit: Unit, subject: str, *, performed_on: date, qtc_ms: float,
    correction: str = "fridericia",
) -> int:
    """Record the corrected QT interval of a 12-lead ECG (SDTM EG, EGTESTCD QTCFAG or QTCBAG).

    The dose rules read the QTc of the dose day and the last one before the first dose as its
    baseline (LENVIMA Table 1: QTc above 500 ms, or more than 60 ms above baseline).

    Parameters
    ----------
    unit
        A unit of work of a user who may enter data at the subject's site.
    subject
        The subject's screening number.
    performed_on
        Date of the ECG.
    qtc_ms
        Corrected QT interval in milliseconds, 200–800.
    correction
        ``"fridericia"`` (default, QTCFAG) or ``"bazett"`` (QTCBAG).

    Returns
    -------
    int
        The ECG row's id.

    Raises
    ------
    DataError
        If the correction is unknown or the QTc is outside 200–800 ms.
    NotFoundError
        If there is no such subject or it is at a site the user does not see.
    AccessError
        If the user's role at the subject's site may not enter data.
    LockedError
        If a lock covers the subject's record.
    """
    code = QTC_CORRECTIONS.get(correction)
    if code is None:
        raise DataError("unknown QT correction", field="correction", value=correction,
                        allowed=", ".join(QTC_CORRECTIONS), subject=subject)
    low, high = _QTC_RANGE
    if not low <= qtc_ms <= high:
        raise DataError("not a QTc a 12-lead ECG reads", field="qtc_ms", value=qtc_ms,
                        allowed=f"{low:g}–{high:g} msec", subject=subject)
    assert code in ECG_TESTS
    with unit.step() as session:
        owner = unit.subject(subject, write=True)
        row = EcgResult(subject_id=owner.id, performed_on=performed_on, test_code=code,
                        value=float(qtc_ms), unit="msec", method="12 LEAD STANDARD")
        session.add(row)
        session.flush()
        return row.id


def record_protocol_deviation(
    unit: Unit, subject: str, *, start_date: date, category: str, term: str
) -> int:
    """Record a protocol deviation (SDTM DV): what happened, its category, when it began.

    Parameters
    ----------
    unit
        A unit of work of a user who may enter data at the subject's site.
    subject
        The subject's screening number.
    start_date
        When the deviation began.
    category
        ``"DOSING"``, ``"ELIGIBILITY"``, ``"INFORMED CONSENT"``, ``"VISIT SCHEDULE"``,
        ``"PROCEDURE"`` or ``"OTHER"``.
    term
        What happened: non-blank, at most 200 characters (trimmed).

    Returns
    -------
    int
        The deviation row's id.

    Raises
    ------
    DataError
        If the category is unknown or the term blank or too long.
    NotFoundError
        If there is no such subject or it is at a site the user does not see.
    AccessError
        If the user's role at the subject's site may not enter data.
    LockedError
        If a lock covers the subject's record.
    """
    if category not in DEVIATION_CATEGORIES:
        raise DataError("unknown deviation category", field="category", value=category,
                        allowed=", ".join(DEVIATION_CATEGORIES), subject=subject)
    term = term.strip()
    if not term:
        raise DataError("must not be blank", field="term", value=term, subject=subject)
    if len(term) > 200:
        raise DataError("too long", field="term", value=f"{len(term)} characters",
                        allowed="at most 200 characters", subject=subject)
    with unit.step() as session:
        owner = unit.subject(subject, write=True)
        row = ProtocolDeviation(subject_id=owner.id, start_date=start_date, category=category,
                                term=term)
        session.add(row)
        session.flush()
        return row.id


def record_performance_status(unit: Unit, subject: str, *, assessed_on: date, score: int) -> int:
    """Record an ECOG performance status (0–4 in a living patient; Oken et al. 1982).

    Parameters
    ----------
    unit
        A unit of work of a user who may enter data at the subject's site.
    subject
        The subject's screening number.
    assessed_on
        Date of the assessment.
    score
        ECOG grade, 0–4.

    Returns
    -------
    int
        The performance status row's id.

    Raises
    ------
    DataError
        If the score is outside 0–4.
    NotFoundError
        If there is no such subject or it is at a site the user does not see.
    AccessError
        If the user's role at the subject's site may not enter data.
    LockedError
        If a lock covers the subject's record.
    """
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
    """Record a survival follow-up contact (alive, dead, or lost to follow-up).

    Parameters
    ----------
    unit
        A unit of work of a user who may enter data at the subject's site.
    subject
        The subject's screening number.
    contacted_on
        Date of the contact; not before consent.
    status
        ``"ALIVE"``, ``"DEAD"`` or ``"LOST TO FOLLOW-UP"``.
    new_anticancer_therapy
        A new anticancer therapy started since the last contact (optional free text).

    Returns
    -------
    int
        The survival contact row's id.

    Raises
    ------
    DataError
        If the status is unknown or the contact precedes consent.
    NotFoundError
        If there is no such subject or it is at a site the user does not see.
    AccessError
        If the user's role at the subject's site may not enter data.
    LockedError
        If a lock covers the subject's record.
    """
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
