"""A second, independent XSD check of the Transactional export with ``xmlschema``."""

from __future__ import annotations

from importlib import resources

import pytest

from oncotrial.services import interchange
from oncotrial.services._unit import open_unit
from oncotrial.store import Store
from tests.cdisc.test_odm_transactional import _signed_and_corrected
from tests.store.backends import World, admin_actor, backend, store, world

__all__ = ["admin_actor", "backend", "store", "world"]  # fixtures used by pytest

xmlschema = pytest.importorskip("xmlschema", reason="xmlschema is not installed")


def test_transactional_export_is_valid_for_xmlschema(store: Store, world: World) -> None:
    """The signed-then-corrected casebook's Transactional file passes xmlschema's validator."""
    _signed_and_corrected(store, world)
    with open_unit(store, world.data_manager) as unit:
        document = interchange.export_odm_transactional(unit, study_oid="LEADER")
    path = resources.files("oncotrial.cdisc") / "data" / "odm" / "ODM1-3-2.xsd"
    schema = xmlschema.XMLSchema(str(path))
    errors = list(schema.iter_errors(document.decode("utf-8")))
    assert not errors, errors[0]
