"""Danaher cell-type scores, CD4, TIS (GEP weights), DC genes and alias handling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncotrial.errors import DataError
from oncotrial.translational import (
    CD4_SCORE,
    TIS_SCORE,
    compute_scores,
    derive_count_matrix,
    derive_marker_expression,
    derive_normalized_counts,
    read_danaher_markers,
    read_probe_aliases,
    read_rcc,
    read_tis_signature,
)


def test_shipped_gene_sets_match_reference_files(shared_dir: Path) -> None:
    """The packaged Danaher/TIS tables equal the shared reference CSVs (60 genes, 14 types)."""
    markers = read_danaher_markers()
    assert len(markers) == 14
    assert sum(len(g) for g in markers.values()) == 60
    assert markers["DC"] == ("CCL13", "CD209", "HSD11B1")
    ref = pd.read_csv(shared_dir / "reference" / "data" / "danaher_2017_cell_markers.csv")
    assert sorted(g.upper() for g in ref["gene"]) == sorted(g for v in markers.values() for g in v)
    weights, housekeepers = read_tis_signature()
    assert len(weights) == 18
    assert len(housekeepers) == 11
    # Cristescu 2018 Table S2B (via easier R/compute_Tcell_inflamed.R): STAT1 0.250229,
    # CCL5 0.008346, CD276 −0.0239.
    assert weights["STAT1"] == 0.250229
    assert weights["CCL5"] == 0.008346
    assert weights["CD276"] == -0.0239


def _immunology_expression(rcc_dir: Path) -> pd.DataFrame:
    rccs = [read_rcc(p) for p in sorted(rcc_dir.glob("NanoTube__*.RCC"))]
    return derive_normalized_counts(derive_count_matrix(rccs)).log2


def test_immunology_v2_coverage(rcc_dir: Path) -> None:
    """NS_Immunology_v2: 32/60 markers by name, 34 with aliases (PTPRC_all, FCGR3A/B)."""
    log2 = _immunology_expression(rcc_dir)
    markers = {g for v in read_danaher_markers().values() for g in v}
    plain = derive_marker_expression(log2, aliases={})
    assert len(markers & set(plain.index)) == 32
    aliased = derive_marker_expression(log2)
    assert len(markers & set(aliased.index)) == 34
    result = compute_scores(aliased)
    cov = result.coverage.set_index("score")
    assert cov.at["Mast cells", "n_used"] == 0
    assert not cov.at["Mast cells", "computed"]
    assert result.scores["Mast cells"].isna().all()
    assert cov.at["CD45", "genes_used"] == "PTPRC"
    assert cov.at["DC", "n_used"] == 2
    assert cov.at["DC", "genes_missing"] == "HSD11B1"
    assert result.scores["DC"].notna().all()
    assert cov.at[TIS_SCORE, "n_used"] == 16
    assert set(cov.at[TIS_SCORE, "genes_missing"].split(";")) == {"HLA-E", "NKG7"}


@pytest.mark.parametrize(("present", "computed"), [(5, True), (4, False)])
def test_minimum_marker_fraction(present: int, computed: bool) -> None:
    """B-cells (9 markers) need ceil(0.5·9) = 5 present; 4 gives an empty score."""
    genes = list(read_danaher_markers()["B-cells"])[:present]
    expression = pd.DataFrame({"s1": np.arange(present, dtype=float)}, index=genes)
    result = compute_scores(expression)
    assert result.scores["B-cells"].notna().all() == computed
    if computed:
        assert result.scores.at["s1", "B-cells"] == pytest.approx(np.mean(np.arange(present)))
    with pytest.raises(DataError, match="fraction"):
        compute_scores(expression, min_fraction=0.0)


def test_cd4_tis_and_dc_genes_hand_computed() -> None:
    """CD4 = T − CD8; TIS = Σ w·x; each DC gene reported alone; case-insensitive aliases."""
    weights, _ = read_tis_signature()
    t_genes = read_danaher_markers()["T-cells"]
    rows = dict.fromkeys(t_genes, 8.0) | {"CD8A": 5.0, "CD8B": 7.0}
    rows |= dict.fromkeys(weights, 2.0) | {"CCL13": 3.0, "CD209": 4.0, "HSD11B1": 11.0}
    rows["CD8A"] = 5.0  # CD8A is also a TIS gene
    expression = pd.DataFrame({"s1": rows})
    result = compute_scores(expression)
    s = result.scores.loc["s1"]
    assert s["T-cells"] == pytest.approx(8.0)
    assert s["CD8 T cells"] == pytest.approx(6.0)
    assert s[CD4_SCORE] == pytest.approx(2.0)
    expected_tis = sum(w * (5.0 if g == "CD8A" else 2.0) for g, w in weights.items())
    assert s[TIS_SCORE] == pytest.approx(expected_tis)
    assert s["DC"] == pytest.approx(6.0)
    assert (s["gene:CCL13"], s["gene:CD209"], s["gene:HSD11B1"]) == (3.0, 4.0, 11.0)


def test_probe_names_mapped_case_insensitively_with_suffix() -> None:
    """'CD3e', 'cd8a|0.5' (probe-correction suffix) and 'PDL1' map to CD3E, CD8A and CD274."""
    index = pd.MultiIndex.from_tuples(
        [("Endogenous", "CD3e", "a"), ("Endogenous", "cd8a|0.5", "b"),
         ("Endogenous", "PDL1", "c")], names=["code_class", "name", "accession"])
    log2 = pd.DataFrame({"s1": [1.0, 2.0, 3.0]}, index=index)
    out = derive_marker_expression(log2)
    assert list(out.index) == ["CD3E", "CD8A", "CD274"]
    assert read_probe_aliases("ANY")["FCGR3A/B"] == "FCGR3B"


@pytest.mark.parametrize(("above", "estimable"), [(2, True), (1, False)])
def test_dc_score_needs_half_its_genes_above_background(above: int, estimable: bool) -> None:
    """Issue 23: a score made of genes at the background floor was reported as a number. DC
    (3 genes) needs ceil(0.5·3) = 2 above background: 2 → estimable, 1 → not, with reason."""
    genes = ["CCL13", "CD209", "HSD11B1"]
    expression = pd.DataFrame({"s1": [3.0, 4.0, 5.0]}, index=genes)
    flags = pd.DataFrame({"s1": [i < above for i in range(3)]}, index=genes)
    result = compute_scores(expression, above_background=flags)
    row = result.detection.set_index(["sample", "score"]).loc[("s1", "DC")]
    assert (row["n_genes"], row["n_above_background"], row["min_above_background"]) == (
        3, above, 2)
    assert bool(row["estimable"]) is estimable
    if estimable:
        assert result.scores.at["s1", "DC"] == pytest.approx(4.0)
        assert row["reason"] == ""
    else:
        assert np.isnan(result.scores.at["s1", "DC"])
        assert row["reason"] == "1 of 3 genes above background, fewer than the 2 required"
    # Single DC genes: each needs itself above background.
    single = result.detection.set_index(["sample", "score"])
    assert bool(single.loc[("s1", "gene:CCL13"), "estimable"])
    assert not bool(single.loc[("s1", "gene:HSD11B1"), "estimable"])
    assert np.isnan(result.scores.at["s1", "gene:HSD11B1"])


def test_background_minimum_is_a_setting_and_cd4_follows_its_parts() -> None:
    """min_above_fraction = 1 asks every gene above background; CD4 is not estimable when
    CD8 T cells is not; the fraction is checked."""
    t_genes = read_danaher_markers()["T-cells"]
    expression = pd.DataFrame({"s1": dict.fromkeys([*t_genes, "CD8A", "CD8B"], 6.0)})
    flags = pd.DataFrame({"s1": {g: g != "CD8B" for g in expression.index}})
    loose = compute_scores(expression, above_background=flags)
    assert loose.scores.at["s1", "CD8 T cells"] == pytest.approx(6.0)
    strict = compute_scores(expression, above_background=flags, min_above_fraction=1.0)
    assert np.isnan(strict.scores.at["s1", "CD8 T cells"])
    assert np.isnan(strict.scores.at["s1", CD4_SCORE])
    cd4 = strict.detection.set_index("score").loc[CD4_SCORE]
    assert cd4["reason"] == "T-cells or CD8 T cells not estimable"
    with pytest.raises(DataError, match="min_above_fraction"):
        compute_scores(expression, above_background=flags, min_above_fraction=0.0)


def test_public_nanotube_dc_genes_below_background(rcc_dir: Path) -> None:
    """The issue's example: on the NanoTube lanes CCL13 and CD209 sit at the background floor,
    so DC and both single genes are not estimable, while T-cells (4 of 4 above) is."""
    rccs = [read_rcc(p) for p in sorted(rcc_dir.glob("NanoTube__*.RCC"))]
    norm = derive_normalized_counts(derive_count_matrix(rccs))
    aliases = read_probe_aliases(rccs[0].codeset)
    result = compute_scores(derive_marker_expression(norm.log2, aliases=aliases),
                            above_background=derive_marker_expression(
                                ~norm.below_background, aliases=aliases))
    detection = result.detection.set_index("score")
    for score in ("DC", "gene:CCL13", "gene:CD209"):
        assert not detection.loc[score, "estimable"].any()
        assert result.scores[score].isna().all()
    assert detection.loc["T-cells", "n_above_background"].tolist() == [4, 4]
    assert result.scores["T-cells"].notna().all()
