"""RCC, RLF, CSV-export and count-table readers against the real validation files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncotrial.errors import DataError
from oncotrial.translational import (
    compute_positive_concentration,
    derive_codeset_batch,
    derive_count_matrix,
    read_count_table,
    read_rcc,
    read_rcc_batch,
    read_rcc_collector_csv,
    read_rcc_text,
    read_rlf,
    validate_gene_expression,
    validate_same_codeset,
)
from tests.conftest import SHARED
from tests.translational.conftest import rcc_text, synthetic_matrix

# Without shared/ the one placeholder case asks for rcc_dir, which skips (or fails in CI).
RCC_FILES = sorted(p.name for p in (SHARED / "validation/nanostring/rcc").glob("*.RCC")) or [
    "no-shared-folder"]


def test_ten_rcc_files_present(rcc_dir: Path) -> None:
    """SOURCES.md lists 10 RCC files; all are found."""
    assert len(list(rcc_dir.glob("*.RCC"))) == 10


@pytest.mark.parametrize("name", RCC_FILES)
def test_every_validation_rcc_parses(rcc_dir: Path, name: str) -> None:
    """Every real RCC parses with header, attributes and integer counts."""
    rcc = read_rcc(rcc_dir / name)
    assert rcc.file_version == "1.7"
    assert rcc.codeset
    assert rcc.probes["count"].dtype.kind == "i"
    assert (rcc.probes["count"] >= 0).all()
    assert rcc.duplicates == ()


def test_crlf_file_parses_like_lf(rcc_dir: Path) -> None:
    """The nanostringr example has CRLF endings; values equal an LF re-encoding."""
    path = rcc_dir / "nanostringr__example.RCC"
    assert b"\r\n" in path.read_bytes()
    crlf = read_rcc(path)
    lf = read_rcc_text(path.read_bytes().decode().replace("\r\n", "\n"), source=path.name)
    pd.testing.assert_frame_equal(crlf.probes, lf.probes)
    assert crlf.sample_attributes["Owner"] == ""
    assert crlf.lane_attributes["CartridgeBarcode"] == ""
    assert len(crlf.probes) == 335 + 5 + 8 + 6


def test_extra_classes_and_pipe_names_are_kept(rcc_dir: Path) -> None:
    """3D codeset: PROTEIN/SNV classes and names with '|', spaces, parentheses parse intact."""
    rcc = read_rcc(rcc_dir / "NanoStringNCTools__SKMEL2-DMSO-8h-R1_04.RCC")
    assert {"PROTEIN", "PROTEIN_NEG", "PROTEIN_CELL_NORM", "SNV_REF"} <= set(rcc.code_classes)
    row = rcc.probes[rcc.probes["name"] == "Phospho-Akt Ser473(D9E)|NA|Pan-Akt|D9E|0"]
    assert row["accession"].item() == "P31749"
    assert row["count"].item() == 203
    assert rcc.sample_attributes["ID"] == "SKMEL2-DMSO-8hr"
    validate_gene_expression(rcc)


def test_version_2_and_unknown_keys_accepted() -> None:
    """FileVersion 2.0 with SystemType/AssayType and unknown keys parses."""
    counts = pd.Series({("Positive", "POS_A(128)", "E1"): 100, ("Negative", "NEG_A(0)", "E2"): 3,
                        ("Endogenous", "G1", "NM_1"): 50})
    text = rcc_text(counts, version="2.0").replace(
        "SoftwareVersion,4.0.0.3", "SoftwareVersion,4.0.0.3\nSystemType,Gen2"
    ).replace("Owner,", "Owner,\nAssayType,Gene Expression\nMysteryKey,42")
    rcc = read_rcc_text(text, source="v2.RCC")
    assert rcc.file_version == "2.0"
    assert rcc.header["SystemType"] == "Gen2"
    assert rcc.sample_attributes["AssayType"] == "Gene Expression"
    assert rcc.sample_attributes["MysteryKey"] == "42"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("POS_A(128)", 128.0), ("POS_A", 128.0), ("POS_B", 32.0), ("POS_C(8)", 8.0), ("POS_D", 2.0),
     ("POS_E(0.5)", 0.5), ("POS_E", 0.5), ("POS_F(0.125)", 0.125), ("POS_F", 0.125),
     ("NEG_A(0)", 0.0), ("NEG_H", 0.0), ("POS_1", None), ("POS_G", None), ("GAPDH", None)],
)
def test_positive_concentration_from_name(name: str, expected: float | None) -> None:
    """Concentration comes from '(fM)' in the name or the standard letter map."""
    assert compute_positive_concentration(name) == expected


def test_concentration_not_from_accession(rcc_dir: Path) -> None:
    """In the 3D codeset POS_A has accession ERCC_00034.1 (POS_F elsewhere) yet is 128 fM."""
    rcc = read_rcc(rcc_dir / "NanoStringNCTools__SKMEL2-DMSO-8h-R1_04.RCC")
    pos = rcc.probes[rcc.probes["code_class"] == "Positive"].set_index("name")
    assert pos.loc["POS_A(128)", "accession"] == "ERCC_00034.1"
    other = read_rcc(rcc_dir / "nanostringr__example.RCC").probes.set_index("name")
    assert other.loc["POS_F(0.125)", "accession"] == "ERCC_00034.1"
    assert compute_positive_concentration("POS_A(128)") == 128.0


def test_duplicate_probes_reported() -> None:
    """A repeated class+name+accession row is listed in duplicates; the matrix keeps the first."""
    counts = pd.Series({("Positive", "POS_A", "E1"): 100, ("Negative", "NEG_A", "E2"): 3,
                        ("Endogenous", "G1", "NM_1"): 50})
    text = rcc_text(counts).replace("Endogenous,G1,NM_1,50",
                                    "Endogenous,G1,NM_1,50\nEndogenous,G1,NM_1,70")
    rcc = read_rcc_text(text, source="dup.RCC")
    assert rcc.duplicates == (("Endogenous", "G1", "NM_1"),)
    matrix = derive_count_matrix([rcc])
    assert matrix.loc[("Endogenous", "G1", "NM_1"), "dup.RCC"] == 50


def test_plexset_refused_with_clear_message(rcc_dir: Path) -> None:
    """The NACHO PlexSet file parses but is refused for standard QC, naming PlexSet."""
    rcc = read_rcc(rcc_dir / "NACHO__plexset_01_01.RCC")
    assert "Endogenous8s" in rcc.code_classes
    with pytest.raises(DataError, match="PlexSet"):
        validate_gene_expression(rcc)


def test_missing_section_and_bad_count_raise() -> None:
    """Text without Code_Summary, and a non-numeric count, raise DataError naming the field."""
    with pytest.raises(DataError, match="sections"):
        read_rcc_text("<Header>\nFileVersion,1.7\n</Header>\n", source="x.RCC")
    counts = pd.Series({("Positive", "POS_A", "E1"): 100})
    with pytest.raises(DataError, match="Count"):
        read_rcc_text(rcc_text(counts).replace("E1,100", "E1,abc"), source="y.RCC")


def test_missing_classes_refused() -> None:
    """A file without Negative probes is not a gene-expression RCC."""
    counts = pd.Series({("Positive", "POS_A", "E1"): 100, ("Endogenous", "G1", "NM_1"): 5})
    with pytest.raises(DataError, match="Negative"):
        validate_gene_expression(read_rcc_text(rcc_text(counts), source="z.RCC"))


def test_collector_csv_equals_rcc_counts(nanostring_dir: Path) -> None:
    """The RCC Collector export columns equal the counts parsed from the 4 QCPro RCC files."""
    lanes = {r.source: r for r in read_rcc_collector_csv(
        nanostring_dir / "tables" / "NanoStringQCPro__RCC_collector_tool_export.csv")}
    assert len(lanes) == 25  # the export holds 25 lane columns (SOURCES.md says 27)
    for path in sorted((nanostring_dir / "rcc").glob("NanoStringQCPro__*.RCC")):
        rcc = read_rcc(path)
        exported = lanes[path.name.removeprefix("NanoStringQCPro__")]
        mine = rcc.probes.set_index(["code_class", "name", "accession"])["count"].sort_index()
        theirs = exported.probes.set_index(["code_class", "name", "accession"])["count"]
        pd.testing.assert_series_equal(mine, theirs.sort_index())
        assert exported.lane_attributes["BindingDensity"] == rcc.lane_attributes["BindingDensity"]
        assert exported.lane_attributes["FovCounted"] == rcc.lane_attributes["FovCounted"]


def test_merged_count_table_round_trip(tmp_path: Path, rng: np.random.Generator) -> None:
    """A merged class/name/accession/sample table reads back as the same count matrix."""
    truth = pd.DataFrame({"s1": [10.0, 5.0], "s2": [12.0, 6.0]}, index=["G1", "G2"])
    matrix = synthetic_matrix(rng, truth, technical=np.ones(2), content=np.ones(2))
    path = tmp_path / "counts.csv"
    matrix.reset_index().rename(columns={"code_class": "CodeClass", "name": "Name",
                                         "accession": "Accession"}).to_csv(path, index=False)
    pd.testing.assert_frame_equal(read_count_table(path), matrix)
    path.write_text("CodeClass,Name,Accession,s1\nEndogenous,G1,NM_1,-3\n")
    with pytest.raises(DataError, match="non-negative"):
        read_count_table(path)


@pytest.mark.parametrize(
    ("name", "n_classes", "n_records"),
    [("NanoStringQCPro__NQCP_example.rlf", 7, 38),
     ("NanoStringNCTools__3D_SolidTumor_Sig.rlf", 17, 414)],
)
def test_rlf_files_parse(nanostring_dir: Path, name: str, n_classes: int, n_records: int) -> None:
    """Both RLFs parse: class table with ClassActive and every record with its class."""
    rlf = read_rlf(nanostring_dir / "rlf" / name)
    assert len(rlf.classes) == n_classes
    assert len(rlf.records) == n_records
    inactive = set(rlf.classes.loc[rlf.classes["active"] == 1, "name"])
    assert {"Binding", "Purification", "Reserved"} <= inactive
    assert not set(rlf.active_probes()["code_class"]) & inactive


def test_same_codeset_check(rcc_dir: Path) -> None:
    """Lanes of two codesets are refused; one codeset passes and matches its RLF name."""
    qcpro = [read_rcc(p) for p in sorted(rcc_dir.glob("NanoStringQCPro__*.RCC"))]
    assert validate_same_codeset(qcpro, rlf_name="NQCP_example") == "NQCP_example"
    with pytest.raises(DataError, match="mixes codesets"):
        validate_same_codeset([*qcpro, read_rcc(rcc_dir / "nanostringr__example.RCC")])
    with pytest.raises(DataError, match="RLF"):
        validate_same_codeset(qcpro, rlf_name="OTHER")


def test_batch_reader_refuses_but_continues(tmp_path: Path, rcc_dir: Path) -> None:
    """read_rcc_batch keeps good files and records a reason for PlexSet and unreadable ones."""
    for name in ("NACHO__plexset_01_01.RCC", "nanostringr__example.RCC"):
        (tmp_path / name).write_bytes((rcc_dir / name).read_bytes())
    (tmp_path / "broken.RCC").write_text("not an rcc")
    batch = read_rcc_batch(tmp_path)
    assert [r.source for r in batch.rccs] == ["nanostringr__example.RCC"]
    assert set(batch.refused) == {"NACHO__plexset_01_01.RCC", "broken.RCC"}
    assert "PlexSet" in batch.refused["NACHO__plexset_01_01.RCC"]


def test_negative_rcc_count_refused() -> None:
    """A negative count in Code_Summary raises DataError naming the probe."""
    counts = pd.Series({("Positive", "POS_A", "E1"): 100})
    with pytest.raises(DataError, match="POS_A"):
        read_rcc_text(rcc_text(counts).replace("E1,100", "E1,-5"), source="neg.RCC")


def test_rlf_selects_its_codeset(rcc_dir: Path, nanostring_dir: Path) -> None:
    """With the 3D RLF only the two NCTools lanes are kept; the rest are refused with reasons."""
    rlf = read_rlf(nanostring_dir / "rlf" / "NanoStringNCTools__3D_SolidTumor_Sig.rlf")
    batch = derive_codeset_batch(read_rcc_batch(rcc_dir), rlf=rlf)
    assert sorted(r.source for r in batch.rccs) == [
        "NanoStringNCTools__SKMEL2-DMSO-8h-R1_04.RCC", "NanoStringNCTools__SKMEL2-VEM-8h-R1_10.RCC"]
    assert len(batch.refused) == 8
    qcpro = read_rlf(nanostring_dir / "rlf" / "NanoStringQCPro__NQCP_example.rlf")
    kept = derive_codeset_batch(read_rcc_batch(rcc_dir), rlf=qcpro)
    assert len(kept.rccs) == 4  # POS_A in the RCCs is POS_A(128) in the RLF: same probe


def test_rlf_probe_mismatch_refused(tmp_path: Path, rcc_dir: Path, nanostring_dir: Path) -> None:
    """An RCC claiming the codeset but carrying a probe absent from the RLF is refused."""
    src = rcc_dir / "NanoStringQCPro__20140604_C1-unstim_C1-unstim_01.RCC"
    (tmp_path / "odd.RCC").write_text(src.read_text().replace("ACTG1,NM_001614", "XYZ1,NM_9"))
    rlf = read_rlf(nanostring_dir / "rlf" / "NanoStringQCPro__NQCP_example.rlf")
    batch = derive_codeset_batch(read_rcc_batch(tmp_path), rlf=rlf)
    assert batch.rccs == ()
    assert "XYZ1" in batch.refused["odd.RCC"]
