"""Fixtures for the statistics tests: reference tables kept in ``tests/reference/``."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def read_reference(name: str) -> list[dict[str, str]]:
    """Rows of a reference CSV, skipping its ``#`` provenance header."""
    with (REFERENCE / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


@pytest.fixture(scope="session")
def reference() -> Callable[[str], list[dict[str, str]]]:
    """The reference-table reader."""
    return read_reference
