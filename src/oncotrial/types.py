"""Closed vocabularies shared by every layer."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "Channel",
    "DoseAction",
    "Histology",
    "Phase",
    "Response",
    "Role",
]


class Histology(StrEnum):
    """Histologies eligible for LEADER."""

    LMS = "LMS"  # leiomyosarcoma
    LPS = "LPS"  # liposarcoma


class Phase(StrEnum):
    """Trial phase of an enrolled subject."""

    IB = "Ib"
    II = "II"


class Response(StrEnum):
    """RECIST 1.1 response categories (timepoint and best overall)."""

    CR = "CR"
    PR = "PR"
    SD = "SD"
    NON_CR_NON_PD = "NON-CR/NON-PD"
    PD = "PD"
    NE = "NE"
    ND = "ND"  # not done / no assessment


class DoseAction(StrEnum):
    """What happens to one drug at one dosing decision."""

    GIVE = "give"
    HOLD = "hold"
    REDUCE = "reduce"
    OMIT = "omit"
    DISCONTINUE = "discontinue"


class Role(StrEnum):
    """User roles in the EDC."""

    INVESTIGATOR = "investigator"
    COORDINATOR = "coordinator"
    MONITOR = "monitor"
    DATA_MANAGER = "data_manager"
    STATISTICIAN = "statistician"
    ADMIN = "admin"


class Channel(StrEnum):
    """How a change reached the store (recorded in the audit log)."""

    UI = "UI"
    API = "API"
    IMPORT = "import"
    DERIVATION = "derivation"
    SIMULATION = "simulation"
    CLI = "CLI"
