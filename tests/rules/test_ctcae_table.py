"""The CTCAE rule table: the shipped table loads, broken tables are rejected with a location."""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import pytest
import yaml

from oncotrial.errors import RuleError
from oncotrial.rules import ctcae_terms, grade_lab
from oncotrial.rules.ctcae._table import load_table, parse_table

REQUIRED_TERMS = {
    "Neutrophil count decreased",
    "Platelet count decreased",
    "Anemia",
    "White blood cell decreased",
    "Lymphocyte count decreased",
    "Alanine aminotransferase increased",
    "Aspartate aminotransferase increased",
    "Blood bilirubin increased",
    "Creatinine increased",
    "Hypokalemia",
    "Hyponatremia",
    "Hypomagnesemia",
    "Hypertension",
    "Proteinuria",
    "Electrocardiogram QT corrected interval prolonged",
}


def _shipped() -> dict[str, Any]:
    text = (
        resources.files("oncotrial.rules")
        .joinpath("data", "ctcae_v5.yaml")
        .read_text(encoding="utf-8")
    )
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _anc(data: dict[str, Any]) -> list[dict[str, Any]]:
    term = next(t for t in data["terms"] if t["term"] == "Neutrophil count decreased")
    bands: list[dict[str, Any]] = term["schemes"][0]["bands"]
    return bands


def test_shipped_table_loads_and_covers_required_terms() -> None:
    """Every term the issue requires is in the shipped, checked table."""
    table = load_table("5")
    assert table.version == "5.0"
    assert set(ctcae_terms()) >= REQUIRED_TERMS


def test_every_band_carries_source_wording() -> None:
    """Each band names its rule and quotes the CTCAE wording it implements."""
    for term in load_table("5").terms:
        assert term.citation
        for scheme in term.schemes:
            for band in scheme.bands:
                assert band.rule
                assert band.source.strip()


def test_unshipped_version_is_refused() -> None:
    """Asking for a CTCAE version that is not shipped raises RuleError."""
    with pytest.raises(RuleError, match="ctcae_v4"):
        load_table("4")


def test_unknown_term_lists_known_terms() -> None:
    """A misspelt term raises RuleError naming it and the known terms."""
    with pytest.raises(RuleError, match=r"'Neutropenia'.*Neutrophil count decreased"):
        grade_lab("Neutropenia", 1.0, "10^9/L")


def _break(mutate: Any) -> dict[str, Any]:
    data = copy.deepcopy(_shipped())
    mutate(data)
    return data


BROKEN = {
    "gap_between_bands": (
        lambda d: _anc(d)[1]["upper"].update(at={"10^9/L": 0.9, "/mm3": 900}),
        "gap or overlap between anc_g3",
    ),
    "overlap_both_inclusive": (
        lambda d: _anc(d)[1]["upper"].update(inclusive=True),
        "overlap at the cut-point between anc_g3 and anc_g2",
    ),
    "gap_both_exclusive": (
        lambda d: _anc(d)[2]["lower"].update(inclusive=False),
        "gap at the cut-point between anc_g3 and anc_g2",
    ),
    "gap_below_first_band": (
        lambda d: _anc(d)[0].update(lower={"at": 0.1, "inclusive": True}),
        "gap below the first band anc_g4",
    ),
    "gap_above_last_band": (
        lambda d: _anc(d)[-1].update(upper={"at": 9.0, "inclusive": True}),
        "gap above the last band anc_g0",
    ),
    "unit_missing_in_cut_point": (
        lambda d: _anc(d)[0]["upper"].update(at={"10^9/L": 0.5}),
        "no cut-point for unit '/mm3'",
    ),
    "grade_against_direction": (
        lambda d: _anc(d)[0].update(grade=0),
        "grade runs against 'decreased'",
    ),
    "unknown_unit": (
        lambda d: d["terms"][0].update(units=["10^9/L", "cells/furlong"]),
        "cells/furlong",
    ),
    "unit_of_other_analyte": (
        lambda d: d["terms"][0].update(units=["10^9/L", "g/dL"]),
        "not a CDISC unit of neutrophils",
    ),
    "duplicate_rule_name": (
        lambda d: _anc(d)[1].update(rule="anc_g4"),
        "duplicate rule names",
    ),
    "duplicate_term": (
        lambda d: d["terms"].append(copy.deepcopy(d["terms"][0])),
        "duplicate terms",
    ),
    "unknown_field": (
        lambda d: _anc(d)[0].update(grade_if_lucky=2),
        "grade_if_lucky",
    ),
}


@pytest.mark.parametrize(("mutate", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_broken_table_is_rejected(mutate: Any, message: str) -> None:
    """A table with a gap, overlap, bad unit or inconsistent grade is refused on load."""
    with pytest.raises(RuleError, match="invalid CTCAE table") as info:
        parse_table(_break(mutate))
    assert message in str(info.value)


def test_out_of_order_cut_points_are_rejected() -> None:
    """Cut-points of one basis must rise along the chain (swapping two is refused)."""

    def mutate(d: dict[str, Any]) -> None:
        bands = _anc(d)
        bands[1]["lower"]["at"] = {"10^9/L": 1.2, "/mm3": 1200}
        bands[0]["upper"]["at"] = {"10^9/L": 1.2, "/mm3": 1200}

    with pytest.raises(RuleError, match="cut-points out of order at anc_g3"):
        parse_table(_break(mutate))
