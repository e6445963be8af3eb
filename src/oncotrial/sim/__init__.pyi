# Public names of oncotrial.sim, loaded on first use (lazy_loader reads this stub;
# type checkers read it as the package's interface).
from .calibration import (
    PUBLISHED_TARGETS as PUBLISHED_TARGETS,
)
from .calibration import (
    CalibrationReport as CalibrationReport,
)
from .calibration import (
    CalibrationRow as CalibrationRow,
)
from .calibration import (
    PublishedTarget as PublishedTarget,
)
from .calibration import (
    estimate_calibration as estimate_calibration,
)
from .calibration import (
    fit_kinetics as fit_kinetics,
)
from .design import (
    TrialDesign as TrialDesign,
)
from .design import (
    design_from_protocol as design_from_protocol,
)
from .fast import (
    TrialSummaries as TrialSummaries,
)
from .fast import (
    simulate_trials as simulate_trials,
)
from .fast import (
    trial_seed as trial_seed,
)
from .oc import (
    DEFAULT_SCENARIOS as DEFAULT_SCENARIOS,
)
from .oc import (
    OperatingCharacteristics as OperatingCharacteristics,
)
from .oc import (
    Scenario as Scenario,
)
from .oc import (
    estimate_operating_characteristics as estimate_operating_characteristics,
)
from .oc import (
    simulate_trials_parallel as simulate_trials_parallel,
)
from .parameters import (
    DEFAULT_PARAMETERS as DEFAULT_PARAMETERS,
)
from .parameters import (
    SimParameters as SimParameters,
)
from .patients import (
    VirtualPatients as VirtualPatients,
)
from .patients import (
    simulate_patients as simulate_patients,
)
from .trial import (
    AdverseEventRecord as AdverseEventRecord,
)
from .trial import (
    SimulatedTrial as SimulatedTrial,
)
from .trial import (
    simulate_trial as simulate_trial,
)

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
