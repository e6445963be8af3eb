"""Builders of small RECIST engine inputs shared by the RECIST tests (holds no tests)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd

from oncotrial.rules import RecistSettings

START = date(2020, 1, 6)

LEADER = RecistSettings(
    confirmation_interval_days=28,
    min_sd_duration_days=42,
    too_small_to_measure_mm=5.0,
    max_target_lesions=5,
    max_target_per_organ=2,
)

Value = float | str | None


def _cell(value: Value) -> tuple[float, str]:
    """A target cell: number → measured, None → NOT DONE, a word → that state."""
    if value is None:
        return np.nan, "NOT DONE"
    if isinstance(value, str):
        return np.nan, value
    return float(value), ""


def build(
    days: Sequence[int],
    *,
    targets: Mapping[str, tuple[bool, Sequence[Value]]] | None = None,
    nontargets: Mapping[str, tuple[bool, Sequence[Value]]] | None = None,
    new: Sequence[tuple[int, str, str]] = (),
    subject: str = "S1",
    evaluator: str = "INVESTIGATOR",
    organs: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lesions and measurements for one subject; ``days`` after START (index 0 = baseline)."""
    lesions: list[dict[str, object]] = []
    rows: list[dict[str, object]] = []
    organs = organs or {}

    def add(lesion_id: str, visit: int, value: Value) -> None:
        diameter, state = _cell(value)
        if isinstance(value, str) and value in {"PRESENT", "ABSENT", "UNEQUIVOCAL", "NOT DONE"}:
            diameter = np.nan
        rows.append(
            {
                "subject": subject,
                "evaluator": evaluator,
                "lesion_id": lesion_id,
                "visitnum": float(visit),
                "visit": f"V{visit}",
                "date": pd.Timestamp(START + timedelta(days=days[visit])),
                "diameter_mm": diameter,
                "state": state,
            }
        )

    for role, spec in (("TARGET", targets or {}), ("NON-TARGET", nontargets or {})):
        for lesion_id, (nodal, values) in spec.items():
            lesions.append(
                {
                    "subject": subject,
                    "evaluator": evaluator,
                    "lesion_id": lesion_id,
                    "role": role,
                    "organ": organs.get(lesion_id, lesion_id),
                    "nodal": nodal,
                }
            )
            for visit, value in enumerate(values):
                add(lesion_id, visit, value)
    for visit, lesion_id, state in new:
        if not any(les["lesion_id"] == lesion_id for les in lesions):
            lesions.append(
                {
                    "subject": subject,
                    "evaluator": evaluator,
                    "lesion_id": lesion_id,
                    "role": "NEW",
                    "organ": "LIVER",
                    "nodal": False,
                }
            )
        add(lesion_id, visit, state)
    return pd.DataFrame(lesions), pd.DataFrame(rows)


def reference(subject: str = "S1", day: int = 0) -> pd.DataFrame:
    """A reference-date frame (first dose ``day`` days after START)."""
    return pd.DataFrame(
        {"subject": [subject], "reference_date": [pd.Timestamp(START + timedelta(days=day))]}
    )


def sequence(responses: Sequence[tuple[int, str]], subject: str = "S1") -> pd.DataFrame:
    """A timepoint frame from (day after START, overall response) pairs."""
    return pd.DataFrame(
        {
            "subject": subject,
            "evaluator": "INVESTIGATOR",
            "date": [pd.Timestamp(START + timedelta(days=d)) for d, _ in responses],
            "overall_response": [r for _, r in responses],
        }
    )
