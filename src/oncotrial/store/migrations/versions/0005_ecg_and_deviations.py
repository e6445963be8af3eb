"""ECG intervals (QTc, SDTM EG) and protocol deviations (SDTM DV) as casebook records.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def _subject_row(table: str, *columns: sa.Column) -> None:  # type: ignore[type-arg]
    op.create_table(
        table,
        *columns,
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f(f"fk_{table}_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )
    op.create_index(op.f(f"ix_{table}_subject_id"), table, ["subject_id"], unique=False)


def upgrade() -> None:
    """Apply this revision."""
    _subject_row(
        "ecg_result",
        sa.Column("performed_on", sa.Date(), nullable=False),
        sa.Column("test_code", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
    )
    _subject_row(
        "protocol_deviation",
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
    )


def downgrade() -> None:
    """Revert this revision."""
    for table in ("protocol_deviation", "ecg_result"):
        op.drop_index(op.f(f"ix_{table}_subject_id"), table_name=table)
        op.drop_table(table)
