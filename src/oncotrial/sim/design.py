"""The protocol values the simulator needs, read from the protocol (never library defaults)."""

from __future__ import annotations

from dataclasses import dataclass

from oncotrial.errors import ProtocolError
from oncotrial.protocol import Protocol

__all__ = ["TrialDesign", "design_from_protocol"]


@dataclass(frozen=True)
class TrialDesign:
    """Schedule, RECIST and Simon-design values of one protocol, flattened for the simulator."""

    cycle_length_days: int
    imaging_interval_days: int
    imaging_window_days: int
    confirmation_interval_days: int
    min_sd_duration_days: int
    too_small_to_measure_mm: float
    reference_lenvatinib_mg: float  # RP2D lenvatinib dose: E = 1 at this dose
    reference_eribulin_mg_m2: float  # RP2D eribulin dose per m²
    eribulin_days: tuple[int, ...]
    simon_r1: int
    simon_n1: int
    simon_r: int
    simon_n: int


def _regimen_dose(protocol: Protocol, regimen_name: str, drug: str) -> float:
    for regimen in protocol.phase_ib.regimens:
        if regimen.name == regimen_name and drug in regimen.doses:
            return float(regimen.doses[drug])
    raise ProtocolError(
        f"phase_ii.rp2d_regimen={regimen_name!r}: no {drug} dose in the phase Ib regimens "
        f"({', '.join(r.name for r in protocol.phase_ib.regimens)})"
    )


def design_from_protocol(protocol: Protocol) -> TrialDesign:
    """Read the simulator's design values from a loaded protocol.

    Parameters
    ----------
    protocol
        The loaded protocol file.

    Returns
    -------
    TrialDesign
        Cycle length, RECIST imaging schedule and thresholds, the RP2D's lenvatinib and
        eribulin doses, the eribulin days and the Simon ``r1``, ``n1``, ``r``, ``n``.

    Raises
    ------
    ProtocolError
        The protocol has no ``eribulin`` drug, or the phase II RP2D regimen has no lenvatinib
        or eribulin dose among the phase Ib regimens.
    """
    recist = protocol.recist
    simon = protocol.phase_ii.design
    eribulin = next((d for d in protocol.drugs if d.name == "eribulin"), None)
    if eribulin is None:
        raise ProtocolError("drugs: the simulator needs an 'eribulin' entry")
    rp2d = protocol.phase_ii.rp2d_regimen
    return TrialDesign(
        cycle_length_days=protocol.cycle_length_days,
        imaging_interval_days=recist.imaging_interval_days,
        imaging_window_days=recist.imaging_window_days,
        confirmation_interval_days=recist.confirmation_interval_days,
        min_sd_duration_days=recist.min_sd_duration_days,
        too_small_to_measure_mm=recist.too_small_to_measure_mm,
        reference_lenvatinib_mg=_regimen_dose(protocol, rp2d, "lenvatinib"),
        reference_eribulin_mg_m2=_regimen_dose(protocol, rp2d, "eribulin"),
        eribulin_days=tuple(eribulin.days),
        simon_r1=simon.r1,
        simon_n1=simon.n1,
        simon_r=simon.r,
        simon_n=simon.n,
    )
