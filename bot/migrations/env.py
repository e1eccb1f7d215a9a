"""Alembic's entry point: migrations always run on the connection :mod:`bot.records_db` hands over
(in ``config.attributes["connection"]``, inside its transaction); there is no ini file and no URL here."""
from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
