"""Alembic migrations of the records database (run on open by :mod:`bot.records_db`, and by
``laoquan records upgrade``). A new revision goes in ``versions/``, named ``NNNN_what.py``, with
``down_revision`` set to the newest one before it."""
