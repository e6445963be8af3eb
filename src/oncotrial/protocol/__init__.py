"""The protocol model and loader (LEADER, NCT03526679, ships as the default protocol)."""

from oncotrial.protocol.loader import load_protocol, read_protocol_problems
from oncotrial.protocol.models import (
    Assessment,
    BsaPolicy,
    CohortAction,
    CohortRule,
    Criterion,
    DltCriterion,
    DltDefinition,
    DoseModificationParameter,
    Drug,
    PhaseIb,
    PhaseII,
    Population,
    Protocol,
    RecistParameters,
    Regimen,
    SimonDesignParameters,
    find_protocol_problems,
)

__all__ = [
    "Assessment",
    "BsaPolicy",
    "CohortAction",
    "CohortRule",
    "Criterion",
    "DltCriterion",
    "DltDefinition",
    "DoseModificationParameter",
    "Drug",
    "PhaseII",
    "PhaseIb",
    "Population",
    "Protocol",
    "RecistParameters",
    "Regimen",
    "SimonDesignParameters",
    "find_protocol_problems",
    "load_protocol",
    "read_protocol_problems",
]
