"""oncotrial.stats: exact binomial inference, survival estimates and trial designs.

Pure numerics (numpy/scipy), no pandas and no database; every estimate returns a frozen
result object from :mod:`oncotrial.stats.results`.
"""

import lazy_loader

# Submodules load on first use of a name, so a command imports only what it runs.
__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
