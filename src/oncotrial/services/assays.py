"""Translational assay files in the casebook: link an nCounter RCC to its biopsy on import, and
read the linked files back as the sample sheet of the paired pre/post analysis.

A biopsy (``biospecimen``: subject, timepoint PRE/POST, date, site, block id) is recorded with
:func:`oncotrial.services.subjects.record_biospecimen`; its stromal TIL score with
:func:`~oncotrial.services.subjects.record_til_assessment`; the RCC file is attached with
:func:`~oncotrial.services.subjects.record_assay_file` (content hash and size, so that the file
analysed later is provably the one linked).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from oncotrial.services._unit import Unit, open_unit
from oncotrial.services.auth import signed_in
from oncotrial.services.subjects import record_assay_file
from oncotrial.store.schema import AssayFile, Biospecimen, Subject, TilAssessment

__all__ = ["NCOUNTER_RCC", "AssaySample", "link_assay_file_at", "list_assay_samples",
           "read_assay_samples_at"]

NCOUNTER_RCC = "nCounter RCC"


@dataclass(frozen=True)
class AssaySample:
    """One linked assay file with its biopsy and the biopsy's stromal TIL score (if any)."""

    file_name: str
    sha256: str
    subject: str
    specimen_code: str
    timepoint: str  # PRE / POST / OTHER, as recorded
    collected_on: date
    anatomic_site: str
    til_stromal_percent: float | None


def list_assay_samples(unit: Unit, *, assay: str = NCOUNTER_RCC) -> list[AssaySample]:
    """The files of *assay* linked to biopsies of subjects the actor may see, by subject and
    date; each with the latest stromal TIL score of its biopsy.

    Parameters
    ----------
    unit
        A unit of work of any user; subjects at sites the user does not see are left out.
    assay
        The assay name the files were linked under (default :data:`NCOUNTER_RCC`).

    Returns
    -------
    list[AssaySample]
        One per linked file, ordered by screening number, collection date and file.
    """
    rows = unit.session.execute(
        select(AssayFile, Biospecimen, Subject)
        .join(Biospecimen, Biospecimen.id == AssayFile.biospecimen_id)
        .join(Subject, Subject.id == Biospecimen.subject_id)
        .where(AssayFile.deleted.is_(False), Biospecimen.deleted.is_(False),
               Subject.deleted.is_(False), AssayFile.assay == assay)
        .order_by(Subject.screening_number, Biospecimen.collected_on, AssayFile.id)
    ).all()
    out = []
    for file, specimen, subject in rows:
        if not unit.sees_site(subject.site_id):
            continue
        til = unit.session.scalar(
            select(TilAssessment.stromal_til_percent)
            .where(TilAssessment.biospecimen_id == specimen.id,
                   TilAssessment.deleted.is_(False))
            .order_by(TilAssessment.assessed_on.desc(), TilAssessment.id.desc()).limit(1))
        out.append(AssaySample(
            file_name=file.file_name, sha256=file.sha256, subject=subject.screening_number,
            specimen_code=specimen.specimen_code, timepoint=specimen.timepoint,
            collected_on=specimen.collected_on, anatomic_site=specimen.anatomic_site,
            til_stromal_percent=None if til is None else float(til)))
    return out


def link_assay_file_at(url: str, *, username: str, password: str, subject: str,
                       specimen_code: str, file_name: str, sha256: str, size_bytes: int,
                       assay: str = NCOUNTER_RCC) -> int:
    """Link a file to a biopsy in the database at *url* as *username* (password checked);
    returns the assay-file row id.

    Parameters
    ----------
    url
        SQLAlchemy URL of the trial database.
    username, password
        The data-entry user who links the file, and their password.
    subject
        Screening number.
    specimen_code
        The biopsy's specimen code, as recorded with
        :func:`oncotrial.services.subjects.record_biospecimen`.
    file_name
        The file's name.
    sha256
        The file content's SHA-256: 64 lower-case hexadecimal characters.
    size_bytes
        The file's size in bytes.
    assay
        The assay name (default :data:`NCOUNTER_RCC`).

    Returns
    -------
    int
        The assay-file row id.

    Raises
    ------
    AccessError
        If the log-in is refused or the user may not enter data at the subject's site.
    NotFoundError
        If the subject does not exist for the user.
    DataError
        If the subject has no biopsy *specimen_code*, the hash or size is invalid, the file
        (same content or name) is already linked, or the database cannot be reached.
    """
    with signed_in(url, username, password) as (store, actor), open_unit(store, actor) as unit:
        return record_assay_file(unit, subject, specimen_code=specimen_code,
                                 assay=assay, file_name=file_name, sha256=sha256,
                                 size_bytes=size_bytes)


def read_assay_samples_at(url: str, *, username: str, password: str,
                          assay: str = NCOUNTER_RCC) -> list[AssaySample]:
    """:func:`list_assay_samples` on the database at *url* as *username* (password checked).

    Parameters
    ----------
    url
        SQLAlchemy URL of the trial database.
    username, password
        The user and their password.
    assay
        The assay name (default :data:`NCOUNTER_RCC`).

    Returns
    -------
    list[AssaySample]
        As :func:`list_assay_samples`.

    Raises
    ------
    AccessError
        If the log-in is refused.
    DataError
        If the database cannot be reached.
    """
    with signed_in(url, username, password) as (store, actor), open_unit(store, actor) as unit:
        return list_assay_samples(unit, assay=assay)
