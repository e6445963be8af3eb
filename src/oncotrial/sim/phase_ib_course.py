"""The published course of LEADER's phase Ib, against many simulated phase Ib cohorts.

Chen et al., Clin Cancer Res 2022;28:5058 (abstract): 6 patients at lenvatinib 18 mg +
eribulin 1.1 mg/m²; one DLT (grade 2 arthritis that interrupted lenvatinib in cycle 1); 4 of the
6 reduced lenvatinib to 14 mg between cycles 2 and 3. Each simulated cohort is 6 virtual
patients treated at the start regimen for the first ``cycles`` cycles through the detailed
simulator (dose decisions of :func:`oncotrial.rules.dosing.decide_dose`, DLTs classified by the
protocol's definition in the DLT window); the share of cohorts with the published counts, and
whether the published counts fall inside the simulated 5–95 % range, say how typical the
published course is under the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from oncotrial.errors import DataError
from oncotrial.protocol import Protocol
from oncotrial.rules import classify_dlt
from oncotrial.sim._draws import draw_patients
from oncotrial.sim._treatment import LENVATINIB, treat
from oncotrial.sim.design import design_from_protocol
from oncotrial.sim.fast import compute_horizon
from oncotrial.sim.parameters import SimParameters
from oncotrial.sim.patients import make_patients
from oncotrial.sim.trial import _course_aes, _dlt_events, modified_within

__all__ = ["PUBLISHED_IB", "PhaseIbCourse", "simulate_phase_ib_course"]

#: (patients, DLTs, lenvatinib reduced by cycle 3), Chen 2022 CCR 28:5058 abstract
PUBLISHED_IB = (6, 1, 4)


@dataclass(frozen=True)
class PhaseIbCourse:
    """DLT and reduction counts of simulated 6-patient cohorts at the start regimen."""

    regimen: str
    cohort: int
    cycles: int
    dlts: NDArray[np.int64]  # per simulated cohort
    reduced: NDArray[np.int64]  # per simulated cohort: lenvatinib reduced within `cycles`

    def share(self, counts: NDArray[np.int64], value: int, *, at_least: bool = False) -> float:
        """Share of cohorts with exactly (or at least) *value*."""
        hit = counts >= value if at_least else counts == value
        return float(hit.mean())

    def range_5_95(self, counts: NDArray[np.int64]) -> tuple[float, float]:
        """5th and 95th percentile of a count over the simulated cohorts."""
        low, high = np.percentile(counts, [5, 95], method="inverted_cdf")  # counts stay whole
        return float(low), float(high)


def simulate_phase_ib_course(protocol: Protocol, *, params: SimParameters, n_cohorts: int = 200,
                             cohort: int = 6, cycles: int = 3, seed: int = 2022
                             ) -> PhaseIbCourse:
    """Treat ``n_cohorts`` cohorts of ``cohort`` virtual patients at the protocol's start
    regimen for ``cycles`` cycles; count DLTs (DLT window, protocol definition) and patients
    whose lenvatinib was reduced (or stopped) within those cycles.

    Parameters
    ----------
    protocol
        The trial protocol (start regimen, DLT window and definition, dose rules).
    params
        Model parameters (population and toxicity).
    n_cohorts
        Number of simulated cohorts.
    cohort
        Patients per cohort (6 in LEADER's phase Ib, Chen et al. 2022).
    cycles
        Cycles of treatment observed (3: the published reductions happened by cycle 3).
    seed
        Seed of ``numpy.random.default_rng``; the same seed gives the same cohorts.

    Returns
    -------
    PhaseIbCourse
        DLTs and patients with lenvatinib reduced, counted per cohort; compare them with
        :data:`PUBLISHED_IB` (6 patients, 1 DLT, 4 reduced).

    Raises
    ------
    DataError
        If *n_cohorts*, *cohort* or *cycles* is below 1.
    """
    if n_cohorts < 1 or cohort < 1 or cycles < 1:
        raise DataError("counts must be positive", field="n_cohorts/cohort/cycles",
                        value=f"{n_cohorts}/{cohort}/{cycles}", allowed=">= 1")
    ib = protocol.phase_ib
    regimen = protocol.regimen(ib.start_regimen)
    design = design_from_protocol(protocol)
    n_scans, _ = compute_horizon(design, params)
    rng = np.random.default_rng(seed)
    n = n_cohorts * cohort
    patients = make_patients(draw_patients(rng, n, n_scans=n_scans), params=params.population)
    last_day = cycles * protocol.cycle_length_days
    course = treat(patients, start_levels=[dict(regimen.doses)] * n,
                   end_day=np.full(n, last_day, dtype=np.int64), protocol=protocol,
                   rng=np.random.default_rng(rng.integers(2**63)), params=params.toxicity,
                   reference_lenvatinib_mg=design.reference_lenvatinib_mg)
    aes = _course_aes(course)
    dlt = np.array([
        classify_dlt(_dlt_events(p, aes, course, ib.dlt_window_days), protocol=protocol).is_dlt
        for p in range(n)])
    reduced = modified_within(course, n, drug=LENVATINIB, start_mg=regimen.doses[LENVATINIB],
                              last_day=last_day)
    return PhaseIbCourse(
        regimen=regimen.name, cohort=cohort, cycles=cycles,
        dlts=dlt.reshape(n_cohorts, cohort).sum(axis=1).astype(np.int64),
        reduced=reduced.reshape(n_cohorts, cohort).sum(axis=1).astype(np.int64))
