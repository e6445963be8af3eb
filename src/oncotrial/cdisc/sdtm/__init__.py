"""oncotrial.cdisc.sdtm."""

import lazy_loader

# Submodules load on first use of a name, so a command imports only what it runs.
__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
