"""Pydantic models of a single-arm phase Ib/II oncology trial protocol.

Every trial-specific value lives here, read from a versioned YAML file (the LEADER protocol,
NCT03526679, ships as ``protocols/leader.yaml``). Values that the public record does not settle
carry a ``source`` note saying where the default comes from, so they can be changed per study.

Structural problems (missing fields, wrong types) are reported by pydantic; cross-field problems
(ladders that do not descend, regimens naming unknown doses, cohort rules with gaps) are found by
:func:`find_protocol_problems`, which reports every problem with its location, e.g.
``drugs[1].dose_levels[2]: must be lower than the level above (0.7 ≥ 0.9)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from oncotrial.protocol.edc import EdcDefinition, find_edc_problems
from oncotrial.stats._simon_exact import simon_reject_probability
from oncotrial.types import Histology

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
    "ProtocolParts",
    "RecistParameters",
    "Regimen",
    "SimonDesignParameters",
    "find_protocol_problems",
    "find_section_problems",
]

BsaFormula = Literal["mosteller", "dubois", "haycock", "gehan_george"]
Attribution = Literal["unrelated", "unlikely", "possible", "probable", "definite"]
ATTRIBUTION_ORDER: tuple[Attribution, ...] = (
    "unrelated",
    "unlikely",
    "possible",
    "probable",
    "definite",
)
DltFlag = Literal["fever", "infection", "bleeding", "transfusion", "treatment_interruption"]


class _Model(BaseModel):
    """Frozen, strict-about-unknown-keys base for every protocol section."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class CohortAction(StrEnum):
    """What the phase Ib cohort decision says to do next."""

    CONTINUE = "continue"  # keep enrolling/observing at the current regimen
    EXPAND = "expand"  # add a further cohort at the current regimen
    DE_ESCALATE = "de-escalate"  # move to the next lower regimen
    STOP = "stop"  # dose finding ends (regimen tolerated, or no tolerable regimen)


class Population(_Model):
    """Who the trial is for."""

    histologies: list[Histology] = Field(min_length=1)
    min_age_years: int = Field(ge=0)
    max_prior_systemic_lines: int = Field(ge=0)
    description: str
    source: str


class Drug(_Model):
    """One study drug: route, schedule within the cycle, unit and dose ladder (highest first)."""

    name: str = Field(min_length=1)
    route: Literal["oral", "iv"]
    unit: Literal["mg", "mg/m2"]
    days: list[int] = Field(min_length=1)
    dose_levels: list[float] = Field(min_length=1)
    starting_level: float
    dose_basis: str = ""
    below_lowest_level: Literal["discontinue"] = "discontinue"
    source: str


class Assessment(_Model):
    """One line of the schedule of assessments."""

    name: str
    period: Literal["screening", "treatment", "follow_up"]
    timing: str
    cycle_days: list[int] = Field(default_factory=list)
    every_days: int | None = Field(default=None, gt=0)
    window_before_days: int = Field(default=0, ge=0)
    window_after_days: int = Field(default=0, ge=0)
    source: str


class Criterion(_Model):
    """A machine-checkable eligibility requirement: ``field op value`` must hold.

    Exclusion criteria are written as the requirement a patient must meet to avoid exclusion
    (e.g. ``active_brain_metastases == false``). ``basis: xULN`` compares ``value`` with the
    measured value divided by the upper limit of normal supplied with it. ``analyte`` names the
    unit-conversion group (e.g. ``neutrophils``) so values in other units can be converted.
    """

    id: str
    kind: Literal["inclusion", "exclusion"]
    text: str
    field: str
    op: Literal["==", "!=", "<", "<=", ">", ">=", "in", "not_in"]
    value: bool | int | float | str | list[str]
    unit: str | None = None
    analyte: str | None = None
    basis: Literal["absolute", "xULN"] = "absolute"
    source: str


class RecistParameters(_Model):
    """Protocol values RECIST 1.1 leaves to the protocol (Eisenhauer 2009)."""

    confirmation_interval_days: int = Field(gt=0)
    min_sd_duration_days: int = Field(gt=0)
    too_small_to_measure_mm: float = Field(gt=0)
    max_target_lesions: int = Field(gt=0)
    max_target_per_organ: int = Field(gt=0)
    imaging_interval_days: int = Field(gt=0)
    imaging_window_days: int = Field(ge=0)
    source: str


class Regimen(_Model):
    """A named combination of dose levels, one per drug (e.g. ``L18E1.1``)."""

    name: str
    doses: dict[str, float]


class DltCriterion(_Model):
    """One clause of the DLT definition: a graded AE in the window that counts as a DLT.

    ``terms`` empty means any term of ``category``. ``requires`` lists facts that must all be
    present (e.g. ``fever`` for febrile neutropenia, ``treatment_interruption`` for the grade 2
    clause LEADER applied to cycle-1 arthritis).
    """

    name: str
    description: str
    category: Literal["hematologic", "non_hematologic", "any"]
    terms: list[str] = Field(default_factory=list)
    exclude_terms: list[str] = Field(default_factory=list)
    min_grade: int = Field(ge=1, le=5)
    lasting_more_than_days: float | None = Field(default=None, gt=0)
    requires: list[DltFlag] = Field(default_factory=list)
    source: str


class DltDefinition(_Model):
    """The protocol's DLT definition: attribution threshold, clauses, exemptions."""

    min_attribution: Attribution
    criteria: list[DltCriterion] = Field(min_length=1)
    exempt_if_controlled_within_hours: float | None = Field(default=None, gt=0)
    exempt_terms_if_controlled: list[str] = Field(default_factory=list)
    source: str


class CohortRule(_Model):
    """A first-match rule of the phase Ib cohort decision over (evaluable, DLT) counts."""

    name: str
    evaluable_min: int = Field(ge=0)
    evaluable_max: int = Field(ge=0)
    dlt_min: int = Field(ge=0)
    dlt_max: int = Field(ge=0)
    action: CohortAction
    source: str


class TolerabilityClause(_Model):
    """The RP2D beyond the DLT count: when more than *modified_more_than_fraction* of the
    patients at the tolerated regimen had *drug* reduced (or stopped) within the first *cycles*
    cycles, the next lower regimen becomes the RP2D."""

    drug: str
    cycles: int = Field(gt=0)
    modified_more_than_fraction: float = Field(ge=0, lt=1)
    source: str


class PhaseIb(_Model):
    """Dose finding: regimens highest first, cohort size, DLT window and definition."""

    regimens: list[Regimen] = Field(min_length=1)
    start_regimen: str
    cohort_size: int = Field(gt=0)
    max_patients_per_regimen: int = Field(gt=0)
    dlt_window_days: int = Field(gt=0)
    dlt: DltDefinition
    cohort_rules: list[CohortRule] = Field(min_length=1)
    tolerability: TolerabilityClause | None = None
    source: str


class SimonDesignParameters(_Model):
    """Simon (1989) two-stage design: hypotheses, error rates and the chosen boundaries."""

    p0: float
    p1: float
    alpha: float = Field(gt=0, lt=1)
    beta: float = Field(gt=0, lt=1)
    r1: int = Field(ge=0)
    n1: int = Field(gt=0)
    r: int = Field(ge=0)
    n: int = Field(gt=0)
    kind: Literal["optimal", "minimax", "admissible"]
    source: str


class PhaseII(_Model):
    """Expansion at the RP2D with its statistical design."""

    design: SimonDesignParameters
    rp2d_regimen: str
    phase_ib_counts_for_efficacy: bool
    primary_endpoint: str
    source: str


class BsaPolicy(_Model):
    """How body-surface area and per-m² doses are computed, rounded and capped."""

    formula: BsaFormula
    decimals: int = Field(ge=0, le=4)
    cap_m2: float | None = Field(default=None, gt=0)
    weight_basis: Literal["actual"]
    recalculate_weight_change_pct: float = Field(gt=0)
    dose_rounding_mg: float = Field(gt=0)
    max_rounding_deviation_pct: float = Field(gt=0)
    source: str


class SafetyParameters(_Model):
    """Safety-analysis conventions of the protocol (statistical analysis plan)."""

    treatment_emergent_window_days: int = Field(ge=0)
    source: str


class DoseModificationParameter(_Model):
    """A numeric threshold used by the dose rules whose value is the protocol's choice."""

    value: float
    unit: str
    source: str


class Protocol(_Model):
    """A single-arm phase Ib/II trial protocol (LEADER, NCT03526679, is the shipped default)."""

    id: str
    # ClinicalTrials.gov number; empty until the trial is registered (ICH E6 asks for the
    # registry number once there is one)
    nct_id: str = Field(default="", pattern=r"^(NCT\d{8})?$")
    title: str
    sponsor: str
    collaborators: list[str] = Field(default_factory=list)
    country: str = Field(default="", pattern=r"^([A-Z]{3})?$")  # ISO 3166-1 alpha-3 (DM.COUNTRY)
    version: str
    population: Population
    cycle_length_days: int = Field(gt=0)
    drugs: list[Drug] = Field(min_length=1)
    schedule: list[Assessment] = Field(min_length=1)
    eligibility: list[Criterion] = Field(min_length=1)
    recist: RecistParameters
    phase_ib: PhaseIb
    phase_ii: PhaseII
    bsa: BsaPolicy
    safety: SafetyParameters
    dose_modification: dict[str, DoseModificationParameter] = Field(default_factory=dict)
    edc: EdcDefinition | None = None

    @model_validator(mode="after")
    def _check_consistency(self) -> Protocol:
        problems = find_protocol_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def drug(self, name: str) -> Drug:
        """Return the drug called *name* (``KeyError`` naming the known drugs otherwise)."""
        for drug in self.drugs:
            if drug.name == name:
                return drug
        known = ", ".join(d.name for d in self.drugs)
        raise KeyError(f"no drug {name!r} in protocol {self.id} (known: {known})")

    def regimen(self, name: str) -> Regimen:
        """Return the phase Ib regimen called *name*."""
        for regimen in self.phase_ib.regimens:
            if regimen.name == name:
                return regimen
        known = ", ".join(r.name for r in self.phase_ib.regimens)
        raise KeyError(f"no regimen {name!r} in protocol {self.id} (known: {known})")


# ---------------------------------------------------------------------------------------------
# Cross-field checks. Each returns a list of "location: problem" strings.


def _fmt(value: float) -> str:
    return f"{value:g}"


def _check_drug(index: int, drug: Drug, cycle_length: int) -> list[str]:
    where = f"drugs[{index}]"
    problems: list[str] = []
    for j, day in enumerate(drug.days):
        if not 1 <= day <= cycle_length:
            problems.append(
                f"{where}.days[{j}]: day {day} is outside the cycle (allowed 1–{cycle_length})"
            )
        if j > 0 and day <= drug.days[j - 1]:
            problems.append(f"{where}.days[{j}]: days must increase ({drug.days[j - 1]} ≥ {day})")
    for j, level in enumerate(drug.dose_levels):
        if level <= 0:
            problems.append(f"{where}.dose_levels[{j}]: must be positive (got {_fmt(level)})")
        if j > 0 and level >= drug.dose_levels[j - 1]:
            problems.append(
                f"{where}.dose_levels[{j}]: must be lower than the level above "
                f"({_fmt(level)} ≥ {_fmt(drug.dose_levels[j - 1])})"
            )
    if drug.starting_level not in drug.dose_levels:
        allowed = ", ".join(_fmt(v) for v in drug.dose_levels)
        problems.append(
            f"{where}.starting_level: {_fmt(drug.starting_level)} is not a dose level "
            f"(allowed: {allowed})"
        )
    return problems


def _check_drugs(drugs: list[Drug], cycle_length: int) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for i, drug in enumerate(drugs):
        if drug.name in seen:
            problems.append(f"drugs[{i}].name: duplicate drug name {drug.name!r}")
        seen.add(drug.name)
        problems.extend(_check_drug(i, drug, cycle_length))
    return problems


def _check_regimens(drugs: list[Drug], phase_ib: PhaseIb, phase_ii: PhaseII | None) -> list[str]:
    ladders = {d.name: d.dose_levels for d in drugs}
    problems: list[str] = []
    names: list[str] = []
    for i, regimen in enumerate(phase_ib.regimens):
        where = f"phase_ib.regimens[{i}]"
        if regimen.name in names:
            problems.append(f"{where}.name: duplicate regimen name {regimen.name!r}")
        names.append(regimen.name)
        missing = sorted(set(ladders) - set(regimen.doses))
        if missing:
            problems.append(f"{where}.doses: no dose for {', '.join(missing)}")
        for drug, dose in regimen.doses.items():
            if drug not in ladders:
                problems.append(
                    f"{where}.doses.{drug}: unknown drug (allowed: {', '.join(ladders)})"
                )
            elif dose not in ladders[drug]:
                allowed = ", ".join(_fmt(v) for v in ladders[drug])
                problems.append(
                    f"{where}.doses.{drug}: {_fmt(dose)} is not a dose level (allowed: {allowed})"
                )
    named = [("phase_ib.start_regimen", phase_ib.start_regimen)]
    if phase_ii is not None:
        named.append(("phase_ii.rp2d_regimen", phase_ii.rp2d_regimen))
    for field, value in named:
        if value not in names:
            problems.append(f"{field}: unknown regimen {value!r} (allowed: {', '.join(names)})")
    return problems


def _check_cohort_rules(phase_ib: PhaseIb) -> list[str]:
    problems: list[str] = []
    rules = phase_ib.cohort_rules
    for i, rule in enumerate(rules):
        where = f"phase_ib.cohort_rules[{i}]"
        if rule.evaluable_max < rule.evaluable_min:
            problems.append(
                f"{where}: evaluable_max {rule.evaluable_max} < evaluable_min {rule.evaluable_min}"
            )
        if rule.dlt_max < rule.dlt_min:
            problems.append(f"{where}: dlt_max {rule.dlt_max} < dlt_min {rule.dlt_min}")
    if problems:
        return problems
    # No gaps: every possible (evaluable, dlt) up to the per-regimen maximum must match a rule.
    cells = [
        (evaluable, dlt)
        for evaluable in range(phase_ib.max_patients_per_regimen + 1)
        for dlt in range(evaluable + 1)
    ]
    return [
        f"phase_ib.cohort_rules: gap — no rule for {dlt} DLT(s) among "
        f"{evaluable} evaluable patient(s)"
        for evaluable, dlt in cells
        if not any(
            r.evaluable_min <= evaluable <= r.evaluable_max and r.dlt_min <= dlt <= r.dlt_max
            for r in rules
        )
    ]


def _simon_reject_probability(d: SimonDesignParameters, p: float) -> float:
    return simon_reject_probability(d.r1, d.n1, d.r, d.n, p=p)


def _check_design(d: SimonDesignParameters) -> list[str]:
    where = "phase_ii.design"
    problems: list[str] = []
    if not 0 < d.p0 < d.p1 < 1:
        problems.append(f"{where}: need 0 < p0 < p1 < 1 (got p0={d.p0:g}, p1={d.p1:g})")
    if not d.r1 < d.n1 < d.n:
        problems.append(f"{where}: need r1 < n1 < n (got r1={d.r1}, n1={d.n1}, n={d.n})")
    if not d.r1 <= d.r < d.n:
        problems.append(f"{where}: need r1 ≤ r < n (got r1={d.r1}, r={d.r}, n={d.n})")
    if problems:
        return problems
    alpha = _simon_reject_probability(d, d.p0)
    power = _simon_reject_probability(d, d.p1)
    # Compare at 1e-9 so designs exactly at the nominal rate are not rejected by float noise.
    if alpha > d.alpha + 1e-9:
        problems.append(
            f"{where}: boundaries {d.r1}/{d.n1}, {d.r}/{d.n} give type I error "
            f"{alpha:.4f} > alpha {d.alpha:g}"
        )
    if power < 1.0 - d.beta - 1e-9:
        problems.append(
            f"{where}: boundaries {d.r1}/{d.n1}, {d.r}/{d.n} give power "
            f"{power:.4f} < 1 − beta {1.0 - d.beta:g}"
        )
    return problems


def _check_eligibility(eligibility: list[Criterion]) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for i, crit in enumerate(eligibility):
        where = f"eligibility[{i}]"
        if crit.id in seen:
            problems.append(f"{where}.id: duplicate criterion id {crit.id!r}")
        seen.add(crit.id)
        is_list = isinstance(crit.value, list)
        if crit.op in ("in", "not_in") and not is_list:
            problems.append(f"{where}.value: operator {crit.op!r} needs a list")
        if crit.op not in ("in", "not_in") and is_list:
            problems.append(f"{where}.value: a list needs operator 'in' or 'not_in'")
        numeric_op = crit.op in ("<", "<=", ">", ">=")
        numeric = isinstance(crit.value, int | float) and not isinstance(crit.value, bool)
        if numeric_op and not numeric:
            problems.append(f"{where}.value: operator {crit.op!r} needs a number")
    return problems


@dataclass(frozen=True)
class ProtocolParts:
    """The sections the cross-field checks need; a section is None when it failed to parse."""

    cycle_length_days: int | None
    drugs: list[Drug] | None
    phase_ib: PhaseIb | None
    phase_ii: PhaseII | None
    eligibility: list[Criterion] | None
    edc: EdcDefinition | None = None
    population: Population | None = None
    recist: RecistParameters | None = None
    schedule: list[Assessment] | None = None


def _criterion(eligibility: list[Criterion], field: str) -> tuple[int, Criterion] | None:
    return next(((i, c) for i, c in enumerate(eligibility) if c.field == field), None)


def _check_population(population: Population, eligibility: list[Criterion]) -> list[str]:
    """The population summary and the machine-checked criteria must say the same thing."""
    problems: list[str] = []
    found = _criterion(eligibility, "prior_systemic_lines")
    if found is not None:
        i, crit = found
        limit = {"<=": crit.value, "<": crit.value - 1 if isinstance(crit.value, int) else None}
        if limit.get(crit.op) != population.max_prior_systemic_lines:
            problems.append(
                f"population.max_prior_systemic_lines: {population.max_prior_systemic_lines} "
                f"but eligibility[{i}] ({crit.id}) says prior_systemic_lines {crit.op} "
                f"{crit.value!r}")
    found = _criterion(eligibility, "age_years")
    if found is not None:
        i, crit = found
        limit = {">=": crit.value, ">": crit.value + 1 if isinstance(crit.value, int) else None}
        if limit.get(crit.op) != population.min_age_years:
            problems.append(
                f"population.min_age_years: {population.min_age_years} but eligibility[{i}] "
                f"({crit.id}) says age_years {crit.op} {crit.value!r}")
    found = _criterion(eligibility, "histology")
    if found is not None:
        i, crit = found
        allowed = set(crit.value) if isinstance(crit.value, list) else {crit.value}
        if crit.op != "in" or allowed != set(population.histologies):
            problems.append(
                f"population.histologies: {sorted(str(h) for h in population.histologies)} but "
                f"eligibility[{i}] ({crit.id}) says histology {crit.op} {crit.value!r}")
    return problems


def _check_imaging_interval(recist: RecistParameters, schedule: list[Assessment] | None,
                            edc: EdcDefinition | None) -> list[str]:
    """The RECIST imaging interval, the schedule's repeating treatment imaging and the EDC's
    imaging visits must be the same number of days."""
    interval = recist.imaging_interval_days
    problems = [
        f"schedule[{i}].every_days: {a.every_days} but recist.imaging_interval_days is "
        f"{interval} ({a.name!r})"
        for i, a in enumerate(schedule or [])
        if a.period == "treatment" and a.every_days is not None
        and "imaging" in a.name.lower() and a.every_days != interval]
    problems += [
        f"edc.visits[{i}].every_days: {v.every_days} but recist.imaging_interval_days is "
        f"{interval} (visit {v.id!r})"
        for i, v in enumerate(edc.visits if edc is not None else [])
        if v.kind == "imaging" and v.every_days is not None and v.every_days != interval]
    return problems


def find_section_problems(parts: ProtocolParts) -> list[str]:
    """Cross-field problems among the sections that parsed (so a file with structural errors
    still gets every other problem reported).

    Parameters
    ----------
    parts
        The protocol's sections; ``None`` for a section that did not parse, whose checks are
        then skipped.

    Returns
    -------
    list of str
        ``"location: problem"`` lines (drugs against the cycle, regimens, cohort rules, the
        Simon design, eligibility, eCRF, population, imaging interval, a DLT window longer
        than two cycles); empty when there is none.
    """
    problems: list[str] = []
    cycle, drugs, ib, ii = parts.cycle_length_days, parts.drugs, parts.phase_ib, parts.phase_ii
    if drugs is not None and cycle is not None:
        problems += _check_drugs(drugs, cycle)
    if drugs is not None and ib is not None:
        problems += _check_regimens(drugs, ib, ii)
    if ib is not None:
        problems += _check_cohort_rules(ib)
    if ii is not None:
        problems += _check_design(ii.design)
    if parts.eligibility is not None:
        problems += _check_eligibility(parts.eligibility)
    if parts.edc is not None and cycle is not None:
        problems += find_edc_problems(parts.edc, cycle_length=cycle)
    if parts.population is not None and parts.eligibility is not None:
        problems += _check_population(parts.population, parts.eligibility)
    if parts.recist is not None:
        problems += _check_imaging_interval(parts.recist, parts.schedule, parts.edc)
    if ib is not None and cycle is not None and ib.dlt_window_days > cycle * 2:
        problems.append(
            f"phase_ib.dlt_window_days: {ib.dlt_window_days} is longer than two "
            f"cycles ({cycle * 2} days)"
        )
    return problems


def find_protocol_problems(protocol: Protocol) -> list[str]:
    """Return every cross-field problem of *protocol* as ``"location: problem"`` strings.

    Parameters
    ----------
    protocol
        A protocol with every section parsed.

    Returns
    -------
    list of str
        As :func:`find_section_problems`; empty for a consistent protocol.

    Examples
    --------
    >>> from oncotrial.protocol import load_protocol
    >>> from oncotrial.protocol.models import find_protocol_problems
    >>> find_protocol_problems(load_protocol())
    []
    """
    return find_section_problems(
        ProtocolParts(
            protocol.cycle_length_days,
            protocol.drugs,
            protocol.phase_ib,
            protocol.phase_ii,
            protocol.eligibility,
            protocol.edc,
            protocol.population,
            protocol.recist,
            protocol.schedule,
        )
    )
