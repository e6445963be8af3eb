"""The dose decision of each drug on a decision day, held explicitly: whether the row carries
the engine's decision of its day (a continuation day of a daily drug does not), and the hold
state it leaves (on hold, the rule and terms that put it there, the level it was held from), so
the next decision starts from what was decided, not from a reconstruction.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("drug_administration") as batch_op:
        # rows written before this revision were each read as the drug's state: decisions
        batch_op.add_column(sa.Column("decision", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.add_column(sa.Column("on_hold", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("hold_rule", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("hold_terms", sa.Text(), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("held_from_level", sa.Double(), nullable=True))
    op.execute("UPDATE drug_administration SET on_hold = "
               "CASE WHEN recommended_action = 'hold' THEN TRUE ELSE FALSE END")


def downgrade() -> None:
    with op.batch_alter_table("drug_administration") as batch_op:
        for column in ("held_from_level", "hold_terms", "hold_rule", "on_hold", "decision"):
            batch_op.drop_column(column)
