"""Biospecimens with stromal TIL scoring and assay files; append-only log trigger on PostgreSQL.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from oncotrial.store.audit import install_pg_protection

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "biospecimen",
        sa.Column("specimen_code", sa.String(length=40), nullable=False),
        sa.Column("timepoint", sa.String(length=10), nullable=False),
        sa.Column("specimen_type", sa.String(length=40), nullable=False),
        sa.Column("anatomic_site", sa.String(length=120), nullable=False),
        sa.Column("collected_on", sa.Date(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_biospecimen_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_biospecimen")),
        sa.UniqueConstraint("specimen_code", name=op.f("uq_biospecimen_specimen_code")),
    )
    op.create_index(op.f("ix_biospecimen_subject_id"), "biospecimen", ["subject_id"], unique=False)
    op.create_table(
        "assay_file",
        sa.Column("biospecimen_id", sa.Integer(), nullable=False),
        sa.Column("assay", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.String(length=260), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["biospecimen_id"],
            ["biospecimen.id"],
            name=op.f("fk_assay_file_biospecimen_id_biospecimen"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_assay_file_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assay_file")),
    )
    op.create_index(
        op.f("ix_assay_file_biospecimen_id"), "assay_file", ["biospecimen_id"], unique=False
    )
    op.create_index(op.f("ix_assay_file_subject_id"), "assay_file", ["subject_id"], unique=False)
    op.create_table(
        "til_assessment",
        sa.Column("biospecimen_id", sa.Integer(), nullable=False),
        sa.Column("stromal_til_percent", sa.Double(), nullable=False),
        sa.Column("evaluated_area_mm2", sa.Double(), nullable=True),
        sa.Column("section_type", sa.String(length=20), nullable=False),
        sa.Column("tumour_border_assessed", sa.Boolean(), nullable=False),
        sa.Column("excluded_areas", sa.String(length=200), nullable=False),
        sa.Column("assessed_by", sa.String(length=120), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=60), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["biospecimen_id"],
            ["biospecimen.id"],
            name=op.f("fk_til_assessment_biospecimen_id_biospecimen"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_til_assessment_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_til_assessment")),
    )
    op.create_index(
        op.f("ix_til_assessment_biospecimen_id"), "til_assessment", ["biospecimen_id"], unique=False
    )
    op.create_index(
        op.f("ix_til_assessment_subject_id"), "til_assessment", ["subject_id"], unique=False
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        install_pg_protection(bind)


def downgrade() -> None:
    """Revert this revision."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS oncotrial_audit_log_append_only()")
    op.drop_index(op.f("ix_til_assessment_subject_id"), table_name="til_assessment")
    op.drop_index(op.f("ix_til_assessment_biospecimen_id"), table_name="til_assessment")
    op.drop_table("til_assessment")
    op.drop_index(op.f("ix_assay_file_subject_id"), table_name="assay_file")
    op.drop_index(op.f("ix_assay_file_biospecimen_id"), table_name="assay_file")
    op.drop_table("assay_file")
    op.drop_index(op.f("ix_biospecimen_subject_id"), table_name="biospecimen")
    op.drop_table("biospecimen")
