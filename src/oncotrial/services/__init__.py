"""Use cases: the only write path, and the only layer combining the store with rules and cdisc.

Open a unit of work for an actor, then call service functions with it::

    store = Store("sqlite:///leader.db"); upgrade(store.url)
    actor = log_in(store, "inv1", channel=Channel.UI)
    with open_unit(store, actor) as unit:      # one transaction; each call is a savepoint
        register_subject(unit, "S01-001", site="S01", ...)
        record_lab(unit, "S01-001", collected_on=..., test_code="NEUT", value=1.2, ...)

Modules: :mod:`.admin` (sites, users, log-in), :mod:`.subjects` (registration, visits,
disposition, therapies, biospecimens, TILs), :mod:`.enrolment`, :mod:`.safety` (body
measurements, vitals, labs, AEs with DLT), :mod:`.dosing`, :mod:`.assessments` (RECIST),
:mod:`.data_management` (corrections, queries, signatures, locks, history), :mod:`.export`,
:mod:`.database` (upgrade, grant, verify).
"""

import lazy_loader

# Submodules load on first use of a name, so a command imports only what it runs.
__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
