"""The trial database: typed casebook tables, the hash-chained change log, audited sessions.

Only this package imports SQLAlchemy. Writes go through :class:`Store` sessions, which record
every change with old and new values in the same transaction (see :mod:`.session`).
"""

import lazy_loader

# Submodules load on first use of a name, so a command imports only what it runs.
__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
