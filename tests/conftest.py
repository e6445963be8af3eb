"""Shared fixtures: seeded randomness and the environment of real external services."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest


def find_shared() -> Path:
    """The read-only ``shared/`` folder: ``$ONCOTRIAL_SHARED_DIR`` if set, else beside the
    checkout (``../shared``)."""
    override = os.environ.get("ONCOTRIAL_SHARED_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "shared"


SHARED = find_shared()


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator; tests never use global random state."""
    return np.random.default_rng(20180601)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only ``shared/`` folder beside the checkout (reference data, validation files)."""
    if not SHARED.is_dir():
        if os.environ.get("ONCOTRIAL_SHARED_OPTIONAL"):  # set by .ci/run when there is none
            pytest.skip(f"shared/ folder not found at {SHARED}: outside validation files absent")
        pytest.fail(f"shared/ folder not found at {SHARED}; set ONCOTRIAL_SHARED_DIR to its path")
    return SHARED


def require_env(name: str, what: str) -> str:
    """Return env var *name*; skip locally when unset, but fail under CI where it must be set."""
    value = os.environ.get(name)
    if value:
        return value
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not set in CI: .ci/run must provide {what}")
    pytest.skip(f"{name} not set: {what} is not available on this machine")
