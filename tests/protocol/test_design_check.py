"""The protocol checks that its Simon boundaries meet its stated alpha and beta (Simon 1989)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from oncotrial.protocol import read_protocol_problems
from oncotrial.protocol.models import SimonDesignParameters, _simon_reject_probability


def _design(**kw: Any) -> SimonDesignParameters:
    return SimonDesignParameters.model_validate({"kind": "optimal", "source": "test"} | kw)


def test_power_matches_reference_edge_case() -> None:
    """p0 .10/p1 .30, 0/7, 3/18 has power 0.8000011 (design reference §1.2, clinfun 1.1.5)."""
    d = _design(p0=0.10, p1=0.30, alpha=0.10, beta=0.20, r1=0, n1=7, r=3, n=18)
    assert _simon_reject_probability(d, 0.30) == pytest.approx(0.8000011, abs=5e-8)


def test_leader_design_meets_alpha_and_beta() -> None:
    """The shipped 0/10, 3/29 design at .05/.20 has alpha ≤ .05 and power ≥ .80."""
    d = _design(p0=0.05, p1=0.20, alpha=0.05, beta=0.20, r1=0, n1=10, r=3, n=29)
    assert _simon_reject_probability(d, 0.05) <= 0.05
    assert _simon_reject_probability(d, 0.20) >= 0.80


def test_boundaries_that_miss_alpha_are_rejected(tmp_path: Path) -> None:
    """Lowering r to 1 raises the type I error above alpha; the protocol names where and why."""
    path = Path(__file__).resolve().parents[2] / "src/oncotrial/protocol/protocols/leader.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["phase_ii"]["design"]["r"] = 1
    bad = tmp_path / "p.yaml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    _, problems = read_protocol_problems(bad)
    assert any(
        p.startswith("phase_ii.design: boundaries 0/10, 1/29 give type I error") for p in problems
    )
