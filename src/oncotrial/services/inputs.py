"""What a caller sends to the clinical write services, as pydantic models.

One model per write: a lab result, a day's vital signs, a body measurement, an adverse event, a
lesion reading and an imaging timepoint, a dose. The service validates its arguments with the
model before it touches the database; the JSON API takes the same models as its request bodies
(so its OpenAPI schema is theirs); the web forms reach them through the services. The value
rules are not written here again: each model hands its fields to
:func:`oncotrial.services._validation.row_problems`, the rules every stored row is checked
against at flush, and adds only what a single row cannot say (no lesion twice in one reading,
diastolic below systolic, limits of normal in order).

Validated by a service (``LabInput.checked({...}, subject=...)``) a model is strict (a ``True``
is not a number, a date-time is not a date) and refuses with :class:`~oncotrial.errors.DataError`
naming the field, the value, what is allowed, the subject and the visit. Read from JSON by the
API it is lax (``"2024-01-02"`` is a date) and refuses with HTTP 422.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from oncotrial.errors import DataError
from oncotrial.rules.dosing import Flag
from oncotrial.services._validation import Problem, row_problems
from oncotrial.services._vocabulary import (
    AE_ACTIONS,
    AE_OUTCOMES,
    ATTRIBUTIONS,
    LAB_TESTS,
    LESION_CATEGORIES,
    LESION_STATES,
    VITAL_SIGNS,
)
from oncotrial.types import Response

__all__ = [
    "AdverseEventInput",
    "BodyMeasurementInput",
    "DoseInput",
    "LabInput",
    "LabsInput",
    "LesionReading",
    "TumourAssessmentInput",
    "VitalSignsInput",
    "pressure_problems",
]


def _enum(values: Any) -> Any:
    """A closed vocabulary as the JSON schema shows it (the rules check it)."""
    return Field(json_schema_extra={"enum": list(values)})


def _refuse(problems: list[Problem], rename: Mapping[str, str] | None = None) -> None:
    """Raise the first problem as a pydantic error that keeps field, value and allowed."""
    if not problems:
        return
    first = problems[0]
    field = (rename or {}).get(first.field, first.field)
    raise PydanticCustomError("oncotrial", "{field}: {message}", {
        "field": field, "message": first.message, "value": first.value,
        "allowed": first.allowed or ""})


def _repeated(field: str, keys: list[str], what: str, allowed: str) -> list[Problem]:
    """The first key listed twice, as a problem of *field*."""
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            return [Problem(field, key, f"{what} listed twice", allowed)]
        seen.add(key)
    return []


def _where(loc: tuple[int | str, ...], field: str | None) -> str | None:
    """``("lesions", 0)`` and ``diameter_mm`` -> ``lesions[0].diameter_mm``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    if field:
        text = f"{text}.{field}" if text else field
    return text or None


def _data_error(exc: ValidationError, *, subject: str | None, visit: str | None) -> DataError:
    error = exc.errors(include_url=False)[0]
    ctx = error.get("ctx") or {}
    if error["type"] == "oncotrial":
        return DataError(str(ctx["message"]), field=_where(error["loc"], str(ctx["field"])),
                         value=ctx.get("value"), allowed=str(ctx.get("allowed")) or None,
                         subject=subject, visit=visit)
    return DataError(error["msg"], field=_where(error["loc"], None) or exc.title,
                     value=error["input"] if error["type"] != "missing" else None,
                     subject=subject, visit=visit)


class _Input(BaseModel):
    """Frozen, no unknown fields; :meth:`checked` is strict, JSON (the API) is lax."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True,
                              validate_by_alias=True, revalidate_instances="always")

    @classmethod
    def checked(cls, values: Mapping[str, Any], *, subject: str | None = None,
                visit: str | None = None) -> Self:
        """The model of *values* (by field name or alias), validated strictly; otherwise a
        :class:`DataError` naming the field, the value, what is allowed, subject and visit."""
        data = {k: list(v) if isinstance(v, tuple) and k in _LISTS else v
                for k, v in values.items()}
        try:
            return cls.model_validate(data, strict=True)
        except ValidationError as exc:
            raise _data_error(exc, subject=subject, visit=visit) from None

    def arguments(self) -> dict[str, Any]:
        """The fields by their Python names, as keyword arguments of the service."""
        return {name: getattr(self, name) for name in type(self).model_fields}


_LISTS = frozenset({"results", "lesions", "flags"})  # sequences a caller may pass as tuples


class LabInput(_Input):
    """One lab result in standard units (CDISC LBTESTCD, LBSTRESN, LBSTRESU)."""

    test_code: str = _enum(LAB_TESTS)
    value: float
    unit_of_measure: str = Field(alias="unit", description="CDISC LBSTRESU, e.g. 10^9/L")
    lln: float | None = None
    uln: float | None = None
    baseline: float | None = Field(
        default=None, description="the subject's baseline, for terms graded against it")

    @model_validator(mode="after")
    def _rules(self) -> Self:
        _refuse(row_problems("lab_result", {
            "test_code": self.test_code, "value": self.value, "unit": self.unit_of_measure,
            "lln": self.lln, "uln": self.uln}))  # errors name "unit", as the API and the row do
        if self.baseline is not None:
            _refuse(row_problems("lab_result", {"value": self.baseline}), {"value": "baseline"})
        return self


class LabsInput(_Input):
    """Lab results of one collection date (at most one per test)."""

    collected_on: date
    results: list[LabInput] = Field(min_length=1, max_length=50, strict=False)

    @model_validator(mode="after")
    def _once_each(self) -> Self:
        _refuse(_repeated("results", [r.test_code for r in self.results], "test",
                          "each test once per collection"))
        return self


def pressure_problems(systolic_mmhg: float, diastolic_mmhg: float) -> list[Problem]:
    """A diastolic pressure not below the systolic one (swapped or mistyped readings).

    Parameters
    ----------
    systolic_mmhg, diastolic_mmhg
        The two pressures of one reading (mmHg).

    Returns
    -------
    list of Problem
        Empty when diastolic is below systolic, else the one problem (field ``diastolic_mmhg``).
    """
    if diastolic_mmhg < systolic_mmhg:
        return []
    return [Problem("diastolic_mmhg", diastolic_mmhg, "diastolic must be below systolic",
                    f"below {systolic_mmhg:g} mmHg")]


class VitalSignsInput(_Input):
    """Blood pressure (graded for CTCAE Hypertension) and the other vital signs of one day."""

    measured_on: date
    systolic_mmhg: float
    diastolic_mmhg: float
    pulse_bpm: float | None = None
    temperature_c: float | None = None
    weight_kg: float | None = None
    previously_normal: bool | None = None

    #: input field -> VSTESTCD
    CODES: ClassVar[dict[str, str]] = {
        "systolic_mmhg": "SYSBP", "diastolic_mmhg": "DIABP", "pulse_bpm": "PULSE",
        "temperature_c": "TEMP", "weight_kg": "WEIGHT"}

    @model_validator(mode="after")
    def _rules(self) -> Self:
        for name, code in self.CODES.items():
            value = getattr(self, name)
            if value is not None:
                _refuse(row_problems("vital_sign", {"test_code": code, "value": value,
                                                    "unit": VITAL_SIGNS[code][0]}),
                        {"value": name})
        _refuse(pressure_problems(self.systolic_mmhg, self.diastolic_mmhg))
        return self


class BodyMeasurementInput(_Input):
    """Height and weight (BSA is computed from them under the protocol's policy)."""

    measured_on: date
    height_cm: float
    weight_kg: float

    @model_validator(mode="after")
    def _rules(self) -> Self:
        _refuse(row_problems("body_measurement", self.arguments()))
        return self


class AdverseEventInput(_Input):
    """An adverse event: CTCAE v5.0 term and grade, dates, seriousness, attribution per drug."""

    term: str
    grade: int
    start_date: date
    end_date: date | None = None
    related_lenvatinib: str = _enum(ATTRIBUTIONS)
    related_eribulin: str = _enum(ATTRIBUTIONS)
    serious: bool = False
    action_taken: str = Field(default="DOSE NOT CHANGED", json_schema_extra={
        "enum": list(AE_ACTIONS)})
    outcome: str = Field(default="NOT RECOVERED/NOT RESOLVED", json_schema_extra={
        "enum": list(AE_OUTCOMES)})
    flags: list[Flag] = Field(default_factory=list,
                              description="facts the DLT and dose rules read: fever, "
                              "bleeding, intolerable, ...")

    @model_validator(mode="after")
    def _rules(self) -> Self:
        values = self.arguments()
        del values["flags"]
        _refuse(row_problems("adverse_event", values))
        return self


class LesionReading(_Input):
    """One lesion at one assessment.

    ``diameter_mm`` is the longest diameter (short axis for a lymph node) of a target lesion, or
    of a measured new lesion (iRECIST); ``state`` describes non-target and new lesions (PRESENT,
    ABSENT, UNEQUIVOCAL, EQUIVOCAL, NOT DONE, TOO SMALL TO MEASURE, INCREASED). ``location`` is
    the organ (SDTM TULOC); ``density_hu`` the mean attenuation of a target lesion (Choi).
    """

    link_id: str = Field(max_length=20, pattern=r"^[A-Za-z0-9._-]+$")
    category: str = _enum(LESION_CATEGORIES)
    location: str
    diameter_mm: float | None = None
    state: str = Field(default="", json_schema_extra={"enum": ["", *LESION_STATES]})
    nodal: bool = False
    perpendicular_mm: float | None = None
    density_hu: float | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        problems = row_problems("lesion", {"link_id": self.link_id, "category": self.category,
                                           "location": self.location, "nodal": self.nodal})
        problems += row_problems("lesion_measurement", {
            "diameter_mm": self.diameter_mm, "perpendicular_mm": self.perpendicular_mm,
            "density_hu": self.density_hu, "state": self.state or None})
        if self.density_hu is not None and self.category != "TARGET":
            problems.append(Problem("density_hu", self.density_hu,
                                    f"density (HU) is measured on target lesions, not "
                                    f"{self.category}", "a TARGET lesion"))
        _refuse([Problem(p.field, p.value, f"lesion {self.link_id}: {p.message}", p.allowed)
                 for p in problems])
        return self


class TumourAssessmentInput(_Input):
    """One imaging timepoint: every lesion read, and the investigator's response if given."""

    visit: str
    visitnum: float
    assessed_on: date
    lesions: list[LesionReading] = Field(min_length=1, max_length=100, strict=False)
    investigator_response: str | None = Field(default=None, json_schema_extra={
        "enum": [r.value for r in Response]})
    evaluator: str = "INVESTIGATOR"

    @model_validator(mode="after")
    def _rules(self) -> Self:
        _refuse(row_problems("tumour_assessment", {
            "visit_name": self.visit, "visitnum": self.visitnum,
            "assessed_on": self.assessed_on, "evaluator": self.evaluator,
            "investigator_response": self.investigator_response}), {"visit_name": "visit"})
        _refuse(_repeated("lesions", [r.link_id for r in self.lesions], "lesion",
                          "each lesion once per assessment"))
        return self


class DoseInput(_Input):
    """A dose given (mg; 0 when held or omitted) on a planned dosing day."""

    drug: str
    cycle: int
    day: int
    administered_on: date
    given_dose_mg: float
    reason: str | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        _refuse(row_problems("drug_administration", {
            "drug": self.drug, "cycle": self.cycle, "day": self.day,
            "administered_on": self.administered_on, "given_dose": self.given_dose_mg,
            "reason": self.reason}), {"given_dose": "given_dose_mg"})
        return self
