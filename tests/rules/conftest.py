"""Fixtures for the dosing, BSA, DLT and eligibility tests (engineer A's rule modules)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from oncotrial.protocol import Protocol, load_protocol

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def read_reference_csv(name: str) -> list[dict[str, str]]:
    """Rows of a ``tests/reference`` CSV whose header lines start with ``#``."""
    with (REFERENCE / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


@pytest.fixture(scope="session")
def leader() -> Protocol:
    """The shipped LEADER protocol."""
    return load_protocol()
