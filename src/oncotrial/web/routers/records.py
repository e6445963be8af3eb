"""The audit trail viewer and its export, the data exports, and the dashboard."""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from oncotrial.errors import DataError
from oncotrial.services import dashboards, export, interchange, review
from oncotrial.web.charts import enrolment_svg
from oncotrial.web.deps import CurrentUser, State, render

router = APIRouter(include_in_schema=False)
_CHUNK = 64 * 1024


def _day(value: str, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        raise DataError("not a date", field=field, value=value, allowed="YYYY-MM-DD") from None


@router.get("/audit")
def audit(request: Request, current: CurrentUser, state: State,
          subject: Annotated[str, Query(max_length=40)] = "",
          table: Annotated[str, Query(max_length=40)] = "",
          row: Annotated[str, Query(max_length=12, pattern=r"^[0-9]*$")] = "",
          field: Annotated[str, Query(max_length=60)] = "",
          since: Annotated[str, Query(max_length=10)] = "",
          until: Annotated[str, Query(max_length=10)] = "",
          after: Annotated[int, Query(ge=0)] = 0) -> Response:
    """The audit trail by subject, form (table) or field: who, old → new, when (UTC), why."""
    start, end = _day(since, "since"), _day(until, "until")
    with state.unit(current) as unit:
        rows = review.audit_rows(unit, subject=subject or None, table=table or None,
                                 row_id=int(row) if row else None, field=field or None,
                                 since=start,
                                 until=None if end is None else end + timedelta(days=1),
                                 after_seq=after, limit=200)
    filters = {"subject": subject, "table": table, "row": row,
               "field": field, "since": since, "until": until}
    return render(request, "audit.html", current, rows=rows, filters=filters,
                  next_after=rows[-1].seq if len(rows) == 200 else None)


@router.get("/audit/export.csv")
def audit_export(current: CurrentUser, state: State,
                 since: Annotated[str, Query(max_length=10)] = "",
                 until: Annotated[str, Query(max_length=10)] = "") -> StreamingResponse:
    """The audit trail between two dates as CSV, streamed a batch at a time."""
    start, end = _day(since, "since"), _day(until, "until")
    stop = None if end is None else end + timedelta(days=1)
    with state.unit(current) as unit:  # refuse before the response starts
        review.audit_count(unit, since=start, until=stop)

    def rows() -> Iterator[str]:
        with state.unit(current) as unit:
            yield from review.audit_csv(unit, since=start, until=stop)

    name = f"audit_trail_{since or 'start'}_{until or 'now'}.csv"
    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/exports")
def exports(request: Request, current: CurrentUser, state: State) -> Response:
    """Links to every export the user may take."""
    with state.unit(current) as unit:
        export.check_export(unit)
    return render(request, "exports.html", current)


def _stream(data: bytes | Path) -> Iterator[bytes]:
    if isinstance(data, Path):
        with data.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                yield chunk
        data.unlink(missing_ok=True)
        return
    view = memoryview(data)
    for start in range(0, len(view), _CHUNK):
        yield bytes(view[start:start + _CHUNK])


@router.get("/exports/sdtm.zip")
def export_sdtm(current: CurrentUser, state: State) -> StreamingResponse:
    """SDTM (XPT v5 and CSV) of the casebooks the user may export, as one zip."""
    archive = Path(tempfile.mkstemp(suffix=".zip", prefix="oncotrial-sdtm-")[1])
    with tempfile.TemporaryDirectory(prefix="oncotrial-sdtm-") as folder:
        with state.unit(current) as unit:
            files = export.export_sdtm(unit, Path(folder), protocol=state.protocol)
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            for path in files:
                zipped.write(path, arcname=f"sdtm/{path.name}")
    stamp = state.today().isoformat()
    return StreamingResponse(_stream(archive), media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{state.protocol.id}_sdtm_{stamp}.zip"'})


@router.get("/exports/odm.xml")
def export_odm(current: CurrentUser, state: State,
               kind: Annotated[str, Query(pattern="^(snapshot|transactional)$")] = "snapshot",
               ) -> StreamingResponse:
    """CDISC ODM 1.3.2: a Snapshot, or the Transactional file with the audit trail."""
    with state.unit(current) as unit:
        document = (interchange.export_odm(unit, study_oid=state.protocol.id)
                    if kind == "snapshot" else
                    interchange.export_odm_transactional(unit, study_oid=state.protocol.id))
    name = f"{state.protocol.id}_odm_{kind}_{state.today().isoformat()}.xml"
    return StreamingResponse(_stream(document), media_type="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/dashboard")
def dashboard(request: Request, current: CurrentUser, state: State) -> Response:
    """Enrolment over time, the phase Ib cohort decision, responses against Simon."""
    with state.unit(current) as unit:
        board = dashboards.dashboard(unit, protocol=state.protocol, today=state.today())
    return render(request, "dashboard.html", current, board=board,
                  chart=enrolment_svg(board.enrolment))

