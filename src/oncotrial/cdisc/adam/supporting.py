"""The supporting ADaM datasets the report needs beside ADSL/ADRS/ADTTE: ADAE, ADEX, ADLB and
ADTR, each derived when its SDTM source domains are present."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from oncotrial.cdisc.adam.adtr import derive_adtr
from oncotrial.cdisc.adam.safety import derive_adae, derive_adex, derive_adlb
from oncotrial.errors import failure_context
from oncotrial.protocol import AnalysisProfile, Protocol, as_profile
from oncotrial.rules.choi import ChoiSettings
from oncotrial.rules.recist import RecistSettings

__all__ = ["SUPPORTING_DATASETS", "derive_supporting_adam", "undosed_drugs"]

SUPPORTING_DATASETS = ("ADAE", "ADEX", "ADLB", "ADTR")


def derive_supporting_adam(
    sdtm: Mapping[str, pd.DataFrame],
    adsl: pd.DataFrame,
    *,
    protocol: Protocol | AnalysisProfile,
    evaluator: str = "INVESTIGATOR",
    choi: ChoiSettings | None = None,
) -> dict[str, pd.DataFrame]:
    """ADAE (from AE, SUPPAE), ADEX (EX), ADLB (LB) and ADTR (TU, TR) where the domains exist.

    Profile values used: the treatment-emergent window, the cycle length and each drug's
    planned dosing days (drugs EX names but the profile does not are still summarised, without
    cycles or dose intensity: :func:`undosed_drugs`), and the RECIST parameters. With *choi*
    (Choi criteria derived) ADTR has the mean target-lesion density too.

    Parameters
    ----------
    sdtm
        SDTM domains keyed by upper-case name (screened:
        :func:`oncotrial.cdisc.adam.screen.screen_sdtm`).
    adsl
        ADSL (USUBJID, STUDYID, TRTSDT, TRTEDT, ...), as
        :func:`oncotrial.cdisc.adam.adsl.derive_adsl` returns it.
    protocol
        The trial protocol or an analysis profile.
    evaluator
        The evaluator whose TU/TR records ADTR summarises.
    choi
        Choi settings, when the Choi criteria are derived.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``ADAE``, ``ADEX``, ``ADLB`` and ``ADTR``, each only when its source domains exist;
        every one has STUDYID (from ADSL when the source lacked it).

    Raises
    ------
    DataError
        When a derivation refuses its input, naming the dataset being derived.
    """
    profile = as_profile(protocol)
    adsl_dates = adsl.reset_index(drop="USUBJID" in adsl.columns)
    out: dict[str, pd.DataFrame] = {}
    if "AE" in sdtm:
        with failure_context("deriving ADAE"):
            out["ADAE"] = derive_adae(
                sdtm["AE"], adsl_dates, suppae=sdtm.get("SUPPAE"),
                emergent_window_days=profile.treatment_emergent_window_days)
    if "EX" in sdtm:
        with failure_context("deriving ADEX"):
            out["ADEX"] = derive_adex(
                sdtm["EX"], adsl_dates, cycle_length_days=profile.cycle_length_days,
                planned_days={drug: list(days) for drug, days in profile.planned_days.items()})
    if "LB" in sdtm:
        with failure_context("deriving ADLB"):
            out["ADLB"] = derive_adlb(sdtm["LB"], adsl_dates)
    if "TU" in sdtm and "TR" in sdtm:
        with failure_context("deriving ADTR"):
            out["ADTR"] = derive_adtr(sdtm, adsl_dates,
                                      settings=RecistSettings.from_protocol(profile),
                                      evaluator=evaluator, choi=choi)
    return {name: _with_study(frame, adsl_dates) for name, frame in out.items()}


def _with_study(frame: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """STUDYID first in every ADaM dataset (ADaMIG 1.1 §3.1: STUDYID and USUBJID in each),
    from ADSL by USUBJID where the derivation did not carry it."""
    if "STUDYID" in frame.columns or "STUDYID" not in adsl.columns:
        return frame
    studies = adsl.drop_duplicates("USUBJID").set_index("USUBJID")["STUDYID"]
    out = frame.copy()
    out.insert(0, "STUDYID", out["USUBJID"].map(studies).fillna("").astype(object))
    return out


def undosed_drugs(ex: pd.DataFrame | None, profile: AnalysisProfile) -> list[str]:
    """EXTRT values (as recorded) for which *profile* has no planned dosing days or no cycle
    length, so ADEX carries no cycles or dose intensity for them.

    Parameters
    ----------
    ex
        SDTM EX, or ``None`` when absent.
    profile
        The analysis profile (cycle length and planned dosing days by lower-case drug name).

    Returns
    -------
    list of str
        The drugs, sorted; all of them when the profile has no cycle length, none without EX.
    """

    if ex is None or ex.empty or "EXTRT" not in ex.columns:
        return []
    drugs = sorted(str(d) for d in ex["EXTRT"].dropna().unique() if str(d).strip())
    if profile.cycle_length_days is None:
        return drugs
    return [d for d in drugs if d.strip().lower() not in profile.planned_days]
