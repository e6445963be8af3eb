"""Fixtures of the store tests (shared with services and interchange tests)."""

from tests.store.backends import admin_actor, backend, store, world

__all__ = ["admin_actor", "backend", "store", "world"]
