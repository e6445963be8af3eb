"""SDTM directory → ADSL, ADRS, ADTTE: the whole derivation chain and its XPT/CSV output."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from oncotrial.cdisc.adam._settings import PfsRules, ResponseOptions, StartDate
from oncotrial.cdisc.adam.adrs import derive_adrs
from oncotrial.cdisc.adam.adsl import derive_adsl, select_start_date
from oncotrial.cdisc.adam.adtte import derive_adtte
from oncotrial.cdisc.adam.issues import derive_adrs_issues
from oncotrial.cdisc.adam.supporting import derive_supporting_adam
from oncotrial.cdisc.io import write_dataset
from oncotrial.cdisc.sdtm import ANALYSIS_DOMAINS, derive_rs_from_tr
from oncotrial.cdisc.terminology import DATASET_LABELS, labels_for
from oncotrial.errors import DataError
from oncotrial.protocol import Protocol
from oncotrial.rules.recist import RecistSettings

__all__ = ["AdamDatasets", "ResponseSource", "derive_adam", "domains_for", "write_adam"]

ResponseSource = Literal["RS", "TR"]


def domains_for(source: ResponseSource) -> tuple[str, ...]:
    """SDTM domains the derivation reads: TR (lesion measurements, the largest domain) only
    when responses are computed from it; its dates are those of the RS assessments otherwise."""
    if source == "TR":
        return ANALYSIS_DOMAINS
    return tuple(d for d in ANALYSIS_DOMAINS if d != "TR")


@dataclass(frozen=True, slots=True)
class AdamDatasets:
    """The efficacy analysis datasets and the choices they were derived with."""

    adsl: pd.DataFrame
    adrs: pd.DataFrame
    adtte: pd.DataFrame
    issues: pd.DataFrame
    start_date: StartDate
    evaluator: str
    source: ResponseSource
    pfs_rules: PfsRules
    supporting: Mapping[str, pd.DataFrame] = field(default_factory=dict)


def derive_adam(
    sdtm: Mapping[str, pd.DataFrame],
    *,
    protocol: Protocol,
    evaluator: str = "INVESTIGATOR",
    source: ResponseSource = "RS",
    start_date: StartDate | None = None,
    pfs_rules: PfsRules = "FDA",
    options: ResponseOptions | None = None,
    supporting: bool = False,
) -> AdamDatasets:
    """Derive ADSL, ADRS and ADTTE from SDTM domains.

    ``source="RS"`` reads the recorded overall responses (SDTM RS ``OVRLRESP``);
    ``source="TR"`` first computes the timepoint responses from the lesion measurements in
    TU/TR with the RECIST 1.1 engine and derives from those instead. With *supporting* the
    report's ADAE, ADEX, ADLB and ADTR are derived too, from the domains present.
    """
    domains = dict(sdtm)
    if source == "TR":
        domains["RS"] = _responses_from_measurements(domains, protocol=protocol)
    elif source != "RS":
        raise DataError("unknown response source", field="source", value=source,
                        allowed="RS, TR")
    if "RS" not in domains:
        raise DataError("ADRS needs SDTM RS (or TU/TR with --source TR)", field="RS",
                        value=None, allowed="an rs.xpt or rs.csv file")
    adsl = derive_adsl(domains, evaluator=evaluator, protocol=protocol)
    chosen = select_start_date(adsl, start_date)
    adrs = derive_adrs(domains["RS"], adsl=adsl, protocol=protocol, evaluator=evaluator,
                       start_date=chosen, tu=domains.get("TU"), options=options)
    adtte = derive_adtte(adrs, adsl=adsl, protocol=protocol, start_date=chosen,
                         pfs_rules=pfs_rules, tu=domains.get("TU"))
    extra = (derive_supporting_adam(domains, adsl, protocol=protocol, evaluator=evaluator)
             if supporting else {})
    if "ADTR" in extra:
        adsl = _with_baseline_sum(adsl, extra["ADTR"])
    issues = derive_adrs_issues(adrs, start_date=chosen)
    return AdamDatasets(adsl=adsl, adrs=adrs, adtte=adtte, issues=issues, start_date=chosen,
                        evaluator=evaluator, source=source, pfs_rules=pfs_rules,
                        supporting=extra)


def _with_baseline_sum(adsl: pd.DataFrame, adtr: pd.DataFrame) -> pd.DataFrame:
    """ADSL.BLSOD: the baseline sum of target-lesion diameters of ADTR (RECIST 1.1 §4.2)."""
    base = adtr[(adtr["PARAMCD"] == "SUMDIAM") & (adtr["ABLFL"] == "Y")]
    by_subject = base.drop_duplicates("USUBJID").set_index("USUBJID")["AVAL"]
    return adsl.assign(BLSOD=adsl["USUBJID"].map(by_subject).astype(float))


_RECIST_TESTS = ("TRGRESP", "NTRGRESP", "NEWLPROG", "OVRLRESP")


def _responses_from_measurements(
    sdtm: Mapping[str, pd.DataFrame], *, protocol: Protocol
) -> pd.DataFrame:
    """RS computed from TU/TR by the RECIST 1.1 engine, replacing recorded RECIST results.

    Other RS records (e.g. ECOG, a clinical classification) are kept as recorded.
    """
    computed = derive_rs_from_tr(sdtm, settings=RecistSettings.from_protocol(protocol))
    recorded = sdtm.get("RS")
    if recorded is None or recorded.empty:
        return computed
    testcd = recorded["RSTESTCD"].astype(str).str.strip().str.upper()
    others = recorded.loc[~testcd.isin(_RECIST_TESTS)]
    return pd.concat([computed, others], ignore_index=True)


def write_adam(datasets: AdamDatasets, directory: Path) -> list[Path]:
    """Write ``adsl``, ``adrs`` and ``adtte`` as XPT v5 and CSV, and the data issues met on
    the way as ``adam_issues.csv``, into *directory*."""
    written: list[Path] = []
    for name, frame in (("ADSL", datasets.adsl), ("ADRS", datasets.adrs),
                        ("ADTTE", datasets.adtte), *datasets.supporting.items()):
        written += write_dataset(frame, directory, name, labels=labels_for(list(frame.columns)),
                                 table_label=DATASET_LABELS[name])
    written += write_dataset(datasets.issues, directory, "adam_issues", formats=("csv",))
    return written
