"""Fixtures for the report tests."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.report.synthetic import build_adam


@pytest.fixture

def adam() -> dict[str, pd.DataFrame]:
    """A 30-patient synthetic trial in ADaM form."""
    return build_adam(30, seed=7)
