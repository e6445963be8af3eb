"""Read the SDTM domains an analysis needs (DM, DS, EX, SV, AE, CM, LB, VS, QS, RS, TU, TR)
and check that each carries the variables the derivations rely on.

Files are found by :func:`oncotrial.cdisc.io.read_domains` (``dm.xpt`` or ``dm.csv``, …).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from oncotrial.cdisc.io import read_domains
from oncotrial.errors import DataError

__all__ = ["ANALYSIS_DOMAINS", "REQUIRED_VARIABLES", "read_sdtm", "validate_domains"]

ANALYSIS_DOMAINS: tuple[str, ...] = (
    "DM", "SUPPDM", "DS", "EX", "SV", "AE", "SUPPAE", "CM", "LB", "VS", "QS", "MH", "RS", "TU",
    "TR",
)

# Variables without which a domain cannot be used at all (SDTMIG 3.3 "Req" variables the
# derivations read). Optional variables (e.g. DSCAT, EXDOSE, RSACPTFL) are used when present.
REQUIRED_VARIABLES: Mapping[str, tuple[str, ...]] = {
    "DM": ("USUBJID",),
    "SUPPDM": ("USUBJID", "QNAM", "QVAL"),
    "DS": ("USUBJID", "DSDECOD", "DSSTDTC"),
    "EX": ("USUBJID", "EXSTDTC"),
    "SV": ("USUBJID", "SVSTDTC"),
    "AE": ("USUBJID",),
    "CM": ("USUBJID", "CMSTDTC"),
    "LB": ("USUBJID", "LBDTC"),
    "VS": ("USUBJID", "VSDTC"),
    "QS": ("USUBJID", "QSTESTCD"),
    "MH": ("USUBJID", "MHTERM"),
    "RS": ("USUBJID", "RSTESTCD", "RSSTRESC", "RSDTC"),
    "TU": ("USUBJID", "TUSTRESC"),
    "TR": ("USUBJID", "TRTESTCD", "TRDTC"),
}


def read_sdtm(
    directory: Path, *, domains: Iterable[str] = ANALYSIS_DOMAINS
) -> dict[str, pd.DataFrame]:
    """Read the SDTM domains present in *directory* and check their required variables.

    Parameters
    ----------
    directory
        Folder of ``<domain>.xpt`` or ``<domain>.csv`` files.
    domains
        The domains to look for (default :data:`ANALYSIS_DOMAINS`); absent ones other than DM
        are skipped.

    Returns
    -------
    dict of str to pandas.DataFrame
        Domain name (upper case) -> domain, for each of *domains* found.

    Raises
    ------
    DataError
        When the directory does not exist, DM is missing, or a domain lacks a required variable.
    """
    found = read_domains(directory, domains)
    if "DM" not in found:
        raise DataError(
            "no DM domain in the SDTM directory", field="sdtm", value=str(directory),
            allowed="a dm.xpt or dm.csv file",
        )
    validate_domains(found)
    return found


def validate_domains(sdtm: Mapping[str, pd.DataFrame]) -> None:
    """Raise :class:`DataError` naming the domain and variable when a required one is absent.

    Parameters
    ----------
    sdtm
        Domain name -> domain; domains not in :data:`REQUIRED_VARIABLES` are not checked.

    Returns
    -------
    None
        Nothing is changed; the call only checks.

    Raises
    ------
    DataError
        On the first domain lacking one of its :data:`REQUIRED_VARIABLES` (field
        ``<domain>.<variable>``).
    """

    for domain, frame in sdtm.items():
        for variable in REQUIRED_VARIABLES.get(domain, ()):
            if variable not in frame.columns:
                raise DataError(
                    f"SDTM {domain} has no variable {variable}",
                    field=f"{domain}.{variable}",
                    value=None,
                    allowed=", ".join(REQUIRED_VARIABLES[domain]) + " are required",
                )
