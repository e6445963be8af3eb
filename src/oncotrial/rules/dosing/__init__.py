"""Dose decisions for lenvatinib + eribulin from ordered, named rules with their sources.

The rules live in ``data/dose_rules.yaml`` (source wording and citation per entry); numeric
thresholds the public record does not settle come from ``Protocol.dose_modification``; dose
ladders, schedule and BSA policy come from the protocol. Labs given with units are graded by
:func:`oncotrial.rules.ctcae.grade_lab` (CTCAE v5.0); adverse events carry their own grades.

Two engines, chosen by the drug's schedule:

- drugs given on some days of the cycle (eribulin, days 1 and 8; HALAVEN §2.2): permanent
  reductions for new events, then the go/no-go check before every scheduled dose; a within-cycle
  dose that fails is delayed, given one level lower if it recovers within the protocol's maximum
  delay (next cycle no sooner than the protocol's gap), otherwise omitted with a permanent
  reduction;
- drugs given every day (lenvatinib; LENVIMA Table 1): discontinue rules, then hold rules; a
  held drug resumes one level lower once the hold's recovery condition is met.

A level never rises: every path keeps the current level or moves down the ladder, and below the
lowest level the drug is discontinued.

Carrying state between decisions: feed each :class:`DrugDecision`'s ``level``, ``on_hold``,
``hold_rule``, ``hold_terms`` and ``held_from_level`` into the next :class:`DrugState` (drop a
discontinued drug). Report adverse events with ``new=True`` once (onset or worsening since the
last decision; they drive permanent reductions) and with ``ongoing`` while they last (they drive
go/no-go, holds and resumption). Today's labs are always current.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from oncotrial.errors import DataError
from oncotrial.protocol import Drug, Protocol
from oncotrial.rules.bsa import (
    BsaResult,
    compute_bsa_for_dosing,
    compute_dose_mg,
    decide_bsa_recalculation,
)
from oncotrial.rules.ctcae import grade_hypertension, grade_lab
from oncotrial.rules.dosing._rules import (
    DoseRule,
    DoseRuleTable,
    EventCondition,
    Flag,
    MeasureCondition,
    MissingCondition,
    check_rules_against_protocol,
    find_flag_problems,
    load_dose_rules,
)
from oncotrial.types import DoseAction

__all__ = [
    "AdverseEvent",
    "BlockedRule",
    "DoseDecision",
    "DoseState",
    "DrugDecision",
    "DrugState",
    "FiredRule",
    "Flag",
    "LabValue",
    "Measurements",
    "decide_dose",
    "find_flag_problems",
    "load_dose_rules",
]

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


# --------------------------------------------------------------------------------- inputs


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LabValue(_Input):
    """A lab (or ECG/urine) value of the day: a value with its unit, or an already-known grade."""

    term: str = Field(description="CTCAE v5.0 term, e.g. 'Neutrophil count decreased'.")
    value: float | None = None
    unit: str | None = Field(default=None, description="CDISC LBSTRESU unit, e.g. '10^9/L'.")
    lln: float | None = None
    uln: float | None = None
    baseline: float | None = None
    symptomatic: bool | None = None
    grade: int | None = Field(default=None, ge=0, le=5, description="Use when already graded.")


class AdverseEvent(_Input):
    """An adverse event with its CTCAE grade (new since the last decision, or still ongoing)."""

    term: str
    grade: int = Field(ge=0, le=5)
    new: bool = Field(default=True, description="Onset or worsening since the last decision.")
    ongoing: bool = Field(default=True, description="Still present today at this grade.")
    laboratory: bool = False
    attributed_to: list[str] | None = Field(
        default=None, description="Drugs it is attributed to; null = possibly any study drug."
    )
    duration_days: float | None = Field(default=None, ge=0)
    flags: list[Flag] = Field(default_factory=list)


class Measurements(_Input):
    """Vital signs and quantitative measurements of the day."""

    urine_protein_g_24h: float | None = Field(default=None, ge=0)
    qtc_ms: float | None = Field(default=None, gt=0)
    qtc_baseline_ms: float | None = Field(default=None, gt=0)
    systolic_bp: float | None = Field(default=None, gt=0)
    diastolic_bp: float | None = Field(default=None, gt=0)


class DrugState(_Input):
    """Where one drug stands: its current dose level and whether it is on hold."""

    level: float
    on_hold: bool = False
    hold_rule: str | None = None
    hold_terms: list[str] = Field(default_factory=list)
    held_from_level: float | None = Field(
        default=None, description="Level of the dose that was put on hold (delayed doses)."
    )


class DoseState(_Input):
    """Everything a dose decision needs for one subject on one cycle day."""

    protocol: str | None = Field(
        default=None, description="Protocol file path (CLI); null = the shipped LEADER protocol."
    )
    subject: str | None = None
    cycle: int = Field(ge=1)
    day: int = Field(ge=1)
    height_cm: float | None = None
    weight_kg: float | None = None
    bsa_weight_kg: float | None = Field(
        default=None, description="Weight used for the current BSA; null = use today's weight."
    )
    drugs: dict[str, DrugState]
    labs: list[LabValue] = Field(default_factory=list)
    adverse_events: list[AdverseEvent] = Field(default_factory=list)
    measurements: Measurements = Field(default_factory=Measurements)


# -------------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class FiredRule:
    """A rule that fired: its name, what matched, and its source wording and citation."""

    name: str
    reason: str
    wording: str
    citation: str
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class BlockedRule:
    """A rule that could not act today, and why: a resume that is not met, or a rule whose
    measurement was not given (so a site sees what is missing)."""

    name: str
    reason: str


@dataclass(frozen=True)
class DrugDecision:
    """The decision for one drug: action, level, dose in mg and the rules that fired."""

    drug: str
    action: DoseAction
    level: float | None
    unit: str
    dose_mg: float | None
    rules: tuple[FiredRule, ...]
    on_hold: bool = False
    hold_rule: str | None = None
    hold_terms: tuple[str, ...] = ()
    held_from_level: float | None = None
    next_cycle_not_before_day: int | None = None
    blocked: tuple[BlockedRule, ...] = ()


@dataclass(frozen=True)
class DoseDecision:
    """The decision for every drug due on this cycle day."""

    subject: str | None
    cycle: int
    day: int
    drugs: tuple[DrugDecision, ...]
    bsa: BsaResult | None
    bsa_recalculated: bool
    rule_table_version: str

    def drug(self, name: str) -> DrugDecision:
        """The decision for drug *name* (``KeyError`` if it was not due)."""
        for decision in self.drugs:
            if decision.drug == name:
                return decision
        raise KeyError(f"no decision for {name!r} on cycle {self.cycle} day {self.day}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "subject": self.subject,
            "cycle": self.cycle,
            "day": self.day,
            "rule_table_version": self.rule_table_version,
            "bsa": None if self.bsa is None else vars(self.bsa),
            "bsa_recalculated": self.bsa_recalculated,
            "drugs": [_drug_dict(d) for d in self.drugs],
        }


def _drug_dict(d: DrugDecision) -> dict[str, Any]:
    out = {k: v for k, v in vars(d).items() if k != "rules"}
    out["action"] = d.action.value
    out["hold_terms"] = list(d.hold_terms)
    out["rules"] = [{**vars(r), "terms": list(r.terms)} for r in d.rules]
    out["blocked"] = [vars(b) for b in d.blocked]
    return out


# ----------------------------------------------------------------------- graded events


@dataclass(frozen=True)
class _Event:
    term: str
    grade: int | None
    new: bool
    ongoing: bool
    laboratory: bool
    attributed_to: tuple[str, ...] | None
    duration_days: float | None
    flags: frozenset[str]
    measured: bool = False  # derived from today's lab value or reading, not a reported AE


@dataclass(frozen=True)
class _Context:
    protocol: Protocol
    table: DoseRuleTable
    state: DoseState
    events: tuple[_Event, ...]
    measured: dict[str, float] = field(default_factory=dict)
    bsa: BsaResult | None = None

    def param(self, name: str) -> float:
        return self.protocol.dose_modification[name].value


def _grade_lab(lab: LabValue, where: str) -> _Event:
    if lab.value is not None:
        if lab.unit is None:
            raise DataError("a lab value needs its unit", field=f"{where}.unit", value=None)
        graded = grade_lab(
            lab.term,
            lab.value,
            lab.unit,
            lln=lab.lln,
            uln=lab.uln,
            baseline=lab.baseline,
            symptomatic=lab.symptomatic,
        )
        grade = graded.grade
    elif lab.grade is not None:
        grade = lab.grade
    else:
        raise DataError(
            "a lab needs a value with its unit, or a grade", field=where, value=lab.term
        )
    return _Event(lab.term, grade, True, True, True, None, None, frozenset(), measured=True)


def _collect_events(state: DoseState, table: DoseRuleTable) -> tuple[_Event, ...]:
    events = [_grade_lab(lab, f"labs[{i}]") for i, lab in enumerate(state.labs)]
    m = state.measurements
    if m.systolic_bp is not None and m.diastolic_bp is not None:
        bp = grade_hypertension(m.systolic_bp, m.diastolic_bp)
        drugs = tuple(table.measurement_attribution.get(bp.term, ()))
        # A reading is not an AE report: it is current (ongoing) but never "new".
        events.append(
            _Event(bp.term, bp.grade, False, True, False, drugs, None, frozenset(), measured=True)
        )
    # A value measured today settles today's grade of an AE that is still open from before (it
    # keeps its flags and attribution): a BP reading of grade 1 ends a grade 3 hypertension's
    # hold. A new report keeps its own grade (it is what happened since the last decision).
    measured_grade = {e.term: e.grade for e in events}
    events += [
        _Event(
            ae.term,
            ae.grade if ae.new or not ae.ongoing else measured_grade.get(ae.term, ae.grade),
            ae.new,
            ae.ongoing,
            ae.laboratory,
            None if ae.attributed_to is None else tuple(ae.attributed_to),
            ae.duration_days,
            frozenset(ae.flags),
        )
        for ae in state.adverse_events
    ]
    return tuple(events)


def _measured(state: DoseState) -> dict[str, float]:
    m = state.measurements
    out: dict[str, float] = {}
    if m.urine_protein_g_24h is not None:
        out["urine_protein_g_24h"] = m.urine_protein_g_24h
    if m.qtc_ms is not None:
        out["qtc_ms"] = m.qtc_ms
        if m.qtc_baseline_ms is not None:
            out["qtc_increase_ms"] = m.qtc_ms - m.qtc_baseline_ms
    return out


# ----------------------------------------------------------------------- rule matching


def _category_ok(event: _Event, category: str, hematologic: Sequence[str]) -> bool:
    if category == "any":
        return True
    is_heme = event.term in hematologic
    return is_heme if category == "hematologic" else not is_heme


def _event_matches(cond: EventCondition, event: _Event, ctx: _Context, drug: str) -> bool:
    checks = (
        event.grade is not None and cond.min_grade <= event.grade <= cond.max_grade,
        not cond.terms or event.term in cond.terms,
        event.term not in cond.exclude_terms,
        _category_ok(event, cond.category, ctx.table.hematologic_terms),
        cond.laboratory is None or cond.laboratory == event.laboratory,
        all(flag in event.flags for flag in cond.requires),
        not cond.new_only or event.new,
        not cond.current_only or event.ongoing,
        event.new or event.ongoing,
        event.attributed_to is None or drug in event.attributed_to,
        not cond.attributed_only or event.attributed_to is not None,
    )
    if not all(checks):
        return False
    if cond.lasting_more_than_param is not None:
        limit = ctx.param(cond.lasting_more_than_param)
        return event.duration_days is not None and event.duration_days > limit
    return True


_Hit = tuple[str, tuple[str, ...]]  # (reason, matched terms)


def _condition_hit(cond: Any, ctx: _Context, drug: str) -> _Hit | None:
    if isinstance(cond, EventCondition):
        hits = [e for e in ctx.events if _event_matches(cond, e, ctx, drug)]
        if not hits:
            return None
        return "; ".join(f"{e.term} grade {e.grade}" for e in hits), tuple(e.term for e in hits)
    if isinstance(cond, MeasureCondition):
        value = ctx.measured.get(cond.measure)
        limit = ctx.param(cond.param)
        if value is not None and _OPS[cond.op](value, limit):
            return f"{cond.measure} {value:g} {cond.op} {limit:g}", ()
        return None
    assert isinstance(cond, MissingCondition)
    present = {e.term for e in ctx.events if e.measured}
    missing = [t for t in cond.terms if t not in present]
    return (f"no result for {', '.join(missing)}", ()) if missing else None


def _fire(rule: DoseRule, ctx: _Context, drug: str) -> FiredRule | None:
    hits = [h for c in rule.conditions if (h := _condition_hit(c, ctx, drug)) is not None]
    if not hits:
        return None
    terms = tuple(dict.fromkeys(t for _, ts in hits for t in ts))
    reason = "; ".join(r for r, _ in hits)
    return FiredRule(rule.name, reason, rule.wording, rule.citation, terms)


def _fired(rules: Sequence[DoseRule], ctx: _Context, drug: str) -> list[FiredRule]:
    return [f for rule in rules if (f := _fire(rule, ctx, drug)) is not None]


def _schedule_fired(ctx: _Context, name: str, reason: str) -> FiredRule:
    rule = ctx.table.schedule_rule(name)
    return FiredRule(rule.name, reason, rule.wording, rule.citation)


# ---------------------------------------------------------------------------- levels


def _lower(drug: Drug, level: float) -> float | None:
    index = drug.dose_levels.index(level)
    return drug.dose_levels[index + 1] if index + 1 < len(drug.dose_levels) else None


def _dose_mg(drug: Drug, level: float, ctx: _Context) -> float:
    if drug.unit == "mg":
        return level
    if ctx.bsa is None:
        raise DataError(
            f"{drug.name} is dosed per m²: height_cm and weight_kg are required",
            field="height_cm/weight_kg",
            value=None,
        )
    return compute_dose_mg(level, bsa_m2=ctx.bsa.bsa_used_m2, policy=ctx.protocol.bsa).dose_mg


def _discontinue(
    drug: Drug, rules: Sequence[FiredRule], ctx: _Context, level: float
) -> DrugDecision:
    if not any(r.name.startswith(f"{drug.name}_discontinue") for r in rules):
        rules = (
            *rules,
            _schedule_fired(
                ctx,
                "discontinue_below_lowest_level",
                f"reduction required at the lowest level {level:g} {drug.unit}",
            ),
        )
    return DrugDecision(drug.name, DoseAction.DISCONTINUE, None, drug.unit, None, tuple(rules))


def _give(
    drug: Drug, level: float, ctx: _Context, *, current: float, rules: Sequence[FiredRule] = ()
) -> DrugDecision:
    action = DoseAction.REDUCE if level < current else DoseAction.GIVE
    mg = _dose_mg(drug, level, ctx)
    return DrugDecision(drug.name, action, level, drug.unit, mg, tuple(rules))


# ---------------------------------------------------------- engine 1: scheduled-day drugs


def _delay_window(drug: Drug, ds: DrugState, ctx: _Context) -> tuple[int, int] | None:
    """(scheduled day, last allowed day) of a delayed within-cycle dose, or None."""
    day = ctx.state.day
    if not ds.on_hold or day in drug.days:
        return None
    earlier = [d for d in drug.days if 1 < d < day]
    if not earlier:
        return None
    scheduled = max(earlier)
    limit = scheduled + int(ctx.param(ctx.table.schedule_rule("delayed_dose_omitted").param or ""))
    if day > limit:
        raise DataError(
            f"{drug.name} day {scheduled} dose still on hold past its maximum delay",
            field="day",
            value=day,
            allowed=f"≤ {limit} (omit the dose on day {limit} if not recovered)",
        )
    return scheduled, limit


def _decide_scheduled(drug: Drug, ctx: _Context) -> DrugDecision | None:
    ds = ctx.state.drugs[drug.name]
    day = ctx.state.day
    window = _delay_window(drug, ds, ctx)
    if day not in drug.days and window is None:
        return None
    reduce_ctx = ctx
    if ds.on_hold:  # the values that started the hold were acted on then; re-tests are not events
        reduce_ctx = replace(ctx, events=tuple(e for e in ctx.events if not e.measured))
    fired = _fired(ctx.table.for_drug(drug.name, "permanent_reduction"), reduce_ctx, drug.name)
    level = ds.level
    if fired:
        lower = _lower(drug, ds.level)
        if lower is None:
            return _discontinue(drug, fired, ctx, ds.level)
        level = lower
    no_go = _fired(ctx.table.for_drug(drug.name, "go_no_go"), ctx, drug.name)
    if window is None:
        if no_go:
            return _hold_scheduled(drug, ds, level, (*fired, *no_go))
        return _give(drug, level, ctx, current=ds.level, rules=fired)
    return _decide_delayed(drug, ds, ctx, level=level, fired=fired, no_go=no_go, window=window)


def _hold_scheduled(
    drug: Drug, ds: DrugState, level: float, rules: Sequence[FiredRule]
) -> DrugDecision:
    held_from = ds.held_from_level if ds.on_hold and ds.held_from_level else ds.level
    return DrugDecision(
        drug.name,
        DoseAction.HOLD,
        level,
        drug.unit,
        None,
        tuple(rules),
        on_hold=True,
        held_from_level=held_from,
    )


def _decide_delayed(
    drug: Drug,
    ds: DrugState,
    ctx: _Context,
    *,
    level: float,
    fired: list[FiredRule],
    no_go: list[FiredRule],
    window: tuple[int, int],
) -> DrugDecision:
    scheduled, limit = window
    day = ctx.state.day
    if no_go and day < limit:
        return _hold_scheduled(drug, ds, level, (*fired, *no_go))
    # The delayed (or omitted) dose means one level below the level it was scheduled at,
    # counted once even if an event already lowered the level during the hold.
    target = _lower(drug, ds.held_from_level or ds.level)
    new_level = None if target is None else min(level, target)
    if no_go:
        omit = _schedule_fired(
            ctx, "delayed_dose_omitted", f"day {scheduled} dose not recovered by day {limit}"
        )
        if new_level is None:
            return _discontinue(drug, [*fired, *no_go, omit], ctx, level)
        return DrugDecision(
            drug.name, DoseAction.OMIT, new_level, drug.unit, None, (*fired, *no_go, omit)
        )
    if new_level is None:
        return _discontinue(drug, list(fired), ctx, level)
    rule = ctx.table.schedule_rule("delayed_dose_given_reduced")
    gap = int(ctx.param(rule.param or ""))
    given = _schedule_fired(
        ctx, rule.name, f"day {scheduled} dose recovered on day {day}; given one level lower"
    )
    decision = _give(drug, new_level, ctx, current=ds.level, rules=[*fired, given])
    return DrugDecision(
        decision.drug,
        DoseAction.REDUCE,
        decision.level,
        decision.unit,
        decision.dose_mg,
        decision.rules,
        next_cycle_not_before_day=day + gap,
    )


# ------------------------------------------------------------- engine 2: daily drugs


_MEASURE_LABEL = {
    "urine_protein_g_24h": "urine protein (g/24 h)",
    "qtc_ms": "QTc (ms)",
    "qtc_increase_ms": "QTc baseline (ms)",
}


def _resume_blocks(
    rule: DoseRule, hold_terms: Sequence[str], ctx: _Context, drug: str
) -> list[BlockedRule]:
    """Why a held drug may not resume today (empty = the recovery condition is met)."""
    resume = rule.resume
    if resume is None:
        return [BlockedRule(rule.name, "resume blocked: the rule has no recovery condition")]
    if resume.measure is not None and resume.op is not None and resume.param is not None:
        value = ctx.measured.get(resume.measure)
        limit = ctx.param(resume.param)
        if value is None:
            label = _MEASURE_LABEL.get(resume.measure, resume.measure)
            return [BlockedRule(rule.name, f"resume blocked: no {label} value today")]
        if not _OPS[resume.op](value, limit):
            return [BlockedRule(
                rule.name,
                f"resume blocked: {resume.measure} {value:g}, needs {resume.op} {limit:g}",
            )]
        return []
    terms = set(resume.terms or hold_terms)
    ceiling = resume.max_grade if resume.max_grade is not None else 1
    relevant = [
        e
        for e in ctx.events
        if e.ongoing and e.term in terms and (e.attributed_to is None or drug in e.attributed_to)
    ]
    return [
        BlockedRule(
            rule.name,
            f"resume blocked: grade of {e.term} unknown"
            if e.grade is None
            else f"resume blocked: {e.term} grade {e.grade}, needs ≤ {ceiling}",
        )
        for e in relevant
        if e.grade is None or e.grade > ceiling
    ]


def _not_evaluated(rules: Sequence[DoseRule], fired: Sequence[FiredRule], ctx: _Context) -> list[
    BlockedRule
]:
    """Rules that act on a measurement not given today (and did not fire on another condition)."""
    names = {f.name for f in fired}
    out: list[BlockedRule] = []
    for rule in rules:
        measures = list(dict.fromkeys(
            c.measure for c in rule.conditions if isinstance(c, MeasureCondition)))
        missing = [m for m in measures if m not in ctx.measured]
        if "qtc_ms" in missing:  # no QTc: its increase over baseline is not asked for either
            missing = [m for m in missing if m != "qtc_increase_ms"]
        if rule.name in names or not missing:
            continue
        labels = " or ".join(_MEASURE_LABEL.get(m, m) for m in missing)
        partly = any(m in ctx.measured for m in measures)
        how = "partly evaluated" if partly else "not evaluated"
        out.append(BlockedRule(rule.name, f"{how}: no {labels} today"))
    return out


def _decide_daily(drug: Drug, ctx: _Context) -> DrugDecision | None:
    ds = ctx.state.drugs[drug.name]
    if ctx.state.day not in drug.days and not ds.on_hold:
        return None
    stop_rules = ctx.table.for_drug(drug.name, "discontinue")
    stop = _fired(stop_rules, ctx, drug.name)
    if stop:
        return _discontinue(drug, stop, ctx, ds.level)
    hold_rules = ctx.table.for_drug(drug.name, "hold")
    holds = _fired(hold_rules, ctx, drug.name)
    unseen = tuple(_not_evaluated([*stop_rules, *hold_rules], holds, ctx))
    if ds.on_hold:
        return replace(_decide_held(drug, ds, holds, ctx), blocked=_held_blocks(ds, holds, ctx)
                       + unseen)
    if holds:
        return _hold(drug, ds, holds, holds[0].name, holds[0].terms, blocked=unseen)
    return replace(_give(drug, ds.level, ctx, current=ds.level), blocked=unseen)


def _hold(drug: Drug, ds: DrugState, holds: list[FiredRule], rule: str, terms: tuple[str, ...],
          *, blocked: tuple[BlockedRule, ...] = ()) -> DrugDecision:
    """The drug held at its level by *rule* (for *terms*), with the hold rules that fired."""
    return DrugDecision(drug.name, DoseAction.HOLD, ds.level, drug.unit, None, tuple(holds),
                        on_hold=True, hold_rule=rule, hold_terms=terms, blocked=blocked)


def _held_blocks(ds: DrugState, holds: list[FiredRule], ctx: _Context) -> tuple[BlockedRule, ...]:
    """Why a held drug stays on hold: hold rules that still fire, and the unmet recovery."""
    if ds.hold_rule is None:
        return ()
    rule = ctx.table.rule(ds.hold_rule)
    still = [BlockedRule(rule.name, f"resume blocked: {h.name} fires ({h.reason})") for h in holds]
    return (*still, *_resume_blocks(rule, ds.hold_terms, ctx, rule.drug))


def _decide_held(drug: Drug, ds: DrugState, holds: list[FiredRule], ctx: _Context) -> DrugDecision:
    if ds.hold_rule is None:
        raise DataError(
            "a drug on hold needs the rule that put it on hold",
            field=f"drugs.{drug.name}.hold_rule",
            value=None,
            allowed=", ".join(r.name for r in ctx.table.for_drug(drug.name, "hold")),
        )
    rule = ctx.table.rule(ds.hold_rule)
    if holds or _resume_blocks(rule, ds.hold_terms, ctx, drug.name):
        return _hold(drug, ds, holds, ds.hold_rule, tuple(ds.hold_terms))
    lower = _lower(drug, ds.level)
    if lower is None:
        return _discontinue(drug, [], ctx, ds.level)
    resumed = _schedule_fired(
        ctx, "lenvatinib_resume_reduced", f"recovery condition of {ds.hold_rule} met"
    )
    return _give(drug, lower, ctx, current=ds.level, rules=[resumed])


# ------------------------------------------------------------------------- entry point


def _check_state(state: DoseState, protocol: Protocol) -> None:
    if state.day > protocol.cycle_length_days:
        raise DataError(
            "cycle day outside the cycle",
            field="day",
            value=state.day,
            allowed=f"1–{protocol.cycle_length_days}",
            subject=state.subject,
        )
    for name, ds in state.drugs.items():
        try:
            drug = protocol.drug(name)
        except KeyError:
            allowed = ", ".join(d.name for d in protocol.drugs)
            raise DataError(
                "unknown drug", field="drugs", value=name, allowed=allowed, subject=state.subject
            ) from None
        if ds.level not in drug.dose_levels:
            raise DataError(
                "not a dose level of the protocol",
                field=f"drugs.{name}.level",
                value=ds.level,
                allowed=", ".join(f"{v:g}" for v in drug.dose_levels),
                subject=state.subject,
            )


def _bsa(state: DoseState, protocol: Protocol) -> tuple[BsaResult | None, bool]:
    if state.height_cm is None or state.weight_kg is None:
        return None, False
    weight = state.weight_kg
    recalculated = False
    if state.bsa_weight_kg is not None:
        recalculated = decide_bsa_recalculation(
            state.weight_kg, reference_weight_kg=state.bsa_weight_kg, policy=protocol.bsa
        )
        weight = state.weight_kg if recalculated else state.bsa_weight_kg
    return compute_bsa_for_dosing(state.height_cm, weight, policy=protocol.bsa), recalculated


def decide_dose(state: DoseState, *, protocol: Protocol) -> DoseDecision:
    """Decide today's action, level and dose in mg for every drug due.

    Parameters
    ----------
    state
        Cycle and day, current level and hold status per drug, height/weight, the day's labs
        (with units, or already graded), adverse events with CTCAE grades, measurements.
    protocol
        Dose ladders, schedule, BSA policy and the ``dose_modification`` thresholds.

    Returns
    -------
    DoseDecision
        Per drug: action (give / hold / reduce / omit / discontinue), dose level and dose in mg,
        and the names, reasons, source wording and citations of the rules that fired.

    Raises
    ------
    DataError
        A day outside the cycle, an unknown drug or level, a lab without unit or grade, or
        missing height/weight for a per-m² drug that is to be given.
    RuleError
        A lab in an unknown or mismatched unit; a rule naming a parameter the protocol lacks.

    Examples
    --------
    Cycle 1 day 8 with an absolute neutrophil count of 0.8 × 10⁹/L: eribulin is held (HALAVEN
    label: do not give day 8 with ANC < 1,000/mm³), lenvatinib continues at 18 mg.

    >>> from oncotrial.protocol import load_protocol
    >>> from oncotrial.rules import DoseState, DrugState, LabValue, decide_dose
    >>> state = DoseState(
    ...     cycle=1, day=8, height_cm=170, weight_kg=70,
    ...     drugs={"lenvatinib": DrugState(level=18), "eribulin": DrugState(level=1.1)},
    ...     labs=[LabValue(term="Neutrophil count decreased", value=0.8, unit="10^9/L"),
    ...           LabValue(term="Platelet count decreased", value=150, unit="10^9/L")])
    >>> decision = decide_dose(state, protocol=load_protocol())
    >>> eribulin = decision.drug("eribulin")
    >>> eribulin.action.value, [rule.name for rule in eribulin.rules]
    ('hold', ['eribulin_hold_anc_below_1.0'])
    >>> decision.drug("lenvatinib").action.value, decision.drug("lenvatinib").dose_mg
    ('give', 18.0)

    With ANC 1.6 the day-8 dose is given: 1.1 mg/m² × 1.82 m² = 2.0 mg.

    >>> state = state.model_copy(update={"labs": [
    ...     LabValue(term="Neutrophil count decreased", value=1.6, unit="10^9/L"),
    ...     LabValue(term="Platelet count decreased", value=150, unit="10^9/L")]})
    >>> eribulin = decide_dose(state, protocol=load_protocol()).drug("eribulin")
    >>> eribulin.action.value, eribulin.dose_mg
    ('give', 2.0)
    """
    table = load_dose_rules()
    check_rules_against_protocol(table, protocol)
    _check_state(state, protocol)
    bsa, recalculated = _bsa(state, protocol)
    ctx = _Context(protocol, table, state, _collect_events(state, table), _measured(state), bsa)
    decisions: list[DrugDecision] = []
    for name in state.drugs:
        drug = protocol.drug(name)
        daily = len(drug.days) == protocol.cycle_length_days
        engine = _decide_daily if daily else _decide_scheduled
        decision = engine(drug, ctx)
        if decision is not None:
            decisions.append(decision)
    return DoseDecision(
        subject=state.subject,
        cycle=state.cycle,
        day=state.day,
        drugs=tuple(decisions),
        bsa=bsa,
        bsa_recalculated=recalculated,
        rule_table_version=table.version,
    )
