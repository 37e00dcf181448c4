"""Tickets say why the bot left them to an officer: a short code beside needs-triage.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable and without a default: tickets opened before this revision keep NULL, since
    # their reason is only in their audit trail's words.
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("triage_reason", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("triage_reason")
