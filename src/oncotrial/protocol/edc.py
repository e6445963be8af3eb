"""The protocol's electronic case report form: its visits, forms, fields and edit checks.

The web EDC draws every form from this section of the protocol file; adding a field to a trial
is a protocol change, not a template change. A form's ``kind`` names the service that stores it
(labs are graded, doses decided, tumour measurements assessed by RECIST 1.1 there); its fields
carry the edit checks (type, range, required, choices) and the skip logic (``show_if``).

Visits are planned from the reference start date (cycle 1 day 1): treatment visits on the
protocol's cycle days, imaging every ``every_days``, follow-up contacts after the end of
treatment; each has a window, and a visit past its window with no data is overdue.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "EdcDefinition",
    "FieldType",
    "FormDef",
    "FormField",
    "FormKind",
    "ShowIf",
    "VisitDef",
    "VisitKind",
    "find_edc_problems",
]

VisitKind = Literal["screening", "baseline_imaging", "treatment", "imaging", "end_of_treatment",
                    "follow_up", "log"]
FormKind = Literal[
    "demographics", "eligibility", "body_measurement", "medical_history", "prior_therapy",
    "labs", "vital_signs", "ecog", "adverse_event", "concomitant_medication", "dosing",
    "tumour", "end_of_treatment", "death", "survival_contact", "ecg", "protocol_deviation",
]
FieldType = Literal["date", "partial_date", "number", "integer", "text", "choice", "boolean"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ShowIf(_Model):
    """Skip logic: show (and require) a field only when another field has one of *values*."""

    field: str
    values: list[str] = Field(min_length=1)


class FormField(_Model):
    """One field of a form with its edit checks."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    type: FieldType
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    required: bool = False
    choices: list[str] = Field(default_factory=list)
    vocabulary: Literal["ctcae_terms", "lab_units", "sites"] | None = None
    show_if: ShowIf | None = None
    max_length: int = Field(default=200, gt=0)
    help: str = ""


class VisitDef(_Model):
    """A planned visit (or, for kind ``log``, the subject-level log of repeating forms).

    ``id`` may contain ``{cycle}``, ``{day}`` or ``{n}``; day offsets are from cycle 1 day 1.
    """

    id: str
    label: str
    kind: VisitKind
    cycle_days: list[int] = Field(default_factory=list)
    every_days: int | None = Field(default=None, gt=0)
    offset_days: int = 0
    window_before_days: int = Field(default=0, ge=0)
    window_after_days: int = Field(default=0, ge=0)
    source: str


class FormDef(_Model):
    """A case report form: where it is expected, what it stores, and its fields."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    kind: FormKind
    visits: list[str] = Field(min_length=1)
    cycle_days: list[int] = Field(default_factory=list)
    repeating: bool = False
    tests: list[str] = Field(default_factory=list)
    optional_tests: list[str] = Field(default_factory=list)
    fields: list[FormField] = Field(default_factory=list)
    source: str


class EdcDefinition(_Model):
    """The eCRF: visits in the order they are shown, and the forms."""

    visits: list[VisitDef] = Field(min_length=1)
    forms: list[FormDef] = Field(min_length=1)
    overdue_grace_days: int = Field(default=0, ge=0)

    def form(self, form_id: str) -> FormDef:
        """The form called *form_id* (``KeyError`` naming the known forms otherwise)."""
        for form in self.forms:
            if form.id == form_id:
                return form
        known = ", ".join(f.id for f in self.forms)
        raise KeyError(f"no form {form_id!r} (known: {known})")

    def visit(self, visit_id: str) -> VisitDef:
        """The visit definition called *visit_id* (its template id for repeating visits)."""
        for visit in self.visits:
            if visit.id == visit_id:
                return visit
        known = ", ".join(v.id for v in self.visits)
        raise KeyError(f"no visit {visit_id!r} (known: {known})")


def _check_form(i: int, form: FormDef, visit_ids: set[str], cycle_length: int) -> list[str]:
    where = f"edc.forms[{i}]"
    problems = [f"{where}.visits: unknown visit {v!r} (allowed: {', '.join(sorted(visit_ids))})"
                for v in form.visits if v not in visit_ids]
    problems += [f"{where}.cycle_days: day {d} is outside the cycle (1–{cycle_length})"
                 for d in form.cycle_days if not 1 <= d <= cycle_length]
    names = [f.name for f in form.fields]
    problems += [f"{where}.fields: duplicate field {n!r}" for n in sorted(set(names))
                 if names.count(n) > 1]
    for j, field in enumerate(form.fields):
        at = f"{where}.fields[{j}]"
        if field.type == "choice" and not field.choices and field.vocabulary is None:
            problems.append(f"{at}: a choice field needs choices or a vocabulary")
        if field.min is not None and field.max is not None and field.min > field.max:
            problems.append(f"{at}: min {field.min:g} > max {field.max:g}")
        if field.show_if is not None and field.show_if.field not in names:
            problems.append(f"{at}.show_if.field: unknown field {field.show_if.field!r}")
    if form.kind == "labs" and not form.tests:
        problems.append(f"{where}.tests: a labs form needs its tests")
    return problems


def find_edc_problems(edc: EdcDefinition, *, cycle_length: int) -> list[str]:
    """Every cross-field problem of the eCRF section as ``"location: problem"`` strings.

    Parameters
    ----------
    edc
        The parsed ``edc`` section of a protocol.
    cycle_length
        The protocol's cycle length in days; visit and form cycle days must lie in 1 to it.

    Returns
    -------
    list of str
        Duplicate visits and forms, treatment visits without cycle days, repeating imaging or
        follow-up visits without ``every_days``, forms naming unknown visits, duplicate or
        inconsistent fields and labs forms without tests; empty when there is none.
    """
    problems: list[str] = []
    visit_ids = [v.id for v in edc.visits]
    problems += [f"edc.visits: duplicate visit {v!r}" for v in sorted(set(visit_ids))
                 if visit_ids.count(v) > 1]
    for i, visit in enumerate(edc.visits):
        where = f"edc.visits[{i}]"
        if visit.kind == "treatment" and not visit.cycle_days:
            problems.append(f"{where}.cycle_days: a treatment visit needs its cycle days")
        problems += [f"{where}.cycle_days: day {d} is outside the cycle (1–{cycle_length})"
                     for d in visit.cycle_days if not 1 <= d <= cycle_length]
        if visit.kind in ("imaging", "follow_up") and visit.every_days is None:
            problems.append(f"{where}.every_days: a repeating {visit.kind} visit needs it")
    form_ids = [f.id for f in edc.forms]
    problems += [f"edc.forms: duplicate form {f!r}" for f in sorted(set(form_ids))
                 if form_ids.count(f) > 1]
    for i, form in enumerate(edc.forms):
        problems += _check_form(i, form, set(visit_ids), cycle_length)
    return problems
