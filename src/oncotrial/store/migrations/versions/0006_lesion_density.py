"""Tumour density of a target lesion (mean attenuation in Hounsfield units on contrast CT), the
second measurement of the Choi criteria (Choi et al., J Clin Oncol 2007;25:1753).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("lesion_measurement") as batch_op:
        batch_op.add_column(sa.Column("density_hu", sa.Double(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("lesion_measurement") as batch_op:
        batch_op.drop_column("density_hu")
