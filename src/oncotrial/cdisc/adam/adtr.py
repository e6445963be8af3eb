"""ADTR: tumour results per assessment (sum of target-lesion diameters) from SDTM TU/TR.

The sums, the baseline and the percentage change are the RECIST engine's (RECIST 1.1 §4.3.1:
long axis for non-nodal lesions, short axis for nodes), so the waterfall and spider plots show
exactly the numbers the responses were decided on. Parameter SUMDIAM as in admiralonco's ADTR
template; one baseline record (ABLFL = "Y") per subject and evaluator.

With Choi settings (``derive --criteria recist,choi``) ADTR also has DENSITY, the mean density
(HU) of the target lesions per assessment as the Choi engine computes it (its
``density_average``), with its percent change from baseline: the numbers the Choi density
criterion (PR at −15 %, Choi et al., J Clin Oncol 2007;25:1753) was decided on.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from oncotrial.cdisc.adam._dates import relative_day
from oncotrial.cdisc.sdtm import derive_recist_input
from oncotrial.rules.choi import ChoiSettings, classify_choi_timepoints
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
    choi: ChoiSettings | None = None,
) -> pd.DataFrame:
    """Sum of target-lesion diameters per subject and assessment, with change from baseline
    (PARAMCD SUMDIAM), and with *choi* the mean target-lesion density (PARAMCD DENSITY).

    Parameters
    ----------
    sdtm
        SDTM domains with TU and TR.
    adsl
        For TRTSDT (ADY = ADT − TRTSDT + 1 from TRTSDT on, ADT − TRTSDT before it: no day
        0, as SDTMIG --DY).
    settings
        RECIST parameters from the protocol.
    evaluator
        TUEVAL/TREVAL whose measurements are summarised.
    choi
        Choi settings: when given and TR carries density (TRTESTCD ATTEN), DENSITY records
        are added (Choi's own error when a measured target lesion has no density).

    Returns
    -------
    pandas.DataFrame
        Columns USUBJID, TREVAL, PARAMCD, PARAM, AVISIT, AVISITN, ADT, ADY, AVAL, BASE, CHG,
        PCHG, ABLFL: per subject and evaluator one baseline record (ABLFL ``Y``, the earliest
        assessment) and one per later assessment, SUMDIAM in mm (and DENSITY in HU), sorted
        by subject, evaluator, parameter and date; empty (same columns) when *evaluator*
        identified no lesion.

    Raises
    ------
    DataError
        When *choi* is given and a measured target lesion has no density.

    Examples
    --------
    Baseline 40 mm (liver, long axis) + 20 mm (node, short axis) = 60 mm; at week 6,
    25 + 12 = 37 mm, −38.3 % (RECIST 1.1 §4.3.1); the baseline scan two days before the first
    dose is day −2:

    >>> import pandas as pd
    >>> from oncotrial.rules import RecistSettings
    >>> tu = pd.DataFrame({"USUBJID": "S1", "TULNKID": ["T01", "T02"], "TUSTRESC": "TARGET",
    ...                    "TULOC": ["LIVER", "LYMPH NODE"], "TUEVAL": "INVESTIGATOR",
    ...                    "VISITNUM": 1.0, "VISIT": "SCREENING", "TUDTC": "2020-01-06"})
    >>> tr = pd.DataFrame([
    ...     {"USUBJID": "S1", "TRLNKID": lesion, "TRTESTCD": test, "TRSTRESN": value,
    ...      "TRSTRESC": str(value), "TRSTRESU": "mm", "TREVAL": "INVESTIGATOR",
    ...      "VISITNUM": num, "VISIT": visit, "TRDTC": dtc}
    ...     for lesion, test, values in (("T01", "LDIAM", (40, 25)), ("T02", "LPERP", (20, 12)))
    ...     for (num, visit, dtc), value in zip(
    ...         ((1.0, "SCREENING", "2020-01-06"), (2.0, "WEEK 6", "2020-02-20")), values)])
    >>> settings = RecistSettings(confirmation_interval_days=28, min_sd_duration_days=42,
    ...                           too_small_to_measure_mm=5.0, max_target_lesions=5,
    ...                           max_target_per_organ=2)
    >>> adsl = pd.DataFrame({"USUBJID": ["S1"], "TRTSDT": ["2020-01-08"]})
    >>> adtr = derive_adtr({"TU": tu, "TR": tr}, adsl, settings=settings)
    >>> adtr[["AVISIT", "ADY", "AVAL", "PCHG", "ABLFL"]].round(1).values.tolist()
    [['SCREENING', -2.0, 60.0, nan, 'Y'], ['WEEK 6', 44.0, 37.0, -38.3, '']]
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
    if choi is not None and measurements["density_hu"].notna().any():
        adtr = pd.concat([adtr, _density_rows(lesions, measurements, baseline, settings, choi)],
                         ignore_index=True)
    adtr["CHG"] = adtr["AVAL"] - adtr["BASE"]
    starts = pd.to_datetime(adsl.set_index("USUBJID")["TRTSDT"], errors="coerce")
    adtr["ADY"] = relative_day(adtr["ADT"], adtr["USUBJID"].map(starts))
    adtr = adtr.sort_values(["USUBJID", "TREVAL", "PARAMCD", "ADT"], kind="mergesort")
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


def _density_rows(
    lesions: pd.DataFrame, measurements: pd.DataFrame, baseline: pd.DataFrame,
    settings: RecistSettings, choi: ChoiSettings,
) -> pd.DataFrame:
    """DENSITY: the Choi engine's timepoint density and its change from the baseline density,
    one baseline record (on the SUMDIAM baseline's visit) per subject and evaluator. An
    assessment without a measured target lesion (all gone) has no density: AVAL missing."""
    post = classify_choi_timepoints(lesions, measurements, settings=choi, recist=settings)
    rows = pd.DataFrame({
        "USUBJID": post["subject"], "TREVAL": post["evaluator"], "AVISIT": post["visit"],
        "AVISITN": post["visitnum"], "ADT": pd.to_datetime(post["date"]),
        "AVAL": post["density_hu"], "BASE": post["baseline_density_hu"],
        "PCHG": post["density_change_pct"], "ABLFL": "",
    })
    base = post.groupby(["subject", "evaluator"], as_index=False)["baseline_density_hu"].first()
    first = baseline.drop(columns=["AVAL", "BASE"]).merge(
        base, left_on=["USUBJID", "TREVAL"], right_on=["subject", "evaluator"], how="inner")
    first = first.assign(AVAL=first["baseline_density_hu"], BASE=first["baseline_density_hu"])
    frame = pd.concat([first[list(rows.columns)], rows], ignore_index=True)
    return frame.assign(PARAMCD="DENSITY", PARAM="Mean target lesion density (HU)")
