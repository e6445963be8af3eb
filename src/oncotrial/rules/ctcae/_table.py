"""The CTCAE rule table: typed entries, loading, and the gap/overlap check.

A term has one or more *schemes* (e.g. "baseline normal" and "baseline abnormal" for ALT, or
"systolic" and "diastolic" for hypertension). A scheme is an ordered chain of *bands* along the
value axis, lowest values first. Each band is a half-open or closed interval whose bounds are an
absolute number (per unit), or a multiple of LLN, ULN or baseline, or baseline plus a number.
Adjacent bands must share the same cut-point with exactly one side inclusive, the first band is
open below and the last open above: a table that breaks this is rejected on load.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from oncotrial._yaml import read_yaml
from oncotrial.errors import RuleError
from oncotrial.rules.units import normalize_unit, units_for

__all__ = [
    "Band",
    "Basis",
    "Bound",
    "CtcaeTable",
    "Scheme",
    "Term",
    "load_table",
    "parse_table",
]


class Basis(StrEnum):
    """What a cut-point is measured against."""

    ABSOLUTE = "absolute"  # a number in the value's unit
    LLN = "lln"  # multiple of the lower limit of normal
    ULN = "uln"  # multiple of the upper limit of normal
    BASELINE = "baseline"  # multiple of the subject's baseline value
    BASELINE_PLUS = "baseline_plus"  # baseline plus a number in the value's unit


class Applies(StrEnum):
    """When a scheme is used."""

    ALWAYS = "always"
    BASELINE_NORMAL = "baseline_normal"  # baseline not above ULN (or not supplied)
    BASELINE_ABNORMAL = "baseline_abnormal"  # baseline above ULN
    BASELINE_GIVEN = "baseline_given"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Bound(_Frozen):
    """One end of a band: ``basis`` × ``at`` (or baseline + ``at``), inclusive or not."""

    basis: Basis = Basis.ABSOLUTE
    at: float | dict[str, float]
    inclusive: bool

    def value_for(self, unit: str) -> float:
        """The number ``at`` for *unit* (absolute bounds may differ per unit system)."""
        if isinstance(self.at, dict):
            try:
                return self.at[unit]
            except KeyError:
                raise RuleError(f"bound has no cut-point for unit {unit!r}") from None
        return self.at

    def same_point(self, other: Bound, unit: str) -> bool:
        """True when both bounds denote the same cut-point in *unit*."""
        return self.basis == other.basis and self.value_for(unit) == other.value_for(unit)


class Band(_Frozen):
    """One graded interval of a scheme, with the CTCAE wording it implements."""

    rule: str = Field(pattern=r"^[a-z0-9_]+$")
    grade: int | None = Field(ge=0, le=5)
    lower: Bound | None = None
    upper: Bound | None = None
    if_symptomatic: int | None = Field(default=None, ge=0, le=5)
    if_asymptomatic: int | None = Field(default=None, ge=0, le=5)
    if_previously_normal: int | None = Field(default=None, ge=0, le=5)
    note: str = ""
    source: str

    @property
    def possible_grades(self) -> tuple[int, ...]:
        """Every grade this band can give, once the clinical facts are known."""
        options = (self.grade, self.if_symptomatic, self.if_asymptomatic, self.if_previously_normal)
        return tuple(sorted({g for g in options if g is not None}))

    @property
    def max_grade(self) -> int:
        """The highest grade this band can give (0 when it gives none)."""
        return max(self.possible_grades, default=0)


class Scheme(_Frozen):
    """An ordered chain of bands covering the whole value axis."""

    name: str
    applies: Applies = Applies.ALWAYS
    measure: Literal["value", "systolic", "diastolic"] = "value"
    units: tuple[str, ...] = ()
    bands: tuple[Band, ...] = Field(min_length=1)


class Term(_Frozen):
    """A CTCAE v5.0 term as graded from a number."""

    term: str
    direction: Literal["increased", "decreased"]
    analyte: str
    units: tuple[str, ...] = Field(min_length=1)
    combine: Literal["select", "worst"] = "select"
    citation: str
    schemes: tuple[Scheme, ...] = Field(min_length=1)

    def scheme_units(self, scheme: Scheme) -> tuple[str, ...]:
        """Units in which *scheme* states its cut-points."""
        return scheme.units or self.units

    @model_validator(mode="after")
    def _check(self) -> Term:
        try:
            self._check_units_and_chains()
        except RuleError as exc:  # unit lookups raise RuleError; pydantic collects ValueError
            raise ValueError(f"{self.term}: {exc}") from exc
        return self

    def _check_units_and_chains(self) -> None:
        accepted = set(units_for(self.analyte))
        for unit in self.units:
            if normalize_unit(unit) != unit or unit not in accepted:
                raise ValueError(
                    f"{self.term}: unit {unit!r} is not a CDISC unit of {self.analyte}"
                )
        for scheme in self.schemes:
            for unit in self.scheme_units(scheme):
                if unit not in self.units:
                    raise ValueError(f"{self.term}/{scheme.name}: unit {unit!r} not in term units")
                _check_chain(self, scheme, unit)


class CtcaeTable(_Frozen):
    """A whole versioned CTCAE table."""

    version: str
    source: str
    terms: tuple[Term, ...]

    @model_validator(mode="after")
    def _unique(self) -> CtcaeTable:
        names = [t.term for t in self.terms]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate terms: {dupes}")
        rules = [b.rule for t in self.terms for s in t.schemes for b in s.bands]
        dup_rules = sorted({r for r in rules if rules.count(r) > 1})
        if dup_rules:
            raise ValueError(f"duplicate rule names: {dup_rules}")
        return self

    def term(self, name: str) -> Term:
        """Return the term spelled exactly *name*; :class:`RuleError` lists the known terms."""
        for term in self.terms:
            if term.term == name:
                return term
        known = "; ".join(t.term for t in self.terms)
        raise RuleError(f"term {name!r} is not in the CTCAE v{self.version} table (known: {known})")


def _check_chain(term: Term, scheme: Scheme, unit: str) -> None:
    """Reject gaps, overlaps, unordered cut-points and grades that run against the direction."""
    where = f"{term.term}/{scheme.name} [{unit}]"
    bands = scheme.bands
    if bands[0].lower is not None:
        raise ValueError(f"{where}: gap below the first band {bands[0].rule}")
    if bands[-1].upper is not None:
        raise ValueError(f"{where}: gap above the last band {bands[-1].rule}")
    for below, above in pairwise(bands):
        if below.upper is None or above.lower is None:
            raise ValueError(f"{where}: {below.rule} and {above.rule} overlap (open bound)")
        if not below.upper.same_point(above.lower, unit):
            raise ValueError(
                f"{where}: gap or overlap between {below.rule} (upper {below.upper.basis} "
                f"{below.upper.value_for(unit)}) and {above.rule} (lower {above.lower.basis} "
                f"{above.lower.value_for(unit)})"
            )
        if below.upper.inclusive == above.lower.inclusive:
            kind = "overlap" if below.upper.inclusive else "gap"
            raise ValueError(
                f"{where}: {kind} at the cut-point between {below.rule} and {above.rule}"
            )
    _check_direction(where, term.direction, bands)
    _check_order(where, bands, unit)


def _check_direction(where: str, direction: str, bands: tuple[Band, ...]) -> None:
    """Grades must not fall along the value axis for "increased" terms, nor rise for "decreased".

    Bands that give no grade at all (e.g. a reading CTCAE does not grade) are skipped.
    """
    graded = [b for b in bands if b.possible_grades]
    for below, above in pairwise(graded):
        step = above.max_grade - below.max_grade
        if (direction == "increased" and step < 0) or (direction == "decreased" and step > 0):
            raise ValueError(f"{where}: grade runs against '{direction}' at {above.rule}")


def _check_order(where: str, bands: tuple[Band, ...], unit: str) -> None:
    """Cut-points of the same basis must rise strictly along the chain."""
    last: dict[Basis, float] = {}
    for band in bands:
        if band.upper is None:
            continue
        value = band.upper.value_for(unit)
        previous = last.get(band.upper.basis)
        if previous is not None and value <= previous:
            raise ValueError(f"{where}: cut-points out of order at {band.rule}")
        last[band.upper.basis] = value


def parse_table(data: object) -> CtcaeTable:
    """Validate a parsed YAML document as a CTCAE table.

    Raises
    ------
    RuleError
        Naming every problem (gap, overlap, unknown unit, duplicate rule) with its location.
    """
    try:
        return CtcaeTable.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise RuleError(f"invalid CTCAE table: {problems}") from exc


@cache
def load_table(version: str = "5") -> CtcaeTable:
    """Load and check the shipped ``data/ctcae_v<version>.yaml`` table (cached)."""
    name = f"ctcae_v{version}.yaml"
    resource = resources.files("oncotrial.rules").joinpath("data", name)
    if not resource.is_file():
        raise RuleError(f"no CTCAE table {name!r} is shipped")
    return parse_table(read_yaml(resource.read_text(encoding="utf-8")))
