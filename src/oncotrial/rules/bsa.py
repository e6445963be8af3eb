"""Body-surface area and per-m² doses in mg, with the protocol's rounding and cap.

Formulas (height H in cm, weight W in kg, BSA in m²):

- Mosteller RD. N Engl J Med 1987;317:1098: √(H·W/3600)
- DuBois D, DuBois EF. Arch Intern Med 1916;17:863: 0.007184 · W^0.425 · H^0.725
- Haycock GB et al. J Pediatr 1978;93:62: 0.024265 · W^0.5378 · H^0.3964
- Gehan EA, George SL. Cancer Chemother Rep 1970;54:225: 0.0235 · W^0.51456 · H^0.42246

Practice rules (ASCO 2012/2021: actual weight, full dose; HOPA: rounding within 10 % of the
ordered dose; recompute on weight change ≥ the protocol threshold) come from
``Protocol.bsa``; no value here stands in for a protocol value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from oncotrial.errors import DataError, RuleError
from oncotrial.protocol import BsaPolicy

__all__ = [
    "BSA_FORMULAS",
    "BsaResult",
    "DoseAmount",
    "compute_bsa",
    "compute_bsa_for_dosing",
    "compute_dose_mg",
    "decide_bsa_recalculation",
]

BSA_FORMULAS = ("mosteller", "dubois", "haycock", "gehan_george")

# Plausibility limits for adult trial subjects; outside these the input is a data error.
_HEIGHT_CM = (50.0, 250.0)
_WEIGHT_KG = (10.0, 300.0)


def _check_body(height_cm: float, weight_kg: float) -> None:
    for field, value, (low, high), unit in (
        ("height_cm", height_cm, _HEIGHT_CM, "cm"),
        ("weight_kg", weight_kg, _WEIGHT_KG, "kg"),
    ):
        if not (math.isfinite(value) and low <= value <= high):
            raise DataError(
                "body measurement out of range",
                field=field,
                value=value,
                allowed=f"{low:g}–{high:g} {unit}",
            )


def _round_half_up(value: float, step: float) -> float:
    """Round *value* to a multiple of *step*, halves away from zero (pharmacy rounding)."""
    quantum = Decimal(str(step))
    # Round to 9 decimals first so binary noise (0.7 × 1.65 = 1.1549999…) does not decide a half.
    units = (Decimal(str(round(value, 9))) / quantum).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return float(units * quantum)


def compute_bsa(height_cm: float, weight_kg: float, *, formula: str = "mosteller") -> float:
    """Body-surface area in m² (unrounded) by the named formula.

    Parameters
    ----------
    height_cm, weight_kg
        Height in cm and actual body weight in kg.
    formula
        ``"mosteller"`` (default; Mosteller 1987), ``"dubois"`` (DuBois 1916),
        ``"haycock"`` (Haycock 1978) or ``"gehan_george"`` (Gehan & George 1970).

    Returns
    -------
    float
        Body-surface area in m², not rounded.

    Raises
    ------
    DataError
        Height or weight missing, non-finite or implausible.
    RuleError
        Unknown formula.

    Examples
    --------
    170 cm and 70 kg: Mosteller √(170 · 70 / 3600) = 1.818 m², DuBois 1.810 m².

    >>> from oncotrial.rules import compute_bsa
    >>> round(compute_bsa(170, 70), 3)
    1.818
    >>> round(compute_bsa(170, 70, formula="dubois"), 3)
    1.81
    """
    _check_body(height_cm, weight_kg)
    if formula == "mosteller":
        return math.sqrt(height_cm * weight_kg / 3600.0)
    if formula == "dubois":
        return 0.007184 * math.pow(weight_kg, 0.425) * math.pow(height_cm, 0.725)
    if formula == "haycock":
        return 0.024265 * math.pow(weight_kg, 0.5378) * math.pow(height_cm, 0.3964)
    if formula == "gehan_george":
        return 0.0235 * math.pow(weight_kg, 0.51456) * math.pow(height_cm, 0.42246)
    allowed = ", ".join(BSA_FORMULAS)
    raise RuleError(f"formula={formula!r}: unknown BSA formula (allowed: {allowed})")


@dataclass(frozen=True)
class BsaResult:
    """BSA as computed and as used for dosing (rounded, then capped)."""

    bsa_m2: float
    bsa_used_m2: float
    formula: str
    capped: bool
    height_cm: float
    weight_kg: float


def compute_bsa_for_dosing(height_cm: float, weight_kg: float, *, policy: BsaPolicy) -> BsaResult:
    """BSA for dosing under the protocol's policy: formula, rounding to ``decimals``, cap.

    The formula name travels with the value (Cancer Council Australia: store the formula with
    every BSA).

    Parameters
    ----------
    height_cm, weight_kg
        Height in cm and body weight in kg.
    policy
        The protocol's BSA policy (``Protocol.bsa``): formula, decimals, cap.

    Returns
    -------
    BsaResult
        The unrounded BSA, the BSA used for dosing and whether the cap applied.

    Examples
    --------
    >>> from oncotrial.protocol import load_protocol
    >>> from oncotrial.rules import compute_bsa_for_dosing
    >>> policy = load_protocol().bsa          # LEADER: Mosteller, 2 decimals, no cap
    >>> bsa = compute_bsa_for_dosing(170, 70, policy=policy)
    >>> bsa.bsa_used_m2, bsa.formula, bsa.capped
    (1.82, 'mosteller', False)
    """
    raw = compute_bsa(height_cm, weight_kg, formula=policy.formula)
    used = _round_half_up(raw, 10.0**-policy.decimals)
    capped = policy.cap_m2 is not None and used > policy.cap_m2
    if capped and policy.cap_m2 is not None:
        used = policy.cap_m2
    return BsaResult(
        bsa_m2=raw,
        bsa_used_m2=used,
        formula=policy.formula,
        capped=capped,
        height_cm=height_cm,
        weight_kg=weight_kg,
    )


@dataclass(frozen=True)
class DoseAmount:
    """A per-m² dose converted to mg: ordered (exact) and administered (rounded)."""

    dose_per_m2: float
    bsa_m2: float
    ordered_mg: float
    dose_mg: float
    rounding_deviation_pct: float


def compute_dose_mg(dose_per_m2: float, *, bsa_m2: float, policy: BsaPolicy) -> DoseAmount:
    """Dose in mg = level (mg/m²) × BSA (m²), rounded to the protocol's step.

    Parameters
    ----------
    dose_per_m2
        The dose level in mg/m².
    bsa_m2
        The BSA used for dosing (:attr:`BsaResult.bsa_used_m2`).
    policy
        The protocol's BSA policy: rounding step and the largest rounding deviation allowed.

    Returns
    -------
    DoseAmount
        The ordered (exact) and administered (rounded) dose in mg and their difference in %.

    Raises
    ------
    DataError
        Non-positive dose level or BSA.
    RuleError
        Rounding would move the dose by more than ``policy.max_rounding_deviation_pct``
        (HOPA: rounding within 10 % of the ordered dose is acceptable).

    Examples
    --------
    Eribulin 1.1 mg/m² for a BSA of 1.82 m²: 2.002 mg ordered, 2.0 mg given (LEADER rounds to
    0.01 mg):

    >>> from oncotrial.protocol import load_protocol
    >>> from oncotrial.rules import compute_dose_mg
    >>> dose = compute_dose_mg(1.1, bsa_m2=1.82, policy=load_protocol().bsa)
    >>> round(dose.ordered_mg, 3), dose.dose_mg
    (2.002, 2.0)
    """
    if not dose_per_m2 > 0:
        raise DataError("dose level must be positive", field="dose_per_m2", value=dose_per_m2)
    if not bsa_m2 > 0:
        raise DataError("BSA must be positive", field="bsa_m2", value=bsa_m2)
    ordered = dose_per_m2 * bsa_m2
    given = _round_half_up(ordered, policy.dose_rounding_mg)
    deviation = abs(given - ordered) / ordered * 100.0
    if deviation > policy.max_rounding_deviation_pct:
        raise RuleError(
            f"rounding {ordered:.4g} mg to {given:g} mg deviates {deviation:.1f} % "
            f"(allowed ≤ {policy.max_rounding_deviation_pct:g} %; "
            f"step {policy.dose_rounding_mg:g} mg)"
        )
    return DoseAmount(
        dose_per_m2=dose_per_m2,
        bsa_m2=bsa_m2,
        ordered_mg=ordered,
        dose_mg=given,
        rounding_deviation_pct=deviation,
    )


def decide_bsa_recalculation(
    weight_kg: float, *, reference_weight_kg: float, policy: BsaPolicy
) -> bool:
    """True when weight changed by at least the protocol's threshold since the BSA was computed.

    Common practice (Cancer Council Australia eviQ): recompute BSA and dose when weight changes
    ≥ 10 % from the weight used; the threshold is ``policy.recalculate_weight_change_pct``.

    Parameters
    ----------
    weight_kg
        Today's weight in kg.
    reference_weight_kg
        The weight the current BSA was computed from.
    policy
        The protocol's BSA policy.

    Returns
    -------
    bool
        Whether BSA and the per-m² doses must be recomputed.

    Examples
    --------
    From 70 kg to 62 kg is an 11.4 % change: at or above LEADER's 10 %, so BSA is recomputed.

    >>> from oncotrial.protocol import load_protocol
    >>> from oncotrial.rules import decide_bsa_recalculation
    >>> policy = load_protocol().bsa
    >>> decide_bsa_recalculation(62.0, reference_weight_kg=70.0, policy=policy)
    True
    >>> decide_bsa_recalculation(64.0, reference_weight_kg=70.0, policy=policy)
    False
    """
    _check_body(150.0, weight_kg)
    _check_body(150.0, reference_weight_kg)
    change_pct = abs(weight_kg - reference_weight_kg) / reference_weight_kg * 100.0
    # Compare at 1e-9 precision so 10.000000000000002 % from float noise counts as 10 %.
    return round(change_pct, 9) >= policy.recalculate_weight_change_pct
