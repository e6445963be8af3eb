"""Virtual patients and virtual trials for LEADER-type designs (plain records out, no DB).

The model (patients, Claret–Bruno tumour dynamics, RECIST observation, events) is shared by the
fast path for many trials (:func:`simulate_trials`) and the detailed path where every dose comes
from ``oncotrial.rules.decide_dose``.  Assumptions are named once in :mod:`.parameters`.
"""

from oncotrial.sim.calibration import (
    PUBLISHED_TARGETS,
    CalibrationReport,
    CalibrationRow,
    PublishedTarget,
    estimate_calibration,
    fit_kinetics,
)
from oncotrial.sim.design import TrialDesign, design_from_protocol
from oncotrial.sim.fast import TrialSummaries, simulate_trials, trial_seed
from oncotrial.sim.oc import (
    DEFAULT_SCENARIOS,
    OperatingCharacteristics,
    Scenario,
    estimate_operating_characteristics,
    simulate_trials_parallel,
)
from oncotrial.sim.parameters import DEFAULT_PARAMETERS, SimParameters
from oncotrial.sim.patients import VirtualPatients, simulate_patients
from oncotrial.sim.trial import AdverseEventRecord, SimulatedTrial, simulate_trial

__all__ = [
    "DEFAULT_PARAMETERS",
    "DEFAULT_SCENARIOS",
    "PUBLISHED_TARGETS",
    "AdverseEventRecord",
    "CalibrationReport",
    "CalibrationRow",
    "OperatingCharacteristics",
    "PublishedTarget",
    "Scenario",
    "SimParameters",
    "SimulatedTrial",
    "TrialDesign",
    "TrialSummaries",
    "VirtualPatients",
    "design_from_protocol",
    "estimate_calibration",
    "estimate_operating_characteristics",
    "fit_kinetics",
    "simulate_patients",
    "simulate_trial",
    "simulate_trials",
    "simulate_trials_parallel",
    "trial_seed",
]
