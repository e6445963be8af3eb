"""Properties of CTCAE grading: monotone in the value, complete, and unit-invariant."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from oncotrial.rules import grade_hypertension, grade_lab
from oncotrial.rules.ctcae._table import load_table

# (term, unit, strategy for the value, keyword references). References are fixed, typical values
# so that every value can be graded; the value range spans every band of the term.
INCREASED = [
    ("Alanine aminotransferase increased", "U/L", 0.0, 2000.0, {"uln": 40.0}),
    ("Alanine aminotransferase increased", "U/L", 0.0, 2000.0, {"uln": 40.0, "baseline": 70.0}),
    ("Aspartate aminotransferase increased", "U/L", 0.0, 2000.0, {"uln": 35.0}),
    ("Blood bilirubin increased", "umol/L", 0.0, 400.0, {"uln": 21.0}),
    ("Blood bilirubin increased", "mg/dL", 0.0, 20.0, {"uln": 1.2, "baseline": 1.5}),
    ("Creatinine increased", "umol/L", 0.0, 1000.0, {"uln": 100.0}),
    ("Creatinine increased", "mg/dL", 0.0, 12.0, {"uln": 1.2, "baseline": 0.5}),
    ("Electrocardiogram QT corrected interval prolonged", "msec", 300.0, 650.0, {}),
    ("Electrocardiogram QT corrected interval prolonged", "msec", 300.0, 650.0, {"baseline": 420}),
    ("Proteinuria", "g/24h", 0.0, 10.0, {"uln": 0.15}),
]
DECREASED = [
    ("Neutrophil count decreased", "10^9/L", 0.0, 10.0, {"lln": 1.8}),
    ("Platelet count decreased", "10^9/L", 0.0, 400.0, {"lln": 150.0}),
    ("White blood cell decreased", "/mm3", 0.0, 12000.0, {"lln": 4000.0}),
    ("Lymphocyte count decreased", "10^9/L", 0.0, 4.0, {"lln": 1.0}),
    ("Anemia", "g/dL", 0.0, 18.0, {"lln": 12.0}),
    ("Anemia", "mmol/L", 0.0, 11.0, {"lln": 7.4}),
    ("Hypokalemia", "mmol/L", 1.0, 6.0, {"lln": 3.5}),
    ("Hyponatremia", "mmol/L", 100.0, 150.0, {"lln": 135.0}),
    ("Hypomagnesemia", "mg/dL", 0.0, 3.0, {"lln": 1.6}),
    ("Hypomagnesemia", "mmol/L", 0.0, 1.2, {"lln": 0.66}),
]


def _pair(low: float, high: float) -> st.SearchStrategy[tuple[float, float]]:
    values = st.floats(min_value=low, max_value=high, allow_nan=False)
    return st.tuples(values, values).map(lambda t: (min(t), max(t)))


@st.composite
def _case(draw: st.DrawFn, cases: list[tuple[str, str, float, float, dict[str, float]]]) -> tuple:
    term, unit, low, high, refs = draw(st.sampled_from(cases))
    lower, higher = draw(_pair(low, high))
    symptomatic = draw(st.booleans())
    return term, unit, refs, lower, higher, symptomatic


@settings(max_examples=150, deadline=None)
@given(_case(INCREASED))
def test_grade_never_falls_as_increased_value_rises(case: tuple) -> None:
    """For an "increased" term a higher value never gets a lower grade."""
    term, unit, refs, lower, higher, symptomatic = case
    a = grade_lab(term, lower, unit, symptomatic=symptomatic, **refs)
    b = grade_lab(term, higher, unit, symptomatic=symptomatic, **refs)
    assert a.grade is not None, a.reason
    assert b.grade is not None, b.reason
    assert a.grade <= b.grade, (a, b)


@settings(max_examples=150, deadline=None)
@given(_case(DECREASED))
def test_grade_never_rises_as_decreased_value_rises(case: tuple) -> None:
    """For a "decreased" term a higher value never gets a higher grade."""
    term, unit, refs, lower, higher, symptomatic = case
    a = grade_lab(term, lower, unit, symptomatic=symptomatic, **refs)
    b = grade_lab(term, higher, unit, symptomatic=symptomatic, **refs)
    assert a.grade is not None, a.reason
    assert b.grade is not None, b.reason
    assert a.grade >= b.grade, (a, b)


@settings(max_examples=100, deadline=None)
@given(
    sbp=_pair(60.0, 260.0),
    dbp=_pair(30.0, 160.0),
)
def test_hypertension_grade_never_falls_as_pressure_rises(
    sbp: tuple[float, float], dbp: tuple[float, float]
) -> None:
    """A reading higher in both components never gets a lower hypertension grade."""
    a = grade_hypertension(sbp[0], dbp[0], previously_normal=True)
    b = grade_hypertension(sbp[1], dbp[1], previously_normal=True)
    assert a.grade is not None
    assert b.grade is not None
    assert a.grade <= b.grade


@settings(max_examples=100, deadline=None)
@given(
    term=st.sampled_from(
        [
            "Neutrophil count decreased",
            "Platelet count decreased",
            "White blood cell decreased",
            "Lymphocyte count decreased",
        ]
    ),
    per_mm3=st.integers(min_value=0, max_value=500_000),
)
def test_count_grade_is_the_same_in_both_unit_systems(term: str, per_mm3: int) -> None:
    """A count graded in /mm3 and in 10^9/L gets the same grade and rule."""
    lln_mm3 = 1500
    a = grade_lab(term, per_mm3, "/mm3", lln=lln_mm3)
    b = grade_lab(term, per_mm3 / 1000, "10^9/L", lln=lln_mm3 / 1000)
    assert (a.grade, a.rule) == (b.grade, b.rule)


@settings(max_examples=100, deadline=None)
@given(micromol=st.floats(min_value=0.0, max_value=2000.0, allow_nan=False))
def test_creatinine_grade_does_not_depend_on_unit(micromol: float) -> None:
    """Creatinine with ULN and baseline in mg/dL grades as the same values in umol/L."""
    factor = 88.4
    a = grade_lab("Creatinine increased", micromol, "umol/L", uln=106.0, baseline=70.0)
    b = grade_lab(
        "Creatinine increased",
        micromol / factor,
        "mg/dL",
        uln=106.0 / factor,
        baseline=70.0 / factor,
    )
    assert a.grade == b.grade


def test_table_bands_follow_the_term_direction() -> None:
    """Walking each shipped scheme from low to high values, grades follow the direction."""
    for term in load_table("5").terms:
        for scheme in term.schemes:
            grades = [b.max_grade for b in scheme.bands if b.possible_grades]
            ordered = sorted(grades, reverse=term.direction == "decreased")
            assert grades == ordered, (term.term, scheme.name)
