"""The CTCAE v5.0 term list: every adverse-event term with its MedDRA code, system organ class
and the wording of each grade it defines (NCI CTCAE v5.0, 2017-11-27; ``data/
ctcae_v5_terms.csv`` gives the provenance).

An adverse event is reported with one of these terms and a grade the term defines: CTCAE v5.0
defines grades 3–5 only for "Febrile neutropenia" and 1–3 only for "Fatigue", for example.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from oncotrial.errors import DataError, RuleError

__all__ = ["CtcaeTerm", "check_ae_grade", "ctcae_term", "load_ctcae_terms"]

_TERMS = 837  # CTCAE v5.0 has 837 terms
_SOCS = 26  # in 26 MedDRA system organ classes


@dataclass(frozen=True, slots=True)
class CtcaeTerm:
    """One CTCAE v5.0 term."""

    meddra_code: int
    soc: str
    term: str
    grades: dict[int, str]  # grade -> CTCAE wording, for the grades the term defines
    definition: str

    @property
    def other_specify(self) -> bool:
        """Whether the term is an "Other, specify" term (the event needs its own name)."""
        return self.term.endswith("Other, specify")


@cache
def load_ctcae_terms() -> dict[str, CtcaeTerm]:
    """Every CTCAE v5.0 term by its exact spelling (checked: 837 terms, 26 SOCs)."""
    text = resources.files("oncotrial.rules").joinpath("data", "ctcae_v5_terms.csv") \
        .read_text("utf-8")
    rows = csv.DictReader(io.StringIO("".join(
        line for line in text.splitlines(keepends=True) if not line.startswith("#"))))
    terms: dict[str, CtcaeTerm] = {}
    for row in rows:
        grades = {g: row[f"grade_{g}"] for g in range(1, 6) if row[f"grade_{g}"]}
        terms[row["term"]] = CtcaeTerm(meddra_code=int(row["meddra_code"]), soc=row["soc"],
                                       term=row["term"], grades=grades,
                                       definition=row["definition"])
    socs = {t.soc for t in terms.values()}
    if len(terms) != _TERMS or len(socs) != _SOCS:
        raise RuleError(f"CTCAE v5.0 term list: {len(terms)} terms in {len(socs)} SOCs, "
                        f"expected {_TERMS} in {_SOCS}")
    return terms


def ctcae_term(term: str) -> CtcaeTerm:
    """The CTCAE v5.0 term spelled *term*, or a :class:`DataError` naming close spellings.

    Parameters
    ----------
    term
        The term exactly as CTCAE v5.0 spells it (case and punctuation count).

    Returns
    -------
    CtcaeTerm
        Its MedDRA code, system organ class, definition and the wording of each grade it
        defines.

    Raises
    ------
    DataError
        When *term* is not one of the 837 terms; the message suggests up to five terms that
        contain it or that it contains.

    Examples
    --------
    CTCAE v5.0 defines "Febrile neutropenia" (MedDRA 10016288) from grade 3 only:

    >>> from oncotrial.rules.ae_terms import ctcae_term
    >>> entry = ctcae_term("Febrile neutropenia")
    >>> entry.meddra_code, entry.soc, sorted(entry.grades)
    (10016288, 'Blood and lymphatic system disorders', [3, 4, 5])
    >>> ctcae_term("neutropenia")
    Traceback (most recent call last):
    ...
    oncotrial.errors.DataError: term='neutropenia': not a CTCAE v5.0 term; did you mean
    Febrile neutropenia? (allowed: one of the 837 CTCAE v5.0 terms)
    """
    terms = load_ctcae_terms()
    found = terms.get(term)
    if found is not None:
        return found
    lowered = term.strip().lower()
    near = sorted(t for t in terms if lowered and (lowered in t.lower() or t.lower() in lowered))
    hint = f"; did you mean {', '.join(near[:5])}?" if near else ""
    raise DataError(f"not a CTCAE v5.0 term{hint}", field="term", value=term,
                    allowed="one of the 837 CTCAE v5.0 terms")


def check_ae_grade(term: str, grade: int) -> CtcaeTerm:
    """Refuse a grade the term does not define (CTCAE v5.0 grade columns marked "-").

    Parameters
    ----------
    term
        A CTCAE v5.0 term, spelled as there.
    grade
        The reported grade, 1 to 5.

    Returns
    -------
    CtcaeTerm
        The term's entry, when it defines *grade*.

    Raises
    ------
    DataError
        When *term* is not a CTCAE v5.0 term (as :func:`ctcae_term`), or when it does not
        define *grade*; the message lists the grades it defines.

    Examples
    --------
    CTCAE v5.0 "Fatigue" has grades 1-3 only, "Febrile neutropenia" 3-5 only:

    >>> from oncotrial.rules.ae_terms import check_ae_grade
    >>> check_ae_grade("Fatigue", 3).term
    'Fatigue'
    >>> check_ae_grade("Febrile neutropenia", 2)
    Traceback (most recent call last):
    ...
    oncotrial.errors.DataError: grade=2: CTCAE v5.0 does not define this grade for
    Febrile neutropenia (allowed: 3, 4, 5)
    """
    entry = ctcae_term(term)
    if grade not in entry.grades:
        defined = ", ".join(str(g) for g in sorted(entry.grades))
        raise DataError(f"CTCAE v5.0 does not define this grade for {term}",
                        field="grade", value=grade, allowed=defined)
    return entry
