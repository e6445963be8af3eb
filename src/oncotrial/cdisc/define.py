"""define.xml (CDISC Define-XML 2.1) for the SDTM and ADaM datasets oncotrial writes.

The document is built with odmlib's Define-XML 2.1 model (ADaM: its Analysis Results Metadata
1.0 extension) from the dataset specifications (:mod:`oncotrial.cdisc.spec`) and the data as
written: one ItemGroupDef per dataset with its leaf (the XPT file), one ItemDef per variable
(length from the values, DATE9./DATETIME20. for numeric dates), the origin of each variable
(Predecessor with its source, Derived with its MethodDef: the rule and its citation), codelists
with their NCI C-codes (``Alias Context="nci:ExtCodeID"``, sponsor extensions marked
``def:ExtendedValue="Yes"``), value-level metadata (ValueListDef + WhereClauseDef) where another
variable decides the meaning (DS DSDECOD by DSCAT, RS results by RSTESTCD, TS TSVAL by TSPARMCD,
ADRS AVALC and ADTTE AVAL by PARAMCD) and, for ADaM, the analysis results metadata of the
primary endpoint: the confirmed objective response rate with its exact (Clopper-Pearson) 95 %
CI. Every document is validated against the Define-XML 2.1 XSD (ARM: odmlib's ARM 1.0 schema for
Define-XML 2.1) shipped in ``data/xsd`` before it is returned.

A variable that the specification does not know (another study's SDTM) is still described,
from its values, with a comment saying so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

import pandas as pd
from lxml import etree

from oncotrial.cdisc._transport import to_ascii
from oncotrial.cdisc.spec import (
    Codelist,
    DatasetSpec,
    Specification,
    Standard,
    ValueLevel,
    VariableSpec,
    load_specification,
)
from oncotrial.errors import DataError

__all__ = ["DEFINE_FILE", "StudyInfo", "build_define", "validate_define"]

DEFINE_FILE = "define.xml"
_REFERENCE = ("TS", "TA", "TE", "TV", "TI")
_ONE_PER_SUBJECT = ("DM", "ADSL")
_DATA_TYPES = {"text": "text", "integer": "integer", "float": "float", "iso8601": "date",
               "sasdate": "integer", "sasdatetime": "integer"}
_DISPLAY = {"sasdate": "DATE9.", "sasdatetime": "DATETIME20."}


@dataclass(frozen=True, slots=True)
class StudyInfo:
    """What define.xml says about the study."""

    study_id: str
    name: str
    description: str
    protocol: str


def _text(model: Any, content: str) -> Any:
    """A Description with one English TranslatedText."""
    description = model.Description()
    description.TranslatedText.append(model.TranslatedText(_content=content, lang="en"))
    return description


def _oid(*parts: str) -> str:
    return ".".join(p.replace(" ", "_") for p in parts)


def _length(values: pd.Series, kind: str) -> tuple[int | None, int | None]:
    """(Length, SignificantDigits) of the values as written."""
    if kind == "text":
        present = [to_ascii(str(v)).rstrip() for v in values if not _missing(v)]
        return max([1, *(len(s) for s in present)]), None
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    if kind in ("sasdate", "sasdatetime"):
        return 8, None
    if kind == "integer":
        return max([1, *(len(str(int(abs(v)))) for v in numbers if math.isfinite(v))]), None
    if kind == "float":
        decimals = max([0, *(_decimals(float(v)) for v in numbers)])
        digits = max([1, *(len(str(int(abs(v)))) for v in numbers if math.isfinite(v))])
        return digits + decimals + (1 if decimals else 0), decimals
    return None, None


def _decimals(value: float) -> int:
    if not math.isfinite(value):
        return 0
    for places in range(9):
        if abs(round(value, places) - value) < 1e-9:
            return places
    return 8


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and value.strip() == "") or value is pd.NaT


def _inferred(name: str, values: pd.Series) -> VariableSpec:
    kind = "float" if pd.api.types.is_numeric_dtype(values.dtype) else (
        "sasdate" if pd.api.types.is_datetime64_any_dtype(values.dtype) else "text")
    return VariableSpec(name=name, label=name, type=kind, core="Perm", origin="Collected")


class _Builder:
    """Collects the definitions of one define.xml as they are met."""

    def __init__(self, model: Any, spec: Specification) -> None:
        self.m = model
        self.spec = spec
        self.mdv = model.MetaDataVersion(
            OID=f"MDV.{spec.standard}", Name=f"{spec.standard} metadata",
            Description=f"{spec.standard} {spec.ig_name} {spec.ig_version}",
            DefineVersion="2.1.0")
        self.codelist_values: dict[str, set[str]] = {}
        self.methods: set[str] = set()
        self.comments: dict[str, str] = {}
        self.where: dict[str, tuple[str, str]] = {}  # OID -> (item OID, value)

    # --- standards, datasets, variables ------------------------------------------------------

    def standards(self) -> None:
        m, spec = self.m, self.spec
        standards = m.Standards()
        standards.Standard.append(m.Standard(
            OID="STD.IG", Name=spec.ig_name, Type="IG", Version=spec.ig_version, Status="Final"))
        for publishing, version in spec.ct_versions.items():
            standards.Standard.append(m.Standard(
                OID=f"STD.CT.{publishing}", Name="CDISC/NCI", Type="CT",
                PublishingSet=publishing, Version=version, Status="Final"))
        self.mdv.Standards = standards

    def dataset(self, name: str, frame: pd.DataFrame, dataset: DatasetSpec | None,
                href: str) -> None:
        m = self.m
        sdtm = self.spec.standard == "SDTM"
        label = dataset.label if dataset else name
        group = m.ItemGroupDef(
            OID=_oid("IG", name), Name=name,
            Repeating="No" if name in _ONE_PER_SUBJECT + _REFERENCE else "Yes",
            IsReferenceData="Yes" if name in _REFERENCE else "No", SASDatasetName=name,
            Purpose="Tabulation" if sdtm else "Analysis",
            Structure=dataset.structure if dataset else "One record per record of the source",
            ArchiveLocationID=_oid("LF", name), StandardOID="STD.IG")
        if sdtm:
            group.Domain = name
        if frame.empty:
            group.HasNoData = "Yes"
        group.Description = _text(m, label)
        keys = list(dataset.keys) if dataset else []
        for order, column in enumerate(frame.columns, start=1):
            variable = (dataset.variable(column) if dataset else None) or _inferred(
                column, frame[column])
            if (dataset is None or dataset.variable(column) is None):
                self.comments[_oid("COM", name, column)] = (
                    "Not in oncotrial's specification: described from the values as read.")
            self.variable(group, name, variable, frame, order=order,
                          key=keys.index(column) + 1 if column in keys else None)
        group.Class = m.Class(Name=dataset.cls if dataset else "")
        if dataset and dataset.subclass:
            group.Class.SubClass.append(m.SubClass(Name=dataset.subclass))
        group.leaf = m.leaf(ID=_oid("LF", name), href=href,
                            title=m.title(_content=href))
        self.mdv.ItemGroupDef.append(group)

    def variable(self, group: Any, dataset: str, v: VariableSpec, frame: pd.DataFrame, *,
                 order: int, key: int | None) -> None:
        m = self.m
        oid = _oid("IT", dataset, v.name)
        ref = m.ItemRef(ItemOID=oid, OrderNumber=order,
                        Mandatory="Yes" if v.core == "Req" else "No")
        if key is not None:
            ref.KeySequence = key
        if v.method and v.origin == "Derived":
            ref.MethodOID = _oid("MT", v.method)
            self.methods.add(v.method)
        if v.nonstandard:
            ref.IsNonStandard = "Yes"
        group.ItemRef.append(ref)
        item = self.item(oid, v, frame[v.name])
        if _oid("COM", dataset, v.name) in self.comments:
            item.CommentOID = _oid("COM", dataset, v.name)
        if v.value_level and v.value_level_by in frame.columns:
            levels = self.value_list(dataset, v, frame)
            if levels:
                item.ValueListRef = m.ValueListRef(ValueListOID=levels)
        self.mdv.ItemDef.append(item)

    def item(self, oid: str, v: VariableSpec, values: pd.Series, *,
             level: ValueLevel | None = None) -> Any:
        m = self.m
        kind = level.type if level else v.type
        length, digits = _length(values, kind)
        item = m.ItemDef(OID=oid, Name=v.name, DataType=_DATA_TYPES[kind],
                         SASFieldName=v.name)
        if length is not None and _DATA_TYPES[kind] in ("text", "integer", "float"):
            item.Length = length
        if digits is not None:
            item.SignificantDigits = digits
        if kind in _DISPLAY:
            item.DisplayFormat = _DISPLAY[kind]
        item.Description = _text(m, v.label)
        codelist = level.codelist if level else v.codelist
        if codelist:
            item.CodeListRef = m.CodeListRef(CodeListOID=_oid("CL", codelist))
            self.codelist_values.setdefault(codelist, set()).update(
                str(x).strip() for x in values if not _missing(x))
        item.Origin.append(self.origin(v, level))
        return item

    def origin(self, v: VariableSpec, level: ValueLevel | None) -> Any:
        m = self.m
        kind = level.origin if level else v.origin
        if kind == "Predecessor":
            return m.Origin(Type="Predecessor", Description=_text(m, v.predecessor))
        source = "Investigator" if kind == "Collected" else "Sponsor"
        return m.Origin(Type=kind, Source=source)

    def value_list(self, dataset: str, v: VariableSpec, frame: pd.DataFrame) -> str | None:
        m = self.m
        by = frame[v.value_level_by].astype(str).str.strip()
        listing = m.ValueListDef(OID=_oid("VL", dataset, v.name))
        for number, level in enumerate(v.value_level, start=1):
            rows = by == level.value
            if not rows.any():
                continue
            where = _oid("WC", dataset, v.name, str(number))
            self.where[where] = (_oid("IT", dataset, v.value_level_by), level.value)
            item_oid = _oid("IT", dataset, v.name, str(number))
            ref = m.ItemRef(ItemOID=item_oid, OrderNumber=number,
                            Mandatory="No")
            ref.WhereClauseRef.append(m.WhereClauseRef(WhereClauseOID=where))
            if level.method and level.origin == "Derived":
                ref.MethodOID = _oid("MT", level.method)
                self.methods.add(level.method)
            listing.ItemRef.append(ref)
            self.mdv.ItemDef.append(self.item(item_oid, v, frame.loc[rows, v.name],
                                              level=level))
        if not listing.ItemRef:
            return None
        self.mdv.ValueListDef.append(listing)
        return str(listing.OID)

    # --- shared definitions ------------------------------------------------------------------

    def finish(self) -> None:
        m = self.m
        for oid, (item, value) in self.where.items():
            clause = m.WhereClauseDef(OID=oid)
            check = m.RangeCheck(Comparator="EQ", SoftHard="Soft", ItemOID=item)
            check.CheckValue.append(m.CheckValue(_content=value))
            clause.RangeCheck.append(check)
            self.mdv.WhereClauseDef.append(clause)
        for key in sorted(self.codelist_values):
            self.mdv.CodeList.append(self.codelist(self.spec.codelists[key],
                                                   self.codelist_values[key]))
        for key in sorted(self.methods):
            method = self.spec.methods[key]
            self.mdv.MethodDef.append(m.MethodDef(
                OID=_oid("MT", key), Name=method.name, Type="Computation",
                Description=_text(m, f"{method.text} Source: {method.citation}.")))
        for oid, text in self.comments.items():
            self.mdv.CommentDef.append(m.CommentDef(OID=oid, Description=_text(m, text)))

    def codelist(self, codelist: Codelist, used: set[str]) -> Any:
        m = self.m
        terms = [t for t in codelist.terms if t.value in used] or list(codelist.terms)
        out = m.CodeList(OID=_oid("CL", codelist.key), Name=codelist.name,
                         DataType="text")
        if codelist.is_cdisc:
            out.StandardOID = f"STD.CT.{codelist.standard}"
        decoded = any(t.decode != t.value for t in terms)
        for order, term in enumerate(terms, start=1):
            if decoded:
                entry = m.CodeListItem(CodedValue=term.value, OrderNumber=order)
                entry.Decode = m.Decode()
                entry.Decode.TranslatedText.append(m.TranslatedText(_content=term.decode,
                                                                    lang="en"))
            else:
                entry = m.EnumeratedItem(CodedValue=term.value, OrderNumber=order)
            if codelist.is_cdisc and not term.code:
                entry.ExtendedValue = "Yes"
            if term.code:
                entry.Alias.append(m.Alias(Context="nci:ExtCodeID", Name=term.code))
            (out.CodeListItem if decoded else out.EnumeratedItem).append(entry)
        if codelist.is_cdisc:
            out.Alias.append(m.Alias(Context="nci:ExtCodeID", Name=codelist.code))
        return out

    # --- analysis results metadata -----------------------------------------------------------

    def primary_endpoint(self, frames: Mapping[str, pd.DataFrame]) -> None:
        """ARM for the confirmed objective response rate (ADRS PARAMCD CRSP, ADSL EFFFL)."""
        m = self.m
        adrs, adsl = frames.get("ADRS"), frames.get("ADSL")
        if adrs is None or adsl is None or "EFFFL" not in adsl.columns:
            return
        self.where["WC.ARM.CRSP"] = ("IT.ADRS.PARAMCD", "CRSP")
        self.where["WC.ARM.EFFFL"] = ("IT.ADSL.EFFFL", "Y")
        result = m.AnalysisResult(
            OID="AR.ORR", ParameterOID="IT.ADRS.PARAMCD", AnalysisReason="SPECIFIED IN PROTOCOL",
            AnalysisPurpose="PRIMARY OUTCOME MEASURE",
            Description=_text(m, "Confirmed objective response rate (RECIST 1.1) with its exact "
                                 "95% confidence interval, response-evaluable population"))
        datasets = m.AnalysisDatasets()
        for group, where, variable in (("IG.ADSL", "WC.ARM.EFFFL", "IT.ADSL.EFFFL"),
                                       ("IG.ADRS", "WC.ARM.CRSP", "IT.ADRS.AVALC")):
            dataset = m.AnalysisDataset(ItemGroupOID=group)
            dataset.WhereClauseRef = m.WhereClauseRef(WhereClauseOID=where)
            dataset.AnalysisVariable.append(m.AnalysisVariable(ItemOID=variable))
            datasets.AnalysisDataset.append(dataset)
        result.AnalysisDatasets = datasets
        result.Documentation = m.Documentation(Description=_text(
            m, "Responders: subjects with AVALC = Y for PARAMCD = CRSP (best confirmed overall "
               "response CR or PR, RECIST 1.1 §4.6) among subjects with EFFFL = Y; estimate "
               "x/n with the Clopper-Pearson exact 95% interval (Clopper and Pearson 1934); "
               "Simon two-stage decision against the protocol's design."))
        result.ProgrammingCode = m.ProgrammingCode(
            Context="Python 3 (oncotrial)",
            Code=m.Code(_content='oncotrial.stats.estimate_binomial_ci(x, n, '
                                 'method="clopper-pearson", conf_level=0.95)'))
        display = m.ResultDisplay(
            OID="RD.ORR", Name="Table 14.2.1",
            Description=_text(m, "Confirmed objective response rate (primary endpoint)"))
        display.AnalysisResult.append(result)
        displays = m.AnalysisResultDisplays()
        displays.ResultDisplay.append(display)
        self.mdv.AnalysisResultDisplays = displays


def _model(with_arm: bool) -> Any:
    import odmlib.arm_1_0.model as arm_model  # noqa: PLC0415 - heavy, only when written
    import odmlib.define_2_1.model as define_model  # noqa: PLC0415
    from odmlib import ns_registry  # noqa: PLC0415

    registry: Any = ns_registry.NamespaceRegistry
    registry(prefix="odm", uri="http://www.cdisc.org/ns/odm/v1.3",
                                  is_default=True, is_reset=True)
    registry(prefix="def", uri="http://www.cdisc.org/ns/def/v2.1")
    registry(prefix="xlink", uri="http://www.w3.org/1999/xlink")
    if with_arm:
        registry(prefix="arm", uri="http://www.cdisc.org/ns/arm/v1.0")
        return arm_model
    return define_model


def build_define(
    frames: Mapping[str, pd.DataFrame],
    *,
    standard: Standard,
    study: StudyInfo,
    created: datetime,
    files: Mapping[str, str] | None = None,
) -> bytes:
    """define.xml 2.1 of the datasets *frames* (name → data as written), validated.

    Parameters
    ----------
    frames
        Dataset name (upper case) → the data frame written.
    standard
        ``"SDTM"`` or ``"ADaM"`` (ADaM adds the analysis results metadata of the primary
        endpoint when ADSL and ADRS are given).
    study
        Study identifier, name, description and protocol name.
    created
        Creation time stamped on the document (a timezone-aware time).
    files
        Dataset name → file name of its leaf (default ``<name>.xpt`` in lower case).

    Returns
    -------
    bytes
        The define.xml document (UTF-8, with XML declaration): ItemGroupDefs with their
        ItemDefs, value-level metadata, codelists, methods and, for ADaM with ADSL and ADRS,
        the ARM 1.0 analysis results; validated by :func:`validate_define`.

    Raises
    ------
    DataError
        When the document does not validate against the Define-XML 2.1 schema (a bug).
    """
    spec = load_specification(standard)
    with_arm = standard == "ADaM" and "ADRS" in frames and "ADSL" in frames
    model = _model(with_arm)
    builder = _Builder(model, spec)
    builder.standards()
    for name, frame in frames.items():
        href = (files or {}).get(name, f"{name.lower()}.xpt")
        builder.dataset(name, frame, spec.datasets.get(name), href)
    if with_arm:
        builder.primary_endpoint(frames)
    builder.finish()
    m = model
    stamp = created.isoformat(timespec="seconds")
    odm = m.ODM(FileOID=_oid("DEF", study.study_id, standard), FileType="Snapshot",
                ODMVersion="1.3.2", CreationDateTime=stamp, AsOfDateTime=stamp,
                Originator="oncotrial", SourceSystem="oncotrial", SourceSystemVersion="0.1.0",
                Context="Submission")
    odm_study = m.Study(OID=_oid("ST", study.study_id))
    odm_study.GlobalVariables = m.GlobalVariables(
        StudyName=m.StudyName(_content=study.name),
        StudyDescription=m.StudyDescription(_content=study.description),
        ProtocolName=m.ProtocolName(_content=study.protocol))
    odm_study.MetaDataVersion = builder.mdv
    odm.Study = odm_study
    text = odm.to_xml_string()
    document: bytes = etree.tostring(etree.fromstring(text.encode("utf-8")),
                                     xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate_define(document)
    return document


def _schema(arm: bool) -> etree.XMLSchema:
    root = resources.files("oncotrial.cdisc") / "data" / "xsd"
    path = (root / "arm" / "1.0-define2.1" / "arm1-0-0.xsd") if arm else (
        root / "define" / "2.1" / "define2-1-0.xsd")
    return etree.XMLSchema(etree.parse(str(path)))


def validate_define(document: bytes) -> None:
    """Validate a define.xml against the Define-XML 2.1 schema (with ARM when it has any).

    Parameters
    ----------
    document
        The define.xml bytes (external entities are not resolved).

    Returns
    -------
    None
        The call only checks; it returns when the document is valid.

    Raises

    ------
    DataError
        When it is not well-formed or not valid, naming the first problems.
    """
    try:
        root = etree.fromstring(document, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise DataError(f"define.xml is not well-formed XML: {exc}", field="define.xml",
                        value="", allowed="a Define-XML 2.1 document") from exc
    arm = root.find(".//{http://www.cdisc.org/ns/arm/v1.0}AnalysisResultDisplays") is not None
    schema = _schema(arm)
    if not schema.validate(root):
        problems = [f"line {e.line}: {e.message}" for e in list(schema.error_log)[:3]]
        raise DataError("define.xml does not validate against the Define-XML 2.1 schema",
                        field="define.xml", value=problems, allowed="a valid Define-XML 2.1 "
                        "document")


def codelist_terms(standard: Standard) -> Mapping[str, Codelist]:
    """The codelists of *standard*'s specification (for checks of values)."""
    return load_specification(standard).codelists


def used_codelists(variables: Iterable[VariableSpec]) -> set[str]:
    """Codelists referenced by *variables*, value level included."""
    return {c for v in variables for c in (v.codelist, *(lv.codelist for lv in v.value_level))
            if c}
