"""Fixtures of the simulator tests: the shipped LEADER protocol flattened for the simulator."""

from __future__ import annotations

import pytest

from oncotrial.protocol import Protocol, load_protocol
from oncotrial.sim.design import TrialDesign, design_from_protocol


@pytest.fixture(scope="session")
def leader() -> Protocol:
    """The shipped LEADER protocol."""
    return load_protocol()


@pytest.fixture(scope="session")
def design(leader: Protocol) -> TrialDesign:
    """LEADER's schedule, RECIST and Simon values."""
    return design_from_protocol(leader)
