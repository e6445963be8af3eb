"""Initial casebook: sites, users, subjects, forms, queries, signatures, locks, change log.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import oncotrial.store.schema

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "app_user",
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", oncotrial.store.schema.UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=60), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    op.create_index(
        "ix_audit_log_row", "audit_log", ["table_name", "row_id", "field"], unique=False
    )
    op.create_index("ix_audit_log_subject", "audit_log", ["subject_id"], unique=False)
    op.create_table(
        "site",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site")),
        sa.UniqueConstraint("code", name=op.f("uq_site_code")),
    )
    op.create_table(
        "subject",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("screening_number", sa.String(length=40), nullable=False),
        sa.Column("consent_date", sa.Date(), nullable=False),
        sa.Column("consent_version", sa.String(length=40), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("histology", sa.String(length=10), nullable=True),
        sa.Column("histology_detail", sa.String(length=200), nullable=True),
        sa.Column("ecog", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("screen_fail_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_subject_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject")),
        sa.UniqueConstraint("screening_number", name=op.f("uq_subject_screening_number")),
    )
    op.create_index(op.f("ix_subject_site_id"), "subject", ["site_id"], unique=False)
    op.create_table(
        "user_site",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_user_site_site_id_site")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_user_site_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_site")),
        sa.UniqueConstraint("user_id", "site_id", name=op.f("uq_user_site_user_id")),
    )
    op.create_table(
        "adverse_event",
        sa.Column("term", sa.String(length=120), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("related_lenvatinib", sa.String(length=20), nullable=False),
        sa.Column("related_eribulin", sa.String(length=20), nullable=False),
        sa.Column("action_taken", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("dlt", sa.Boolean(), nullable=True),
        sa.Column("dlt_rule", sa.String(length=120), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_adverse_event_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_event")),
    )
    op.create_index(
        op.f("ix_adverse_event_subject_id"), "adverse_event", ["subject_id"], unique=False
    )
    op.create_table(
        "body_measurement",
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("height_cm", sa.Double(), nullable=False),
        sa.Column("weight_kg", sa.Double(), nullable=False),
        sa.Column("bsa_m2", sa.Double(), nullable=False),
        sa.Column("bsa_formula", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_body_measurement_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_body_measurement")),
    )
    op.create_index(
        op.f("ix_body_measurement_subject_id"), "body_measurement", ["subject_id"], unique=False
    )
    op.create_table(
        "concomitant_therapy",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("indication", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_concomitant_therapy_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concomitant_therapy")),
    )
    op.create_index(
        op.f("ix_concomitant_therapy_subject_id"),
        "concomitant_therapy",
        ["subject_id"],
        unique=False,
    )
    op.create_table(
        "data_query",
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("raised_by", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["raised_by"], ["app_user.id"], name=op.f("fk_data_query_raised_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_data_query_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_query")),
    )
    op.create_index(op.f("ix_data_query_subject_id"), "data_query", ["subject_id"], unique=False)
    op.create_table(
        "disposition",
        sa.Column("event", sa.String(length=30), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_disposition_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposition")),
        sa.UniqueConstraint("subject_id", "event", name=op.f("uq_disposition_subject_id")),
    )
    op.create_index(op.f("ix_disposition_subject_id"), "disposition", ["subject_id"], unique=False)
    op.create_table(
        "drug_administration",
        sa.Column("drug", sa.String(length=40), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("administered_on", sa.Date(), nullable=False),
        sa.Column("planned_level", sa.Double(), nullable=False),
        sa.Column("recommended_action", sa.String(length=20), nullable=False),
        sa.Column("recommended_dose", sa.Double(), nullable=False),
        sa.Column("given_dose", sa.Double(), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decision_rules", sa.Text(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_drug_administration_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drug_administration")),
    )
    op.create_index(
        op.f("ix_drug_administration_subject_id"),
        "drug_administration",
        ["subject_id"],
        unique=False,
    )
    op.create_table(
        "eligibility_result",
        sa.Column("criterion", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_eligibility_result_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eligibility_result")),
    )
    op.create_index(
        op.f("ix_eligibility_result_subject_id"), "eligibility_result", ["subject_id"], unique=False
    )
    op.create_table(
        "enrolment",
        sa.Column("phase", sa.String(length=4), nullable=False),
        sa.Column("cohort", sa.Integer(), nullable=True),
        sa.Column("regimen", sa.String(length=40), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("reference_start_date", sa.Date(), nullable=True),
        sa.Column("decision_rule", sa.String(length=80), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_enrolment_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment")),
        sa.UniqueConstraint("subject_id", name=op.f("uq_enrolment_subject_id")),
    )
    op.create_index(op.f("ix_enrolment_subject_id"), "enrolment", ["subject_id"], unique=False)
    op.create_table(
        "lab_result",
        sa.Column("collected_on", sa.Date(), nullable=False),
        sa.Column("test_code", sa.String(length=8), nullable=False),
        sa.Column("test_name", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("lln", sa.Double(), nullable=True),
        sa.Column("uln", sa.Double(), nullable=True),
        sa.Column("ctcae_term", sa.String(length=100), nullable=True),
        sa.Column("grade", sa.Integer(), nullable=True),
        sa.Column("grade_rule", sa.String(length=120), nullable=True),
        sa.Column("grade_reason", sa.Text(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_lab_result_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_result")),
    )
    op.create_index(
        "ix_lab_result_subject_collected",
        "lab_result",
        ["subject_id", "collected_on"],
        unique=False,
    )
    op.create_index(op.f("ix_lab_result_subject_id"), "lab_result", ["subject_id"], unique=False)
    op.create_table(
        "lesion",
        sa.Column("link_id", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=12), nullable=False),
        sa.Column("location", sa.String(length=120), nullable=False),
        sa.Column("nodal", sa.Boolean(), nullable=False),
        sa.Column("evaluator", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_lesion_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesion")),
        sa.UniqueConstraint(
            "subject_id", "evaluator", "link_id", name=op.f("uq_lesion_subject_id")
        ),
    )
    op.create_index(op.f("ix_lesion_subject_id"), "lesion", ["subject_id"], unique=False)
    op.create_table(
        "record_lock",
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("form_name", sa.String(length=40), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("locked_by", sa.Integer(), nullable=False),
        sa.Column("unlocked_by", sa.Integer(), nullable=True),
        sa.Column("unlock_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["locked_by"], ["app_user.id"], name=op.f("fk_record_lock_locked_by_app_user")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_record_lock_site_id_site")),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_record_lock_subject_id_subject")
        ),
        sa.ForeignKeyConstraint(
            ["unlocked_by"], ["app_user.id"], name=op.f("fk_record_lock_unlocked_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_lock")),
    )
    op.create_table(
        "signature",
        sa.Column("signer_id", sa.Integer(), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("meaning", sa.String(length=200), nullable=False),
        sa.Column("signed_at", oncotrial.store.schema.UTCDateTime(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("invalidated_at", oncotrial.store.schema.UTCDateTime(), nullable=True),
        sa.Column("invalidated_reason", sa.Text(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["signer_id"], ["app_user.id"], name=op.f("fk_signature_signer_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_signature_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature")),
    )
    op.create_index(op.f("ix_signature_subject_id"), "signature", ["subject_id"], unique=False)
    op.create_table(
        "tumour_assessment",
        sa.Column("visit_name", sa.String(length=40), nullable=False),
        sa.Column("visitnum", sa.Double(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("evaluator", sa.String(length=40), nullable=False),
        sa.Column("investigator_response", sa.String(length=16), nullable=True),
        sa.Column("computed_target", sa.String(length=16), nullable=True),
        sa.Column("computed_nontarget", sa.String(length=16), nullable=True),
        sa.Column("computed_new_lesion", sa.String(length=4), nullable=True),
        sa.Column("computed_response", sa.String(length=16), nullable=True),
        sa.Column("computed_rule", sa.String(length=120), nullable=True),
        sa.Column("sum_diameters_mm", sa.Double(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_tumour_assessment_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tumour_assessment")),
        sa.UniqueConstraint(
            "subject_id", "evaluator", "visit_name", name=op.f("uq_tumour_assessment_subject_id")
        ),
    )
    op.create_index(
        op.f("ix_tumour_assessment_subject_id"), "tumour_assessment", ["subject_id"], unique=False
    )
    op.create_table(
        "visit",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("visitnum", sa.Double(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=True),
        sa.Column("day", sa.Integer(), nullable=True),
        sa.Column("planned_date", sa.Date(), nullable=True),
        sa.Column("actual_date", sa.Date(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_visit_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit")),
        sa.UniqueConstraint("subject_id", "name", name=op.f("uq_visit_subject_id")),
    )
    op.create_index(op.f("ix_visit_subject_id"), "visit", ["subject_id"], unique=False)
    op.create_table(
        "vital_sign",
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("test_code", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("ctcae_term", sa.String(length=100), nullable=True),
        sa.Column("grade", sa.Integer(), nullable=True),
        sa.Column("grade_rule", sa.String(length=120), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_vital_sign_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vital_sign")),
    )
    op.create_index(op.f("ix_vital_sign_subject_id"), "vital_sign", ["subject_id"], unique=False)
    op.create_table(
        "lesion_measurement",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("lesion_id", sa.Integer(), nullable=False),
        sa.Column("diameter_mm", sa.Double(), nullable=True),
        sa.Column("perpendicular_mm", sa.Double(), nullable=True),
        sa.Column("state", sa.String(length=40), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["tumour_assessment.id"],
            name=op.f("fk_lesion_measurement_assessment_id_tumour_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["lesion_id"], ["lesion.id"], name=op.f("fk_lesion_measurement_lesion_id_lesion")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_lesion_measurement_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesion_measurement")),
        sa.UniqueConstraint(
            "assessment_id", "lesion_id", name=op.f("uq_lesion_measurement_assessment_id")
        ),
    )
    op.create_index(
        op.f("ix_lesion_measurement_assessment_id"),
        "lesion_measurement",
        ["assessment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lesion_measurement_subject_id"), "lesion_measurement", ["subject_id"], unique=False
    )
    op.create_table(
        "query_message",
        sa.Column("query_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", oncotrial.store.schema.UTCDateTime(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["app_user.id"], name=op.f("fk_query_message_author_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["query_id"], ["data_query.id"], name=op.f("fk_query_message_query_id_data_query")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_query_message_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_query_message")),
    )
    op.create_index(op.f("ix_query_message_query_id"), "query_message", ["query_id"], unique=False)
    op.create_index(
        op.f("ix_query_message_subject_id"), "query_message", ["subject_id"], unique=False
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_query_message_subject_id"), table_name="query_message")
    op.drop_index(op.f("ix_query_message_query_id"), table_name="query_message")
    op.drop_table("query_message")
    op.drop_index(op.f("ix_lesion_measurement_subject_id"), table_name="lesion_measurement")
    op.drop_index(op.f("ix_lesion_measurement_assessment_id"), table_name="lesion_measurement")
    op.drop_table("lesion_measurement")
    op.drop_index(op.f("ix_vital_sign_subject_id"), table_name="vital_sign")
    op.drop_table("vital_sign")
    op.drop_index(op.f("ix_visit_subject_id"), table_name="visit")
    op.drop_table("visit")
    op.drop_index(op.f("ix_tumour_assessment_subject_id"), table_name="tumour_assessment")
    op.drop_table("tumour_assessment")
    op.drop_index(op.f("ix_signature_subject_id"), table_name="signature")
    op.drop_table("signature")
    op.drop_table("record_lock")
    op.drop_index(op.f("ix_lesion_subject_id"), table_name="lesion")
    op.drop_table("lesion")
    op.drop_index(op.f("ix_lab_result_subject_id"), table_name="lab_result")
    op.drop_index("ix_lab_result_subject_collected", table_name="lab_result")
    op.drop_table("lab_result")
    op.drop_index(op.f("ix_enrolment_subject_id"), table_name="enrolment")
    op.drop_table("enrolment")
    op.drop_index(op.f("ix_eligibility_result_subject_id"), table_name="eligibility_result")
    op.drop_table("eligibility_result")
    op.drop_index(op.f("ix_drug_administration_subject_id"), table_name="drug_administration")
    op.drop_table("drug_administration")
    op.drop_index(op.f("ix_disposition_subject_id"), table_name="disposition")
    op.drop_table("disposition")
    op.drop_index(op.f("ix_data_query_subject_id"), table_name="data_query")
    op.drop_table("data_query")
    op.drop_index(op.f("ix_concomitant_therapy_subject_id"), table_name="concomitant_therapy")
    op.drop_table("concomitant_therapy")
    op.drop_index(op.f("ix_body_measurement_subject_id"), table_name="body_measurement")
    op.drop_table("body_measurement")
    op.drop_index(op.f("ix_adverse_event_subject_id"), table_name="adverse_event")
    op.drop_table("adverse_event")
    op.drop_table("user_site")
    op.drop_index(op.f("ix_subject_site_id"), table_name="subject")
    op.drop_table("subject")
    op.drop_table("site")
    op.drop_index("ix_audit_log_subject", table_name="audit_log")
    op.drop_index("ix_audit_log_row", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("app_user")
