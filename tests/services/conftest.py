"""Fixtures of the services tests (the shared database fixtures)."""

from tests.store.backends import admin_actor, backend, store, world

__all__ = ["admin_actor", "backend", "store", "world"]
