"""Dataset specifications as data: what every SDTM and ADaM dataset oncotrial writes holds.

One YAML file per standard (``data/spec/sdtm.yaml``, ``data/spec/adam.yaml``) lists each
dataset with its label, class, structure, keys and variables (label, type, core, origin, the
codelist, the method of a derived variable with the rule it comes from and its citation,
value-level metadata), and ``data/spec/codelists.yaml`` the codelists with their CDISC CT
C-codes. The XPT writers take their labels from here, ``define.xml`` and Dataset-JSON their
metadata, and ``oncotrial validate`` its required variables and codelists; tests check that
every variable written is specified and every specified variable written.

Loading checks the files: every codelist and method referenced exists, types, cores and
origins are known, a Predecessor names its source, labels fit XPT v5 (40 characters).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

from oncotrial._yaml import read_yaml
from oncotrial.errors import DataError

__all__ = [
    "Codelist",
    "DatasetSpec",
    "Method",
    "Specification",
    "Term",
    "ValueLevel",
    "VariableSpec",
    "load_specification",
    "spec_differences",
]

Standard = Literal["SDTM", "ADaM"]
TYPES = ("text", "integer", "float", "iso8601", "sasdate", "sasdatetime")
CORES = ("Req", "Exp", "Perm", "Cond")
ORIGINS = ("Collected", "Derived", "Assigned", "Protocol", "Predecessor")
_FILES: dict[Standard, str] = {"SDTM": "sdtm.yaml", "ADaM": "adam.yaml"}


@dataclass(frozen=True, slots=True)
class Term:
    """One value of a codelist: the submission value, its NCI C-code ("" for a sponsor term or
    a sponsor extension) and a decode."""

    value: str
    code: str
    decode: str


@dataclass(frozen=True, slots=True)
class Codelist:
    """A codelist: CDISC CT (``code`` is the codelist's C-code) or the sponsor's (``code`` "")."""

    key: str
    name: str
    code: str
    extensible: bool
    standard: str
    terms: tuple[Term, ...]

    @property
    def values(self) -> frozenset[str]:
        """The submission values."""
        return frozenset(t.value for t in self.terms)

    @property
    def is_cdisc(self) -> bool:
        """Whether this is a CDISC Controlled Terminology codelist."""
        return bool(self.code)


@dataclass(frozen=True, slots=True)
class Method:
    """How a derived variable is computed, with the source of the rule."""

    key: str
    name: str
    text: str
    citation: str


@dataclass(frozen=True, slots=True)
class ValueLevel:
    """The metadata a variable takes where another variable (``by``) has ``value``."""

    value: str
    codelist: str
    method: str
    type: str
    origin: str


@dataclass(frozen=True, slots=True)
class VariableSpec:
    """One variable of a dataset."""

    name: str
    label: str
    type: str
    core: str
    origin: str
    codelist: str = ""
    method: str = ""
    predecessor: str = ""
    nonstandard: bool = False
    value_level_by: str = ""
    value_level: tuple[ValueLevel, ...] = ()


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """One dataset: name, label, class, structure, keys and variables in order."""

    name: str
    label: str
    cls: str
    subclass: str
    structure: str
    keys: tuple[str, ...]
    variables: tuple[VariableSpec, ...]

    def variable(self, name: str) -> VariableSpec | None:
        """The specification of variable *name*, or ``None``."""
        return next((v for v in self.variables if v.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        """Variable names in order."""
        return tuple(v.name for v in self.variables)

    def labels(self) -> dict[str, str]:
        """Variable name → label."""
        return {v.name: v.label for v in self.variables}


@dataclass(frozen=True, slots=True)
class Specification:
    """The specification of one standard: its datasets, codelists and methods."""

    standard: Standard
    ig_name: str
    ig_version: str
    ct_versions: Mapping[str, str]
    datasets: Mapping[str, DatasetSpec]
    codelists: Mapping[str, Codelist] = field(default_factory=dict)
    methods: Mapping[str, Method] = field(default_factory=dict)

    def dataset(self, name: str) -> DatasetSpec:
        """The dataset *name* (upper case).

        Raises
        ------
        DataError
            When the standard does not specify it.
        """
        try:
            return self.datasets[name.upper()]
        except KeyError:
            raise DataError(f"no {self.standard} specification for this dataset",
                            field="dataset", value=name,
                            allowed=", ".join(self.datasets)) from None


def _read(name: str) -> dict[str, Any]:
    text = (resources.files("oncotrial.cdisc") / "data" / "spec" / name).read_text("utf-8")
    loaded = read_yaml(text)
    if not isinstance(loaded, dict):
        raise DataError("specification file is not a mapping", field="file", value=name)
    return loaded


def _codelists(raw: Mapping[str, Any]) -> dict[str, Codelist]:
    out: dict[str, Codelist] = {}
    for key, entry in raw.items():
        decodes = entry.get("decode") or {}
        terms = tuple(Term(value=str(value), code=str(code or ""),
                           decode=str(decodes.get(value, value)))
                      for value, code in (entry.get("terms") or {}).items())
        out[key] = Codelist(key=key, name=str(entry["name"]), code=str(entry.get("code") or ""),
                            extensible=bool(entry.get("extensible", False)),
                            standard=str(entry.get("standard") or ""), terms=terms)
    return out


def _value_level(entry: Mapping[str, Any], base: VariableSpec) -> tuple[str, tuple[ValueLevel,
                                                                                    ...]]:
    raw = entry.get("value_level")
    if not raw:
        return "", ()
    levels = tuple(
        ValueLevel(value=str(value), codelist=str(meta.get("codelist", "")),
                   method=str(meta.get("method", base.method)),
                   type=str(meta.get("type", base.type)),
                   origin=str(meta.get("origin", "Derived" if meta.get("method") else
                                       base.origin)))
        for value, meta in raw["values"].items())
    return str(raw["by"]), levels


def _variable(entry: str | Mapping[str, Any], shared: Mapping[str, Any]) -> VariableSpec:
    if isinstance(entry, str):
        if entry not in shared:
            raise DataError("variable named but not defined", field="variable", value=entry,
                            allowed="a name under 'variables:' or a mapping with name")
        entry = {"name": entry, **shared[entry]}
    base = VariableSpec(
        name=str(entry["name"]), label=str(entry["label"]), type=str(entry["type"]),
        core=str(entry["core"]), origin=str(entry["origin"]),
        codelist=str(entry.get("codelist", "")), method=str(entry.get("method", "")),
        predecessor=str(entry.get("predecessor", "")),
        nonstandard=bool(entry.get("nonstandard", False)))
    by, levels = _value_level(entry, base)
    return VariableSpec(**{**_fields(base), "value_level_by": by, "value_level": levels})


def _fields(variable: VariableSpec) -> dict[str, Any]:
    return {name: getattr(variable, name) for name in VariableSpec.__slots__}


def _as_predecessor(variable: VariableSpec, source: str) -> VariableSpec:
    return VariableSpec(**{**_fields(variable), "origin": "Predecessor", "method": "",
                           "predecessor": f"{source}.{variable.name}", "nonstandard": False,
                           "value_level_by": "", "value_level": ()})


def _dataset(name: str, raw: Mapping[str, Any], shared: Mapping[str, Any],
             done: Mapping[str, DatasetSpec], sdtm: Specification | None) -> DatasetSpec:
    own = [_variable(entry, shared) for entry in raw["variables"]]
    inherited: list[VariableSpec] = []
    if raw.get("adsl_variables"):
        skip = set(raw.get("except_adsl") or ())
        inherited = [_as_predecessor(v, "ADSL") if v.name not in ("STUDYID", "USUBJID") else v
                     for v in done["ADSL"].variables if v.name not in skip]
    if raw.get("sdtm_domain") and sdtm is not None:
        domain = sdtm.dataset(str(raw["sdtm_domain"]))
        inherited = [_as_predecessor(v, domain.name) for v in domain.variables]
    names = {v.name for v in own}
    variables = (*(v for v in inherited if v.name not in names), *own)
    return DatasetSpec(name=name, label=str(raw["label"]), cls=str(raw["class"]),
                       subclass=str(raw.get("subclass", "")), structure=str(raw["structure"]),
                       keys=tuple(raw["keys"]), variables=variables)


def _check(spec: Specification) -> None:
    """Refuse a specification that refers to what it does not define."""
    problems: list[str] = []
    for dataset in spec.datasets.values():
        for v in dataset.variables:
            where = f"{dataset.name}.{v.name}"
            problems += _check_variable(spec, v, where)
            problems += [f"{where}: value level {level.value}: {problem}"
                         for level in v.value_level
                         for problem in _check_refs(spec, level.codelist, level.method)]
        missing_keys = [k for k in dataset.keys if k not in dataset.names]
        if missing_keys:
            problems.append(f"{dataset.name}: keys {missing_keys} are not variables")
    if problems:
        raise DataError(f"{spec.standard} specification is inconsistent", field="spec",
                        value=problems[:5], allowed="references to defined codelists, "
                        "methods, types, cores and origins")


def _check_variable(spec: Specification, v: VariableSpec, where: str) -> list[str]:
    problems = []
    if v.type not in TYPES:
        problems.append(f"{where}: type {v.type}")
    if v.core not in CORES:
        problems.append(f"{where}: core {v.core}")
    if v.origin not in ORIGINS:
        problems.append(f"{where}: origin {v.origin}")
    if v.origin == "Predecessor" and not v.predecessor:
        problems.append(f"{where}: Predecessor without a source")
    if v.origin == "Derived" and not v.method:
        problems.append(f"{where}: Derived without a method")
    if len(v.label) > 40 or len(v.name) > 8:
        problems.append(f"{where}: name over 8 or label over 40 characters")
    return problems + [f"{where}: {p}" for p in _check_refs(spec, v.codelist, v.method)]


def _check_refs(spec: Specification, codelist: str, method: str) -> list[str]:
    problems = []
    if codelist and codelist not in spec.codelists:
        problems.append(f"unknown codelist {codelist}")
    if method and method not in spec.methods:
        problems.append(f"unknown method {method}")
    return problems


@cache
def load_specification(standard: Standard) -> Specification:
    """The specification of *standard* (``"SDTM"`` or ``"ADaM"``), checked.

    Raises
    ------
    DataError
        For an unknown standard or a specification file that refers to what it does not
        define.
    """
    if standard not in _FILES:
        raise DataError("unknown standard", field="standard", value=standard,
                        allowed="SDTM, ADaM")
    raw = _read(_FILES[standard])
    codes = _read("codelists.yaml")
    codelists = _codelists(codes["codelists"])
    methods = {key: Method(key=key, name=str(m["name"]), text=str(m["text"]),
                           citation=str(m["citation"]))
               for key, m in raw["methods"].items()}
    if standard == "ADaM":
        sdtm = load_specification("SDTM")
        methods = {**sdtm.methods, **methods}
    else:
        sdtm = None
    shared = raw.get("variables") or {}
    datasets: dict[str, DatasetSpec] = {}
    for name, entry in raw["datasets"].items():
        datasets[name] = _dataset(name, entry, shared, datasets, sdtm)
    spec = Specification(standard=standard, ig_name=str(raw["standard"]["name"]),
                         ig_version=str(raw["standard"]["version"]),
                         ct_versions=dict(codes["ct_versions"]), datasets=datasets,
                         codelists=codelists, methods=methods)
    _check(spec)
    return spec


def spec_differences(columns: list[str] | tuple[str, ...],
                     dataset: DatasetSpec) -> tuple[list[str], list[str]]:
    """Variables written but not specified, and specified but not written.

    Parameters
    ----------
    columns
        The variables of the dataset as written.
    dataset
        Its specification (``Specification.datasets[name]``).

    Returns
    -------
    tuple of (list of str, list of str)
        The written variables the specification does not have (in written order), and the
        specified variables not written (in specification order).
    """

    written = list(columns)
    return ([c for c in written if dataset.variable(c) is None],
            [v for v in dataset.names if v not in written])
