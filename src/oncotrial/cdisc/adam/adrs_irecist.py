"""ADRS iRECIST parameters from iRECIST timepoint responses (SDTM RS, RSCAT iRECIST).

Parameter codes, wording, events and their order follow the admiralonco vignette "Creating
ADRS with iRECIST endpoints" (``vignettes/irecist.Rmd``), which keeps iRECIST in an ADRS of
its own with PARAMCD OVR; here the parameters sit beside RECIST 1.1 in one ADRS, so the
timepoint parameter is IOVR (the vignette names its BICR variant IOVRB). Values: iCR, iPR,
iSD, NON-iCR/NON-iUPD, iUPD, iCPD, NE; AVAL as the vignette's ``aval_resp_new`` (iCPD 1 …
iCR 6, MISSING 7, NE 8).

- IOVR: every timepoint response; ANL01FL = valid, on/after the reference date, worst of its
  day; ANL02FL = up to and including the first iCPD; ANL03FL = before new anticancer therapy.
- ICPD (Y/N): an iUPD followed by iCPD with only iUPD/NE between, dated at the first iUPD of
  that run (the iRECIST progression date). IUPD (Y/N): the last iUPD followed only by iUPD or
  NE (never confirmed, never reset), dated at that iUPD.
- IRSP, ICB, IBOR and the confirmed ICRSP, ICCB, ICBOR: as RSP, CB, BOR, CRSP, CCB, CBOR of
  RECIST 1.1 on the iRECIST values, iSD/NON-iCR/NON-iUPD counting from the protocol's minimum
  duration, confirmation with the protocol's interval (the vignette: 42 and 28 days), and
  between iSD and NE the events iCPD then iUPD (vignette order: ``ibor_icpd``, ``ibor_iupd``).
  IBOR, ICBOR and the confirmation come from the one best-response engine
  (:func:`oncotrial.rules.irecist.decide_irecist_best`; rule order in the RECIST rule data).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oncotrial.cdisc.adam._dates import day_numbers
from oncotrial.cdisc.adam._response import (
    NE,
    Event,
    evaluator_records,
    normalise_responses,
    select_events,
)
from oncotrial.cdisc.adam._settings import ProtocolLike, ResponseOptions, StartDate, evaluator_label
from oncotrial.cdisc.adam.adrs import _best_rows, _finish, _upper_text
from oncotrial.cdisc.adam.adsl import select_start_date
from oncotrial.errors import DataError
from oncotrial.rules.irecist import decide_irecist_best
from oncotrial.rules.recist import (
    BestResponseSettings,
    confirmed_progression_runs,
    next_decisive_code,
)

__all__ = ["AVAL_IRESP", "IRECIST_PARAMS", "IRECIST_RSCAT", "derive_irecist_adrs"]

IRECIST_RSCAT = "iRECIST"
ICR, IPR, ISD, INONCR, IUPD, ICPD = "iCR", "iPR", "iSD", "NON-iCR/NON-iUPD", "iUPD", "iCPD"
# PARAMCD → PARAM with "{ev}" for the evaluator (admiralonco iRECIST vignette wording).
IRECIST_PARAMS: dict[str, str] = {
    "IOVR": "iRECIST Overall Response by {ev}",
    "ICPD": "iRECIST Confirmation of Disease Progression by {ev}",
    "IUPD": "iRECIST Unconfirmed Disease Progression by {ev}",
    "IRSP": "iRECIST Response by {ev} (confirmation not required)",
    "ICB": "iRECIST Clinical Benefit by {ev} (confirmation for response not required)",
    "IBOR": "iRECIST Best Overall Response by {ev} (confirmation not required)",
    "ICRSP": "iRECIST Confirmed Response by {ev}",
    "ICCB": "iRECIST Confirmed Clinical Benefit by {ev}",
    "ICBOR": "iRECIST Best Confirmed Overall Response by {ev}",
}
# aval_resp_new() of the vignette
AVAL_IRESP: dict[str, float] = {NE: 8, "MISSING": 7, ICR: 6, IPR: 5, ISD: 4, INONCR: 3,
                                IUPD: 2, ICPD: 1}
_SPELLING = {"ICR": ICR, "IPR": IPR, "ISD": ISD, "NON-ICR/NON-IUPD": INONCR, "IUPD": IUPD,
             "ICPD": ICPD, "NE": NE}
# internal code of each parameter for adrs._finish (OVR gets the timepoint flags)
_INTERNAL = {"OVR": "IOVR"}


def _flag(ovr: pd.DataFrame, reference: pd.Series, new_therapy: pd.Series) -> pd.DataFrame:
    """ANL01FL/ANL02FL/ANL03FL of the iRECIST timepoints (module docstring), sorted."""
    frame = ovr.assign(REFDT=ovr["USUBJID"].map(reference).astype("datetime64[ns]"))
    valid = frame["AVALC"].isin(AVAL_IRESP) & (frame["AVALC"] != "MISSING") \
        & frame["ADT"].notna() & (frame["ADT"] >= frame["REFDT"])
    rank = frame["AVALC"].map(AVAL_IRESP).fillna(99.0).to_numpy()  # worst (lowest) first
    day = frame["ADT"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    order = np.lexsort((frame["RSSEQ"].to_numpy(dtype=float), rank, day,
                        pd.factorize(frame["USUBJID"], sort=True)[0]))
    frame = frame.take(order)
    valid = valid.loc[frame.index]
    anl01 = valid & ~frame.assign(_V=valid).duplicated(["USUBJID", "ADT", "_V"])
    first = frame.loc[anl01 & (frame["AVALC"] == ICPD)].groupby("USUBJID")["ADT"].min()
    cut = frame["USUBJID"].map(first)
    anl02 = anl01 & (cut.isna() | (frame["ADT"] <= cut))
    nact = frame["USUBJID"].map(new_therapy).astype("datetime64[ns]")
    anl03 = anl01 & (nact.isna() | (frame["ADT"] < nact))
    frame["ARULE"] = ""
    for name, flag in (("ANL01FL", anl01), ("ANL02FL", anl02), ("ANL03FL", anl03)):
        frame[name] = np.where(flag, "Y", "")
    return frame.reset_index(drop=True)


def _progression_masks(group: np.ndarray, code: np.ndarray, work: pd.DataFrame
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(iUPD records of a run that iCPD confirms, the last iUPD never confirmed nor reset)."""
    is_iupd = (work["AVALC"] == IUPD).to_numpy()
    last = work.loc[is_iupd].groupby("USUBJID")["ADT"].max()
    open_ = is_iupd & (next_decisive_code(group, code) < 0) \
        & (work["ADT"] == work["USUBJID"].map(last)).to_numpy()
    return confirmed_progression_runs(group, code), open_


def _parameters(work: pd.DataFrame, *, protocol: ProtocolLike, options: ResponseOptions,
                subjects: pd.Index, reference: pd.Series) -> list[pd.DataFrame]:
    recist = protocol.recist
    value = work["AVALC"]
    late = (work["ADT"] >= work["REFDT"] + pd.Timedelta(days=recist.min_sd_duration_days)
            ).to_numpy()
    ref = reference.reindex(subjects).to_numpy(dtype="datetime64[ns]")
    ref_day = np.where(np.isnat(ref), 0, ref.astype("datetime64[D]").astype(np.int64))
    group = subjects.get_indexer(pd.Index(work["USUBJID"])).astype(np.int64)
    # IBOR, ICBOR and the confirmation of iCR/iPR by the one best-response engine (RECIST 1.1
    # §4.6 confirmation; Seymour 2017 Table 3 and the vignette's event order)
    best = decide_irecist_best(
        group, day_numbers(work["ADT"]), value.tolist(), n_groups=len(subjects),
        sd_from=ref_day + recist.min_sd_duration_days,
        settings=BestResponseSettings(
            confirmation_interval_days=recist.confirmation_interval_days,
            min_sd_duration_days=recist.min_sd_duration_days,
            max_ne_between=options.max_ne_in_confirmation,
            accept_sd_between=options.accept_sd_in_confirmation,
            cr_followed_by_worse_is_pd=options.cr_followed_by_worse_is_pd))
    confirmed = best.confirmed
    is_resp = value.isin([ICR, IPR]).to_numpy()
    benefit = value.isin([ICR, IPR, ISD, INONCR]).to_numpy() & late
    confirmed_run, open_iupd = _progression_masks(group, best.code, work)
    no = ("no_data_n", "N")

    def pick(paramcd: str, events: list[Event]) -> pd.DataFrame:
        chosen = select_events(work, events, subjects=subjects, fallback=no)
        return chosen.assign(PARAMCD=paramcd)

    return [
        pick("ICPD", [Event("icpd_y", "Y", confirmed_run)]),
        pick("IUPD", [Event("iupd_y", "Y", open_iupd)]),
        pick("IRSP", [Event("irsp_y", "Y", is_resp)]),
        pick("ICB", [Event("irsp_y", "Y", is_resp), Event("icb_y", "Y", benefit)]),
        _best_rows(work, best.bor, subjects=subjects, paramcd="IBOR"),
        pick("ICRSP", [Event("icrsp_y", "Y", confirmed)]),
        pick("ICCB", [Event("icrsp_y", "Y", confirmed), Event("icb_y", "Y", benefit)]),
        _best_rows(work, best.cbor, subjects=subjects, paramcd="ICBOR"),
    ]


def derive_irecist_adrs(
    rs: pd.DataFrame,
    *,
    adsl: pd.DataFrame,
    protocol: ProtocolLike,
    evaluator: str = "INVESTIGATOR",
    start_date: StartDate | None = None,
    options: ResponseOptions | None = None,
) -> pd.DataFrame:
    """iRECIST parameters (:data:`IRECIST_PARAMS`) from the RS records with RSCAT iRECIST
    (e.g. :func:`oncotrial.cdisc.sdtm.tumour.derive_rs_and_issues_from_tr` with
    ``criteria="irecist"``); PARCAT3 is ``iRECIST``.

    Parameters
    ----------
    rs
        SDTM RS; the ``OVRLRESP`` records with RSCAT iRECIST (any case) of *evaluator* are
        used. RSSTRESC is read in any case (``ICPD`` is iCPD); ND, NOT DONE and blank are
        kept as not analysed.
    adsl
        Output of :func:`oncotrial.cdisc.adam.adsl.derive_adsl` (the start date variable and
        NACTDT).
    protocol
        Trial protocol or profile: the confirmation interval and the minimum duration of
        iSD.
    evaluator
        RSEVAL (or RSEVALID) of the reader.
    start_date
        ADSL variable of the reference date; default
        :func:`oncotrial.cdisc.adam.adsl.select_start_date`.
    options
        Non-protocol conventions (NE/SD tolerated in confirmation, cut at new therapy).

    Returns
    -------
    pandas.DataFrame
        ADRS records in the columns of :func:`oncotrial.cdisc.adam.adrs.derive_adrs`: PARAMCD
        IOVR (one per timepoint, with ANL01FL/ANL02FL/ANL03FL as above) and, per ADSL
        subject, ICPD, IUPD, IRSP, ICB, IBOR, ICRSP, ICCB, ICBOR; AVALC the iRECIST value or
        Y/N, AVAL by :data:`AVAL_IRESP` (iCPD 1 … iCR 6, MISSING 7, NE 8) or 1/0, ADT and
        ARULE (the event that decided).

    Raises

    ------
    DataError
        An RS subject missing from ADSL, or an iRECIST response that is not one of iCR, iPR,
        iSD, NON-iCR/NON-iUPD, iUPD, iCPD, NE (named with subject and visit).
    """
    options = options or ResponseOptions()
    reference_var = select_start_date(adsl, start_date)
    by_subject = adsl.set_index("USUBJID")
    subjects = pd.Index(by_subject.index)
    records = evaluator_records(rs.loc[_upper_text(rs, "RSCAT") == IRECIST_RSCAT.upper()],
                                evaluator=evaluator)
    ovr = normalise_responses(records)
    text = ovr["RSSTRESC"].astype(str).str.strip().str.upper()
    ovr["AVALC"] = text.map(_SPELLING)
    bad = ovr["AVALC"].isna() & ~text.isin(["", "ND", "NOT DONE", "NAN"])
    if bad.any():
        row = ovr.loc[bad].iloc[0]
        raise DataError("not an iRECIST response", field="RS.RSSTRESC", value=row["RSSTRESC"],
                        allowed=", ".join(_SPELLING.values()),
                        subject=str(row["USUBJID"]), visit=str(row.get("VISIT", "")))
    ovr["AVALC"] = ovr["AVALC"].fillna(text)
    unknown = ~ovr["USUBJID"].isin(subjects)
    if unknown.any():
        who = str(ovr.loc[unknown, "USUBJID"].iloc[0])
        raise DataError("RS subject not in ADSL (DM)", field="RS.USUBJID", value=who,
                        allowed="subjects present in DM", subject=who)
    ovr = _flag(ovr, by_subject[reference_var], by_subject["NACTDT"])
    keep = (ovr["ANL01FL"] == "Y") & (ovr["ANL02FL"] == "Y")
    if options.cut_at_new_therapy:
        keep &= ovr["ANL03FL"] == "Y"
    work = ovr.loc[keep].reset_index(drop=True)
    params = _parameters(work, protocol=protocol, options=options, subjects=subjects,
                         reference=by_subject[reference_var])
    frame = pd.concat([ovr.drop(columns=["REFDT"]).assign(PARAMCD="OVR"), *params],
                      ignore_index=True)
    adrs = _finish(frame, adsl=adsl, evaluator=evaluator)
    label = evaluator_label(evaluator)
    adrs["PARAMCD"] = adrs["PARAMCD"].replace(_INTERNAL)
    adrs["PARAM"] = adrs["PARAMCD"].map({k: v.replace("{ev}", label)
                                         for k, v in IRECIST_PARAMS.items()})
    adrs["PARCAT3"] = IRECIST_RSCAT
    responses = adrs["AVALC"].isin(list(AVAL_IRESP))
    adrs["AVAL"] = np.where(responses, adrs["AVALC"].map(AVAL_IRESP), adrs["AVAL"])
    return adrs.reset_index(drop=True)
