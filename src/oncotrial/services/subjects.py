"""Screening registration, visits, disposition, concomitant therapy and biospecimens."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from oncotrial.errors import DataError
from oncotrial.services._unit import DATA_ENTRY_ROLES, Unit, check_version, require_role
from oncotrial.services._vocabulary import (
    DISPOSITION_EVENTS,
    SECTION_TYPES,
    SEXES,
    THERAPY_CATEGORIES,
    TIMEPOINTS,
)
from oncotrial.services.form_fields import parse_partial_date
from oncotrial.services.permissions import Action
from oncotrial.store.schema import (
    AssayFile,
    Biospecimen,
    ConcomitantTherapy,
    Disposition,
    Site,
    Subject,
    TilAssessment,
    Visit,
)
from oncotrial.types import Histology

__all__ = [
    "record_assay_file",
    "record_biospecimen",
    "record_concomitant_therapy",
    "record_disposition",
    "record_til_assessment",
    "record_visit",
    "register_subject",
]

_SEXES = SEXES
_DISPOSITION_EVENTS = DISPOSITION_EVENTS
_THERAPY_CATEGORIES = THERAPY_CATEGORIES
_TIMEPOINTS = TIMEPOINTS
_SECTION_TYPES = SECTION_TYPES


def _choice(value: str, allowed: tuple[str, ...], *, field: str, subject: str | None = None) -> str:
    if value not in allowed:
        raise DataError(
            "not an allowed value",
            field=field,
            value=value,
            allowed=", ".join(allowed),
            subject=subject,
        )
    return value


def register_subject(
    unit: Unit,
    screening_number: str,
    *,
    site: str,
    consent_date: date,
    consent_version: str,
    sex: str,
    birth_date: date | None = None,
    histology: Histology | str | None = None,
    histology_detail: str | None = None,
    ecog: int | None = None,
) -> int:
    """Register a consented subject at a site (status ``screening``); returns the subject id.

    Parameters
    ----------
    unit
        An open unit of work of a user who may enter data at *site*.
    screening_number
        The subject's number, unique in the trial.
    site
        Site code.
    consent_date, consent_version
        Date and version of the signed informed consent.
    sex
        ``F``, ``M`` or ``U`` (SDTM DM.SEX).
    birth_date, histology, histology_detail, ecog
        Optional screening facts; *histology* one of the protocol's eligible histologies, ECOG
        0–5.

    Returns
    -------
    int
        The subject's id.

    Raises
    ------
    DataError
        Unknown site, sex or histology, ECOG outside 0–5, a birth date not before consent.
    AccessError
        The user may not enter data at *site*.

    Examples
    --------
    See :func:`oncotrial.services.open_unit`, which registers a subject and records a lab value.
    """
    require_role(unit.actor, DATA_ENTRY_ROLES, what="register subjects")
    _choice(sex, _SEXES, field="sex", subject=screening_number)
    if histology is not None and histology not in {h.value for h in Histology}:
        raise DataError(
            "not an eligible histology",
            field="histology",
            value=histology,
            allowed=", ".join(h.value for h in Histology),
            subject=screening_number,
        )
    if ecog is not None and not 0 <= ecog <= 5:
        raise DataError("ECOG is 0-5", field="ecog", value=ecog, subject=screening_number)
    if birth_date is not None and birth_date >= consent_date:
        raise DataError(
            "birth date must precede consent",
            field="birth_date",
            value=birth_date.isoformat(),
            subject=screening_number,
        )
    with unit.step() as session:
        site_id = session.scalar(select(Site.id).where(Site.code == site))
        if site_id is None:
            raise DataError("no such site", field="site", value=site, subject=screening_number)
        unit.check_site(site_id, subject=screening_number)
        unit.require_at(site_id, Action.ENTER_DATA, subject=screening_number)
        subject = Subject(
            site_id=site_id,
            screening_number=screening_number,
            consent_date=consent_date,
            consent_version=consent_version,
            birth_date=birth_date,
            sex=sex,
            histology=None if histology is None else str(histology),
            histology_detail=histology_detail,
            ecog=ecog,
            status="screening",
        )
        session.add(subject)
        session.flush()
        return subject.id


def record_visit(
    unit: Unit,
    subject: str,
    *,
    name: str,
    visitnum: float,
    actual_date: date | None,
    planned_date: date | None = None,
    cycle: int | None = None,
    day: int | None = None,
    version: int | None = None,
    reason: str | None = None,
) -> int:
    """Record (or, with *version* and *reason*, update) a visit; returns the visit id.

    Parameters
    ----------
    unit
        A unit of work of a user who may enter data at the subject's site.
    subject
        The subject's screening number.
    name
        The visit's name in the schedule (e.g. ``"SCREENING"``, ``"C1D1"``); one row per name.
    visitnum
        The visit's number in the schedule (SDTM VISITNUM).
    actual_date
        When the visit took place, or ``None`` if it has not (yet).
    planned_date
        When it was planned (optional).
    cycle, day
        Treatment cycle and day of the cycle for treatment visits (optional).
    version
        To change a recorded visit: the version that was read (optimistic locking). Without it
        a second record of the same visit is refused.
    reason
        Reason for the change, required by the audit trail when changing a recorded visit.

    Returns
    -------
    int
        The visit's id (the same id when updating).

    Raises
    ------
    DataError
        If the visit is already recorded and no *version* is given.
    ConcurrencyError
        If *version* is not the visit's current version (someone changed it since).
    NotFoundError
        If there is no such subject or it is at a site the user does not see.
    AccessError
        If the user's role at the subject's site may not enter data.
    LockedError
        If a lock covers the subject's record.

    Examples
    --------
    >>> import tempfile
    >>> from datetime import date
    >>> from oncotrial.services import open_unit
    >>> from oncotrial.services.admin import bootstrap_admin, create_site, create_user, log_in
    >>> from oncotrial.services.database import upgrade_database
    >>> from oncotrial.services.subjects import record_visit, register_subject
    >>> from oncotrial.store import Store
    >>> folder = tempfile.TemporaryDirectory()
    >>> url = f"sqlite:///{folder.name}/trial.sqlite"
    >>> revision = upgrade_database(url)
    >>> store = Store(url)
    >>> ada = bootstrap_admin(store, username="ada", full_name="Ada Admin")
    >>> with open_unit(store, ada) as unit:
    ...     _ = create_site(unit, "01", name="Site 01")
    ...     _ = create_user(unit, "grace", full_name="Grace Chen", role="coordinator", sites=["01"])
    >>> grace = log_in(store, "grace", channel="API")
    >>> with open_unit(store, grace) as unit:
    ...     _ = register_subject(unit, "01-001", site="01", sex="F",
    ...                          consent_date=date(2024, 1, 2), consent_version="3.0")
    ...     visit_id = record_visit(unit, "01-001", name="C1D1", visitnum=1, cycle=1, day=1,
    ...                             actual_date=date(2024, 1, 15))
    >>> with open_unit(store, grace) as unit:
    ...     record_visit(unit, "01-001", name="C1D1", visitnum=1, actual_date=date(2024, 1, 16))
    Traceback (most recent call last):
    ...
    oncotrial.errors.DataError: subject 01-001: name='C1D1': visit already recorded; pass its ...
    >>> with open_unit(store, grace) as unit:
    ...     record_visit(unit, "01-001", name="C1D1", visitnum=1, cycle=1, day=1,
    ...                  actual_date=date(2024, 1, 16), version=1,
    ...                  reason="date transcribed wrongly") == visit_id
    True
    >>> store.dispose(); folder.cleanup()
    """
    with unit.step(reason=reason) as session:
        owner = unit.subject(subject, write=True)
        visit = session.scalar(
            select(Visit).where(Visit.subject_id == owner.id, Visit.name == name)
        )
        if visit is None:
            visit = Visit(subject_id=owner.id, name=name)
            session.add(visit)
        elif version is None:
            raise DataError(
                "visit already recorded; pass its version and a reason to change it",
                field="name",
                value=name,
                subject=subject,
            )
        else:
            check_version(visit, version, subject=subject)
        visit.visitnum = visitnum
        visit.cycle = cycle
        visit.day = day
        visit.planned_date = planned_date
        visit.actual_date = actual_date
        session.flush()
        return visit.id


def record_disposition(
    unit: Unit, subject: str, *, event: str, occurred_on: date, reason: str
) -> int:
    """Record end of treatment, end of study or death; updates the subject's status.

    The status becomes ``off_treatment`` after ``END OF TREATMENT`` and ``off_study`` after
    ``END OF STUDY`` or ``DEATH``.

    Parameters
    ----------
    unit
        A unit of work of a user who may enter data at the subject's site.
    subject
        The subject's screening number.
    event
        ``"END OF TREATMENT"``, ``"END OF STUDY"`` or ``"DEATH"``.
    occurred_on
        The event's date; not before consent.
    reason
        Why (e.g. ``"progressive disease"``); kept on the record and as the reason for change.

    Returns
    -------
    int
        The disposition row's id.

    Raises
    ------
    DataError
        If the event is not one of the three or the date precedes consent.
    NotFoundError
        If there is no such subject or it is at a site the user does not see.
    AccessError
        If the user's role at the subject's site may not enter data.
    LockedError
        If a lock covers the subject's record.
    """
    _choice(event, _DISPOSITION_EVENTS, field="event", subject=subject)
    with unit.step(reason=f"disposition: {event}") as session:
        owner = unit.subject(subject, write=True)
        if occurred_on < owner.consent_date:
            raise DataError(
                "date precedes consent",
                field="occurred_on",
                value=occurred_on.isoformat(),
                subject=subject,
            )
        row = Disposition(subject_id=owner.id, event=event, occurred_on=occurred_on, reason=reason)
        session.add(row)
        owner.status = "off_treatment" if event == "END OF TREATMENT" else "off_study"
        session.flush()
        return row.id


def _dtc(value: str | None, *, field: str, subject: str) -> tuple[str | None, date | None]:
    """A partial ISO 8601 date as collected, and the date itself when it is complete."""
    if value is None:
        return None, None
    try:
        text = parse_partial_date(value)
    except ValueError as exc:
        raise DataError(str(exc), field=field, value=value,
                        allowed="YYYY, YYYY-MM or YYYY-MM-DD", subject=subject) from exc
    return text, (date.fromisoformat(text) if len(text) == 10 else None)


def record_concomitant_therapy(
    unit: Unit,
    subject: str,
    *,
    name: str,
    category: str,
    indication: str = "",
    start_date: date | None = None,
    end_date: date | None = None,
    start: str | None = None,
    end: str | None = None,
) -> int:
    """Record a concomitant medication, a prior anticancer therapy (one record per line) or a
    subsequent anticancer therapy.

    Dates are complete (*start_date*, *end_date*) or partial ISO 8601 as collected (*start*,
    *end*: ``2017``, ``2017-05``, SDTMIG §4.4.4); a complete partial date fills the date too.

    Parameters
    ----------
    unit
        A unit of work of a user who may enter data at the subject's site.
    subject
        The subject's screening number.
    name
        The medication or regimen; non-blank (trimmed).
    category
        ``"CONCOMITANT"``, ``"PRIOR ANTICANCER"`` or ``"SUBSEQUENT ANTICANCER"``.
    indication
        Why it was given (optional free text).
    start_date, end_date
        Complete start and end dates (optional); the end not before the start.
    start, end
        Partial dates as collected: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (optional); a
        complete date given here is used when *start_date* / *end_date* are not given.

    Returns
    -------
    int
        The therapy row's id.

    Raises
    ------
    DataError
        If the category is unknown, the name blank, a partial date malformed, or the end
        precedes the start.
    NotFoundError
        If there is no such subject or it is at a site the user does not see.
    AccessError
        If the user's role at the subject's site may not enter data.
    LockedError
        If a lock covers the subject's record.
    """
    _choice(category, _THERAPY_CATEGORIES, field="category", subject=subject)
    if not name.strip():
        raise DataError("must not be blank", field="name", value=name, subject=subject)
    start_dtc, start_full = _dtc(start, field="start", subject=subject)
    end_dtc, end_full = _dtc(end, field="end", subject=subject)
    start_date = start_date or start_full
    end_date = end_date or end_full
    if start_date and end_date and end_date < start_date:
        raise DataError(
            "end before start", field="end_date", value=end_date.isoformat(), subject=subject
        )
    if start_dtc and end_dtc and end_dtc[: len(start_dtc)] < start_dtc[: len(end_dtc)]:
        raise DataError("end before start", field="end", value=end, subject=subject)
    with unit.step() as session:
        owner = unit.subject(subject, write=True)
        row = ConcomitantTherapy(
            subject_id=owner.id,
            name=name.strip(),
            category=category,
            indication=indication,
            start_date=start_date,
            end_date=end_date,
            start_dtc=start_dtc or (None if start_date is None else start_date.isoformat()),
            end_dtc=end_dtc or (None if end_date is None else end_date.isoformat()),
        )
        session.add(row)
        session.flush()
        return row.id


def record_biospecimen(
    unit: Unit,
    subject: str,
    *,
    specimen_code: str,
    timepoint: str,
    specimen_type: str,
    collected_on: date,
    anatomic_site: str = "",
) -> int:
    """Record a biospecimen (e.g. the pre- or post-treatment tumour biopsy).

    *specimen_code* is the block id: it names one specimen in the whole trial, so a second
    specimen with the same code is refused.

    Parameters
    ----------
    unit
        A unit of work of a user who may enter data at the subject's site.
    subject
        The subject's screening number.
    specimen_code
        The block id, non-blank and not yet used in the trial.
    timepoint
        ``"PRE"``, ``"POST"`` or ``"OTHER"`` (treatment).
    specimen_type
        E.g. ``"FFPE TUMOUR BIOPSY"``.
    collected_on
        Collection date.
    anatomic_site
        Where the tissue was taken (optional free text).

    Returns
    -------
    int
        The biospecimen row's id.

    Raises
    ------
    DataError
        If the timepoint is unknown, or the block id is blank or already used.
    NotFoundError
        If there is no such subject or it is at a site the user does not see.
    AccessError
        If the user's role at the subject's site may not enter data.
    LockedError
        If a lock covers the subject's record.
    """
    _choice(timepoint, _TIMEPOINTS, field="timepoint", subject=subject)
    if not specimen_code.strip():
        raise DataError("a block id is required", field="specimen_code", value=specimen_code,
                        allowed="the block id of the specimen", subject=subject)
    with unit.step() as session:
        owner = unit.subject(subject, write=True)
        if session.scalar(select(Biospecimen.id).where(
                Biospecimen.specimen_code == specimen_code)) is not None:
            raise DataError("a biospecimen with this block id is already recorded",
                            field="specimen_code", value=specimen_code,
                            allowed="a block id not yet used in the trial", subject=subject)
        row = Biospecimen(
            subject_id=owner.id,
            specimen_code=specimen_code,
            timepoint=timepoint,
            specimen_type=specimen_type,
            collected_on=collected_on,
            anatomic_site=anatomic_site,
        )
        session.add(row)
        session.flush()
        return row.id


def _specimen(unit: Unit, subject: str, specimen_code: str) -> Biospecimen:
    owner = unit.subject(subject, write=True)
    specimen = unit.session.scalar(
        select(Biospecimen).where(
            Biospecimen.specimen_code == specimen_code, Biospecimen.subject_id == owner.id
        )
    )
    if specimen is None:
        raise DataError(
            "no such biospecimen for this subject",
            field="specimen_code",
            value=specimen_code,
            subject=subject,
        )
    return specimen


def record_til_assessment(
    unit: Unit,
    subject: str,
    *,
    specimen_code: str,
    stromal_til_percent: float,
    section_type: str,
    assessed_by: str,
    assessed_on: date,
    evaluated_area_mm2: float | None = None,
    tumour_border_assessed: bool = True,
    excluded_areas: str = "",
) -> int:
    """Record a stromal TIL score per the International TILs Working Group (Salgado 2015).

    Stromal TILs are a continuous percentage (0-100) of stromal area; the evaluated area and
    the excluded areas (crush, necrosis, hyalinisation) are recorded with it.

    Parameters
    ----------
    unit
        A unit of work of a user who may enter data at the subject's site.
    subject
        The subject's screening number.
    specimen_code
        The block id of one of the subject's biospecimens.
    stromal_til_percent
        Percentage of stromal area occupied by lymphocytes, 0–100.
    section_type
        ``"FULL SECTION"`` or ``"CORE BIOPSY"``.
    assessed_by
        The pathologist.
    assessed_on
        Date of the reading.
    evaluated_area_mm2
        The stromal area evaluated, mm² (optional; positive).
    tumour_border_assessed
        Whether the invasive border was included (default ``True``).
    excluded_areas
        What was left out (crush, necrosis, hyalinisation; optional free text).

    Returns
    -------
    int
        The TIL assessment row's id.

    Raises
    ------
    DataError
        If the percentage is outside 0–100, the area not positive, the section type unknown,
        or the subject has no biospecimen *specimen_code*.
    NotFoundError
        If there is no such subject or it is at a site the user does not see.
    AccessError
        If the user's role at the subject's site may not enter data.
    LockedError
        If a lock covers the subject's record.
    """
    if not 0 <= stromal_til_percent <= 100:
        raise DataError(
            "a percentage of stromal area",
            field="stromal_til_percent",
            value=stromal_til_percent,
            allowed="0-100",
            subject=subject,
        )
    if evaluated_area_mm2 is not None and evaluated_area_mm2 <= 0:
        raise DataError(
            "must be positive",
            field="evaluated_area_mm2",
            value=evaluated_area_mm2,
            subject=subject,
        )
    _choice(section_type, _SECTION_TYPES, field="section_type", subject=subject)
    with unit.step() as session:
        specimen = _specimen(unit, subject, specimen_code)
        row = TilAssessment(
            subject_id=specimen.subject_id,
            biospecimen_id=specimen.id,
            stromal_til_percent=stromal_til_percent,
            evaluated_area_mm2=evaluated_area_mm2,
            section_type=section_type,
            tumour_border_assessed=tumour_border_assessed,
            excluded_areas=excluded_areas,
            assessed_by=assessed_by,
            assessed_on=assessed_on,
        )
        session.add(row)
        session.flush()
        return row.id


def record_assay_file(
    unit: Unit,
    subject: str,
    *,
    specimen_code: str,
    assay: str,
    file_name: str,
    sha256: str,
    size_bytes: int,
) -> int:
    """Attach a translational assay file (name, SHA-256, size) to a biospecimen.

    A file (same content or same name for the assay) is linked to one biospecimen only: a
    second link is refused, naming the specimen it is linked to.

    Parameters
    ----------
    unit
        A unit of work of a user who may enter data at the subject's site.
    subject
        The subject's screening number.
    specimen_code
        The block id of one of the subject's biospecimens.
    assay
        The assay's name (e.g. ``"nCounter RCC"``).
    file_name
        The file's name.
    sha256
        SHA-256 of the file's content: 64 lower-case hexadecimal characters.
    size_bytes
        The file's size in bytes, positive.

    Returns
    -------
    int
        The assay-file row's id.

    Raises
    ------
    DataError
        If the hash is not lower-case hex SHA-256, the size is not positive, the subject has no
        biospecimen *specimen_code*, or the file is already linked.
    NotFoundError
        If there is no such subject or it is at a site the user does not see.
    AccessError
        If the user's role at the subject's site may not enter data.
    LockedError
        If a lock covers the subject's record.
    """
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise DataError(
            "not a lower-case hex SHA-256", field="sha256", value=sha256, subject=subject
        )
    if size_bytes <= 0:
        raise DataError("an assay file cannot be empty", field="size_bytes", value=size_bytes,
                        allowed="> 0 bytes", subject=subject)
    with unit.step() as session:
        specimen = _specimen(unit, subject, specimen_code)
        linked = session.execute(
            select(AssayFile.file_name, Biospecimen.specimen_code)
            .join(Biospecimen, Biospecimen.id == AssayFile.biospecimen_id)
            .where(AssayFile.deleted.is_(False), AssayFile.assay == assay,
                   (AssayFile.sha256 == sha256) | (AssayFile.file_name == file_name))
        ).first()
        if linked is not None:
            raise DataError(
                "this assay file is already linked to a biospecimen", field="file_name",
                value=file_name, subject=subject,
                allowed=f"a file linked once (already linked as {linked[0]!r} to "
                        f"{linked[1]!r})")
        row = AssayFile(
            subject_id=specimen.subject_id,
            biospecimen_id=specimen.id,
            assay=assay,
            file_name=file_name,
            sha256=sha256,
            size_bytes=size_bytes,
        )
        session.add(row)
        session.flush()
        return row.id
