"""CTCAE v5.0 grading of lab values, QTc, urine protein and blood pressure.

The thresholds live in ``data/ctcae_v5.yaml`` (one band per term, scheme and grade, with the
CTCAE wording and citation); this module converts units, picks the scheme (e.g. baseline normal
or abnormal for ALT/AST and bilirubin) and reports the grade with the rule that fired.

A grade is ``None`` when the value alone cannot settle it: a needed reference (LLN, ULN,
baseline) is missing, or CTCAE makes the grade depend on a clinical fact (hyponatremia
125-129 mmol/L: grade 2 if asymptomatic, 3 if symptomatic). Where the value fixes a grade that a
clinical fact could only raise (hypokalemia <LLN-3.0: grade 1, or 2 if symptomatic), the value's
grade is returned and the reason says what could raise it. The grade never exceeds what the
value shows: grades defined only by consequences (e.g. anemia grade 4) are never assigned.

References
----------
National Cancer Institute. Common Terminology Criteria for Adverse Events (CTCAE) v5.0,
27 November 2017. Lab wording cross-checked against the machine-readable copy in
pharmaverse/admiral ``data-raw/adlb_grading/ncictcaev5.json``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from oncotrial.errors import DataError, RuleError
from oncotrial.rules.ctcae._eval import Facts, Outcome, Refs, evaluate_scheme
from oncotrial.rules.ctcae._table import Applies, CtcaeTable, Scheme, Term, load_table
from oncotrial.rules.units import convert_unit, normalize_unit, units_for

__all__ = [
    "HYPERTENSION",
    "CtcaeGrade",
    "ctcae_terms",
    "ctcae_units",
    "grade_hypertension",
    "grade_lab",
    "load_ctcae_table",
]

HYPERTENSION = "Hypertension"
_DIPSTICK_READINGS = frozenset({0.0, 0.5, 1.0, 2.0, 3.0, 4.0})


@dataclass(frozen=True)
class CtcaeGrade:
    """A CTCAE grade with the rule that produced it.

    Attributes
    ----------
    term
        CTCAE v5.0 term, spelled as CTCAE spells it.
    grade
        0-4 as determined from the value; ``None`` when the value alone cannot determine it.
    rule
        Name of the table entry that fired (``a|b`` when the grade lies between entries).
    reason
        The CTCAE wording applied, unit conversions, assumptions, and what is missing.
    missing
        The references (``lln``, ``uln``, ``baseline``) the grade needs but were not given,
        when that is why ``grade`` is ``None``.
    """

    term: str
    grade: int | None
    rule: str
    reason: str
    missing: tuple[str, ...] = ()


def load_ctcae_table() -> CtcaeTable:
    """Return the shipped CTCAE v5.0 table, checked for gaps and overlaps on first load.

    Returns
    -------
    CtcaeTable
        The graded terms of ``data/ctcae_v5.yaml`` with their schemes, bands, CTCAE wording and
        citations (cached: the same object on every call).

    Raises
    ------
    RuleError
        If the shipped table is malformed or its bands leave a gap or overlap.
    """
    return load_table("5")


def ctcae_terms() -> tuple[str, ...]:
    """Every term the shipped table can grade, spelled as in CTCAE v5.0.

    Returns
    -------
    tuple of str
        The terms in table order.

    Examples
    --------
    >>> from oncotrial.rules import ctcae_terms
    >>> terms = ctcae_terms()
    >>> len(terms), terms[0], "Hypertension" in terms
    (15, 'Neutrophil count decreased', True)
    """
    return tuple(t.term for t in load_ctcae_table().terms)


def ctcae_units(term: str) -> tuple[str, ...]:
    """Every unit a value of *term* may be given in (CDISC spelling, table order).

    Parameters
    ----------
    term
        A term the shipped table grades (:func:`ctcae_terms`), spelled as in CTCAE v5.0.

    Returns
    -------
    tuple of str
        The units of the term's analyte (:func:`oncotrial.rules.units.units_for`).

    Raises
    ------
    RuleError
        If the table has no grading for *term*.

    Examples
    --------
    >>> from oncotrial.rules.ctcae import ctcae_units
    >>> ctcae_units("Creatinine increased")
    ('umol/L', 'mg/dL')
    """
    for entry in load_ctcae_table().terms:
        if entry.term == term:
            return units_for(entry.analyte)
    raise RuleError(f"no CTCAE v5.0 grading for {term!r}")


def check_normal_range(lln: float | None, uln: float | None) -> None:
    """Refuse limits of normal out of order: the lower must be below the upper (a range may
    start at 0, e.g. ALT 0-40 U/L). Every path that takes limits checks them here.

    Parameters
    ----------
    lln, uln
        Lower and upper limit of normal in one unit; ``None`` when not given.

    Returns
    -------
    None
        Nothing when the range is in order or a limit is missing.

    Raises
    ------
    DataError
        When *lln* is not below *uln* (field ``lln``).

    Examples
    --------
    >>> from oncotrial.rules.ctcae import check_normal_range
    >>> check_normal_range(0.0, 40.0)
    >>> check_normal_range(40.0, 40.0)
    Traceback (most recent call last):
    ...
    oncotrial.errors.DataError: lln=40.0: not below the upper limit of normal 40 (allowed: below 40)
    """
    if lln is not None and uln is not None and lln >= uln:
        raise DataError(f"not below the upper limit of normal {uln:g}", field="lln", value=lln,
                        allowed=f"below {uln:g}")


def grade_lab(
    term: str,
    value: float,
    unit: str,
    *,
    lln: float | None = None,
    uln: float | None = None,
    baseline: float | None = None,
    symptomatic: bool | None = None,
) -> CtcaeGrade:
    """Grade one lab, ECG or urine value by CTCAE v5.0.

    Parameters
    ----------
    term
        CTCAE v5.0 term exactly as spelled there, e.g. ``"Neutrophil count decreased"``,
        ``"Alanine aminotransferase increased"``, ``"Proteinuria"``.
    value
        The result, in *unit*. Urine dipstick readings use unit ``"dipstick"`` with
        0 (negative), 0.5 (trace), 1, 2, 3, 4 for 1+ ... 4+.
    unit
        CDISC ``LBSTRESU`` unit or a common synonym; converted to a unit CTCAE states.
    lln, uln, baseline
        Lower/upper limit of normal and the subject's baseline, in the same unit as *value*.
    symptomatic
        Whether the abnormality is symptomatic, for terms whose grade depends on it
        (hyponatremia 125-129 mmol/L, hypokalemia <LLN-3.0 mmol/L); ``None`` if unknown.

    Returns
    -------
    CtcaeGrade

    Raises
    ------
    RuleError
        Unknown term, or a unit that is unknown or not a unit of this term.
    DataError
        A value or reference that is not a finite non-negative number, or an LLN not below
        the ULN (:func:`check_normal_range`).

    Examples
    --------
    An absolute neutrophil count of 0.8 × 10⁹/L is grade 3 ("<1.0 - 0.5 x 10e9 /L"):

    >>> from oncotrial.rules import grade_lab
    >>> g = grade_lab("Neutrophil count decreased", 0.8, "10^9/L")
    >>> g.grade, g.rule
    (3, 'anc_g3')

    ALT at 3.25 × ULN with no baseline is graded by the baseline-normal criteria, and the reason
    says so:

    >>> g = grade_lab("Alanine aminotransferase increased", 130, "U/L", uln=40)
    >>> g.grade
    2
    >>> "baseline not supplied" in g.reason
    True

    A term graded against the ULN cannot be graded without it:

    >>> g = grade_lab("Alanine aminotransferase increased", 130, "U/L")
    >>> g.grade, g.missing
    (None, ('uln',))
    """
    table = load_ctcae_table()
    entry = table.term(term)
    if any(s.measure != "value" for s in entry.schemes):
        raise RuleError(f"term {term!r} is graded from blood pressure: use grade_hypertension()")
    number = _check_number("value", value, term)
    refs = Refs(
        lln=_check_reference("lln", lln, term),
        uln=_check_reference("uln", uln, term),
        baseline=_check_number("baseline", baseline, term) if baseline is not None else None,
    )
    if refs.uln:  # a ULN of 0 has its own, more telling refusal where "x ULN" is evaluated
        check_normal_range(refs.lln, refs.uln)
    target, number, refs, note = _to_stated_unit(entry, unit, number, refs)
    if target == "dipstick" and number not in _DIPSTICK_READINGS:
        raise DataError(
            f"{term}: not a dipstick reading",
            field="value",
            value=value,
            allowed="0 (negative), 0.5 (trace), 1, 2, 3, 4 (for 1+ ... 4+)",
        )
    schemes = [s for s in entry.schemes if target in entry.scheme_units(s)]
    selected, assumption = _select_schemes(entry, schemes, refs)
    if entry.combine == "select" and len(selected) > 1:
        names = ", ".join(s.name for s in selected)
        raise RuleError(f"{entry.term}: table selects more than one scheme ({names})")
    if not selected:
        return CtcaeGrade(entry.term, None, "baseline_status", assumption, ("uln",))
    facts = Facts(symptomatic=symptomatic)
    outcomes = [
        evaluate_scheme(entry, s, number, unit=target, refs=refs, facts=facts) for s in selected
    ]
    return _combine(entry.term, outcomes, [note, assumption])


def grade_hypertension(
    systolic_mmhg: float,
    diastolic_mmhg: float,
    *,
    previously_normal: bool | None = None,
) -> CtcaeGrade:
    """Grade "Hypertension" (adult) from one blood pressure reading by CTCAE v5.0.

    The grade is the worse of the systolic and diastolic grades. CTCAE grade 2 by
    "140-159 / 90-99 mm Hg" applies only "if previously WNL", so that band needs
    *previously_normal*; grades that depend on treatment (monotherapy indicated, more than one
    drug) or on consequences (grade 4) are never assigned from the reading: the reason says so.

    Parameters
    ----------
    systolic_mmhg, diastolic_mmhg
        Blood pressure in mm Hg.
    previously_normal
        Whether blood pressure was within normal limits before; ``None`` if unknown.

    Returns
    -------
    CtcaeGrade

    Examples
    --------
    162/95 mm Hg is grade 3 by its systolic value (≥ 160 mm Hg):

    >>> from oncotrial.rules import grade_hypertension
    >>> grade_hypertension(162, 95).grade
    3
    """
    entry = load_ctcae_table().term(HYPERTENSION)
    readings = {
        "systolic": _check_number("systolic_mmhg", systolic_mmhg, HYPERTENSION),
        "diastolic": _check_number("diastolic_mmhg", diastolic_mmhg, HYPERTENSION),
    }
    facts = Facts(previously_normal=previously_normal)
    outcomes = [
        evaluate_scheme(entry, s, readings[s.measure], unit="mmHg", refs=Refs(), facts=facts)
        for s in entry.schemes
    ]
    return _combine(entry.term, outcomes, [])


def _check_number(field: str, value: object, term: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataError(
            f"{term}: must be a number", field=field, value=value, allowed="a finite number >= 0"
        )
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise DataError(
            f"{term}: must be finite and not negative",
            field=field,
            value=value,
            allowed="a finite number >= 0",
        )
    return number


def _check_reference(field: str, value: float | None, term: str) -> float | None:
    if value is None:
        return None
    return _check_number(field, value, term)  # 0 allowed: see ctcae._eval.evaluate_scheme


def _to_stated_unit(
    entry: Term, unit: str, value: float, refs: Refs
) -> tuple[str, float, Refs, str]:
    """Convert value and references to the first unit CTCAE states that *unit* converts to."""
    allowed = ", ".join(units_for(entry.analyte))
    try:
        given = normalize_unit(unit)
    except RuleError as exc:
        raise RuleError(f"{entry.term}: unit {unit!r} is not known (allowed: {allowed})") from exc
    if given in entry.units:
        return given, value, refs, ""
    for target in entry.units:
        try:
            factor = convert_unit(1.0, given, target, analyte=entry.analyte)
        except RuleError:
            continue
        scaled = Refs(
            *(None if r is None else r * factor for r in (refs.lln, refs.uln, refs.baseline))
        )
        note = f"converted {value:g} {given} to {value * factor:.6g} {target}"
        return target, value * factor, scaled, note
    raise RuleError(f"{entry.term}: unit {given!r} is not a unit of this term (allowed: {allowed})")


def _select_schemes(entry: Term, schemes: list[Scheme], refs: Refs) -> tuple[list[Scheme], str]:
    """Keep the schemes that apply; say which baseline assumption was made."""
    by_baseline = {Applies.BASELINE_NORMAL, Applies.BASELINE_ABNORMAL}
    status: Applies | None = None
    assumption = ""
    if any(s.applies in by_baseline for s in schemes):
        if refs.baseline is None:
            status = Applies.BASELINE_NORMAL
            assumption = "baseline not supplied: graded by the baseline-normal criteria (x ULN)"
        elif refs.uln is None:
            return [], (
                f"{entry.term}: cannot tell whether baseline was abnormal without uln "
                "(CTCAE v5.0 grades against ULN if baseline was normal, against baseline if not)"
            )
        elif refs.baseline > refs.uln:
            status = Applies.BASELINE_ABNORMAL
            assumption = (
                f"baseline {refs.baseline:g} > ULN {refs.uln:g}: baseline-abnormal criteria"
            )
        else:
            status = Applies.BASELINE_NORMAL
            assumption = f"baseline {refs.baseline:g} <= ULN {refs.uln:g}: baseline-normal criteria"

    def applies(scheme: Scheme) -> bool:
        if scheme.applies is Applies.ALWAYS:
            return True
        if scheme.applies is Applies.BASELINE_GIVEN:
            return refs.baseline is not None
        return scheme.applies is status

    return [s for s in schemes if applies(s)], assumption


def _combine(term: str, outcomes: list[Outcome], notes: list[str]) -> CtcaeGrade:
    """The worst grade over schemes; undecided if an undecided scheme could be worse."""
    extra = "; ".join(n for n in notes if n)
    decided = [o for o in outcomes if o.grade is not None]
    open_ = [o for o in outcomes if o.grade is None]
    best = max(decided, key=lambda o: o.grade or 0, default=None)
    if best is not None and all(o.max_grade <= (best.grade or 0) for o in open_):
        reason = best.reason
        if len(outcomes) > 1:
            reason += " (worst of: " + ", ".join(o.rule for o in outcomes) + ")"
        return CtcaeGrade(term, best.grade, best.rule, _join(reason, extra))
    parts = [part for o in open_ for part in o.reason.split("; ")]
    reason = "; ".join(dict.fromkeys(parts))  # the same note from two schemes is said once
    if best is not None:
        reason += f"; at least grade {best.grade} by {best.rule}"
    missing = tuple(sorted(set().union(*(o.missing for o in open_))))
    return CtcaeGrade(term, None, "|".join(o.rule for o in open_), _join(reason, extra),
                      missing)


def _join(reason: str, extra: str) -> str:
    return f"{reason}; {extra}" if extra else reason
