"""A second, independent XSD check of the Transactional export with ``xmlschema``; a
malformed file given to ``oncotrial odm import``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from typer.testing import CliRunner

from oncotrial.cli import app
from oncotrial.errors import DataError
from oncotrial.services import admin, interchange
from oncotrial.services._unit import open_unit
from oncotrial.store import Store, upgrade
from tests.cdisc.test_odm_transactional import _signed_and_corrected
from tests.conftest import require_module
from tests.store.backends import World, admin_actor, backend, give_password, store, world

__all__ = ["admin_actor", "backend", "store", "world"]  # fixtures used by pytest

xmlschema = require_module("xmlschema", "xmlschema (Python package)")


def test_transactional_export_is_valid_for_xmlschema(store: Store, world: World) -> None:
    """The signed-then-corrected casebook's Transactional file passes xmlschema's validator."""
    _signed_and_corrected(store, world)
    with open_unit(store, world.data_manager) as unit:
        document = interchange.export_odm_transactional(unit, study_oid="LEADER")
    path = resources.files("oncotrial.cdisc") / "data" / "odm" / "ODM1-3-2.xsd"
    schema = xmlschema.XMLSchema(str(path))
    errors = list(schema.iter_errors(document.decode("utf-8")))
    assert not errors, errors[0]


def test_cli_import_of_a_malformed_file_is_a_clear_data_error(tmp_path: Path) -> None:
    """`oncotrial odm import` of a non-XML file fails with a DataError saying it is not
    well-formed XML (``main`` prints it as ``error: ...`` and exits 1)."""
    url = f"sqlite:///{tmp_path / 'target.db'}"
    upgrade(url)
    target = Store(url)
    admin.bootstrap_admin(target, username="importer", full_name="Ida Importer")
    env = give_password(target, "importer")
    target.dispose()
    bad = tmp_path / "bad.xml"
    bad.write_text("not xml", encoding="utf-8")
    result = CliRunner(env=env).invoke(app, ["odm", "import", "--db", url, "--file", str(bad),
                                      "--user", "importer"])
    assert result.exit_code == 1
    assert isinstance(result.exception, DataError)
    assert "not well-formed XML" in str(result.exception)
