"""The structured forms: eligibility (from the protocol's criteria), dosing (with the dose
engine's recommendation for the day) and tumour measurements (RECIST 1.1 on save)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import ClassVar

from sqlalchemy import select

from oncotrial.errors import DataError
from oncotrial.protocol.edc import FormField
from oncotrial.protocol.models import Criterion
from oncotrial.rules.dosing import DoseDecision
from oncotrial.services import assessments, dosing, enrolment
from oncotrial.services._form_kinds import (
    NEW,
    Entry,
    FieldRefused,
    FieldView,
    Kind,
    View,
    _owned,
    _refusing,
    shown,
)
from oncotrial.services._unit import check_version
from oncotrial.services.casebook import RowRef
from oncotrial.services.form_fields import Value
from oncotrial.store.schema import (
    DrugAdministration,
    EligibilityResult,
    Enrolment,
    Lesion,
    LesionMeasurement,
    TumourAssessment,
)
from oncotrial.types import Phase

__all__ = ["PANELS"]

_OTHER = "(other, not listed)"


def _criterion_fields(crit: Criterion) -> list[FormField]:
    label = f"{crit.id}: {crit.text}"
    if isinstance(crit.value, bool):
        return [FormField(name=crit.field, label=label, type="boolean")]
    if isinstance(crit.value, list):
        return [FormField(name=crit.field, label=label, type="choice",
                          choices=[*[str(v) for v in crit.value], _OTHER])]
    if crit.op in ("==", "!=") and isinstance(crit.value, str):
        return [FormField(name=crit.field, label=label, type="text", max_length=80)]
    unit = "× ULN" if crit.basis == "xULN" else crit.unit
    fields = [FormField(name=crit.field, label=label, type="number", unit=unit)]
    if crit.basis == "xULN":
        fields = [FormField(name=crit.field, label=label, type="number",
                            unit=crit.unit or None, help="the measured value"),
                  FormField(name=f"{crit.field}_uln", label="Upper limit of normal",
                            type="number", min=0, unit=crit.unit or None)]
    return fields


_ENROL_FIELDS = [
    FormField(name="phase", label="Phase", type="choice", choices=["Ib", "II"], required=True),
    FormField(name="enrolled_on", label="Date of enrolment", type="date", required=True),
]


class Eligibility(Kind):
    """Every criterion of the protocol, evaluated on save; an eligible subject is enrolled."""

    layout = "eligibility"
    model = EligibilityResult

    def fields(self, view: View, entry: str) -> list[FormField]:
        return [f for c in view.protocol.eligibility for f in _criterion_fields(c)] + \
            _ENROL_FIELDS

    def entries(self, view: View) -> list[Entry]:
        rows = [r for r in self.rows(view) if isinstance(r, EligibilityResult)]
        if not rows:
            return [self.blank(view)]
        texts = {c.id: c.text for c in view.protocol.eligibility}
        entries = []
        for row in rows:
            verdict = "not evaluable" if row.met is None else ("met" if row.met else "NOT met")
            field = FormField(name="met", label=f"{row.criterion}: "
                              f"{texts.get(row.criterion, '')}", type="text")
            entries.append(Entry(
                key=str(row.id), title=f"{row.criterion} ({row.kind})", saved=True,
                version=row.version, derived=(f"{verdict}: {row.reason}",),
                fields=(FieldView(field=field, value=verdict,
                                  row=RowRef("eligibility_result", row.id, view.subject.id),
                                  column="met"),)))
        return entries

    def notices(self, view: View) -> tuple[str, ...]:
        record = view.unit.session.scalar(select(Enrolment).where(
            Enrolment.subject_id == view.subject.id, Enrolment.deleted.is_(False)))
        if record is not None:
            return (f"enrolled on {record.enrolled_on.isoformat()} in phase {record.phase}, "
                    f"regimen {record.regimen}"
                    + (f", cohort {record.cohort}" if record.cohort else "")
                    + f" ({record.decision_rule})",)
        if view.subject.status == "screen_failed":
            return (f"screen failure: {view.subject.screen_fail_reason}",)
        return ()

    def create(self, view: View, values: Mapping[str, Value],
               raw: Mapping[str, str]) -> list[str]:
        if self.rows(view):
            raise DataError("eligibility is already evaluated", field="form",
                            value="eligibility", subject=view.number)
        screening: dict[str, object] = {}
        for crit in view.protocol.eligibility:
            value = values.get(crit.field)
            if value is None or value == _OTHER:
                if value == _OTHER:
                    screening[crit.field] = "OTHER"
                continue
            number = isinstance(value, float | int) and not isinstance(value, bool)
            if number and crit.basis == "xULN":
                uln = values.get(f"{crit.field}_uln")
                if uln is None:
                    raise FieldRefused(f"{crit.field}_uln", "", "the upper limit of normal is "
                                       "needed: the criterion is a multiple of it")
                screening[crit.field] = {"value": float(value), "uln": uln,  # type: ignore[arg-type]
                                         "unit": crit.unit or "same unit as the ULN"}
            elif number and crit.unit:
                screening[crit.field] = {"value": float(value), "unit": crit.unit}  # type: ignore[arg-type]
            else:
                screening[crit.field] = value
        enrolled_on = values.get("enrolled_on")
        assert isinstance(enrolled_on, date)
        with _refusing("phase", values.get("phase")):
            outcome = enrolment.enrol_subject(
                view.unit, view.number, screening=screening, phase=Phase(str(values["phase"])),
                enrolled_on=enrolled_on, protocol=view.protocol)
        if not outcome.eligible:
            missing = ", ".join((*outcome.failed, *outcome.missing))
            return [f"not eligible — screen failure (criteria: {missing})"]
        cohort = f", cohort {outcome.cohort}" if outcome.cohort else ""
        return [(f"eligible: enrolled in phase {outcome.phase}, regimen {outcome.regimen}"
                f"{cohort} ({outcome.rule})")]


def _dose_fields(drug: str) -> list[FormField]:
    return [
        FormField(name=f"{drug}_dose_mg", label=f"{drug.capitalize()} dose given", type="number",
                  unit="mg", min=0, max=500, required=True),
        FormField(name=f"{drug}_reason", label="Reason if it differs from the recommendation",
                  type="text", max_length=200),
    ]


class Dosing(Kind):
    """The doses of the day beside the dose engine's recommendation."""

    layout = "dosing"
    model = DrugAdministration
    dose_columns: ClassVar[tuple[str, str]] = ("given_dose", "reason")

    def _decision(self, view: View) -> DoseDecision | None:
        visit = view.visit
        if visit.cycle is None or visit.day is None:
            return None
        on = view.day or visit.planned or view.today
        try:
            return dosing.recommend_dose(view.unit, view.number, cycle=visit.cycle,
                                         day=visit.day, on=on, protocol=view.protocol)
        except DataError:
            return None

    def _due(self, view: View) -> list[str]:
        day = view.visit.day
        return [d.name for d in view.protocol.drugs if day is not None and day in d.days]

    def _saved(self, view: View) -> dict[str, DrugAdministration]:
        return {r.drug: r for r in self.rows(view) if isinstance(r, DrugAdministration)}

    def fields(self, view: View, entry: str) -> list[FormField]:
        saved = self._saved(view)
        if entry != NEW:
            row = _owned(view, DrugAdministration, entry)
            assert isinstance(row, DrugAdministration)
            return _dose_fields(row.drug)
        return [f for drug in self._due(view) if drug not in saved for f in _dose_fields(drug)]

    def entries(self, view: View) -> list[Entry]:
        saved = self._saved(view)
        decision = self._decision(view)
        entries = []
        for drug in self._due(view):
            fields = _dose_fields(drug)
            row = saved.get(drug)
            advice: tuple[str, ...] = ()
            if decision is not None:
                try:
                    d = decision.drug(drug)
                    dose = "no dose" if d.dose_mg is None else f"{d.dose_mg:g} mg"
                    advice = (f"recommended: {d.action.value}, {dose}"
                              + (f" (level {d.level:g})" if d.level is not None else ""),
                              *[f"{r.name}: {r.reason}" for r in d.rules],
                              *[f"{b.name}: {b.reason}" for b in d.blocked])
                except KeyError:
                    advice = ()
            if row is None:
                entries.append(Entry(key=f"{NEW}:{drug}", title=drug.capitalize(),
                                     fields=tuple(FieldView(field=f, value="") for f in fields),
                                     derived=advice))
                continue
            ref = RowRef("drug_administration", row.id, view.subject.id)
            values = (row.given_dose, row.reason)
            entries.append(Entry(
                key=str(row.id), title=drug.capitalize(), version=row.version, saved=True,
                fields=tuple(FieldView(field=f, value=shown(v), row=ref, column=c)
                             for f, v, c in zip(fields, values, self.dose_columns, strict=True)),
                derived=((f"engine: {row.recommended_action}, {row.recommended_dose:g} mg; "
                         f"recorded: {row.action}"),)))
        return entries

    def notices(self, view: View) -> tuple[str, ...]:
        decision = self._decision(view)
        if decision is None or decision.bsa is None:
            return ()
        return (f"BSA {decision.bsa.bsa_used_m2:.2f} m² ({decision.bsa.formula})",)

    def create(self, view: View, values: Mapping[str, Value],
               raw: Mapping[str, str]) -> list[str]:
        visit = view.visit
        assert visit.cycle is not None
        assert visit.day is not None
        saved = self._saved(view)
        messages = []
        for drug in self._due(view):
            if drug in saved or values.get(f"{drug}_dose_mg") is None:
                continue
            dose = values[f"{drug}_dose_mg"]
            assert isinstance(dose, float | int)
            reason = values.get(f"{drug}_reason")
            with _refusing(f"{drug}_dose_mg", dose):
                record = dosing.record_dose(
                    view.unit, view.number, drug=drug, cycle=visit.cycle, day=visit.day,
                    administered_on=self._day(view), given_dose_mg=float(dose),
                    protocol=view.protocol, reason=None if reason is None else str(reason))
            deviation = " — a deviation, with its reason" if record.deviation else ""
            messages.append(f"{drug}: {float(dose):g} mg recorded "
                            f"(engine: {record.decision.action.value}){deviation}")
        self._fix_start(view)
        return messages

    def _day(self, view: View) -> date:
        if view.day is None:
            raise FieldRefused("visit_date", "", "the visit date is needed first")
        return view.day

    def _fix_start(self, view: View) -> None:
        """The first dose fixes cycle 1 day 1, the anchor of every later visit."""
        record = view.unit.session.scalar(select(Enrolment).where(
            Enrolment.subject_id == view.subject.id, Enrolment.deleted.is_(False)))
        if record is not None and record.reference_start_date is None and \
                view.visit.cycle == 1 and view.visit.day == 1 and view.day is not None:
            enrolment.set_reference_start(view.unit, view.number, start=view.day)

    def update(self, view: View, key: str, values: Mapping[str, Value], *, version: int,
               reason: str) -> list[str]:
        row = _owned(view, DrugAdministration, key)
        assert isinstance(row, DrugAdministration)
        check_version(row, version, subject=view.number)
        dose = values.get(f"{row.drug}_dose_mg")
        given_reason = values.get(f"{row.drug}_reason")
        assert isinstance(dose, float | int)
        if float(dose) != row.recommended_dose and not given_reason:
            raise FieldRefused(f"{row.drug}_reason", "", "a dose that differs from the "
                               "engine's needs its reason")
        row.given_dose = float(dose)
        row.reason = None if given_reason is None else str(given_reason)
        view.unit.session.flush()
        return [f"{row.drug} dose changed"]


_LESION_ROWS = 8
_NEW_ROWS = 3
_TARGET_STATES = ["", "TOO SMALL TO MEASURE", "NOT DONE"]
# INCREASED: grown since the last assessment without unequivocal progression (iRECIST iCPD by
# non-target or new non-target growth; EORTC RECIST FAQ category INCLA)
_NONTARGET_STATES = ["PRESENT", "ABSENT", "UNEQUIVOCAL", "INCREASED", "NOT DONE"]
_NEW_STATES = ["UNEQUIVOCAL", "EQUIVOCAL"]
_NEW_FOLLOW_STATES = ["", "PRESENT", "ABSENT", "INCREASED", "EQUIVOCAL", "TOO SMALL TO MEASURE",
                      "NOT DONE"]


class Tumour(Kind):
    """Lesions at a tumour assessment: identified at baseline, measured at each follow-up."""

    layout = "tumour"
    model = TumourAssessment

    def _known(self, view: View) -> list[Lesion]:
        return list(view.unit.session.scalars(select(Lesion).where(
            Lesion.subject_id == view.subject.id, Lesion.evaluator == "INVESTIGATOR",
            Lesion.deleted.is_(False)).order_by(Lesion.link_id)))

    def _baseline(self, view: View) -> bool:
        return view.visit.kind == "baseline_imaging" or not any(
            lesion.category != "NEW" for lesion in self._known(view))

    def fields(self, view: View, entry: str) -> list[FormField]:
        if entry != NEW:
            return [FormField(name="diameter_mm", label="Diameter", type="number", unit="mm",
                              min=0, max=500),
                    FormField(name="state", label="State", type="choice",
                              choices=[s for s in _TARGET_STATES + _NONTARGET_STATES if s]),
                    _density_field("density_hu", "Mean density (Choi)")]
        fields = [FormField(name="assessed_on", label="Date of imaging", type="date",
                            required=True)]
        if self._baseline(view):
            for i in range(1, _LESION_ROWS + 1):
                fields += [
                    FormField(name=f"l{i}_category", label=f"Lesion {i}: category",
                              type="choice", choices=["TARGET", "NON-TARGET"]),
                    FormField(name=f"l{i}_location", label="Organ / location", type="text",
                              max_length=120),
                    FormField(name=f"l{i}_nodal", label="Lymph node", type="boolean"),
                    FormField(name=f"l{i}_diameter_mm", label="Longest diameter (short axis "
                              "for a node)", type="number", unit="mm", min=0, max=500),
                    _density_field(f"l{i}_density_hu", "Mean density of a target (Choi)"),
                ]
            return fields
        for lesion in self._known(view):
            key = _field_key(lesion.link_id)
            states = {"TARGET": _TARGET_STATES, "NEW": _NEW_FOLLOW_STATES}.get(
                lesion.category, _NONTARGET_STATES)
            label = f"{lesion.link_id} {lesion.category} — {lesion.location}"
            if lesion.category in ("TARGET", "NEW"):  # new lesions measured for iRECIST
                fields.append(FormField(name=f"{key}_diameter_mm", label=label, type="number",
                                        unit="mm", min=0, max=500))
            if lesion.category == "TARGET":
                fields.append(_density_field(f"{key}_density_hu",
                                             f"{lesion.link_id} mean density (Choi)"))
            fields.append(FormField(name=f"{key}_state", label=f"{lesion.link_id} state",
                                    type="choice", choices=[s for s in states if s],
                                    required=lesion.category == "NON-TARGET"))
        for i in range(1, _NEW_ROWS + 1):
            fields += [FormField(name=f"n{i}_location", label=f"New lesion {i}: location",
                                 type="text", max_length=120),
                       FormField(name=f"n{i}_nodal", label="Lymph node", type="boolean"),
                       FormField(name=f"n{i}_diameter_mm", label="Longest diameter (short "
                                 "axis for a node; iRECIST new-lesion target)", type="number",
                                 unit="mm", min=0, max=500),
                       FormField(name=f"n{i}_state", label="Unequivocal or equivocal",
                                 type="choice", choices=_NEW_STATES)]
        return fields

    def entries(self, view: View) -> list[Entry]:
        assessment = next((r for r in self.rows(view) if isinstance(r, TumourAssessment)), None)
        if assessment is None:
            return [self.blank(view)]
        measures = view.unit.session.execute(
            select(LesionMeasurement, Lesion).join(Lesion, Lesion.id == LesionMeasurement.lesion_id)
            .where(LesionMeasurement.assessment_id == assessment.id,
                   LesionMeasurement.deleted.is_(False)).order_by(Lesion.link_id)).all()
        entries = []
        for m, lesion in measures:
            ref = RowRef("lesion_measurement", m.id, view.subject.id)
            fields = self.fields(view, str(m.id))
            entries.append(Entry(
                key=str(m.id), title=f"{lesion.link_id} {lesion.category} — {lesion.location}"
                + (" (node)" if lesion.nodal else ""), version=m.version, saved=True,
                fields=(FieldView(field=fields[0], value=shown(m.diameter_mm), row=ref,
                                  column="diameter_mm"),
                        FieldView(field=fields[1], value=shown(m.state), row=ref,
                                  column="state"),
                        FieldView(field=fields[2], value=shown(m.density_hu), row=ref,
                                  column="density_hu"))))
        return entries

    def notices(self, view: View) -> tuple[str, ...]:
        assessment = next((r for r in self.rows(view) if isinstance(r, TumourAssessment)), None)
        if assessment is None:
            return ()
        if assessment.computed_response is None:
            diameters = view.unit.session.scalars(
                select(LesionMeasurement.diameter_mm)
                .join(Lesion, Lesion.id == LesionMeasurement.lesion_id)
                .where(LesionMeasurement.assessment_id == assessment.id,
                       LesionMeasurement.deleted.is_(False), Lesion.category == "TARGET")).all()
            known = [d for d in diameters if d is not None]
            text = f": sum of diameters {sum(known):g} mm (RECIST 1.1 §4.2)" if known else ""
            return (f"baseline assessment of {assessment.assessed_on.isoformat()}{text}",)
        total = assessment.sum_diameters_mm
        return (f"RECIST 1.1 timepoint response: {assessment.computed_response} (target "
                f"{assessment.computed_target}, non-target {assessment.computed_nontarget}, "
                f"new lesion {assessment.computed_new_lesion}; rule {assessment.computed_rule})"
                + ("" if total is None else f"; sum of diameters {total:g} mm"),)

    def _readings(self, view: View, values: Mapping[str, Value]
                  ) -> list[tuple[str, dict[str, object]]]:
        """The lesions typed, as fields of :class:`~oncotrial.services.inputs.LesionReading`
        (the service validates them), each with the prefix of its row's form fields."""
        readings: list[tuple[str, dict[str, object]]] = []
        if self._baseline(view):
            n_target = 0
            for i in range(1, _LESION_ROWS + 1):
                category = values.get(f"l{i}_category")
                if category is None:
                    continue
                n_target += category == "TARGET"
                readings.append((f"l{i}", {
                    "link_id": f"{'T' if category == 'TARGET' else 'NT'}{i:02d}",
                    "category": str(category), "location": str(values.get(f"l{i}_location") or ""),
                    "nodal": bool(values.get(f"l{i}_nodal")),
                    "diameter_mm": _num(values.get(f"l{i}_diameter_mm")),
                    "density_hu": _num(values.get(f"l{i}_density_hu")),
                    "state": "" if category == "TARGET" else "PRESENT"}))
            return readings
        for lesion in self._known(view):
            key = _field_key(lesion.link_id)
            if lesion.category == "NEW" and values.get(f"{key}_diameter_mm") is None \
                    and not values.get(f"{key}_state"):
                continue  # a new lesion left blank at this visit is not recorded
            readings.append((key, {
                "link_id": lesion.link_id, "category": lesion.category, "location": lesion.location,
                "nodal": lesion.nodal, "diameter_mm": _num(values.get(f"{key}_diameter_mm")),
                "density_hu": _num(values.get(f"{key}_density_hu")),
                "state": str(values.get(f"{key}_state") or "")}))
        for i in range(1, _NEW_ROWS + 1):
            state = values.get(f"n{i}_state")
            if state is None and values.get(f"n{i}_diameter_mm") is not None:
                raise FieldRefused(f"n{i}_state", "", "a new lesion with a diameter needs to be "
                                   "called unequivocal or equivocal")
            if state is not None:
                readings.append((f"n{i}", {
                    "link_id": f"NEW{view.visit.visitnum:g}-{i}", "category": "NEW",
                    "location": str(values.get(f"n{i}_location") or ""), "state": str(state),
                    "nodal": bool(values.get(f"n{i}_nodal")),
                    "diameter_mm": _num(values.get(f"n{i}_diameter_mm"))}))
        return readings

    def create(self, view: View, values: Mapping[str, Value],
               raw: Mapping[str, str]) -> list[str]:
        self.refuse_second(view)
        assessed_on = values.get("assessed_on")
        assert isinstance(assessed_on, date)
        typed = self._readings(view, values)

        def form_field(name: str) -> str | None:  # lesions[2].diameter_mm -> l3_diameter_mm
            found = re.fullmatch(r"lesions\[(\d+)\]\.(\w+)", name)
            if found is None or int(found[1]) >= len(typed):
                return None
            return f"{typed[int(found[1])][0]}_{found[2]}"

        with _refusing("assessed_on", assessed_on, form_field):
            row = assessments.record_tumour_assessment(
                view.unit, view.number, visit=view.visit.name, visitnum=view.visit.visitnum,
                assessed_on=assessed_on, lesions=[reading for _, reading in typed],
                protocol=view.protocol)
        view.unit.session.flush()
        saved = View(unit=view.unit, protocol=view.protocol, subject=view.subject,
                     visit=view.visit, day=assessed_on, form=view.form,
                     rows=(RowRef("tumour_assessment", row.id, view.subject.id),),
                     today=view.today)
        return ["tumour assessment saved", *self.notices(saved)]

    def update(self, view: View, key: str, values: Mapping[str, Value], *, version: int,
               reason: str) -> list[str]:
        row = _owned(view, LesionMeasurement, key)
        assert isinstance(row, LesionMeasurement)
        check_version(row, version, subject=view.number)
        row.diameter_mm = _num(values.get("diameter_mm"))
        row.density_hu = _num(values.get("density_hu"))
        state = values.get("state")
        row.state = None if state is None else str(state)
        view.unit.session.flush()
        assessments.rederive_tumour_responses(view.unit, view.subject.id,
                                              evaluator="INVESTIGATOR", protocol=view.protocol)
        return ["lesion measurement changed; RECIST responses assessed again",
                *self.notices(view)]


def _field_key(link_id: str) -> str:
    """Form field prefix of a lesion: its link id in lower case, other characters as "_"
    (a new lesion's id "NEW10-1" gives "new10_1")."""
    return re.sub(r"[^a-z0-9_]", "_", link_id.lower())


def _density_field(name: str, label: str) -> FormField:
    """Mean attenuation of a target lesion on contrast CT (Choi et al., JCO 2007;25:1753), on
    the CT number scale (air −1000 HU)."""
    return FormField(name=name, label=label, type="number", unit="HU", min=-1000, max=3071)


def _num(value: Value) -> float | None:
    return float(value) if isinstance(value, float | int) and not isinstance(value, bool) \
        else None


PANELS: dict[str, Kind] = {"eligibility": Eligibility(), "dosing": Dosing(), "tumour": Tumour()}
