"""Fixtures for the translational tests: validation-file paths and synthetic nCounter batches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncotrial.translational.rcc import COUNT_INDEX

POS_LADDER = (("POS_A(128)", 128.0), ("POS_B(32)", 32.0), ("POS_C(8)", 8.0), ("POS_D(2)", 2.0),
              ("POS_E(0.5)", 0.5), ("POS_F(0.125)", 0.125))
NEG_NAMES = tuple(f"NEG_{c}(0)" for c in "ABCDEFGH")
HK_NAMES = ("HK1", "HK2", "HK3", "HK4", "HK5")
DC_MARKERS = ("CCL13", "CD209", "HSD11B1")
OTHER_MARKERS = ("CD3D", "CD3E", "CD6", "SH2D1A", "CD8A", "CD8B", "FOXP3", "CD68", "CD163",
                 "CD84", "MS4A4A")


@pytest.fixture(scope="session")
def nanostring_dir(shared_dir: Path) -> Path:
    """Folder of the real validation nCounter files."""
    return shared_dir / "validation" / "nanostring"


@pytest.fixture(scope="session")
def rcc_dir(nanostring_dir: Path) -> Path:
    """Folder of the 10 real RCC files."""
    return nanostring_dir / "rcc"


def synthetic_matrix(
    rng: np.random.Generator,
    log2_expression: pd.DataFrame,
    *,
    technical: np.ndarray,
    content: np.ndarray,
) -> pd.DataFrame:
    """Poisson counts for a synthetic batch.

    *log2_expression*: genes × samples true log2 abundance; *technical* scales every probe of
    a lane (POS/NEG/HK/endogenous); *content* scales only RNA probes (HK and endogenous).
    """
    samples = list(log2_expression.columns)
    rows: list[tuple[str, str, str]] = []
    means: list[np.ndarray] = []
    for name, conc in POS_LADDER:
        rows.append(("Positive", name, f"ERCC_{name}"))
        means.append(np.full(len(samples), conc * 150.0) * technical)
    for name in NEG_NAMES:
        rows.append(("Negative", name, f"ERCC_{name}"))
        means.append(np.full(len(samples), 8.0) * technical)
    for name in HK_NAMES:
        rows.append(("Housekeeping", name, f"NM_{name}"))
        means.append(np.full(len(samples), 800.0) * technical * content)
    for gene in log2_expression.index:
        rows.append(("Endogenous", gene, f"NM_{gene}"))
        means.append(np.exp2(log2_expression.loc[gene].to_numpy(dtype=float)) * technical * content)
    counts = rng.poisson(np.vstack(means))
    index = pd.MultiIndex.from_tuples(rows, names=list(COUNT_INDEX))
    return pd.DataFrame(counts, index=index, columns=samples)


def rcc_text(counts: pd.Series, *, sample_id: str = "S1", binding_density: float = 0.8,
             fov_counted: int = 280, scanner: str = "1202C0037", version: str = "1.7",
             newline: str = "\n") -> str:
    """An RCC file for one lane of a count matrix column."""
    lines = ["<Header>", f"FileVersion,{version}", "SoftwareVersion,4.0.0.3", "</Header>", "",
             "<Sample_Attributes>", f"ID,{sample_id}", "Owner,", "Comments,", "Date,20240101",
             "GeneRLF,SYNTH_CODESET", "SystemAPF,n6_vDV1", "</Sample_Attributes>", "",
             "<Lane_Attributes>", "ID,1", "FovCount,280", f"FovCounted,{fov_counted}",
             f"ScannerID,{scanner}", "StagePosition,1", f"BindingDensity,{binding_density}",
             "CartridgeID,C1", "CartridgeBarcode,", "</Lane_Attributes>", "",
             "<Code_Summary>", "CodeClass,Name,Accession,Count"]
    lines += [f"{c},{n},{a},{int(v)}" for (c, n, a), v in counts.items()]
    lines += ["</Code_Summary>", "", "<Messages>", "</Messages>", ""]
    return newline.join(lines)
