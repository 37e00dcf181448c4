"""Officer notices (reminders, digests) kept once by key; outbox rows without a ticket; assignees.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index(op.f("ix_notices_ticket_id"), "notices", ["ticket_id"], unique=False)
    # SQLite cannot alter a column in place: batch mode copies the table.
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("ticket_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("assigned_to", sa.String(length=320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("assigned_to")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("ticket_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index(op.f("ix_notices_ticket_id"), table_name="notices")
    op.drop_table("notices")
