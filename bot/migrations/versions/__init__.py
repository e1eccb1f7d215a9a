"""The revisions, oldest first (Alembic reads this folder; ``__init__`` is not a revision)."""
