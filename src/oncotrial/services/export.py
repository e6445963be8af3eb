"""Exports of the store: SDTM (XPT v5 + CSV). Every export is written to the change log."""

from __future__ import annotations

from pathlib import Path

from oncotrial.cdisc.sdtm.export import build_sdtm, write_sdtm
from oncotrial.protocol import Protocol
from oncotrial.services._unit import Unit, require_role
from oncotrial.services.permissions import PERMISSIONS, Action
from oncotrial.store import read_tables, record_event

__all__ = ["check_export", "export_sdtm"]

_EXPORTERS = PERMISSIONS[Action.EXPORT]
_ROUTES = {"oral": "ORAL", "iv": "INTRAVENOUS"}  # protocol route -> CDISC CT C66729


def export_sdtm(unit: Unit, directory: Path, *, protocol: Protocol) -> list[Path]:
    """Export the casebooks the actor may see as SDTM domains into *directory*.

    Site-scoped roles export their own sites only. Returns the files written.
    """
    require_role(unit.actor, _EXPORTERS, what="export data")
    sites = None if unit.actor.all_sites else unit.actor.site_ids
    tables = read_tables(unit.session, site_ids=sites)
    routes = {d.name: _ROUTES.get(d.route, d.route.upper()) for d in protocol.drugs}
    domains = build_sdtm(tables, study_id=protocol.id, routes=routes)
    written = write_sdtm(domains, directory)
    with unit.step():
        record_event(
            unit.session,
            action="export",
            table_name="sdtm",
            detail=f"SDTM {','.join(domains)} to {directory}",
        )
    return written


def check_export(unit: Unit) -> None:
    """Refuse users who may not export (the export page itself)."""
    require_role(unit.actor, _EXPORTERS, what="export data")
