"""Units of lab and vital-sign values: CDISC spellings, synonyms and conversions.

Unit labels follow CDISC SDTM ``LBSTRESU`` / ``VSSTRESU`` spelling (``10^9/L``, ``g/dL``,
``mmol/L``, ``umol/L``, ``U/L``, ``msec``, ``mmHg``). :func:`normalize_unit` maps common
synonyms onto those labels; :func:`convert_unit` converts a value between two units of the same
quantity for one analyte. Conversions between mass and molar concentration use the molar masses
below; a unit that is not listed for the analyte is an error, never a guess.

Molar masses (g/mol) and factors, with sources:

- Creatinine C4H7N3O: 113.12 g/mol, so 1 mg/dL = 88.4 umol/L (PubChem CID 588; the SI factor
  88.4 is the one used by KDIGO 2012 CKD guideline, Kidney Int Suppl 2013;3:5).
- Bilirubin C33H36N4O6: 584.66 g/mol, so 1 mg/dL = 17.1 umol/L (PubChem CID 5280352).
- Magnesium: 24.305 g/mol, so 1 mg/dL = 0.4114 mmol/L; divalent, so 1 mEq/L = 0.5 mmol/L
  (IUPAC 2013 standard atomic weights).
- Potassium and sodium: monovalent, so 1 mEq/L = 1 mmol/L.
- Haemoglobin as the monomer (one haem, 16 114.5 g/mol), the convention behind the mmol/L
  figures printed in CTCAE v5.0 "Anemia" (10.0 g/dL ~ 6.2 mmol/L); 1 mmol/L = 16.1145 g/L.
- Cell counts: 1 /mm3 = 1 /uL = 10^6/L = 0.001 x 10^9/L; 10^3/uL = 10^9/L.
- Enzyme activity: 1 ukat/L = 60 U/L (1 U = 1 umol/min; 1 kat = 1 mol/s).
- Urine protein/creatinine ratio: 1 mg/mmol = 1 mg / 113.12 mg = 0.008840 g/g.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from oncotrial.errors import RuleError

__all__ = ["ANALYTE_UNITS", "convert_unit", "normalize_unit", "units_for"]

# Synonym (casefolded, spaces removed) -> CDISC unit label.
_SYNONYMS: Final[dict[str, str]] = {
    # cell counts
    "10^9/l": "10^9/L",
    "x10^9/l": "10^9/L",
    "10*9/l": "10^9/L",
    "x10*9/l": "10^9/L",
    "10e9/l": "10^9/L",
    "x10e9/l": "10^9/L",
    "gi/l": "10^9/L",
    "10^3/ul": "10^3/uL",
    "10*3/ul": "10^3/uL",
    "x10^3/ul": "10^3/uL",
    "k/ul": "10^3/uL",
    "thou/ul": "10^3/uL",
    "/mm3": "/mm3",
    "cells/mm3": "/mm3",
    "/ul": "/mm3",
    "cells/ul": "/mm3",
    # concentrations
    "g/dl": "g/dL",
    "g/l": "g/L",
    "mg/dl": "mg/dL",
    "mmol/l": "mmol/L",
    "meq/l": "mEq/L",
    "umol/l": "umol/L",
    "micromol/l": "umol/L",
    # enzymes
    "u/l": "U/L",
    "iu/l": "U/L",
    "ukat/l": "ukat/L",
    # ECG and blood pressure
    "msec": "msec",
    "ms": "msec",
    "mmhg": "mmHg",
    # urine protein
    "g/24h": "g/24h",
    "g/24hr": "g/24h",
    "g/24hrs": "g/24h",
    "g/day": "g/24h",
    "g/d": "g/24h",
    "mg/24h": "mg/24h",
    "mg/24hr": "mg/24h",
    "mg/day": "mg/24h",
    "mg/d": "mg/24h",
    "dipstick": "dipstick",
    "+": "dipstick",
    "g/g": "g/g",
    "mg/mg": "g/g",
    "mg/g": "mg/g",
    "mg/mmol": "mg/mmol",
}

_CREATININE_MG_PER_DL_IN_UMOL_PER_L: Final = 88.4
_BILIRUBIN_MG_PER_DL_IN_UMOL_PER_L: Final = 17.1
_MAGNESIUM_MG_PER_DL_IN_MMOL_PER_L: Final = 10.0 / 24.305
_HB_MONOMER_MMOL_PER_L_IN_G_PER_L: Final = 16.1145
_UPCR_MG_PER_MMOL_IN_G_PER_G: Final = 1.0 / 113.12

_COUNT: Final = {"10^9/L": 1.0, "10^3/uL": 1.0, "/mm3": 1e-3}

# analyte -> groups of inter-convertible units, each unit with its factor to the group's base.
ANALYTE_UNITS: Final = MappingProxyType(
    {
        "leukocytes": (_COUNT,),
        "neutrophils": (_COUNT,),
        "lymphocytes": (_COUNT,),
        "platelets": (_COUNT,),
        "hemoglobin": ({"g/L": 1.0, "g/dL": 10.0, "mmol/L": _HB_MONOMER_MMOL_PER_L_IN_G_PER_L},),
        "potassium": ({"mmol/L": 1.0, "mEq/L": 1.0},),
        "sodium": ({"mmol/L": 1.0, "mEq/L": 1.0},),
        "magnesium": ({"mmol/L": 1.0, "mEq/L": 0.5, "mg/dL": _MAGNESIUM_MG_PER_DL_IN_MMOL_PER_L},),
        "creatinine": ({"umol/L": 1.0, "mg/dL": _CREATININE_MG_PER_DL_IN_UMOL_PER_L},),
        "bilirubin": ({"umol/L": 1.0, "mg/dL": _BILIRUBIN_MG_PER_DL_IN_UMOL_PER_L},),
        "aminotransferase": ({"U/L": 1.0, "ukat/L": 60.0},),
        "urine protein": (
            {"g/24h": 1.0, "mg/24h": 1e-3},
            {"dipstick": 1.0},
            {"g/g": 1.0, "mg/g": 1e-3, "mg/mmol": _UPCR_MG_PER_MMOL_IN_G_PER_G},
        ),
        "qtc": ({"msec": 1.0},),
        "blood pressure": ({"mmHg": 1.0},),
    }
)


def normalize_unit(unit: str) -> str:
    """Return the CDISC spelling of *unit*, accepting common synonyms.

    Parameters
    ----------
    unit
        A unit as written in the source data, e.g. ``"x10^9/L"``, ``"µmol/L"``, ``"mEq/l"``.

    Returns
    -------
    str
        The CDISC ``LBSTRESU`` label, e.g. ``"10^9/L"``, ``"umol/L"``, ``"mEq/L"``.

    Raises
    ------
    RuleError
        If the unit is empty or not a known spelling.
    """
    key = "".join(str(unit).split()).casefold().replace("µ", "u").replace("μ", "u")
    if not key:
        raise RuleError("unit is empty: every value needs an explicit unit")
    try:
        return _SYNONYMS[key]
    except KeyError:
        known = ", ".join(sorted(set(_SYNONYMS.values())))
        raise RuleError(f"unit {unit!r} is not a known unit (known: {known})") from None


def units_for(analyte: str) -> tuple[str, ...]:
    """Return every unit accepted for *analyte* (CDISC spelling), in table order.

    Parameters
    ----------
    analyte
        Key of :data:`ANALYTE_UNITS` (e.g. ``"creatinine"``, ``"urine protein"``).

    Returns
    -------
    tuple of str
        The units of all its groups; only units of the same group convert into each other.

    Raises
    ------
    RuleError
        If the analyte has no unit table; the message lists the known analytes.

    Examples
    --------
    >>> from oncotrial.rules.units import units_for
    >>> units_for("creatinine")
    ('umol/L', 'mg/dL')
    """
    groups = _groups(analyte)
    return tuple(unit for group in groups for unit in group)


def convert_unit(value: float, from_unit: str, to_unit: str, *, analyte: str) -> float:
    """Convert *value* of *analyte* from *from_unit* to *to_unit*.

    Parameters
    ----------
    value
        The number to convert.
    from_unit, to_unit
        Units in CDISC spelling or a known synonym.
    analyte
        Key of :data:`ANALYTE_UNITS` (e.g. ``"creatinine"``); molar conversions depend on it.

    Returns
    -------
    float
        *value* expressed in *to_unit*.

    Raises
    ------
    RuleError
        If either unit is unknown for the analyte, or the two measure different quantities
        (e.g. a 24-hour urine protein and a dipstick reading).

    Examples
    --------
    Creatinine 1 mg/dL is 88.4 umol/L (the SI factor of the KDIGO 2012 CKD guideline):

    >>> from oncotrial.rules.units import convert_unit
    >>> convert_unit(1.0, "mg/dL", "umol/L", analyte="creatinine")
    88.4
    """
    source = normalize_unit(from_unit)
    target = normalize_unit(to_unit)
    for group in _groups(analyte):
        if source in group and target in group:
            return value * group[source] / group[target]
    allowed = ", ".join(units_for(analyte))
    raise RuleError(
        f"cannot convert {analyte} from {source!r} to {target!r} (units for {analyte}: {allowed})"
    )


def _groups(analyte: str) -> tuple[dict[str, float], ...]:
    try:
        return ANALYTE_UNITS[analyte]
    except KeyError:
        known = ", ".join(sorted(ANALYTE_UNITS))
        raise RuleError(f"analyte {analyte!r} has no unit table (known: {known})") from None
