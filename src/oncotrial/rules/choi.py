"""Choi CT response criteria (size and density) beside RECIST 1.1, on the same lesion model.

Source: Choi H et al. Correlation of computed tomography and positron emission tomography in
patients with metastatic gastrointestinal stromal tumor treated at a single institution with
imatinib mesylate: proposal of new computed tomography response criteria. J Clin Oncol
2007;25:1753-1759, Table (criteria) — restated in Radiopaedia "Choi response criteria" and in
Table 2 of Clin Transl Imaging 2017;5:183-197 (PMC5658474), "size" = sum of longest diameters:
CR  disappearance of all lesions, no new lesions;
PR  decrease in size >= 10 % OR decrease in tumour density (HU) >= 15 % on CT, no new lesions,
    no obvious progression of non-measurable disease;
SD  not CR, PR or PD, no symptomatic deterioration attributed to tumour progression;
PD  increase in size >= 10 % and not PR by tumour density, OR new lesions, OR new intratumoral
    nodules or increase in size of existing intratumoral nodules.
Size is the sum of longest diameters of the target lesions (as RECIST; Choi used unidimensional
sums). Modified Choi (Radiopaedia "Choi response criteria", section "Modified Choi (mChoi)
system": first proposed for metastatic renal cell cancer on tyrosine kinase inhibitors): PR
needs BOTH the size and the density decrease.

Input: the RECIST engine's ``lesions`` and ``measurements`` frames (see
:mod:`oncotrial.rules.recist`) with one more measurement column, ``density_hu`` — the mean
attenuation in Hounsfield units of the lesion's region of interest on contrast CT (Choi 2007
measured the portal venous phase; the engine does not see the phase, the reader's data must be
of one phase). Optional column ``nodule_progression`` (bool): a new intratumoral nodule or an
existing one grown at this visit (Choi PD criterion 3). A target lesion measured with a
positive diameter but without density is an error naming subject, visit and lesion.

Choices the paper leaves open are :class:`ChoiSettings` fields, each with default and source.
Every timepoint row names the rule that decided it (``overall_rule``). Best overall response
(BOR, confirmed CBOR) reuses the RECIST 1.1 derivation on the Choi timepoint responses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from oncotrial.errors import DataError, ProtocolError
from oncotrial.rules.recist._best import classify_best
from oncotrial.rules.recist._input import KeyedInput, key_input
from oncotrial.rules.recist._rules import load_recist_rules
from oncotrial.rules.recist._settings import RecistSettings
from oncotrial.rules.recist._timepoint import (
    _ge,
    _le,
    _new_lesion_block,
    _nontarget_block,
    _percent,
    _target_block,
)

__all__ = [
    "CHOI_RULES",
    "CHOI_TIMEPOINT_COLUMNS",
    "DENSITY_DECREASE_FRACTION",
    "SIZE_CHANGE_FRACTION",
    "ChoiAssessment",
    "ChoiSettings",
    "classify_choi_timepoints",
    "derive_choi_responses",
]

# Choi 2007 Table: PR "decrease in size of >= 10 % or decrease in tumor density (HU) >= 15 %";
# PD "increase in tumor size of >= 10 %".
SIZE_CHANGE_FRACTION = 0.10
DENSITY_DECREASE_FRACTION = 0.15
# Hounsfield scale bounds of CT numbers (air -1000; 12-bit scanners store -1024..3071).
_HU_MIN, _HU_MAX = -1024.0, 3071.0

# The ordered first-match timepoint rules: (name, outcome, text). Order is the engine's.
CHOI_RULES: tuple[tuple[str, str, str], ...] = (
    ("choi_pd_new_lesion", "PD", "new lesion (Choi 2007 PD: 'new lesions')"),
    ("choi_pd_intratumoral_nodule", "PD",
     "new intratumoral nodule or growth of an existing one (Choi 2007 PD)"),
    ("choi_pd_nontarget", "PD",
     "unequivocal progression of non-target disease (settings.nontarget_progression_is_pd)"),
    ("choi_ne_no_target_at_baseline", "NE",
     "no measurable (target) lesion at baseline: size and density cannot be followed"),
    ("choi_ne_no_baseline", "NE",
     "baseline sum incomplete or baseline density not measured/not positive"),
    ("choi_pd_size_increase", "PD",
     ("size >= +10 % from the reference (evident on the lesions read) and density not "
      "decreased >= 15 % (Choi 2007 PD)")),
    ("choi_ne_not_all_assessed", "NE", "a target lesion not assessed at this visit"),
    ("choi_cr_all_gone", "CR",
     "all target lesions gone, non-target lesions absent, no new lesion (Choi 2007 CR)"),
    ("choi_pr_size_or_density", "PR",
     "size -10 % or density -15 % from baseline, no new lesion, no non-target progression"),
    ("choi_pr_size_and_density", "PR",
     "modified Choi: size -10 % and density -15 % from baseline"),
    ("choi_sd", "SD", "none of the above (Choi 2007 SD)"),
)

CHOI_TIMEPOINT_COLUMNS = (
    "subject",
    "evaluator",
    "visitnum",
    "visit",
    "date",
    "n_target",
    "n_target_assessed",
    "sum_mm",
    "baseline_sum_mm",
    "nadir_mm",
    "reference_sum_mm",
    "change_from_baseline_pct",
    "change_from_reference_pct",
    "density_hu",
    "baseline_density_hu",
    "density_change_pct",
    "size_pr",
    "density_pr",
    "nontarget_response",
    "new_lesion",
    "overall_response",
    "overall_rule",
)


@dataclass(frozen=True, slots=True)
class ChoiSettings:
    """Protocol choices of a Choi evaluation that the paper leaves open.

    Attributes
    ----------
    variant
        ``"choi"`` (PR by size OR density; Choi 2007) or ``"modified"`` (size AND density;
        mChoi, see the module docstring). Default ``"choi"``.
    pd_reference
        Reference sum for size progression: ``"baseline"`` (Choi 2007 compares every follow-up
        CT with the pre-treatment CT; default) or ``"nadir"`` (smallest earlier complete sum,
        as RECIST 1.1 §4.3.1). With ``"baseline"`` a lesion regrowing after a CR is PR or SD,
        not PD, at that visit; the best-response derivation still counts a response worse
        than CR after a CR as PD (RECIST 1.1 Table 3 note a, ``cr_followed_by_worse_is_pd``).
    density_average
        How lesion densities make a timepoint density: ``"mean_of_lesions"`` (mean of the
        lesion means; default — Choi 2007 reports mean lesion density) or
        ``"diameter_weighted"`` (each lesion weighted by its longest diameter).
    nontarget_progression_is_pd
        Unequivocal non-target progression is PD. Choi 2007 lists it only as excluding PR
        ("no obvious progression of non-measurable disease"); default ``True`` applies RECIST
        1.1 §4.3.2 as the criteria were used beside RECIST. ``False``: such a visit is SD at
        best.
    """

    variant: Literal["choi", "modified"] = "choi"
    pd_reference: Literal["baseline", "nadir"] = "baseline"
    density_average: Literal["mean_of_lesions", "diameter_weighted"] = "mean_of_lesions"
    nontarget_progression_is_pd: bool = True

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("variant", self.variant, ("choi", "modified")),
            ("pd_reference", self.pd_reference, ("baseline", "nadir")),
            ("density_average", self.density_average, ("mean_of_lesions", "diameter_weighted")),
            ("nontarget_progression_is_pd", self.nontarget_progression_is_pd, (True, False)),
        ):
            if not any(type(value) is type(a) and value == a for a in allowed):
                raise ProtocolError(
                    f"choi.{name}={value!r}: allowed {', '.join(repr(a) for a in allowed)}"
                )


@dataclass(frozen=True, slots=True)
class ChoiAssessment:
    """Choi timepoint responses and best overall responses (RECIST best-response columns)."""

    timepoints: pd.DataFrame
    best_response: pd.DataFrame


def _check_density(keyed: KeyedInput) -> pd.DataFrame:
    """Target measurements with ``density_hu`` checked; the error names subject, visit, lesion."""
    meas = keyed.measurements
    if "density_hu" not in meas.columns:
        raise DataError(
            "Choi assessment needs tumour density: measurements lack column density_hu",
            field="density_hu",
            value=None,
            allowed="mean attenuation of each target lesion in HU",
        )
    density = pd.to_numeric(meas["density_hu"], errors="coerce").astype(float)
    raw_bad = meas["density_hu"].notna() & density.isna()
    out_of_range = density.notna() & ~density.between(_HU_MIN, _HU_MAX)
    target = (meas["role"] == "TARGET").to_numpy()
    diameter = meas["diameter_mm"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        measured = target & (diameter > 0)
    missing = measured & density.isna().to_numpy()
    for mask, what, allowed in (
        (raw_bad.to_numpy() | out_of_range.to_numpy(), "impossible tumour density",
         f"a number of Hounsfield units in [{_HU_MIN:g}, {_HU_MAX:g}]"),
        (missing, "target lesion measured without tumour density for a Choi assessment",
         "the lesion's mean attenuation in HU (SDTM TR TRTESTCD ATTEN)"),
    ):
        if mask.any():
            row = meas.loc[mask].iloc[0]
            value = row["density_hu"]
            raise DataError(
                f"{what} (lesion {row['lesion_id']!s})",
                field="density_hu",
                value=None if pd.isna(value) else value,
                allowed=allowed,
                subject=str(row["subject"]),
                visit=str(row["visit"]),
            )
    return pd.DataFrame(
        {
            "ak": meas["ak"].to_numpy()[measured],
            "density": density.to_numpy()[measured],
            "weight": diameter[measured],
        }
    )


def _density_block(keyed: KeyedInput, settings: ChoiSettings) -> pd.DataFrame:
    """Timepoint density (HU) per assessment and its baseline."""
    work = _check_density(keyed)
    if settings.density_average == "diameter_weighted":
        work["weight"] = work["weight"].astype(float)
    else:
        work["weight"] = 1.0
    work["weighted"] = work["density"] * work["weight"]
    agg = work.groupby("ak", sort=True)[["weighted", "weight"]].sum()
    mean = (agg["weighted"] / agg["weight"]).reindex(keyed.assessments["ak"])
    a = keyed.assessments
    out = pd.DataFrame(
        {"sk": a["sk"].to_numpy(), "density_hu": mean.to_numpy(dtype=float, na_value=np.nan)}
    )
    base = out["density_hu"].where(a["is_baseline"].to_numpy())
    out["baseline_density_hu"] = base.groupby(out["sk"]).transform("first")
    return out


def _nodules(keyed: KeyedInput) -> npt.NDArray[np.bool_]:
    meas = keyed.measurements
    n = len(keyed.assessments)
    if "nodule_progression" not in meas.columns:
        return np.zeros(n, dtype=bool)
    flag = meas["nodule_progression"]
    bad = ~flag.isin([True, False])
    if bool(bad.any()):
        row = meas.loc[bad].iloc[0]
        raise DataError(
            f"nodule_progression must be a boolean (lesion {row['lesion_id']!s})",
            field="nodule_progression",
            value=row["nodule_progression"],
            allowed="True, False",
            subject=str(row["subject"]),
            visit=str(row["visit"]),
        )
    hit = meas.loc[flag.astype(bool), "ak"].unique()
    out = np.zeros(n, dtype=bool)
    out[keyed.assessments["ak"].isin(hit).to_numpy()] = True
    return out


def _select(conditions: dict[str, npt.NDArray[np.bool_]], size: int) -> tuple[
        npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    conds = [conditions[name] for name, _, _ in CHOI_RULES]
    outcome = np.select(conds, [np.asarray(o, dtype=object) for _, o, _ in CHOI_RULES], "")
    names = np.select(conds, [np.asarray(n, dtype=object) for n, _, _ in CHOI_RULES], "")
    if size and (names == "").any():  # the last rule is unconditional
        raise AssertionError("Choi rule list is not exhaustive")  # pragma: no cover
    return outcome.astype(object), names.astype(object)


def _classify_keyed(
    keyed: KeyedInput, settings: ChoiSettings, recist: RecistSettings
) -> pd.DataFrame:
    rules = load_recist_rules()
    a = keyed.assessments
    # size: the RECIST target sums (long axis, short axis for nodes; too small = protocol value)
    target = _target_block(keyed, recist, rules)
    density = _density_block(keyed, settings)
    nontarget, _ = _nontarget_block(keyed, rules)
    new, _ = _new_lesion_block(keyed, rules)
    nodule = _nodules(keyed)
    sums = target["sum_mm"].to_numpy(dtype=float, na_value=np.nan)
    base = target["baseline_sum_mm"].to_numpy(dtype=float, na_value=np.nan)
    nadir = target["nadir_mm"].to_numpy(dtype=float, na_value=np.nan)
    ref = base if settings.pd_reference == "baseline" else nadir
    dens = density["density_hu"].to_numpy(dtype=float)
    base_dens = density["baseline_density_hu"].to_numpy(dtype=float)
    n_target = target["n_target"].to_numpy()
    complete = target["n_target_assessed"].to_numpy() == n_target
    size_pr = _le(sums, base * (1.0 - SIZE_CHANGE_FRACTION))
    # all target lesions gone: no tissue left whose density could fall, counted as met
    gone = complete & (sums == 0.0)
    density_pr = _le(dens, base_dens * (1.0 - DENSITY_DECREASE_FRACTION)) | gone
    # the sum of the lesions read is a lower bound of the whole sum: size PD is evident on it
    # even when a lesion was not read (as the RECIST 1.1 engine); density from the lesions read
    size_pd = _ge(sums, ref * (1.0 + SIZE_CHANGE_FRACTION))
    pr = (size_pr | density_pr) if settings.variant == "choi" else (size_pr & density_pr)
    nontarget_pd = nontarget == "PD"
    size = len(a)
    yes = np.ones(size, dtype=bool)
    conditions = {
        "choi_ne_no_target_at_baseline": n_target == 0,
        "choi_ne_no_baseline": np.isnan(base) | ~(base_dens > 0),
        "choi_pd_new_lesion": new == "Y",
        "choi_pd_intratumoral_nodule": nodule,
        "choi_pd_nontarget": nontarget_pd & settings.nontarget_progression_is_pd,
        "choi_pd_size_increase": size_pd & ~density_pr,
        "choi_ne_not_all_assessed": ~complete,
        "choi_cr_all_gone": (target["n_cr"].to_numpy() == n_target)
        & np.isin(nontarget, ["CR", "NONE"]),
        "choi_pr_size_or_density": (settings.variant == "choi") & pr & ~nontarget_pd,
        "choi_pr_size_and_density": (settings.variant == "modified") & pr & ~nontarget_pd,
        "choi_sd": yes,
    }
    overall, rule = _select(conditions, size)
    out = pd.DataFrame(
        {
            "subject": a["subject"].to_numpy(),
            "evaluator": a["evaluator"].to_numpy(),
            "visitnum": a["visitnum"].to_numpy(),
            "visit": a["visit"].to_numpy(),
            "date": a["date"].to_numpy(),
            "n_target": n_target,
            "n_target_assessed": target["n_target_assessed"].to_numpy(),
            "sum_mm": sums,
            "baseline_sum_mm": base,
            "nadir_mm": nadir,
            "reference_sum_mm": ref,
            "density_hu": dens,
            "baseline_density_hu": base_dens,
        }
    )
    out["change_from_baseline_pct"] = _percent(
        out["sum_mm"] - out["baseline_sum_mm"], out["baseline_sum_mm"]
    )
    out["change_from_reference_pct"] = _percent(
        out["sum_mm"] - out["reference_sum_mm"], out["reference_sum_mm"]
    )
    out["density_change_pct"] = _percent(
        out["density_hu"] - out["baseline_density_hu"], out["baseline_density_hu"]
    )
    out["size_pr"] = size_pr
    out["density_pr"] = density_pr
    out["nontarget_response"] = nontarget
    out["new_lesion"] = new
    out["overall_response"] = overall
    out["overall_rule"] = rule
    post = ~a["is_baseline"].to_numpy(dtype=bool)
    return out.loc[post, list(CHOI_TIMEPOINT_COLUMNS)].reset_index(drop=True)


def classify_choi_timepoints(
    lesions: pd.DataFrame,
    measurements: pd.DataFrame,
    *,
    settings: ChoiSettings,
    recist: RecistSettings,
) -> pd.DataFrame:
    """Choi timepoint response of every post-baseline assessment (columns
    :data:`CHOI_TIMEPOINT_COLUMNS`). *recist* supplies the too-small-to-measure value used in
    the size sum; the first assessment of each subject and evaluator is the baseline.

    Parameters
    ----------
    lesions, measurements
        The RECIST input frames (SDTM TU and TR, see :mod:`oncotrial.rules.recist`);
        *measurements* also has ``density_hu`` (mean attenuation of each lesion, Hounsfield
        units in [-1024, 3071]) and optionally ``nodule_progression`` (bool).
    settings
        The Choi variant and the choices the paper leaves open.
    recist
        The trial's RECIST settings (too-small-to-measure value of the size sum).

    Returns
    -------
    pandas.DataFrame
        One row per post-baseline assessment; size and density changes in %, whether each
        meets the PR threshold, ``overall_response`` (CR, PR, SD, PD, NE) and the
        :data:`CHOI_RULES` entry that decided it.

    Raises
    ------
    DataError
        Bad lesion or measurement frames (as :func:`oncotrial.rules.recist.classify_timepoints`),
        no ``density_hu`` column, a density that is not a number of HU in range, a target
        lesion measured without density, or a ``nodule_progression`` that is not a boolean;
        the message names subject, visit and lesion.

    Examples
    --------
    A liver target lesion shrinks only 6 % (SD by RECIST 1.1) but its density falls from
    100 to 80 HU (−20 %): PR by Choi 2007 (size −10 % or density −15 %), SD by modified
    Choi (both needed).

    >>> import pandas as pd
    >>> from oncotrial.protocol import load_protocol
    >>> from oncotrial.rules import RecistSettings
    >>> from oncotrial.rules.choi import ChoiSettings, classify_choi_timepoints
    >>> lesions = pd.DataFrame({
    ...     "subject": "01-001", "evaluator": "INVESTIGATOR", "lesion_id": ["T01"],
    ...     "role": "TARGET", "organ": ["LIVER"], "nodal": False})
    >>> measurements = pd.DataFrame({
    ...     "subject": "01-001", "evaluator": "INVESTIGATOR", "lesion_id": "T01",
    ...     "visitnum": [0.0, 1.0], "visit": ["SCREENING", "WEEK 8"],
    ...     "date": pd.to_datetime(["2024-01-02", "2024-02-27"]),
    ...     "diameter_mm": [50.0, 47.0], "state": "", "density_hu": [100.0, 80.0]})
    >>> recist = RecistSettings.from_protocol(load_protocol())
    >>> choi = classify_choi_timepoints(lesions, measurements, settings=ChoiSettings(),
    ...                                 recist=recist)
    >>> choi[["change_from_baseline_pct", "density_change_pct", "overall_rule"]]
       change_from_baseline_pct  density_change_pct             overall_rule
    0                      -6.0               -20.0  choi_pr_size_or_density
    >>> modified = classify_choi_timepoints(
    ...     lesions, measurements, settings=ChoiSettings(variant="modified"), recist=recist)
    >>> choi["overall_response"].tolist(), modified["overall_response"].tolist()
    (['PR'], ['SD'])
    """
    return _classify_keyed(key_input(lesions, measurements), settings, recist)


def derive_choi_responses(
    lesions: pd.DataFrame,
    measurements: pd.DataFrame,
    *,
    reference: pd.DataFrame,
    settings: ChoiSettings,
    recist: RecistSettings,
    evaluators: Sequence[str] | None = None,
) -> ChoiAssessment:
    """Choi timepoints and best overall responses (BOR and confirmed CBOR with the trial's
    RECIST confirmation interval and SD minimum duration; Choi 2007 required neither).

    Parameters
    ----------
    lesions, measurements
        As for :func:`classify_choi_timepoints`.
    reference
        Columns ``subject``, ``reference_date``: the start date of each subject.
    settings
        The Choi variant and the choices the paper leaves open.
    recist
        The trial's RECIST settings (too-small-to-measure value, confirmation interval,
        minimum SD duration).
    evaluators
        Evaluators to report for every subject (default: all in the data).

    Returns
    -------
    ChoiAssessment
        ``timepoints`` (:data:`CHOI_TIMEPOINT_COLUMNS`) and ``best_response`` (the RECIST
        best-response columns, :data:`oncotrial.rules.recist.BEST_RESPONSE_COLUMNS`).

    Raises
    ------
    DataError
        As :func:`classify_choi_timepoints`, or a bad *reference* frame.
    """
    timepoints = classify_choi_timepoints(
        lesions, measurements, settings=settings, recist=recist
    )
    best = classify_best(timepoints, reference, recist, load_recist_rules(), evaluators)
    return ChoiAssessment(timepoints=timepoints, best_response=best)
