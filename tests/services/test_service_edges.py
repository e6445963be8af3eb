"""Edges of the services a reader of their documentation would try: a missing record is
"not found" (HTTP 404), not a bad value; a page size of 0, an unknown kind of ODM file and an
administrator importing into a trial with subjects are refused with what is allowed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from oncotrial.errors import AccessError, DataError, NotFoundError
from oncotrial.protocol import load_protocol
from oncotrial.services import auth, casebook, data_management, interchange
from oncotrial.services._unit import open_unit
from oncotrial.store import Actor, Store
from tests.services.helpers import register
from tests.store.backends import World


def test_missing_records_are_not_found(store: Store, world: World, admin_actor: Actor) -> None:
    """A query, a signature, a row, a site, a user or a token that does not exist."""
    with open_unit(store, world.coord_a) as unit:
        with pytest.raises(NotFoundError, match="query_id=999999: no such query"):
            data_management.answer_query(unit, 999_999, text="done")
        with pytest.raises(NotFoundError, match="no such signature"):
            data_management.verify_signature(unit, 999_999)
        with pytest.raises(NotFoundError, match="token_id=999999: no such token"):
            auth.revoke_api_token(unit, 999_999)
    with open_unit(store, world.data_manager) as unit:
        with pytest.raises(NotFoundError, match="no such lab_result row"):
            data_management.correct_record(unit, "lab_result", 999_999, version=1,
                                           changes={"value": 1.0}, reason="typo")
        with pytest.raises(NotFoundError, match="site='NOWHERE': no such site"):
            data_management.lock(unit, level="site", site="NOWHERE", subject=None,
                                 reason="interim")
    with open_unit(store, admin_actor) as unit, pytest.raises(NotFoundError,
                                                                match="no such user"):
        auth.revoke_user_sessions(unit, "nobody_at_all", reason="left")


def test_page_size_must_be_positive(store: Store, world: World) -> None:
    register(store, world)
    with open_unit(store, world.coord_a) as unit:
        with pytest.raises(DataError, match="per_page=0: subjects per page must be positive"):
            casebook.casebook_matrix(unit, protocol=load_protocol(), today=date(2019, 6, 1),
                                     per_page=0)
        one = casebook.casebook_matrix(unit, protocol=load_protocol(), today=date(2019, 6, 1),
                                       per_page=1)
    assert len(one.rows) == 1


def test_unknown_kind_of_odm_file_writes_nothing(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "export.xml"
    with pytest.raises(DataError, match=r"kind='full'.*allowed: snapshot, transactional"):
        interchange.export_odm_file(store.url, out, username="x", password="y",  # noqa: S106
                                    study_oid="LEADER", kind="full")  # type: ignore[arg-type]
    assert not out.exists()


def test_an_administrator_restores_only_into_an_empty_database(
    store: Store, world: World, admin_actor: Actor,
) -> None:
    """Administrators hold no clinical data: into a trial with subjects only a data manager
    imports (the restore into an empty database is tested with the ODM round trip)."""
    register(store, world)
    with open_unit(store, admin_actor) as unit, pytest.raises(
            AccessError, match="only into an empty database"):
        interchange.import_odm(unit, b"<ODM/>")
    with open_unit(store, world.data_manager) as unit, pytest.raises(DataError) as refused:
        interchange.import_odm(unit, b"<ODM/>")  # past the role check, refused as a document
    assert not isinstance(refused.value, AccessError)
