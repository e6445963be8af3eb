"""ADTR: tumour results per assessment (sum of target-lesion diameters) from SDTM TU/TR.

The sums, the baseline and the percentage change are the RECIST engine's (RECIST 1.1 §4.3.1:
long axis for non-nodal lesions, short axis for nodes), so the waterfall and spider plots show
exactly the numbers the responses were decided on. Parameter SUMDIAM as in admiralonco's ADTR
template; one baseline record (ABLFL = "Y") per subject and evaluator.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from oncotrial.cdisc.sdtm import derive_recist_input
from oncotrial.rules.recist import RecistSettings, classify_timepoints

__all__ = ["derive_adtr"]

ADTR_COLUMNS = ("USUBJID", "TREVAL", "PARAMCD", "PARAM", "AVISIT", "AVISITN", "ADT", "ADY",
                "AVAL", "BASE", "CHG", "PCHG", "ABLFL")


def derive_adtr(
    sdtm: Mapping[str, pd.DataFrame],
    adsl: pd.DataFrame,
    *,
    settings: RecistSettings,
    evaluator: str = "INVESTIGATOR",
) -> pd.DataFrame:
    """Sum of target-lesion diameters per subject and assessment, with change from baseline.

    Parameters
    ----------
    sdtm
        SDTM domains with TU and TR.
    adsl
        For TRTSDT (study day ADY = ADT − TRTSDT + 1).
    settings
        RECIST parameters from the protocol.
    evaluator
        TUEVAL/TREVAL whose measurements are summarised.
    """
    recist_input, _issues = derive_recist_input(sdtm)
    lesions = recist_input.lesions[recist_input.lesions["evaluator"] == evaluator]
    measurements = recist_input.measurements[
        recist_input.measurements["evaluator"] == evaluator]
    if lesions.empty:
        return pd.DataFrame(columns=list(ADTR_COLUMNS))
    post = classify_timepoints(lesions, measurements, settings=settings)
    baseline = _baseline_rows(measurements, post)
    rows = pd.DataFrame({
        "USUBJID": post["subject"], "TREVAL": post["evaluator"], "AVISIT": post["visit"],
        "AVISITN": post["visitnum"], "ADT": pd.to_datetime(post["date"]),
        "AVAL": post["sum_mm"], "BASE": post["baseline_sum_mm"],
        "PCHG": post["change_from_baseline_pct"], "ABLFL": "",
    })
    adtr = pd.concat([baseline, rows], ignore_index=True)
    adtr["PARAMCD"] = "SUMDIAM"
    adtr["PARAM"] = "Sum of target lesion diameters (mm)"
    adtr["CHG"] = adtr["AVAL"] - adtr["BASE"]
    starts = pd.to_datetime(adsl.set_index("USUBJID")["TRTSDT"], errors="coerce")
    adtr["ADY"] = (adtr["ADT"] - adtr["USUBJID"].map(starts)).dt.days + 1
    adtr = adtr.sort_values(["USUBJID", "TREVAL", "ADT"], kind="mergesort")
    return adtr[list(ADTR_COLUMNS)].reset_index(drop=True)


def _baseline_rows(measurements: pd.DataFrame, post: pd.DataFrame) -> pd.DataFrame:
    """The baseline assessment (earliest visit) of each subject with its sum of diameters."""
    first = measurements.sort_values("date", kind="mergesort").groupby(
        ["subject", "evaluator"], as_index=False).first()[["subject", "evaluator", "visit",
                                                           "visitnum", "date"]]
    sums = post.groupby(["subject", "evaluator"], as_index=False)["baseline_sum_mm"].first()
    merged = first.merge(sums, on=["subject", "evaluator"], how="inner")
    return pd.DataFrame({
        "USUBJID": merged["subject"], "TREVAL": merged["evaluator"],
        "AVISIT": merged["visit"], "AVISITN": merged["visitnum"],
        "ADT": pd.to_datetime(merged["date"]), "AVAL": merged["baseline_sum_mm"],
        "BASE": merged["baseline_sum_mm"], "PCHG": np.nan, "ABLFL": "Y",
    })
