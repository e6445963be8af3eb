"""The supporting ADaM datasets the report needs beside ADSL/ADRS/ADTTE: ADAE, ADEX, ADLB and
ADTR, each derived when its SDTM source domains are present."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from oncotrial.cdisc.adam.adtr import derive_adtr
from oncotrial.cdisc.adam.safety import derive_adae, derive_adex, derive_adlb
from oncotrial.protocol import Protocol
from oncotrial.rules.recist import RecistSettings

__all__ = ["SUPPORTING_DATASETS", "derive_supporting_adam"]

SUPPORTING_DATASETS = ("ADAE", "ADEX", "ADLB", "ADTR")


def derive_supporting_adam(
    sdtm: Mapping[str, pd.DataFrame],
    adsl: pd.DataFrame,
    *,
    protocol: Protocol,
    evaluator: str = "INVESTIGATOR",
) -> dict[str, pd.DataFrame]:
    """ADAE (from AE, SUPPAE), ADEX (EX), ADLB (LB) and ADTR (TU, TR) where the domains exist.

    Protocol values used: the treatment-emergent window (``safety``), the cycle length and each
    drug's planned dosing days, and the RECIST parameters.
    """
    adsl_dates = adsl.reset_index(drop="USUBJID" in adsl.columns)
    out: dict[str, pd.DataFrame] = {}
    if "AE" in sdtm:
        out["ADAE"] = derive_adae(
            sdtm["AE"], adsl_dates, suppae=sdtm.get("SUPPAE"),
            emergent_window_days=protocol.safety.treatment_emergent_window_days)
    if "EX" in sdtm:
        out["ADEX"] = derive_adex(
            sdtm["EX"], adsl_dates, cycle_length_days=protocol.cycle_length_days,
            planned_days={drug.name.lower(): list(drug.days) for drug in protocol.drugs})
    if "LB" in sdtm:
        out["ADLB"] = derive_adlb(sdtm["LB"], adsl_dates)
    if "TU" in sdtm and "TR" in sdtm:
        out["ADTR"] = derive_adtr(sdtm, adsl_dates,
                                  settings=RecistSettings.from_protocol(protocol),
                                  evaluator=evaluator)
    return out
