"""Evaluate one CTCAE scheme for one value: first match from the severe end of the chain.

Bands are tried from the most severe end (highest values for "increased" terms, lowest for
"decreased" terms). A band whose bound needs a reference (LLN, ULN, baseline) that was not given
is *undecided*; if an undecided band comes before the first band that matches, the grade cannot
be decided from the inputs and the outcome says which reference is missing. Trying from the
severe end is also how CTCAE reads when a lab's own LLN lies below an absolute cut-point (e.g. an
ANC of 1.45 with LLN 1.4 is grade 2 by "<1.5 - 1.0 x 10e9/L"), matching admiral's ordering.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from oncotrial.errors import DataError, RuleError
from oncotrial.rules.ctcae._table import Band, Basis, Bound, Scheme, Term

__all__ = ["Facts", "Outcome", "Refs", "evaluate_scheme"]

# Cut-points are compared at 12 significant digits so that 3.0 * 40 == 120 exactly and
# binary floating-point noise never moves a value across a threshold (admiral uses signif()).
_SIGNIFICANT = 12


@dataclass(frozen=True)
class Refs:
    """Reference values in the same unit as the value."""

    lln: float | None = None
    uln: float | None = None
    baseline: float | None = None


@dataclass(frozen=True)
class Facts:
    """Clinical facts that finish a grade the value alone leaves open."""

    symptomatic: bool | None = None
    previously_normal: bool | None = None


@dataclass(frozen=True)
class Outcome:
    """Result of one scheme: the grade (or None), the band rule(s), the reason."""

    grade: int | None
    max_grade: int
    rule: str
    reason: str
    missing: frozenset[str] = frozenset()  # references the grade needs but were not given


def _round(x: float) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    digits = _SIGNIFICANT - math.floor(math.log10(abs(x))) - 1
    return round(x, digits)


def _cut(bound: Bound, unit: str, refs: Refs) -> float | None:
    at = bound.value_for(unit)
    if bound.basis is Basis.ABSOLUTE:
        return at
    reference = {
        Basis.LLN: refs.lln,
        Basis.ULN: refs.uln,
        Basis.BASELINE: refs.baseline,
        Basis.BASELINE_PLUS: refs.baseline,
    }[bound.basis]
    if reference is None:
        return None
    if bound.basis is Basis.BASELINE_PLUS:
        return _round(reference + at)
    return _round(reference * at)


def _side(value: float, bound: Bound | None, unit: str, refs: Refs, *, lower: bool) -> bool | None:
    if bound is None:
        return True
    cut = _cut(bound, unit, refs)
    if cut is None:
        return None
    v = _round(value)
    if lower:
        return v >= cut if bound.inclusive else v > cut
    return v <= cut if bound.inclusive else v < cut


def _member(value: float, band: Band, unit: str, refs: Refs) -> bool | None:
    low = _side(value, band.lower, unit, refs, lower=True)
    high = _side(value, band.upper, unit, refs, lower=False)
    if low is False or high is False:
        return False
    if low is None or high is None:
        return None
    return True


def _missing(band: Band, refs: Refs) -> set[str]:
    names = {
        Basis.LLN: "lln",
        Basis.ULN: "uln",
        Basis.BASELINE: "baseline",
        Basis.BASELINE_PLUS: "baseline",
    }
    given = {"lln": refs.lln, "uln": refs.uln, "baseline": refs.baseline}
    out: set[str] = set()
    for bound in (band.lower, band.upper):
        if bound is not None and bound.basis is not Basis.ABSOLUTE:
            name = names[bound.basis]
            if given[name] is None:
                out.add(name)
    return out


def _finish(band: Band, facts: Facts) -> tuple[int | None, str]:
    """Apply the clinical facts a band asks for; return the grade and why."""
    if band.if_symptomatic is not None and facts.symptomatic is True:
        return band.if_symptomatic, "symptomatic"
    if band.if_asymptomatic is not None and facts.symptomatic is False:
        return band.if_asymptomatic, "asymptomatic"
    if band.if_previously_normal is not None and facts.previously_normal is True:
        return band.if_previously_normal, "previously within normal limits"
    return band.grade, ""


def evaluate_scheme(
    term: Term, scheme: Scheme, value: float, *, unit: str, refs: Refs, facts: Facts
) -> Outcome:
    """Grade *value* (already in *unit*, one of the scheme's units) by *scheme*.

    A limit of normal of 0 is accepted where the scheme uses it as a cut-point itself (``<LLN``,
    as lab sheets print ALT 0-40 U/L); a scheme that scales it (``>3.0 x ULN``, ``<0.75 x LLN``)
    would put every cut-point at 0, so a zero limit there is a :class:`DataError` naming it.
    """
    _refuse_zero_scaled_limits(term, scheme, unit, refs)
    ordered = scheme.bands[::-1] if term.direction == "increased" else scheme.bands
    pending: list[Band] = []
    for band in ordered:
        member = _member(value, band, unit, refs)
        if member is None:
            pending.append(band)
            continue
        if not member:
            continue
        if pending:
            return _undecided([*pending, band], refs)
        grade, fact = _finish(band, facts)
        reason = f'CTCAE v5.0 {term.term}: "{band.source}"'
        if fact:
            reason += f" ({fact})"
        elif band.note:
            reason += f"; {band.note}"
        return Outcome(grade, band.max_grade, band.rule, reason)
    if pending:
        return _undecided(pending, refs)
    raise RuleError(f"{term.term}/{scheme.name}: no band matched value {value} {unit}")


def _undecided(bands: list[Band], refs: Refs) -> Outcome:
    missing: set[str] = set()
    for band in bands:
        missing |= _missing(band, refs)
    grades = sorted({b.grade for b in bands if b.grade is not None})
    return Outcome(
        None,
        max(b.max_grade for b in bands),
        "|".join(b.rule for b in bands),
        f"cannot grade without {', '.join(sorted(missing))}: value lies in a band that depends "
        f"on it (possible grades {grades})",
        frozenset(missing),
    )


def _refuse_zero_scaled_limits(term: Term, scheme: Scheme, unit: str, refs: Refs) -> None:
    limits = {Basis.LLN: ("lln", refs.lln), Basis.ULN: ("uln", refs.uln)}
    for band in scheme.bands:
        for bound in (band.lower, band.upper):
            if bound is None or bound.basis not in limits:
                continue
            name, limit = limits[bound.basis]
            if limit == 0 and bound.value_for(unit) != 1:
                raise DataError(
                    f"{term.term}: a limit of 0 cannot scale the criterion "
                    f"'{bound.value_for(unit):g} x {name.upper()}' ({band.rule})",
                    field=name, value=0.0, allowed="a limit of normal > 0 for this term")
