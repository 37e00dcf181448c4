"""Alembic environment: run migrations on the connection the store hands over."""

from alembic import context

from intake_bot.store import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=connection.dialect.name == "sqlite"
)
with context.begin_transaction():
    context.run_migrations()
