"""The CTCAE v5.0 term list: 837 terms in 26 SOCs, MedDRA codes, and the grades each term
defines (reference values read from the NCI CTCAE v5.0 document, 2017-11-27)."""

from __future__ import annotations

import pytest

from oncotrial.errors import DataError
from oncotrial.rules.ae_terms import check_ae_grade, ctcae_term, load_ctcae_terms


def test_term_list_size_and_socs() -> None:
    """CTCAE v5.0 lists 837 terms in 26 MedDRA SOCs, each with a MedDRA code."""
    terms = load_ctcae_terms()
    assert len(terms) == 837
    assert len({t.soc for t in terms.values()}) == 26
    assert all(10_000_000 < t.meddra_code < 11_000_000 for t in terms.values())


@pytest.mark.parametrize(("term", "code", "soc", "grades"), [
    ("Febrile neutropenia", 10016288, "Blood and lymphatic system disorders", {3, 4, 5}),
    ("Fatigue", 10016256, "General disorders and administration site conditions", {1, 2, 3}),
    ("Hypertension", 10020772, "Vascular disorders", {1, 2, 3, 4, 5}),
    ("Neutrophil count decreased", 10029366, "Investigations", {1, 2, 3, 4}),
    ("Death NOS", 10011914, "General disorders and administration site conditions", {5}),
])
def test_terms_as_the_document_prints_them(term: str, code: int, soc: str,
                                           grades: set[int]) -> None:
    """MedDRA code, SOC and defined grades of terms checked against the CTCAE v5.0 document."""
    entry = ctcae_term(term)
    assert (entry.meddra_code, entry.soc, set(entry.grades)) == (code, soc, grades)


@pytest.mark.parametrize(("term", "grade", "ok"), [
    ("Fatigue", 3, True), ("Fatigue", 4, False),
    ("Febrile neutropenia", 2, False), ("Febrile neutropenia", 3, True),
    ("Death NOS", 4, False), ("Death NOS", 5, True),
])
def test_grade_must_be_defined_for_the_term(term: str, grade: int, ok: bool) -> None:
    """Both sides of each term's first and last defined grade."""
    if ok:
        assert check_ae_grade(term, grade).term == term
    else:
        with pytest.raises(DataError, match="does not define this grade"):
            check_ae_grade(term, grade)


def test_unknown_term_suggests_spellings() -> None:
    """A near miss names close CTCAE spellings."""
    with pytest.raises(DataError, match=r"did you mean .*Febrile neutropenia"):
        ctcae_term("febrile neutropenia ")
