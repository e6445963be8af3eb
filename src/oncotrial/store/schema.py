"""The typed trial database: one table per case report form, plus audit, signatures and locks.

Every casebook table carries an integer ``id``, an optimistic-locking ``version`` (SQLAlchemy
``version_id_col``: a stale save raises instead of overwriting) and a ``deleted`` flag (deletes
are logical). Subject-owned tables carry ``subject_id`` so access control, locks, signatures
and the audit trail can find the subject of every row.

Dates of clinical events are ``Date``; time stamps are UTC (:class:`UTCDateTime` stores naive
UTC and hands back aware UTC on every backend). Vocabularies are strings validated by the
services against :mod:`oncotrial.types` and the protocol.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "AdverseEvent",
    "AppUser",
    "AssayFile",
    "AuditLog",
    "Base",
    "Biospecimen",
    "BodyMeasurement",
    "CasebookRow",
    "ConcomitantTherapy",
    "DataQuery",
    "Disposition",
    "DrugAdministration",
    "EligibilityResult",
    "Enrolment",
    "LabResult",
    "Lesion",
    "LesionMeasurement",
    "MedicalHistory",
    "PerformanceStatus",
    "QueryMessage",
    "RecordLock",
    "Signature",
    "Site",
    "SourceVerification",
    "Subject",
    "SubjectRow",
    "SurvivalContact",
    "TilAssessment",
    "TumourAssessment",
    "UTCDateTime",
    "UserSite",
    "Visit",
    "VitalSign",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A time stamp stored as naive UTC and returned as aware UTC (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware time to naive UTC; a naive time is refused (ambiguous)."""
        if value is None:
            return None
        if value.tzinfo is None:
            msg = f"naive datetime {value.isoformat()} is ambiguous; pass an aware UTC time"
            raise ValueError(msg)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to the stored naive value."""
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (stable Alembic diffs)."""

    metadata = MetaData(naming_convention=NAMING)


class CasebookRow(Base):
    """Abstract base of every audited table: id, optimistic version and logical delete."""

    __abstract__ = True
    #: the form name used in locks, ODM FormOIDs and audit entries (defaults to the table name)
    form: ClassVar[str] = ""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 - declared_attr receives the class
        return {"version_id_col": cls.__table__.c.version}


class SubjectRow(CasebookRow):
    """Abstract base of a subject's case report form rows."""

    __abstract__ = True

    @declared_attr
    def subject_id(cls) -> Mapped[int]:  # noqa: N805 - declared_attr receives the class
        return mapped_column(ForeignKey("subject.id"), nullable=False, index=True)


# --- organisation -----------------------------------------------------------------------------


class Site(CasebookRow):
    """An investigational site."""

    __tablename__ = "site"
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class AppUser(CasebookRow):
    """A user account with one role (oncotrial.types.Role)."""

    __tablename__ = "app_user"
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class UserSite(CasebookRow):
    """A user's assignment to a site, with the role held there (``None``: the user's role).

    A user may hold different roles at different sites (a coordinator at one, an
    investigator at another); site-scoped roles see only their sites.
    """

    __tablename__ = "user_site"
    __table_args__ = (UniqueConstraint("user_id", "site_id"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    role: Mapped[str | None] = mapped_column(String(20))


# --- subject, eligibility, enrolment ----------------------------------------------------------


class Subject(CasebookRow):
    """A screened subject (status: screening, screen_failed, enrolled, off_treatment, off_study)."""

    __tablename__ = "subject"
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    screening_number: Mapped[str] = mapped_column(String(40), unique=True)
    consent_date: Mapped[date]
    consent_version: Mapped[str] = mapped_column(String(40))
    birth_date: Mapped[date | None]
    sex: Mapped[str] = mapped_column(String(1))
    histology: Mapped[str | None] = mapped_column(String(10))
    histology_detail: Mapped[str | None] = mapped_column(String(200))
    ecog: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(20), default="screening")
    screen_fail_reason: Mapped[str | None] = mapped_column(Text)


class EligibilityResult(SubjectRow):
    """One eligibility criterion evaluated for a subject (met None = could not be evaluated)."""

    __tablename__ = "eligibility_result"
    form = "eligibility"
    criterion: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))  # inclusion / exclusion
    met: Mapped[bool | None]
    reason: Mapped[str] = mapped_column(Text, default="")


class Enrolment(SubjectRow):
    """Enrolment of an eligible subject: phase, dose-finding cohort and reference start date."""

    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("subject_id"),)
    phase: Mapped[str] = mapped_column(String(4))
    cohort: Mapped[int | None]
    regimen: Mapped[str] = mapped_column(String(40))
    enrolled_on: Mapped[date]
    reference_start_date: Mapped[date | None]
    decision_rule: Mapped[str] = mapped_column(String(80), default="")


class Visit(SubjectRow):
    """A visit (screening, cycle day, tumour assessment, follow-up) with planned/actual dates."""

    __tablename__ = "visit"
    __table_args__ = (UniqueConstraint("subject_id", "name"),)
    name: Mapped[str] = mapped_column(String(40))
    visitnum: Mapped[float]
    cycle: Mapped[int | None]
    day: Mapped[int | None]
    planned_date: Mapped[date | None]
    actual_date: Mapped[date | None]


# --- treatment and safety ---------------------------------------------------------------------


class BodyMeasurement(SubjectRow):
    """Height, weight and the BSA derived from them (formula named)."""

    __tablename__ = "body_measurement"
    measured_on: Mapped[date]
    height_cm: Mapped[float]
    weight_kg: Mapped[float]
    bsa_m2: Mapped[float]
    bsa_formula: Mapped[str] = mapped_column(String(40))


class VitalSign(SubjectRow):
    """One vital sign (SDTM VSTESTCD) with the CTCAE grade computed from it when defined."""

    __tablename__ = "vital_sign"
    measured_on: Mapped[date]
    test_code: Mapped[str] = mapped_column(String(8))
    value: Mapped[float]
    unit: Mapped[str] = mapped_column(String(20))
    ctcae_term: Mapped[str | None] = mapped_column(String(100))
    grade: Mapped[int | None]
    grade_rule: Mapped[str | None] = mapped_column(String(120))


class LabResult(SubjectRow):
    """One laboratory result (SDTM LBTESTCD, standard unit, normal range) and its CTCAE grade."""

    __tablename__ = "lab_result"
    __table_args__ = (Index("ix_lab_result_subject_collected", "subject_id", "collected_on"),)
    collected_on: Mapped[date]
    test_code: Mapped[str] = mapped_column(String(8))
    test_name: Mapped[str] = mapped_column(String(60))
    value: Mapped[float]
    unit: Mapped[str] = mapped_column(String(20))
    lln: Mapped[float | None]
    uln: Mapped[float | None]
    ctcae_term: Mapped[str | None] = mapped_column(String(100))
    grade: Mapped[int | None]
    grade_rule: Mapped[str | None] = mapped_column(String(120))
    grade_reason: Mapped[str | None] = mapped_column(Text)


class AdverseEvent(SubjectRow):
    """An adverse event: CTCAE v5 term and grade, attribution per drug, DLT evaluation."""

    __tablename__ = "adverse_event"
    term: Mapped[str] = mapped_column(String(120))
    grade: Mapped[int]
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    serious: Mapped[bool] = mapped_column(Boolean, default=False)
    related_lenvatinib: Mapped[str] = mapped_column(String(20))
    related_eribulin: Mapped[str] = mapped_column(String(20))
    action_taken: Mapped[str] = mapped_column(String(40), default="DOSE NOT CHANGED")
    outcome: Mapped[str] = mapped_column(String(40), default="NOT RECOVERED/NOT RESOLVED")
    dlt: Mapped[bool | None]
    dlt_rule: Mapped[str | None] = mapped_column(String(120))
    flags: Mapped[str] = mapped_column(String(200), default="")  # comma-separated DLT/dose flags


class DrugAdministration(SubjectRow):
    """One drug on one cycle day: the engine's recommendation beside the dose given."""

    __tablename__ = "drug_administration"
    drug: Mapped[str] = mapped_column(String(40))
    cycle: Mapped[int]
    day: Mapped[int]
    administered_on: Mapped[date]
    planned_level: Mapped[float]
    recommended_action: Mapped[str] = mapped_column(String(20))
    recommended_dose: Mapped[float]
    given_dose: Mapped[float]
    unit: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    decision_rules: Mapped[str] = mapped_column(Text, default="")
    # the engine's decision of its day (False: a daily drug taken between decision days)
    decision: Mapped[bool] = mapped_column(default=True, server_default=true())
    # the hold state the decision leaves, read back as the next decision's starting point
    on_hold: Mapped[bool] = mapped_column(default=False, server_default=false())
    hold_rule: Mapped[str | None] = mapped_column(String(80))
    hold_terms: Mapped[str] = mapped_column(Text, default="", server_default="")  # ';'-joined
    held_from_level: Mapped[float | None]


class ConcomitantTherapy(SubjectRow):
    """A concomitant medication or a subsequent anticancer therapy (``category``)."""

    __tablename__ = "concomitant_therapy"
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(30))  # CONCOMITANT / PRIOR / SUBSEQUENT ANTICANCER
    indication: Mapped[str] = mapped_column(String(200), default="")
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    # ISO 8601 as collected, partial allowed (SDTMIG §4.4.4); the dates above when complete
    start_dtc: Mapped[str | None] = mapped_column(String(10))
    end_dtc: Mapped[str | None] = mapped_column(String(10))


class MedicalHistory(SubjectRow):
    """A condition in the medical history, with partial ISO 8601 dates (CDISC MH)."""

    __tablename__ = "medical_history"
    term: Mapped[str] = mapped_column(String(200))
    start_dtc: Mapped[str] = mapped_column(String(10))
    end_dtc: Mapped[str | None] = mapped_column(String(10))
    ongoing: Mapped[bool] = mapped_column(Boolean, default=False)


class EcgResult(SubjectRow):
    """One ECG interval (SDTM EG): the corrected QT of a 12-lead ECG, in msec (CDISC EGTESTCD
    QTCFAG/QTCBAG: Fridericia's or Bazett's correction, aggregate of the beats read)."""

    __tablename__ = "ecg_result"
    performed_on: Mapped[date]
    test_code: Mapped[str] = mapped_column(String(8))
    value: Mapped[float]
    unit: Mapped[str] = mapped_column(String(10), default="msec")
    method: Mapped[str] = mapped_column(String(40), default="12 LEAD STANDARD")


class ProtocolDeviation(SubjectRow):
    """A protocol deviation (SDTM DV): what happened, its category and when it began; a dose
    recorded against the engine's decision writes one itself."""

    __tablename__ = "protocol_deviation"
    start_date: Mapped[date]
    category: Mapped[str] = mapped_column(String(40))
    term: Mapped[str] = mapped_column(String(200))


class PerformanceStatus(SubjectRow):
    """An ECOG performance status score on a date (0 fully active … 4 completely disabled)."""

    __tablename__ = "performance_status"
    assessed_on: Mapped[date]
    scale: Mapped[str] = mapped_column(String(10), default="ECOG")
    score: Mapped[int]


class SurvivalContact(SubjectRow):
    """A survival follow-up contact: alive, dead or lost, and any new anticancer therapy."""

    __tablename__ = "survival_contact"
    contacted_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(20))
    new_anticancer_therapy: Mapped[str] = mapped_column(String(120), default="")


class Disposition(SubjectRow):
    """End of treatment, end of study or death, with its date and reason."""

    __tablename__ = "disposition"
    __table_args__ = (UniqueConstraint("subject_id", "event"),)
    event: Mapped[str] = mapped_column(String(30))
    occurred_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200))


# --- tumour assessments -----------------------------------------------------------------------


class Lesion(SubjectRow):
    """A lesion identified at baseline (TARGET/NON-TARGET) or later (NEW), per evaluator."""

    __tablename__ = "lesion"
    __table_args__ = (UniqueConstraint("subject_id", "evaluator", "link_id"),)
    link_id: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(12))
    location: Mapped[str] = mapped_column(String(120))
    nodal: Mapped[bool] = mapped_column(Boolean, default=False)
    evaluator: Mapped[str] = mapped_column(String(40), default="INVESTIGATOR")


class TumourAssessment(SubjectRow):
    """One imaging timepoint: investigator's response beside the RECIST engine's."""

    __tablename__ = "tumour_assessment"
    __table_args__ = (UniqueConstraint("subject_id", "evaluator", "visit_name"),)
    visit_name: Mapped[str] = mapped_column(String(40))
    visitnum: Mapped[float]
    assessed_on: Mapped[date]
    evaluator: Mapped[str] = mapped_column(String(40), default="INVESTIGATOR")
    investigator_response: Mapped[str | None] = mapped_column(String(16))
    computed_target: Mapped[str | None] = mapped_column(String(16))
    computed_nontarget: Mapped[str | None] = mapped_column(String(16))
    computed_new_lesion: Mapped[str | None] = mapped_column(String(4))
    computed_response: Mapped[str | None] = mapped_column(String(16))
    computed_rule: Mapped[str | None] = mapped_column(String(120))
    sum_diameters_mm: Mapped[float | None]


class LesionMeasurement(SubjectRow):
    """One lesion at one assessment: diameter (long axis; short axis for nodes) or state."""

    __tablename__ = "lesion_measurement"
    __table_args__ = (UniqueConstraint("assessment_id", "lesion_id"),)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("tumour_assessment.id"), index=True)
    lesion_id: Mapped[int] = mapped_column(ForeignKey("lesion.id"))
    diameter_mm: Mapped[float | None]
    perpendicular_mm: Mapped[float | None]
    state: Mapped[str | None] = mapped_column(String(40))
    # mean attenuation of a target lesion on contrast CT, in Hounsfield units (Choi criteria)
    density_hu: Mapped[float | None]


# --- biospecimens and translational -----------------------------------------------------------


class Biospecimen(SubjectRow):
    """A biopsy or sample, e.g. the paired pre/post-treatment tumour biopsies."""

    __tablename__ = "biospecimen"
    __table_args__ = (UniqueConstraint("specimen_code"),)
    specimen_code: Mapped[str] = mapped_column(String(40))
    timepoint: Mapped[str] = mapped_column(String(10))  # PRE / POST / OTHER
    specimen_type: Mapped[str] = mapped_column(String(40))  # FFPE BIOPSY, ...
    anatomic_site: Mapped[str] = mapped_column(String(120), default="")
    collected_on: Mapped[date]


class TilAssessment(SubjectRow):
    """Stromal TIL scoring per the International TILs Working Group method (Salgado 2015).

    Stromal TILs are the percentage of the stromal area occupied by mononuclear cells,
    averaged over the evaluated area within the tumour border; areas of crush artefact,
    necrosis and regressive hyalinisation are excluded (Salgado et al., Ann Oncol
    2015;26:259-271, recommendations 1-9).
    """

    __tablename__ = "til_assessment"
    biospecimen_id: Mapped[int] = mapped_column(ForeignKey("biospecimen.id"), index=True)
    stromal_til_percent: Mapped[float]
    evaluated_area_mm2: Mapped[float | None]
    section_type: Mapped[str] = mapped_column(String(20))  # FULL SECTION / CORE BIOPSY
    tumour_border_assessed: Mapped[bool] = mapped_column(Boolean, default=True)
    excluded_areas: Mapped[str] = mapped_column(String(200), default="")
    assessed_by: Mapped[str] = mapped_column(String(120))
    assessed_on: Mapped[date]
    method: Mapped[str] = mapped_column(String(60), default="International TILs WG 2014")


class AssayFile(SubjectRow):
    """A translational assay file (e.g. an nCounter RCC) attached to a biospecimen."""

    __tablename__ = "assay_file"
    biospecimen_id: Mapped[int] = mapped_column(ForeignKey("biospecimen.id"), index=True)
    assay: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(260))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]


# --- data management --------------------------------------------------------------------------


class DataQuery(SubjectRow):
    """A data query on a field of a row (ODM 2.0 states: Open, Answered, Closed, Cancelled)."""

    __tablename__ = "data_query"
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int]
    field: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(12), default="Open")
    text: Mapped[str] = mapped_column(Text)
    raised_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))


class QueryMessage(SubjectRow):
    """One message in a query's thread (raise, answer, close, cancel)."""

    __tablename__ = "query_message"
    query_id: Mapped[int] = mapped_column(ForeignKey("data_query.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    kind: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Signature(SubjectRow):
    """An electronic signature of a subject's casebook or of one visit: signer, meaning, time,
    content hash (``scope`` casebook or visit; ``visit_name`` for a visit)."""

    __tablename__ = "signature"
    scope: Mapped[str] = mapped_column(String(10), default="casebook")
    visit_name: Mapped[str | None] = mapped_column(String(40))
    signer_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    signer_name: Mapped[str] = mapped_column(String(200))
    meaning: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    content_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(12), default="valid")
    invalidated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invalidated_reason: Mapped[str | None] = mapped_column(Text)


class SourceVerification(SubjectRow):
    """Source data verification of one field of one row by a monitor.

    ``state`` is ``verified`` until the value changes, when the store sets it to ``revoked``
    with the change as the reason (any write path, so no verified value changes unnoticed).
    """

    __tablename__ = "source_verification"
    __table_args__ = (Index("ix_source_verification_row", "table_name", "row_id", "field"),)
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int]
    field: Mapped[str] = mapped_column(String(60))
    verified_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(10), default="verified")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)


class RecordLock(CasebookRow):
    """A lock at study, site, subject or form level; ``active`` False once unlocked."""

    __tablename__ = "record_lock"
    level: Mapped[str] = mapped_column(String(10))  # study / site / subject / form
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subject.id"))
    form_name: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    reason: Mapped[str] = mapped_column(Text)
    locked_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    unlocked_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    unlock_reason: Mapped[str | None] = mapped_column(Text)


class AuditLog(Base):
    """The append-only change log: one row per field change or event, hash-chained by ``seq``.

    Never updated or deleted: on PostgreSQL a trigger refuses UPDATE/DELETE/TRUNCATE and the
    application role is granted only SELECT and INSERT (see :mod:`oncotrial.store.audit`).
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_row", "table_name", "row_id", "field"),
        Index("ix_audit_log_subject", "subject_id"),
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None]
    username: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(12))
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int | None]
    subject_id: Mapped[int | None]
    field: Mapped[str | None] = mapped_column(String(60))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(12))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


# The authentication tables live in their own module; importing it here registers them on
# Base.metadata wherever the schema is used (migrations, comparisons).
from oncotrial.store import auth_schema as _auth_schema  # noqa: E402, F401
