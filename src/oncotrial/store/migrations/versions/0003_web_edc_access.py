"""The web EDC and access control: credentials, sessions, API tokens, roles per site, source
data verification, visit signatures, medical history, performance status, survival contacts,
partial dates of therapies and the adverse-event flags the dose rules read.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import oncotrial.store.schema

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_UTC = oncotrial.store.schema.UTCDateTime


def _casebook_columns(table: str) -> list[sa.Column[int] | sa.Constraint]:
    return [
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f(f"fk_{table}_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _access_tables() -> None:
    op.create_table(
        "user_credential",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("changed_at", _UTC(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", _UTC(), nullable=True),
        sa.Column("must_change", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_user_credential_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_credential")),
    )
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", _UTC(), nullable=False),
        sa.Column("last_seen_at", _UTC(), nullable=False),
        sa.Column("expires_at", _UTC(), nullable=False),
        sa.Column("reauthenticated_at", _UTC(), nullable=True),
        sa.Column("revoked_at", _UTC(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=200), nullable=True),
        sa.Column("client", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_user_session_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    op.create_index(op.f("ix_user_session_user_id"), "user_session", ["user_id"], unique=False)
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("created_at", _UTC(), nullable=False),
        sa.Column("expires_at", _UTC(), nullable=False),
        sa.Column("last_used_at", _UTC(), nullable=True),
        sa.Column("revoked_at", _UTC(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_api_token_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_index(op.f("ix_api_token_user_id"), "api_token", ["user_id"], unique=False)


def _casebook_tables() -> None:
    op.create_table(
        "medical_history",
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("start_dtc", sa.String(length=10), nullable=False),
        sa.Column("end_dtc", sa.String(length=10), nullable=True),
        sa.Column("ongoing", sa.Boolean(), nullable=False),
        *_casebook_columns("medical_history"),
    )
    op.create_table(
        "performance_status",
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("scale", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        *_casebook_columns("performance_status"),
    )
    op.create_table(
        "survival_contact",
        sa.Column("contacted_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("new_anticancer_therapy", sa.String(length=120), nullable=False),
        *_casebook_columns("survival_contact"),
    )
    op.create_table(
        "source_verification",
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("verified_by", sa.Integer(), nullable=False),
        sa.Column("verified_at", _UTC(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("revoked_at", _UTC(), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["verified_by"], ["app_user.id"],
            name=op.f("fk_source_verification_verified_by_app_user"),
        ),
        *_casebook_columns("source_verification"),
    )
    op.create_index(
        "ix_source_verification_row", "source_verification", ["table_name", "row_id", "field"],
        unique=False,
    )
    for table in ("medical_history", "performance_status", "survival_contact",
                  "source_verification"):
        op.create_index(op.f(f"ix_{table}_subject_id"), table, ["subject_id"], unique=False)


def upgrade() -> None:
    """Apply this revision."""
    _access_tables()
    _casebook_tables()
    with op.batch_alter_table("adverse_event") as batch_op:
        batch_op.add_column(
            sa.Column("flags", sa.String(length=200), nullable=False, server_default="")
        )
    with op.batch_alter_table("concomitant_therapy") as batch_op:
        batch_op.add_column(sa.Column("start_dtc", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("end_dtc", sa.String(length=10), nullable=True))
    with op.batch_alter_table("signature") as batch_op:
        batch_op.add_column(
            sa.Column("scope", sa.String(length=10), nullable=False, server_default="casebook")
        )
        batch_op.add_column(sa.Column("visit_name", sa.String(length=40), nullable=True))
    with op.batch_alter_table("user_site") as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=20), nullable=True))
    # The defaults served only to fill existing rows; the application always sets them.
    with op.batch_alter_table("adverse_event") as batch_op:
        batch_op.alter_column("flags", server_default=None)
    with op.batch_alter_table("signature") as batch_op:
        batch_op.alter_column("scope", server_default=None)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("user_site") as batch_op:
        batch_op.drop_column("role")
    with op.batch_alter_table("signature") as batch_op:
        batch_op.drop_column("visit_name")
        batch_op.drop_column("scope")
    with op.batch_alter_table("concomitant_therapy") as batch_op:
        batch_op.drop_column("end_dtc")
        batch_op.drop_column("start_dtc")
    with op.batch_alter_table("adverse_event") as batch_op:
        batch_op.drop_column("flags")
    for table in ("source_verification", "survival_contact", "performance_status",
                  "medical_history"):
        op.drop_index(op.f(f"ix_{table}_subject_id"), table_name=table)
    op.drop_index("ix_source_verification_row", table_name="source_verification")
    for table in ("source_verification", "survival_contact", "performance_status",
                  "medical_history"):
        op.drop_table(table)
    op.drop_index(op.f("ix_api_token_user_id"), table_name="api_token")
    op.drop_table("api_token")
    op.drop_index(op.f("ix_user_session_user_id"), table_name="user_session")
    op.drop_table("user_session")
    op.drop_table("user_credential")
