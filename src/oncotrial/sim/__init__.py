"""Virtual patients and virtual trials for LEADER-type designs (plain records out, no DB).

The model (patients, Claret–Bruno tumour dynamics, RECIST observation, events) is shared by the
fast path for many trials (:func:`simulate_trials`) and the detailed path where every dose comes
from ``oncotrial.rules.decide_dose``.  Assumptions are named once in :mod:`.parameters`.
"""

import lazy_loader

# Submodules load on first use of a name, so a command imports only what it runs.
__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
