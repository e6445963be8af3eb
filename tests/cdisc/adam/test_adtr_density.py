"""ADTR DENSITY: mean target-lesion density (HU) and its change, beside SUMDIAM, with Choi."""

from __future__ import annotations

import pandas as pd
import pytest

from oncotrial.cdisc.adam import derive_adam
from oncotrial.protocol import Protocol
from tests.cdisc.adam.test_adrs_choi import DENSITY, _sdtm


def _adtr(leader: Protocol, **kwargs: object) -> pd.DataFrame:
    return derive_adam(_sdtm(), protocol=leader, source="TR", supporting=True,
                       **kwargs).supporting["ADTR"]  # type: ignore[arg-type]


def test_density_records_follow_the_choi_density(leader: Protocol) -> None:
    """One lesion at 80 → 64 → 60 → 60 HU: change −20 %, −25 %, −25 % from baseline (Choi PR
    threshold −15 %); the SUMDIAM records are the same as without Choi."""
    adtr = _adtr(leader, criteria=("recist", "choi"))
    density = adtr[adtr["PARAMCD"] == "DENSITY"].sort_values("ADT")
    assert density["AVAL"].tolist() == DENSITY
    assert density["ABLFL"].tolist() == ["Y", "", "", ""]
    assert (density["BASE"] == 80.0).all()
    assert density["PCHG"].iloc[1:].tolist() == pytest.approx([-20.0, -25.0, -25.0])
    assert density["CHG"].iloc[1:].tolist() == pytest.approx([-16.0, -20.0, -20.0])
    assert density["PARAM"].iloc[0] == "Mean target lesion density (HU)"
    sums = adtr[adtr["PARAMCD"] == "SUMDIAM"].reset_index(drop=True)
    alone = _adtr(leader)
    assert set(alone["PARAMCD"]) == {"SUMDIAM"}  # no density without the Choi criteria
    pd.testing.assert_frame_equal(sums, alone.reset_index(drop=True))
