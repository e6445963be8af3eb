"""Every modelling assumption of the virtual LEADER trial, named once, with its source.

Sources are the numbered references of ``shared/reference/simulation.md`` ([S1] Chen 2022 CCR
LEADER; [S8] Blay 2019 BJC eribulin LMS subgroup; [S12] Kawai eribulin phase 2; [S17] Claret 2009;
[S18] jmpost; [S22] Oxnard 2011; [S25] van Hasselt 2013; [S26] SELECT AE timing; [S27] Zhu 2016
lenvatinib meta-analysis; [S32] CTCAE v5 hypertension; [S34] Cancers 2025 sarcoma metastases;
[S35] Chawla 2016).  Entries marked ASSUMPTION are modelling choices, not data; entries marked
CALIBRATED were fitted with :func:`oncotrial.sim.calibration.fit_kinetics` so that
simulated 30-patient trials reproduce LEADER's confirmed ORR (20 %) and median PFS (8.56 months).

Protocol values (cycle length, scan interval and window, confirmation interval, minimum SD
duration, "too small to measure", dose levels) are *not* here: they come from the protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_PARAMETERS",
    "DoseIntensityParameters",
    "EventParameters",
    "ObservationParameters",
    "PopulationParameters",
    "SimParameters",
    "ToxicityParameters",
    "TumourParameters",
]

DAYS_PER_MONTH = 30.4375  # 365.25 / 12, the convention of the ADaM/analysis layer


@dataclass(frozen=True)
class PopulationParameters:
    """Baseline characteristics of enrolled patients (simulation.md §4)."""

    p_lms: float = 21 / 30  # LEADER: LMS 21, LPS 9 of 30 [S1]
    p_lms_uterine: float = 0.42  # eribulin LMS subgroup, 42 % uterine [S8]
    # Female share among non-uterine patients: 0.48 makes the overall share ~63 % as in the
    # Japanese eribulin LPS/LMS cohort [S12] (ASSUMPTION).
    p_female_other: float = 0.48
    age_mean: float = 58.0  # LEADER median age 59 [S1]; normal spread ASSUMPTION
    age_sd: float = 11.0
    age_min: float = 20.0
    age_max: float = 85.0
    # Taiwanese adults (ASSUMPTION): gives BSA ~1.55 m² (women) and ~1.8 m² (men), §4.
    height_mean_cm: tuple[float, float] = (156.0, 168.0)  # (female, male)
    height_sd_cm: float = 6.0
    weight_median_kg: tuple[float, float] = (56.0, 68.0)  # (female, male), log-normal
    weight_sdlog: float = 0.15
    ecog_probs: tuple[float, float, float] = (0.50, 0.47, 0.03)  # ASSUMPTION; [S12] 57 % ECOG 0
    # Prior systemic lines 0/1/2: eligibility ≤ 2 lines [S2]; split ASSUMPTION.
    prior_lines_probs: tuple[float, float, float] = (0.15, 0.50, 0.35)
    # Number of target lesions 1..5 (ASSUMPTION, §4).
    n_target_probs: tuple[float, ...] = (0.25, 0.25, 0.20, 0.15, 0.15)
    # Organ of each target lesion by histology (ASSUMPTION; LMS lung-dominant [S34]).
    organs: tuple[str, ...] = (
        "LUNG", "LIVER", "PERITONEUM", "RETROPERITONEUM", "SOFT TISSUE", "BONE", "LYMPH NODE",
    )
    organ_probs_lms: tuple[float, ...] = (0.45, 0.18, 0.10, 0.07, 0.10, 0.04, 0.06)
    organ_probs_lps: tuple[float, ...] = (0.10, 0.05, 0.25, 0.40, 0.12, 0.03, 0.05)
    p_second_lesion_same_organ: float = 0.4  # ASSUMPTION (RECIST allows ≤ 2 per organ)
    # Longest diameter (short axis for nodes) log-normal, median 32 mm, SD(log) 0.55, ≥ 10 mm
    # (≥ 15 mm for nodes: RECIST 1.1 measurability) — ASSUMPTION, §4.
    lesion_median_mm: float = 32.0
    lesion_sdlog: float = 0.55
    lesion_min_mm: float = 10.0
    node_min_mm: float = 15.0
    non_target_mean: float = 1.5  # Poisson mean number of non-target lesions (ASSUMPTION)


@dataclass(frozen=True)
class TumourParameters:
    """Claret–Bruno growth-inhibition-resistance model, per day (simulation.md §2.1, §3.5).

    ``log(S(t)/S0) = g·t − ∫₀ᵗ p·E(τ)·exp(−c·τ) dτ`` [S17][S18]; log-normal between-patient
    variability ``θ_i = θ·exp(η_i)``; each lesion's kill is the patient's times ``exp(ζ)``.
    """

    g: float = 0.0013  # growth per day, §3.5 calibration ([S18] order-of-magnitude check)
    p: float = 0.00435  # kill per day at full intensity; CALIBRATED
    c: float = 0.00789  # decay of kill (resistance) per day; CALIBRATED
    omega_g: float = 0.7  # log-scale SD, §2.2 (ω 0.6–0.9 realistic [S24])
    omega_p: float = 0.68
    omega_c: float = 0.6
    lps_kill_factor: float = 0.9  # LPS responds less to VEGFR TKIs (§1.2 take-away), ASSUMPTION
    lesion_kill_sd: float = 0.25  # lesion-level log-SD of kill, §3.5
    weight_lenvatinib: float = 0.5  # E(t) = w_L·dose_L/ref_L + w_E·RDI_E (§2.7), ASSUMPTION
    max_log_ratio: float = 5.0  # clip of log(S/S0) for numerical safety (§3.3 sketch)


@dataclass(frozen=True)
class ObservationParameters:
    """RECIST measurement model (simulation.md §2.3): ``round(true·exp(ε₁) + ε₂)``."""

    measurement_cv: float = 0.08  # ε₁ SD; same-day repeat CT ≈ 5 % single reader [S22], + readers
    measurement_sd_mm: float = 1.0  # ε₂ SD in mm (§2.3)
    disappeared_below_mm: float = 3.0  # true size below this reads as 0 mm (§2.3)
    p_missed_scan: float = 0.03  # missed scans 2–5 % (§4, ASSUMPTION)
    baseline_window_days: int = 28  # baseline scan ≤ 28 days before C1D1 (RECIST 1.1 [S23])


@dataclass(frozen=True)
class EventParameters:
    """New lesions, death, dropout, accrual and cut-off (simulation.md §2.4, §2.5, §4)."""

    new_lesion_h0: float = 0.00035  # per day, h = h0·(S/S0)^γ, §3.5
    new_lesion_gamma: float = 2.0
    death_hazard_per_month: float = 0.005  # death before progression ≤ 1 %/month (§2.5)
    dropout_hazard_per_month: float = 0.007  # withdrawal 0.5–1 %/month (§2.5)
    pps_median_months: float = 9.0  # post-progression survival log-normal median 8–12 (§2.5)
    pps_sdlog: float = 0.8  # ASSUMPTION
    accrual_months: float = 30.0  # §4 ASSUMPTION (LEADER accrual period not public)
    followup_months: float = 12.0  # cut-off ~12 months after the last patient (§4)
    hazard_grid_days: int = 7  # integration step of the new-lesion hazard


@dataclass(frozen=True)
class DoseIntensityParameters:
    """Dose-intensity model of the fast path, matched to the detailed path's dosing.

    Per patient, relative dose intensity ``Beta(a, b)`` while on treatment, and a per-cycle
    probability of stopping treatment for toxicity (simulation.md §3.5 uses Beta(8, 2); the
    AE-discontinuation rate 5–15 % is §1.3).  ``tests/sim`` checks these against the detailed
    path, where doses come from ``oncotrial.rules.decide_dose``.
    """

    # Moment-matched to the detailed path at the RP2D (12 trials, seeds 100–111, 234 phase II
    # patients: mean on-treatment intensity 0.80, SD 0.19; 0.0022 stops of both drugs per cycle).
    rdi_a: float = 2.96
    rdi_b: float = 0.75
    p_stop_per_cycle: float = 0.0022


@dataclass(frozen=True)
class ToxicityParameters:
    """Lab, vital-sign and symptomatic AE processes (simulation.md §1.3, §2.7)."""

    # Eribulin neutropenia: Friberg model [S25]: baseline ANC 4.03 ×10⁹/L (IIV 37 %), mean
    # transit time 109 h (IIV 14 %), feedback γ 0.216, slope 0.0451 L/µg (IIV 54 %).
    anc_baseline: float = 4.03
    anc_iiv: float = 0.37
    mtt_hours: float = 109.0
    mtt_iiv: float = 0.14
    feedback_gamma: float = 0.216
    drug_slope_l_per_ug: float = 0.0451
    drug_slope_iiv: float = 0.54
    eribulin_half_life_h: float = 40.0  # label (§2.7)
    # Doses are mesylate (US); concentrations are of eribulin base: 1.4 mg/m² mesylate ≡ 1.23
    # base (clinical_rules.md §2).
    eribulin_base_per_mesylate: float = 1.23 / 1.4
    # One-compartment proxy; label volume of distribution 43–114 L/m² (upper end), ASSUMPTION.
    eribulin_volume_l_per_m2: float = 114.0
    # Platelets: baseline log-normal ×10⁹/L and a lenvatinib-driven fall (ASSUMPTION; ≤ 10 %
    # grade ≥ 3 target, §1.3).
    platelet_median: float = 250.0
    platelet_sdlog: float = 0.25
    platelet_drop_median: float = 0.15  # fractional fall at 14 mg steady state
    platelet_drop_sdlog: float = 0.6
    # Blood pressure: baseline and a lenvatinib-driven rise with ~1-week onset (§2.7).
    # CALIBRATED: a heavy-tailed rise (median 4 mmHg, SD(log) 1.5: most patients rise a little,
    # a few a lot) puts treatment-emergent hypertension at the RP2D inside the component range
    # (any grade 40–69 %: LENVIMA HCC 12 mg to DTC 24 mg) with grade ≥ 3 ≥ 10 % [S27], within
    # days of the first dose (onset 3 days); a visit's value is the mean of two readings
    # (ESH 2018 office measurement), hence SD 6/√2 mmHg.
    sbp_mean: float = 126.0
    sbp_sd: float = 10.0
    dbp_mean: float = 78.0
    dbp_sd: float = 7.0
    bp_rise_median_mmhg: float = 4.0  # SBP rise at 14 mg steady state (median); DBP rises 0.6×
    bp_rise_sdlog: float = 1.5
    bp_onset_days: float = 3.0
    bp_visit_sd: float = 4.2
    antihypertensive_effect_mmhg: float = 10.0  # per drug started (step-up rule, §2.7)
    # Proteinuria g/24 h: a lenvatinib-driven rise with median onset ~6 weeks [S26].
    # CALIBRATED: baseline 0.07 g and a heavy-tailed rise (median 0.25 g, SD(log) 1.9) put
    # any-grade proteinuria at the RP2D inside the component range (19–32 %, SELECT 24 mg
    # scaled to 14 mg [S26]); grade ≥ 3 stays below SELECT's because the hold at ≥ 2 g/24 h
    # (LENVIMA Table 1) on this visit schedule stops most rises before 3.5 g.
    protein_baseline_g: float = 0.07
    protein_rise_median_g: float = 0.25
    protein_rise_sdlog: float = 1.9
    protein_onset_days: float = 42.0
    # Symptomatic AEs: (CTCAE term, cumulative any-grade probability over 6 cycles at 14 mg,
    # share of grade ≥ 3 among episodes, drug attribution, median weeks to first onset).
    # CALIBRATED so that patients treated at the RP2D for six cycles land inside the ranges
    # assembled from the component studies (sim/data/component_ae_rates.csv, shown by
    # `oncotrial sim calibrate`); alopecia and arthritis have no sourced rate (§1.3, [S1]).
    # Onset medians: SELECT fatigue 3.0, diarrhoea 12.1, PPE 5.9 weeks [S26]; the others are
    # ASSUMPTIONS (eribulin nausea and alopecia early, cumulative neuropathy late).
    symptomatic: tuple[tuple[str, float, float, str, float], ...] = field(
        default=(
            ("Fatigue", 0.60, 0.09, "both", 3.0),
            ("Diarrhea", 0.50, 0.12, "lenvatinib", 12.1),
            ("Palmar-plantar erythrodysesthesia syndrome", 0.26, 0.08, "lenvatinib", 5.9),
            ("Anorexia", 0.40, 0.03, "both", 4.0),
            ("Nausea", 0.42, 0.02, "eribulin", 1.0),
            ("Mucositis oral", 0.25, 0.03, "lenvatinib", 4.0),
            ("Alopecia", 0.35, 0.0, "eribulin", 4.0),
            ("Peripheral sensory neuropathy", 0.18, 0.04, "eribulin", 12.0),
            ("Arthralgia", 0.15, 0.01, "both", 6.0),
            ("Arthritis", 0.05, 0.0, "lenvatinib", 4.0),
        )
    )
    # LENVIMA label dose modifications: "persistent or intolerable grade 2" → withhold, resume
    # one level lower. CALIBRATED (with the onset times above) so that 6 patients at 18 mg
    # have the published course inside the simulated 5–95 % range (1 DLT; 4/6 reduced by
    # cycle 3 [S1]): a grade 2 episode is intolerable from onset with this probability, and
    # persistent when it has lasted this many days by the next cycle's day 1 (ASSUMPTIONS).
    p_intolerable_grade_2: float = 0.15
    persistent_grade_2_days: float = 7.0
    p_fever_if_neutropenic: float = 0.03  # febrile episode at a visit with ANC < 1.0, ASSUMPTION
    symptom_duration_days: float = 10.0  # mean (exponential) duration of a symptomatic episode
    p_missing_lab: float = 0.03  # lab value missing at a visit 2–5 % (§4)


@dataclass(frozen=True)
class SimParameters:
    """All blocks together; the default is the calibrated LEADER-like set."""

    population: PopulationParameters = field(default_factory=PopulationParameters)
    tumour: TumourParameters = field(default_factory=TumourParameters)
    observation: ObservationParameters = field(default_factory=ObservationParameters)
    events: EventParameters = field(default_factory=EventParameters)
    dose_intensity: DoseIntensityParameters = field(default_factory=DoseIntensityParameters)
    toxicity: ToxicityParameters = field(default_factory=ToxicityParameters)


DEFAULT_PARAMETERS = SimParameters()
