"""Toxicity processes driven by the doses actually given (simulation.md §1.3, §2.7).

* Eribulin neutropenia: Friberg semi-mechanistic model with the eribulin parameters of
  van Hasselt et al. 2013 [S25] (baseline ANC 4.03 ×10⁹/L, mean transit time 109 h, feedback
  γ 0.216, linear drug effect 0.0451 L/µg) fed by a one-compartment eribulin concentration
  (t½ 40 h); the nadir falls around days 8–15 after a dose.
* Lenvatinib: platelet fall, blood-pressure rise (with an antihypertensive step-up rule) and
  proteinuria, each an exposure-driven process with its own onset time.
* Symptomatic AEs (fatigue, diarrhoea, PPE, …): per-cycle onset with rates from §1.3, grade
  mix and exponential duration; lenvatinib-attributed rates scale with dose / 14 mg.

Values are *measured* here (with visit noise); grading is done by ``oncotrial.rules.ctcae``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from oncotrial.sim.parameters import ToxicityParameters
from oncotrial.sim.patients import VirtualPatients

__all__ = ["LabSnapshot", "SymptomEvent", "ToxicityProcess"]

FloatArray = NDArray[np.float64]

SUBSTEPS = 4  # Euler sub-steps per day for the Friberg model (k_tr ≈ 0.88/day)
UG_PER_MG = 1000.0
MIN_PULSE_PRESSURE = 20.0  # mmHg; systolic − diastolic below this is not physiological


@dataclass(frozen=True)
class LabSnapshot:
    """Measured values of every patient at one visit (NaN = not measured)."""

    anc: FloatArray  # ×10⁹/L
    platelets: FloatArray  # ×10⁹/L
    urine_protein_g_24h: FloatArray
    systolic: FloatArray  # mmHg
    diastolic: FloatArray


@dataclass(frozen=True)
class SymptomEvent:
    """A symptomatic adverse event episode of one patient."""

    patient: int
    term: str
    grade: int
    start_day: int
    end_day: int
    drug: str  # attribution: "lenvatinib", "eribulin" or "both"
    intolerable: bool = False  # a grade 2 event the patient cannot tolerate


class ToxicityProcess:
    """Day-by-day toxicity state of the patients of one trial (vectorised over patients).

    The caller advances the process one day at a time with the doses given that day, and
    measures at visits; nothing here decides doses.
    """

    def __init__(self, patients: VirtualPatients, *, rng: np.random.Generator,
                 params: ToxicityParameters, reference_lenvatinib_mg: float) -> None:
        n = patients.n
        self.params = params
        self.ref_lenv = reference_lenvatinib_mg
        self.bsa = patients.bsa_m2
        z = rng.standard_normal((n, 8))
        self.anc0 = params.anc_baseline * np.exp(params.anc_iiv * z[:, 0])
        mtt_days = params.mtt_hours / 24.0 * np.exp(params.mtt_iiv * z[:, 1])
        self.ktr = 4.0 / mtt_days  # (n transit + 1) / MTT with 3 transit compartments
        self.slope = params.drug_slope_l_per_ug * np.exp(params.drug_slope_iiv * z[:, 2])
        self.plt0 = params.platelet_median * np.exp(params.platelet_sdlog * z[:, 3])
        self.plt_drop = params.platelet_drop_median * np.exp(params.platelet_drop_sdlog * z[:, 4])
        self.sbp0 = params.sbp_mean + params.sbp_sd * z[:, 5]
        self.dbp0 = params.dbp_mean + params.dbp_sd * z[:, 6]
        self.bp_rise = params.bp_rise_median_mmhg * np.exp(params.bp_rise_sdlog * z[:, 7])
        self.protein_rise = params.protein_rise_median_g * np.exp(
            params.protein_rise_sdlog * rng.standard_normal(n))
        self.compartments = np.repeat(self.anc0[:, None], 5, axis=1)  # prol, t1, t2, t3, circ
        self.concentration = np.zeros(n)  # eribulin µg/L
        self.exposure_fast = np.zeros(n)  # lenvatinib dose/ref smoothed over ~1 week
        self.exposure_slow = np.zeros(n)  # smoothed over ~6 weeks (proteinuria)
        self.antihypertensives = np.zeros(n, dtype=np.int64)
        self.day = 0

    def advance_day(self, *, lenvatinib_mg: FloatArray, eribulin_mg_m2: FloatArray) -> None:
        """Move one day forward; doses are given at the start of the day (0 = none)."""
        p = self.params
        v_l = p.eribulin_volume_l_per_m2 * self.bsa
        base_mg = eribulin_mg_m2 * self.bsa * p.eribulin_base_per_mesylate
        self.concentration = self.concentration + base_mg / v_l * UG_PER_MG
        k_el = math.log(2) / (p.eribulin_half_life_h / 24.0)
        dt = 1.0 / SUBSTEPS
        x = self.compartments
        for _ in range(SUBSTEPS):
            effect = np.minimum(self.slope * self.concentration, 1.0)
            feedback = (self.anc0 / np.maximum(x[:, 4], 1e-3)) ** p.feedback_gamma
            k = self.ktr
            d_prol = k * x[:, 0] * (1.0 - effect) * feedback - k * x[:, 0]
            d_t = k[:, None] * (x[:, :4] - x[:, 1:])
            x = x + dt * np.column_stack([d_prol, d_t])
            self.concentration = self.concentration * math.exp(-k_el * dt)
        self.compartments = x
        rel = lenvatinib_mg / self.ref_lenv
        self.exposure_fast += (rel - self.exposure_fast) * (1.0 - math.exp(-1.0 / p.bp_onset_days))
        self.exposure_slow += (rel - self.exposure_slow) * (
            1.0 - math.exp(-1.0 / p.protein_onset_days))
        self.day += 1

    def measure(self, rng: np.random.Generator) -> LabSnapshot:
        """Measured labs and blood pressure of every patient today (visit noise, misses)."""
        p = self.params
        n = self.anc0.shape[0]
        z = rng.standard_normal((n, 5))
        missing = rng.random(n) < p.p_missing_lab
        anc = self.compartments[:, 4] * np.exp(0.08 * z[:, 0])
        plt = self.plt0 * (1.0 - np.minimum(self.plt_drop * self.exposure_fast, 0.9)) * np.exp(
            0.08 * z[:, 1])
        protein = (p.protein_baseline_g + self.protein_rise * self.exposure_slow) * np.exp(
            0.25 * z[:, 2])
        lowered = p.antihypertensive_effect_mmhg * self.antihypertensives
        sbp = self.sbp0 + self.bp_rise * self.exposure_fast - lowered + p.bp_visit_sd * z[:, 3]
        dbp = (self.dbp0 + 0.6 * self.bp_rise * self.exposure_fast - 0.6 * lowered
               + 0.7 * p.bp_visit_sd * z[:, 4])
        sbp = np.maximum(sbp, 85.0)
        dbp = np.clip(dbp, 45.0, sbp - MIN_PULSE_PRESSURE)
        return LabSnapshot(
            anc=np.where(missing, np.nan, np.round(anc, 2)),
            platelets=np.where(missing, np.nan, np.round(plt, 0)),
            urine_protein_g_24h=np.round(protein, 2),
            systolic=np.round(sbp, 0), diastolic=np.round(dbp, 0),
        )

    def step_up_antihypertensives(self, systolic: FloatArray, diastolic: FloatArray) -> None:
        """Start or add an antihypertensive when BP ≥ 140/90 (lenvatinib label, §1.3)."""
        high = (systolic >= 140) | (diastolic >= 90)
        self.antihypertensives = np.where(high, np.minimum(self.antihypertensives + 1, 3),
                                          self.antihypertensives)


def _onset_share(cycle: NDArray[np.int64], median_weeks: float, cycle_length_days: int,
                 p_any: float) -> FloatArray:
    """Probability that an episode starts in cycle *cycle* (1-based) given none in earlier
    cycles, so that the cumulative probability over six cycles is *p_any* and onsets follow an
    exponential time to onset with the term's median (SELECT onset medians [S26]); after six
    cycles the sixth cycle's probability continues."""
    k = math.log(2) / (median_weeks * 7.0)
    horizon = 6 * cycle_length_days

    def cumulative(c: NDArray[np.int64]) -> FloatArray:
        t = np.minimum(c, 6) * cycle_length_days
        return p_any * (1.0 - np.exp(-k * t)) / (1.0 - math.exp(-k * horizon))

    c = np.clip(cycle, 1, 6)
    before = cumulative(c - 1)
    return (cumulative(c) - before) / (1.0 - before)


def draw_symptoms(rng: np.random.Generator, *, n: int, cycle: NDArray[np.int64], start_day: int,
                  cycle_length_days: int, lenvatinib_rel: FloatArray, on_treatment: FloatArray,
                  params: ToxicityParameters) -> list[SymptomEvent]:
    """Symptomatic AEs starting in each patient's cycle *cycle* (rates over 6 cycles from
    simulation.md §1.3, onset times from SELECT [S26])."""
    events: list[SymptomEvent] = []
    for term, p_any, p_severe, drug, onset_weeks in params.symptomatic:
        per_cycle = _onset_share(cycle, onset_weeks, cycle_length_days, p_any)
        scale = lenvatinib_rel if drug == "lenvatinib" else (
            0.5 + 0.5 * lenvatinib_rel if drug == "both" else np.ones(n))
        u = rng.random((n, 5))
        occurs = (u[:, 0] < per_cycle * scale) & (on_treatment > 0)
        severe = u[:, 1] < p_severe
        grade = np.where(severe, 3, np.where(u[:, 2] < 0.6, 1, 2))
        onset = start_day + np.floor(u[:, 3] * cycle_length_days).astype(np.int64)
        duration = 1 + np.floor(rng.exponential(params.symptom_duration_days, n)).astype(np.int64)
        persist = int(params.persistent_grade_2_days)
        for i in np.flatnonzero(occurs):
            g = 2 if term == "Alopecia" else int(min(grade[i], 2 if term == "Arthritis" else 3))
            start, end = int(onset[i]), int(onset[i] + duration[i])
            dose_limiting = g == 2 and term != "Alopecia"  # CTCAE: alopecia has no grade 3
            # "persistent or intolerable grade 2" (LENVIMA label, dose modifications): a
            # tolerated grade 2 still there at a cycle's day 1 after lasting `persist` days is
            # one the dose rules act on from that day (a new record with the flag); the
            # review at the next cycle's start is an ASSUMPTION
            review = start_day + cycle_length_days * math.ceil(
                (start + persist - start_day) / cycle_length_days)
            if dose_limiting and u[i, 4] >= params.p_intolerable_grade_2 and review <= end:
                events.append(SymptomEvent(int(i), term, g, start, review - 1, drug))
                events.append(SymptomEvent(int(i), term, g, review, end, drug, True))
                continue
            events.append(SymptomEvent(int(i), term, g, start, end, drug,
                                       bool(dose_limiting
                                            and u[i, 4] < params.p_intolerable_grade_2)))
    return events
