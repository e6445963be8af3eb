"""The combination's expected safety profile from its components, against the virtual trial's.

LEADER's adverse-event table is not public, so the expected per-term incidences of lenvatinib +
eribulin are assembled from each drug's own studies (``data/component_ae_rates.csv``, every row
with its source) by two stated rules:

* **Dose**: a drug's incidence at LEADER's dose lies between the study's incidence and that
  incidence scaled by LEADER dose / study dose (incidence roughly proportional to dose between
  the studied doses; ASSUMPTION, checked by the lenvatinib 24 mg and 12 mg rows bracketing each
  other). Several studies of one drug give the envelope of their intervals.
* **Combination**: at least the larger of the two drugs' lower bounds, at most the incidence of
  independent occurrence ``1 − (1 − a)(1 − b)`` of their upper bounds.

The virtual patients are then treated at the RP2D for a fixed number of cycles through the
detailed simulator, and the share with each term at or above the prior's grade is compared with
the range.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from oncotrial.errors import DataError
from oncotrial.protocol import Protocol
from oncotrial.sim._draws import draw_patients
from oncotrial.sim._treatment import treat
from oncotrial.sim.design import design_from_protocol
from oncotrial.sim.fast import compute_horizon
from oncotrial.sim.parameters import SimParameters
from oncotrial.sim.patients import make_patients
from oncotrial.sim.trial import _course_aes

__all__ = [
    "ComponentRate",
    "SafetyProfile",
    "TermPrior",
    "combination_priors",
    "load_component_rates",
    "simulate_safety_profile",
]

_DRUGS = ("lenvatinib", "eribulin")
_COLUMNS = ("term", "drug", "dose", "min_grade", "percent", "source")


@dataclass(frozen=True)
class ComponentRate:
    """Share of patients with *term* at grade ≥ *min_grade* on *drug* at *dose* in a study."""

    term: str
    drug: str
    dose: float  # mg (lenvatinib) or mg/m² (eribulin)
    min_grade: int
    percent: float
    source: str


@dataclass(frozen=True)
class TermPrior:
    """Expected share of combination patients with *term* at grade ≥ *min_grade*."""

    term: str
    min_grade: int
    low: float
    high: float
    components: tuple[ComponentRate, ...]

    def contains(self, value: float) -> bool:
        """Whether *value* lies in the expected range (ends included)."""
        return self.low <= value <= self.high


def _parse_row(row: dict[str, str], line: int, where: str) -> ComponentRate:
    def number(field: str, allowed: str, low: float, high: float) -> float:
        try:
            value = float(row[field])
        except (TypeError, ValueError):
            value = math.nan
        if not low <= value <= high:
            raise DataError(f"{where} line {line}: bad {field}", field=field,
                            value=row.get(field), allowed=allowed)
        return value

    if row.get("drug") not in _DRUGS:
        raise DataError(f"{where} line {line}: unknown drug", field="drug",
                        value=row.get("drug"), allowed=" or ".join(_DRUGS))
    if not (row.get("term") or "").strip() or not (row.get("source") or "").strip():
        raise DataError(f"{where} line {line}: every rate needs its term and source",
                        field="term/source", value=f"{row.get('term')}/{row.get('source')}",
                        allowed="non-empty")
    grade = number("min_grade", "1–5", 1, 5)
    if grade != int(grade):
        raise DataError(f"{where} line {line}: bad min_grade", field="min_grade",
                        value=row["min_grade"], allowed="an integer 1–5")
    return ComponentRate(term=row["term"].strip(), drug=row["drug"],
                         dose=number("dose", "> 0", 1e-9, math.inf), min_grade=int(grade),
                         percent=number("percent", "0–100", 0.0, 100.0),
                         source=row["source"].strip())


def load_component_rates(path: Path | None = None) -> list[ComponentRate]:
    """Read the component incidence table (the shipped one by default); bad rows raise a
    :class:`~oncotrial.errors.DataError` naming the line, field, value and what is allowed.

    Parameters
    ----------
    path
        A CSV file with columns ``term,drug,dose,min_grade,percent,source`` (``#`` lines are
        comments); ``None`` for the shipped ``data/component_ae_rates.csv``.

    Returns
    -------
    list[ComponentRate]
        One per row, in file order.

    Raises
    ------
    DataError
        An empty file, a missing column, an unknown drug, an empty term or source, a dose
        ≤ 0, a grade outside 1–5 or a percent outside 0–100.
    """
    if path is None:
        text = resources.files("oncotrial.sim").joinpath(
            "data/component_ae_rates.csv").read_text(encoding="utf-8")
        where = "component_ae_rates.csv"
    else:
        text, where = path.read_text(encoding="utf-8"), str(path)
    lines = [(i, s) for i, s in enumerate(text.splitlines(), start=1)
             if s.strip() and not s.lstrip().startswith("#")]
    if not lines:
        raise DataError(f"{where}: no rows", field="file", value=where,
                        allowed=f"a header {','.join(_COLUMNS)} and rows")
    reader = csv.DictReader([s for _, s in lines])
    missing = set(_COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise DataError(f"{where}: missing columns", field="header",
                        value=",".join(reader.fieldnames or ()), allowed=",".join(_COLUMNS))
    return [_parse_row(row, line, where) for (line, _), row in zip(lines[1:], reader, strict=True)]


def _drug_interval(rates: Iterable[ComponentRate], dose: float) -> tuple[float, float]:
    lows, highs = [], []
    for r in rates:
        scaled = min(r.percent * dose / r.dose, 100.0)
        lows.append(min(r.percent, scaled) / 100.0)
        highs.append(max(r.percent, scaled) / 100.0)
    return min(lows), max(highs)


def combination_priors(rates: Iterable[ComponentRate],
                       doses: Mapping[str, float]) -> list[TermPrior]:
    """Expected incidence range of each (term, grade) at *doses* (drug → LEADER dose), by the
    dose and combination rules of the module docstring; rows for drugs not in *doses* are
    ignored.

    Parameters
    ----------
    rates
        Component incidences (:func:`load_component_rates`).
    doses
        Drug name to its dose in the combination (lenvatinib mg, eribulin mg/m²).

    Returns
    -------
    list[TermPrior]
        One per (term, grade), sorted, with the range as fractions (0–1) and the rows it
        comes from.

    Examples
    --------
    Nausea (any grade) at lenvatinib 18 mg + eribulin 1.1 mg/m²: eribulin 41 % at 1.4 mg/m²
    (HALAVEN label, Study 309) gives 32.2–41 %, lenvatinib 44.5 % at 24 mg (LENVIMA SmPC) gives
    33.4–44.5 %; the combination lies between the larger low end and 1 − 0.59 × 0.555:

    >>> rates = load_component_rates()
    >>> nausea = [p for p in combination_priors(rates, {"lenvatinib": 18.0, "eribulin": 1.1})
    ...           if p.term == "Nausea"][0]
    >>> round(nausea.low, 3), round(nausea.high, 3)
    (0.334, 0.673)
    """
    groups: dict[tuple[str, int], list[ComponentRate]] = {}
    for r in rates:
        if r.drug in doses:
            groups.setdefault((r.term, r.min_grade), []).append(r)
    out = []
    for (term, grade), rows in groups.items():
        intervals = [_drug_interval([r for r in rows if r.drug == d], doses[d])
                     for d in _DRUGS if any(r.drug == d for r in rows)]
        low = max(lo for lo, _ in intervals)
        high = 1.0 - math.prod(1.0 - hi for _, hi in intervals)
        out.append(TermPrior(term, grade, low, high, tuple(rows)))
    return sorted(out, key=lambda p: (p.term, p.min_grade))


@dataclass(frozen=True)
class SafetyProfile:
    """Per-patient incidences of the virtual patients treated at one regimen."""

    regimen: str
    n_patients: int
    cycles: int
    worst_grade: dict[str, np.ndarray]  # term → worst grade per patient (0 = none)

    def incidence(self, term: str, min_grade: int = 1) -> float:
        """Share of patients with *term* at grade ≥ *min_grade*."""
        worst = self.worst_grade.get(term)
        return 0.0 if worst is None else float((worst >= min_grade).mean())


def simulate_safety_profile(protocol: Protocol, *, params: SimParameters,
                            n_patients: int = 600, cycles: int = 6, seed: int = 2016
                            ) -> SafetyProfile:
    """Treat *n_patients* virtual patients at the protocol's RP2D for *cycles* cycles (no
    progression or dropout: a fixed exposure, as the component studies' medians of 2–6 months
    are) and record each one's worst grade per CTCAE term.

    Parameters
    ----------
    protocol
        The trial protocol (RP2D regimen, cycle length, dose rules).
    params
        Model parameters (population and toxicity).
    n_patients
        Number of virtual patients.
    cycles
        Cycles of treatment each one receives.
    seed
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    SafetyProfile
        Worst CTCAE v5.0 grade per term per patient (0 = never); compare
        :meth:`SafetyProfile.incidence` with :func:`combination_priors`.

    Raises
    ------
    DataError
        If *n_patients* or *cycles* is below 1.
    """
    if n_patients < 1 or cycles < 1:
        raise DataError("counts must be positive", field="n_patients/cycles",
                        value=f"{n_patients}/{cycles}", allowed=">= 1")
    regimen = protocol.regimen(protocol.phase_ii.rp2d_regimen)
    design = design_from_protocol(protocol)
    n_scans, _ = compute_horizon(design, params)
    rng = np.random.default_rng(seed)
    patients = make_patients(draw_patients(rng, n_patients, n_scans=n_scans),
                             params=params.population)
    course = treat(patients, start_levels=[dict(regimen.doses)] * n_patients,
                   end_day=np.full(n_patients, cycles * protocol.cycle_length_days,
                                   dtype=np.int64),
                   protocol=protocol, rng=np.random.default_rng(rng.integers(2**63)),
                   params=params.toxicity, reference_lenvatinib_mg=design.reference_lenvatinib_mg)
    worst: dict[str, np.ndarray] = {}
    for ae in _course_aes(course):
        grades = worst.setdefault(ae.term, np.zeros(n_patients, dtype=np.int64))
        grades[ae.patient] = max(grades[ae.patient], ae.grade)
    return SafetyProfile(regimen.name, n_patients, cycles, worst)
