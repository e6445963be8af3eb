"""CDISC Dataset-JSON 1.1: a dataset as one JSON file beside its XPT copy.

The columns carry the dataset specification's metadata (itemOID as in define.xml, label,
dataType, length, keySequence, displayFormat); numeric SAS dates are written as ISO 8601 text
with ``targetDataType: "integer"`` (Dataset-JSON 1.1 §3.2), text as written to XPT (ASCII, at
most 200 characters, trailing blanks dropped, missing as ""), missing numbers as ``null``. The
file therefore reads back to the same values as the XPT file (the tests check this with the
CDISC schema and an independent reader).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oncotrial.cdisc._transport import prepare_transport
from oncotrial.cdisc.spec import DatasetSpec, VariableSpec

__all__ = ["DATASET_JSON_VERSION", "write_dataset_json"]

DATASET_JSON_VERSION = "1.1.0"
_JSON_TYPES = {"text": "string", "integer": "integer", "float": "double", "iso8601": "date",
               "sasdate": "date", "sasdatetime": "datetime"}
_SAS_EPOCH = pd.Timestamp("1960-01-01")


def _kind(name: str, values: pd.Series, fmt: str, spec: VariableSpec | None) -> str:
    if fmt == "DATE9":
        return "sasdate"
    if fmt == "DATETIME20":
        return "sasdatetime"
    if spec is not None and spec.type not in ("sasdate", "sasdatetime"):
        if spec.type in ("integer", "float") and values.dtype == object:
            return "text"  # another study's data may hold text where the spec has numbers
        return spec.type
    return "float" if values.dtype != object else "text"


def _cell(value: Any, kind: str) -> Any:
    if kind in ("text", "iso8601"):
        return "" if value is None else str(value).rstrip()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    number = float(value)
    if kind == "sasdate":
        return (_SAS_EPOCH + pd.Timedelta(days=number)).strftime("%Y-%m-%d")
    if kind == "sasdatetime":
        return (_SAS_EPOCH + pd.Timedelta(seconds=number)).strftime("%Y-%m-%dT%H:%M:%S")
    if kind == "integer" and number.is_integer():
        return int(number)
    return number


def _column(name: str, label: str, kind: str, values: pd.Series, *, item_oid: str,
            key: int | None) -> dict[str, Any]:
    column: dict[str, Any] = {"itemOID": item_oid, "name": name, "label": label,
                              "dataType": _JSON_TYPES[kind]}
    if kind in ("sasdate", "sasdatetime"):
        column["targetDataType"] = "integer"
        column["displayFormat"] = "DATE9." if kind == "sasdate" else "DATETIME20."
    elif kind == "text":
        column["length"] = max([1, *(len(str(v).rstrip()) for v in values)])
    if key is not None:
        column["keySequence"] = key
    return column


def write_dataset_json(
    frame: pd.DataFrame,
    path: Path,
    *,
    name: str,
    spec: DatasetSpec | None,
    study_id: str,
    standard: str,
    created: datetime,
    labels: Mapping[str, str] | None = None,
) -> Path:
    """Write *frame* as Dataset-JSON 1.1 to *path* and return it.

    *spec* gives labels, types and keys (``None`` for a dataset oncotrial does not specify:
    labels from *labels*, types from the values); itemOIDs match define.xml
    (``IT.<DATASET>.<VARIABLE>``).

    Parameters
    ----------
    frame
        The dataset; its values pass :func:`oncotrial.cdisc._transport.prepare_transport`
        first, so the JSON holds what the XPT file holds (SAS dates as ISO 8601 ``date``/
        ``datetime`` with ``targetDataType`` integer).
    path
        File to write (UTF-8).
    name
        Dataset name (upper-cased in ``name``, ``itemGroupOID`` ``IG.<NAME>`` and the OIDs).
    spec
        The dataset's specification, or ``None``.
    study_id
        STUDYID, for ``fileOID`` and ``studyOID``.
    standard
        ``"SDTM"`` or ``"ADaM"``, for ``fileOID`` and ``metaDataVersionOID`` ``MDV.<standard>``.
    created
        ``datasetJSONCreationDateTime``.
    labels
        Variable labels used when *spec* has none.

    Returns
    -------
    pathlib.Path
        *path*, now holding the Dataset-JSON document (``records`` rows, key variables with
        ``keySequence`` from the specification).
    """

    ready = prepare_transport(frame, name=name.upper(), labels=labels)
    given = dict(labels or {})
    keys = list(spec.keys) if spec else []
    columns, kinds = [], []
    for position, column in enumerate(ready.frame.columns):
        variable = spec.variable(column) if spec else None
        kind = _kind(column, ready.frame[column], ready.formats.get(column, ""), variable)
        kinds.append(kind)
        label = variable.label if variable else given.get(column, ready.labels[position])
        columns.append(_column(column, label, kind, ready.frame[column],
                               item_oid=f"IT.{name.upper()}.{column}",
                               key=keys.index(column) + 1 if column in keys else None))
    cells = ready.frame.to_numpy(dtype=object)
    rows = [[_cell(_plain(value), kinds[j]) for j, value in enumerate(row)] for row in cells]
    document = {
        "datasetJSONCreationDateTime": created.strftime("%Y-%m-%dT%H:%M:%S"),
        "datasetJSONVersion": DATASET_JSON_VERSION,
        "fileOID": f"{study_id}.{standard}.{name.upper()}",
        "originator": "oncotrial",
        "sourceSystem": {"name": "oncotrial", "version": "0.1.0"},
        "studyOID": f"ST.{study_id}".replace(" ", "_"),
        "metaDataVersionOID": f"MDV.{standard}",
        "metaDataRef": "define.xml",
        "itemGroupOID": f"IG.{name.upper()}",
        "records": len(rows),
        "name": name.upper(),
        "label": spec.label if spec else ready.table_label or name.upper(),
        "columns": columns,
        "rows": rows,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, allow_nan=False), encoding="utf-8")
    return path


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value
