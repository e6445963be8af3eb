"""Alembic migrations of the oncotrial store, shipped inside the package."""
