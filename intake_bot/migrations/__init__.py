"""Database migrations of the ticket store (Alembic)."""
