"""Ticket lifecycle: extensions, verification and closure times, erasure, linked tickets.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("extension_days", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("verified_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("erased_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("linked_to", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_tickets_linked_to", "tickets", ["linked_to"], ["id"])
    with op.batch_alter_table("notices") as batch:  # "verification-reminder" needs more than 20
        batch.alter_column("kind", existing_type=sa.String(length=20), type_=sa.String(length=40))


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.alter_column("kind", existing_type=sa.String(length=40), type_=sa.String(length=20))
    with op.batch_alter_table("tickets") as batch:
        batch.drop_constraint("fk_tickets_linked_to", type_="foreignkey")
        for column in ("linked_to", "erased_at", "closed_at", "verified_at", "extension_days"):
            batch.drop_column(column)
