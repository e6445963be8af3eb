"""One class per form kind: its fields, its entries as shown, and what saving calls.

Each kind maps the protocol's fields to the columns of its table and calls the domain service
that owns the clinical rule (grading, BSA, DLT, dose decision, RECIST); a change to a saved
entry sets the changed columns and derives the derived ones again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, get_args

from sqlalchemy import select

from oncotrial.errors import DataError, NotFoundError
from oncotrial.protocol import Protocol
from oncotrial.protocol.edc import FormDef, FormField
from oncotrial.rules.ctcae import ctcae_units, grade_lab
from oncotrial.rules.dosing import Flag
from oncotrial.services import history, safety, subjects
from oncotrial.services._unit import Unit, check_version
from oncotrial.services.casebook import RowRef
from oncotrial.services.form_fields import Value
from oncotrial.services.visits import PlannedVisit
from oncotrial.store.schema import (
    AdverseEvent,
    BodyMeasurement,
    CasebookRow,
    ConcomitantTherapy,
    Disposition,
    EcgResult,
    LabResult,
    MedicalHistory,
    PerformanceStatus,
    ProtocolDeviation,
    Subject,
    SurvivalContact,
    VitalSign,
)

__all__ = ["Entry", "FieldRefused", "FieldView", "Kind", "View", "kind_of", "lab_preview"]

NEW = "new"


@dataclass(frozen=True, slots=True)
class FieldView:
    """One field as the page shows it."""

    field: FormField
    value: str
    problem: str | None = None
    row: RowRef | None = None
    column: str | None = None
    verified: bool = False
    open_queries: int = 0


@dataclass(frozen=True, slots=True)
class Entry:
    """One block of a form: the single entry, one test of a panel, one log entry, one drug."""

    key: str
    title: str
    fields: tuple[FieldView, ...]
    version: int | None = None
    derived: tuple[str, ...] = ()
    saved: bool = False


@dataclass(frozen=True, slots=True)
class View:
    """What a kind needs to build or save its form."""

    unit: Unit
    protocol: Protocol
    subject: Subject
    visit: PlannedVisit
    day: date | None
    form: FormDef
    rows: tuple[RowRef, ...]
    today: date

    @property
    def number(self) -> str:
        """The subject's screening number."""
        return self.subject.screening_number


class FieldRefused(Exception):  # noqa: N818  (a refusal carried to the form, not a failure)
    """A domain service refused one field's value."""

    def __init__(self, field: str, value: str, message: str) -> None:
        super().__init__(message)
        self.field, self.value, self.message = field, value, message


def shown(value: object) -> str:
    """A stored value as a form shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@contextmanager
def _refusing(field: str, value: object,
              form_field: Callable[[str], str | None] | None = None) -> Iterator[None]:
    """Turn a service's :class:`DataError` about *field* into a refusal shown beside it;
    *form_field* names the form's field for the service's (``unit`` -> ``neut_unit``)."""
    try:
        yield
    except NotFoundError:
        raise
    except DataError as exc:
        named = form_field(exc.field) if form_field is not None and exc.field else None
        if exc.field is None:
            raise FieldRefused(field, shown(value), str(exc)) from exc
        words = exc.problem + (f" (allowed: {exc.allowed})" if exc.allowed else "")
        raise FieldRefused(named or exc.field, shown(exc.value), words) from exc


def _owned(view: View, model: type[CasebookRow], key: str) -> CasebookRow:
    """The row *key* of this form, or a not-found refusal (keys come from the page)."""
    try:
        row_id = int(key)
    except ValueError:
        raise NotFoundError("no such entry", field="entry", value=key) from None
    if not any(r.id == row_id and r.table == model.__tablename__ for r in view.rows):
        raise NotFoundError("no such entry in this form", field="entry", value=key,
                            subject=view.number, visit=view.visit.name)
    row = view.unit.session.get(model, row_id)
    if row is None:
        raise NotFoundError("no such entry", field="entry", value=key)
    return row


class Kind:
    """A form kind: by default one table, its fields mapped to columns of the same name."""

    layout: ClassVar[str] = "single"
    model: ClassVar[type[CasebookRow]]
    columns: ClassVar[Mapping[str, str]] = {}  # field name -> column, when they differ

    def column(self, name: str) -> str:
        """The column a field is stored in."""
        return self.columns.get(name, name)

    def fields(self, view: View, entry: str) -> list[FormField]:
        """The fields a submission of *entry* carries."""
        del entry
        return list(view.form.fields)

    def rows(self, view: View) -> list[CasebookRow]:
        """The saved rows of this form, oldest first."""
        model = self.model
        ids = [r.id for r in view.rows if r.table == model.__tablename__]
        if not ids:
            return []
        return list(view.unit.session.scalars(select(model).where(model.id.in_(ids))
                                              .order_by(model.id)))

    def entry_of(self, view: View, row: CasebookRow, title: str = "") -> Entry:
        """A saved row as an entry."""
        ref = RowRef(self.model.__tablename__, row.id, view.subject.id)
        fields = tuple(
            FieldView(field=f, value=shown(self.value_of(row, f.name)), row=ref,
                      column=self.column(f.name))
            for f in view.form.fields)
        return Entry(key=str(row.id), title=title or view.form.title, fields=fields,
                     version=row.version, derived=self.derived(view, row), saved=True)

    def value_of(self, row: CasebookRow, name: str) -> object:
        """The stored value behind field *name*."""
        return getattr(row, self.column(name), None)

    def blank(self, view: View) -> Entry:
        """An empty entry to fill in."""
        fields = tuple(FieldView(field=f, value="") for f in self.fields(view, NEW))
        return Entry(key=NEW, title=f"New: {view.form.title}", fields=fields)

    def entries(self, view: View) -> list[Entry]:
        """What the page shows: saved entries, and a blank one where one may be added."""
        saved = [self.entry_of(view, row) for row in self.rows(view)]
        return saved or [self.blank(view)]

    def derived(self, view: View, row: CasebookRow) -> tuple[str, ...]:
        """What the rules derived from a saved row (grades, BSA, …)."""
        del view, row
        return ()

    def notices(self, view: View) -> tuple[str, ...]:
        """What the protocol says about this form today (recommendations, responses)."""
        del view
        return ()

    def create(self, view: View, values: Mapping[str, Value],
               raw: Mapping[str, str]) -> list[str]:
        """Save a new entry; the messages the rules returned."""
        raise NotImplementedError

    def refuse_second(self, view: View) -> None:
        """A single-entry form already saved is changed, not entered twice."""
        if self.rows(view):
            raise DataError("already entered at this visit; open the entry to change it",
                            field="form", value=view.form.id, subject=view.number,
                            visit=view.visit.name)

    def update(self, view: View, key: str, values: Mapping[str, Value], *, version: int,
               reason: str) -> list[str]:
        """Change a saved entry (version read, reason given); derived values again."""
        del reason
        row = _owned(view, self.model, key)
        check_version(row, version, subject=view.number)
        for name, value in values.items():
            column = self.column(name)
            if hasattr(row, column):
                setattr(row, column, value)
        self.after_update(view, row, values)
        view.unit.session.flush()
        return [f"{view.form.title}: changes saved"]

    def after_update(self, view: View, row: CasebookRow, values: Mapping[str, Value]) -> None:
        """Derive what depends on the changed values."""
        del view, row, values


def _d(values: Mapping[str, Value], name: str) -> date:
    value = values.get(name)
    assert isinstance(value, date), name
    return value


def _s(values: Mapping[str, Value], name: str, default: str = "") -> str:
    value = values.get(name)
    return default if value is None else str(value)


def _f(values: Mapping[str, Value], name: str) -> float | None:
    value = values.get(name)
    return None if value is None or isinstance(value, bool | date | str) else float(value)


def _day(view: View) -> date:
    if view.day is None:
        raise DataError("the visit date is needed first", field="visit_date", value=None,
                        subject=view.number, visit=view.visit.name)
    return view.day


# --- simple tables --------------------------------------------------------------------------


class Demographics(Kind):
    """The subject's own row: consent, birth date, sex, histology, ECOG at screening."""

    model = Subject

    def rows(self, view: View) -> list[CasebookRow]:
        return [view.subject]

    def create(self, view: View, values: Mapping[str, Value],
               raw: Mapping[str, str]) -> list[str]:
        raise DataError("the subject is registered; change its demographics instead",
                        field="form", value="demographics", subject=view.number)

    def after_update(self, view: View, row: CasebookRow, values: Mapping[str, Value]) -> None:
        assert isinstance(row, Subject)
        if row.birth_date is not None and row.birth_date >= row.consent_date:
            raise FieldRefused("birth_date", shown(row.birth_date),
                               "birth date must precede consent")


class Body(Kind):
    """Height and weight; BSA from the protocol's BSA policy."""

    model = BodyMeasurement

    def derived(self, view: View, row: CasebookRow) -> tuple[str, ...]:
        assert isinstance(row, BodyMeasurement)
        return ((f"BSA {row.bsa_m2:.2f} m² ({row.bsa_formula}, rounded to "
                f"{view.protocol.bsa.decimals} decimals per the protocol)"),)

    def create(self, view: View, values: Mapping[str, Value],
               raw: Mapping[str, str]) -> list[str]:
        self.refuse_second(view)
        with _refusing("height_cm", values.get("height_cm")):
            safety.record_body_measurement(
                view.unit, view.number, measured_on=_day(view),
                height_cm=float(_f(values, "height_cm") or 0),
                weight_kg=float(_f(values, "weight_kg") or 0), protocol=view.protocol)
        return ["height and weight saved; BSA computed"]

    def after_update(self, view: View, row: CasebookRow, values: Mapping[str, Value]) -> None:
        assert isinstance(row, BodyMeasurement)
        safety.recompute_bsa(row, protocol=view.protocol)


class Ecog(Kind):
    """ECOG performance status on the visit day."""

    model = PerformanceStatus

    def create(self, view: View, values: Mapping[str, Value],
               raw: Mapping[str, str]) -> list[str]:
        self.refuse_second(view)
        with _refusing("score", values.get("score")):
            history.record_performance_status(view.unit, view.number, assessed_on=_day(view),
                                              score=int(_f(values, "score") or 0))
        return ["ECOG saved"]


class Survival(Kind):
    """A survival follow-up contact."""

    model = SurvivalContact

    def create(self, view: View, values: Mapping[str, Value],
               raw: Mapping[str, str]) -> list[str]:
        self.refuse_second(view)
        with _refusing("contacted_on", values.get("contacted_on")):
            history.record_survival_contact(
                view.unit, view.number, contacted_on=_d(values, "contacted_on"),
                status=_s(values, "status"),
                new_anticancer_therapy=_s(values, "new_anticancer_therapy"))
        return ["follow-up contact saved"]


class _Log(Kind):
    """A repeating subject-level form: every entry, and a blank one to add."""

    layout = "log"

    def entries(self, view: View) -> list[Entry]:
        return [*(self.entry_of(view, row, self.title(row)) for row in self.rows(view)),
                self.blank(view)]

    def title(self, row: CasebookRow) -> str:
        """The heading of a saved entry."""
        return f"Entry {row.id}"


class MedicalHistoryLog(_Log):
    """Conditions with partial dates."""

    model = MedicalHistory
    columns: ClassVar[Mapping[str, str]] = {"start": "start_dtc", "end": "end_dtc"}

    def title(self, row: CasebookRow) -> str:
        assert isinstance(row, MedicalHistory)
        return row.term

    def create(self, view: View, values: Mapping[str, Value],
               raw: Mapping[str, str]) -> list[str]:
        with _refusing("term", values.get("term")):
            history.record_medical_history(
                view.unit, view.number, term=_s(values, "term"), start=_s(values, "start"),
                ongoing=bool(values.get("ongoing")), end=_s(values, "end") or None)
        return ["condition added to the medical history"]


class EcgLog(_Log):
    """12-lead ECGs with their corrected QT (the dose rules read the dose day's and the
    baseline before the first dose)."""

    model = EcgResult
    columns: ClassVar[Mapping[str, str]] = {"qtc_ms": "value", "correction": "test_code"}

    def value_of(self, row: CasebookRow, name: str) -> object:
        value = super().value_of(row, name)
        if name == "correction":
            names = {code: n for n, code in history.QTC_CORRECTIONS.items()}
            return names.get(str(value), value)
        return value

    def update(self, view: View, key: str, values: Mapping[str, Value], *, version: int,
               reason: str) -> list[str]:
        coded = dict(values)
        if "correction" in coded:
            correction = str(coded["correction"])
            if correction not in history.QTC_CORRECTIONS:
                raise FieldRefused("correction", correction,
                                   f"one of {', '.join(history.QTC_CORRECTIONS)}")
            coded["correction"] = history.QTC_CORRECTIONS[correction]
        return super().update(view, key, coded, version=version, reason=reason)

    def title(self, row: CasebookRow) -> str:
        assert isinstance(row, EcgResult)
        return f"{row.performed_on.isoformat()}: {row.test_code} {row.value:g} msec"

    def create(self, view: View, values: Mapping[str, Value],
               raw: Mapping[str, str]) -> list[str]:
        with _refusing("qtc_ms", values.get("qtc_ms")):
            history.record_ecg(view.unit, view.number, performed_on=_d(values, "performed_on"),
                               qtc_ms=float(_f(values, "qtc_ms") or 0),
                               correction=_s(values, "correction", "fridericia"))
        return ["ECG saved"]


class DeviationLog(_Log):
    """Protocol deviations (doses recorded against the rules add their own)."""

    model = ProtocolDeviation

    def title(self, row: CasebookRow) -> str:
        assert isinstance(row, ProtocolDeviation)
        return f"{row.category}: {row.start_date.isoformat()}"

    def create(self, view: View, values: Mapping[str, Value],
               raw: Mapping[str, str]) -> list[str]:
        with _refusing("term", values.get("term")):
            history.record_protocol_deviation(
                view.unit, view.number, start_date=_d(values, "start_date"),
                category=_s(values, "category"), term=_s(values, "term"))
        return ["protocol deviation recorded"]


class TherapyLog(_Log):
    """Prior anticancer therapy or concomitant medication (one table, two categories)."""

    model = ConcomitantTherapy
    columns: ClassVar[Mapping[str, str]] = {"start": "start_dtc", "end": "end_dtc"}

    def __init__(self, category: str) -> None:
        self.category = category

    def title(self, row: CasebookRow) -> str:
        assert isinstance(row, ConcomitantTherapy)
        return row.name

    def create(self, view: View, values: Mapping[str, Value],
               raw: Mapping[str, str]) -> list[str]:
        partial = self.category == "PRIOR ANTICANCER"
        with _refusing("name", values.get("name")):
            subjects.record_concomitant_therapy(
                view.unit, view.number, name=_s(values, "name"), category=self.category,
                indication=_s(values, "indication"),
                start=_s(values, "start") or None if partial else None,
                end=_s(values, "end") or None if partial else None,
                start_date=None if partial else values.get("start_date"),  # type: ignore[arg-type]
                end_date=None if partial else values.get("end_date"))  # type: ignore[arg-type]
        return [f"{_s(values, 'name')} added"]

    def after_update(self, view: View, row: CasebookRow, values: Mapping[str, Value]) -> None:
        assert isinstance(row, ConcomitantTherapy)
        for dtc, full in (("start_dtc", "start_date"), ("end_dtc", "end_date")):
            text = getattr(row, dtc)
            if self.category == "PRIOR ANTICANCER":
                setattr(row, full, date.fromisoformat(text) if text and len(text) == 10
                        else None)
        if row.start_date and row.end_date and row.end_date < row.start_date:
            raise FieldRefused("end", shown(row.end_date), "end before start")


_FLAGS: tuple[str, ...] = get_args(Flag)  # every flag the DLT and dose rules read


class AdverseEventLog(_Log):
    """Adverse events: CTCAE term and grade, attribution per drug, the DLT verdict."""

    model = AdverseEvent

    def title(self, row: CasebookRow) -> str:
        assert isinstance(row, AdverseEvent)
        return f"{row.term}, grade {row.grade} (onset {row.start_date.isoformat()})"

    def value_of(self, row: CasebookRow, name: str) -> object:
        assert isinstance(row, AdverseEvent)
        if name in _FLAGS:
            return name in (row.flags or "").split(",")
        return getattr(row, name, None)

    def derived(self, view: View, row: CasebookRow) -> tuple[str, ...]:
        assert isinstance(row, AdverseEvent)
        if row.dlt is None:
            return ()
        verdict = "a dose-limiting toxicity" if row.dlt else "not a dose-limiting toxicity"
        return (f"{verdict} ({row.dlt_rule})",)

    def create(self, view: View, values: Mapping[str, Value],
               raw: Mapping[str, str]) -> list[str]:
        flags = [f for f in _FLAGS if values.get(f)]
        with _refusing("term", values.get("term")):
            row = safety.record_adverse_event(
                view.unit, view.number, term=_s(values, "term"),
                grade=int(_f(values, "grade") or 0), start_date=_d(values, "start_date"),
                end_date=values.get("end_date"),  # type: ignore[arg-type]
                serious=bool(values.get("serious")),
                related_lenvatinib=_s(values, "related_lenvatinib"),
                related_eribulin=_s(values, "related_eribulin"),
                action_taken=_s(values, "action_taken"), outcome=_s(values, "outcome"),
                flags=flags, protocol=view.protocol)  # type: ignore[arg-type]
        return [f"{row.term} grade {row.grade} saved", *self.derived(view, row)]

    def update(self, view: View, key: str, values: Mapping[str, Value], *, version: int,
               reason: str) -> list[str]:
        flags = ",".join(f for f in _FLAGS if values.get(f))
        plain = {k: v for k, v in values.items() if k not in _FLAGS}
        messages = super().update(view, key, plain, version=version, reason=reason)
        row = _owned(view, AdverseEvent, key)
        assert isinstance(row, AdverseEvent)
        row.flags = flags
        if row.end_date is not None and row.end_date < row.start_date:
            raise FieldRefused("end_date", shown(row.end_date), "end before start")
        safety.reclassify_dlt(view.unit, row, protocol=view.protocol)
        view.unit.session.flush()
        return [*messages, *self.derived(view, row)]


class _Event(Kind):
    """A disposition event (end of treatment, death)."""

    model = Disposition
    event: ClassVar[str]

    def value_of(self, row: CasebookRow, name: str) -> object:
        assert isinstance(row, Disposition)
        reason, _, detail = row.reason.partition(": ")
        return {"reason": reason, "detail": detail}.get(name, getattr(row, name, None))

    def create(self, view: View, values: Mapping[str, Value],
               raw: Mapping[str, str]) -> list[str]:
        self.refuse_second(view)
        reason = _s(values, "reason") + (f": {_s(values, 'detail')}" if values.get("detail")
                                         else "")
        with _refusing("occurred_on", values.get("occurred_on")):
            subjects.record_disposition(view.unit, view.number, event=self.event,
                                        occurred_on=_d(values, "occurred_on"), reason=reason)
        return [f"{self.event.lower()} recorded"]

    def update(self, view: View, key: str, values: Mapping[str, Value], *, version: int,
               reason: str) -> list[str]:
        row = _owned(view, Disposition, key)
        check_version(row, version, subject=view.number)
        assert isinstance(row, Disposition)
        row.occurred_on = _d(values, "occurred_on")
        row.reason = _s(values, "reason") + (f": {_s(values, 'detail')}"
                                             if values.get("detail") else "")
        view.unit.session.flush()
        return [f"{self.event.lower()} changed"]


class EndOfTreatment(_Event):
    """The end-of-treatment decision with its reason."""

    event = "END OF TREATMENT"


class Death(_Event):
    """The date and cause of death."""

    event = "DEATH"


# --- panels -----------------------------------------------------------------------------------


def _lab_fields(code: str, *, required: bool) -> list[FormField]:
    test = safety.LAB_TESTS[code]
    units = ctcae_units(test.ctcae_term) if test.ctcae_term else ()
    key = code.lower()
    unit_field = (FormField(name=f"{key}_unit", label="Unit", type="choice", choices=list(units),
                            required=required)
                  if units else FormField(name=f"{key}_unit", label="Unit", type="text",
                                          max_length=20, required=required))
    return [
        FormField(name=f"{key}_value", label=f"{test.name} ({code})", type="number",
                  required=required),
        unit_field,
        FormField(name=f"{key}_lln", label="Lower limit of normal", type="number", min=0),
        FormField(name=f"{key}_uln", label="Upper limit of normal", type="number", min=0),
    ]


def lab_preview(code: str, value: str, unit: str, lln: str, uln: str) -> str:
    """The CTCAE v5.0 grade of a value as it is typed (nothing is saved)."""
    test = safety.LAB_TESTS.get(code)
    if test is None or test.ctcae_term is None:
        return "no CTCAE term grades this test"
    try:
        number = float(value)
        limits = {k: (float(v) if v.strip() else None) for k, v in (("lln", lln), ("uln", uln))}
        grade = grade_lab(test.ctcae_term, number, unit, lln=limits["lln"],
                                 uln=limits["uln"])
    except (ValueError, DataError) as exc:
        return f"not graded: {exc}"
    if grade.grade is None:
        return f"{test.ctcae_term}: grade not determined by the value — {grade.reason}"
    return f"{test.ctcae_term}: grade {grade.grade} — {grade.reason}"


class Labs(Kind):
    """A lab panel: one entry per test, graded by CTCAE v5.0 when saved."""

    layout = "panel"
    model = LabResult
    lab_columns: ClassVar[dict[str, str]] = {"value": "value", "unit": "unit", "lln": "lln",
                                             "uln": "uln"}

    def _tests(self, view: View) -> list[tuple[str, bool]]:
        return ([(c, True) for c in view.form.tests]
                + [(c, False) for c in view.form.optional_tests])

    def _form_field(self, key: str) -> Callable[[str], str | None]:
        """The form field of a service's field for test *key* (``unit`` -> ``neut_unit``)."""
        return lambda name: f"{key}_{name}" if name in self.lab_columns else None

    def _saved(self, view: View) -> dict[str, LabResult]:
        rows = self.rows(view)
        return {r.test_code: r for r in rows if isinstance(r, LabResult)}

    def fields(self, view: View, entry: str) -> list[FormField]:
        saved = self._saved(view)
        if entry != NEW:
            row = _owned(view, LabResult, entry)
            assert isinstance(row, LabResult)
            return _lab_fields(row.test_code, required=True)
        return [f for code, required in self._tests(view) if code not in saved
                for f in _lab_fields(code, required=required)]

    def entries(self, view: View) -> list[Entry]:
        saved = self._saved(view)
        entries: list[Entry] = []
        for code, required in self._tests(view):
            row = saved.get(code)
            fields = _lab_fields(code, required=required)
            if row is None:
                entries.append(Entry(key=f"{NEW}:{code}", title=fields[0].label,
                                     fields=tuple(FieldView(field=f, value="") for f in fields)))
                continue
            ref = RowRef("lab_result", row.id, view.subject.id)
            values = (row.value, row.unit, row.lln, row.uln)
            entries.append(Entry(
                key=str(row.id), title=fields[0].label, version=row.version, saved=True,
                fields=tuple(FieldView(field=f, value=shown(v), row=ref, column=column)
                             for f, v, column in zip(fields, values, self.lab_columns,
                                                     strict=True)),
                derived=self.derived(view, row)))
        return entries

    def derived(self, view: View, row: CasebookRow) -> tuple[str, ...]:
        assert isinstance(row, LabResult)
        if row.ctcae_term is None:
            return ()
        if row.grade is None:
            return (f"{row.ctcae_term}: grade not determined — {row.grade_reason}",)
        return (f"{row.ctcae_term}: grade {row.grade} — {row.grade_reason}",)

    def create(self, view: View, values: Mapping[str, Value],
               raw: Mapping[str, str]) -> list[str]:
        saved = self._saved(view)
        messages = []
        for code, _required in self._tests(view):
            key = code.lower()
            if code in saved or values.get(f"{key}_value") is None:
                continue
            with _refusing(f"{key}_value", values.get(f"{key}_value"),
                           self._form_field(key)):
                row = safety.record_lab(
                    view.unit, view.number, collected_on=_day(view), test_code=code,
                    value=float(_f(values, f"{key}_value") or 0.0),
                    unit_of_measure=_s(values, f"{key}_unit"), lln=_f(values, f"{key}_lln"),
                    uln=_f(values, f"{key}_uln"))
            messages += [f"{code} saved", *self.derived(view, row)]
        if not messages:
            raise FieldRefused("form", "", "enter at least one test")
        return messages

    def update(self, view: View, key: str, values: Mapping[str, Value], *, version: int,
               reason: str) -> list[str]:
        row = _owned(view, LabResult, key)
        assert isinstance(row, LabResult)
        check_version(row, version, subject=view.number)
        prefix = row.test_code.lower()
        row.value = float(_f(values, f"{prefix}_value") or 0.0)
        row.unit = _s(values, f"{prefix}_unit")
        row.lln, row.uln = _f(values, f"{prefix}_lln"), _f(values, f"{prefix}_uln")
        with _refusing(f"{prefix}_value", row.value):
            safety.regrade_lab(row)
        view.unit.session.flush()
        return [f"{row.test_code} changed", *self.derived(view, row)]


_VITALS = {"systolic_mmhg": "SYSBP", "diastolic_mmhg": "DIABP", "pulse_bpm": "PULSE",
           "temperature_c": "TEMP"}


class Vitals(Kind):
    """Blood pressure (graded for CTCAE Hypertension), pulse and temperature of the day."""

    model = VitalSign

    def _by_code(self, view: View) -> dict[str, VitalSign]:
        return {r.test_code: r for r in self.rows(view) if isinstance(r, VitalSign)}

    def entries(self, view: View) -> list[Entry]:
        rows = self._by_code(view)
        if "SYSBP" not in rows:
            return [self.blank(view)]
        fields = []
        for f in view.form.fields:
            row = rows.get(_VITALS.get(f.name, ""))
            ref = None if row is None else RowRef("vital_sign", row.id, view.subject.id)
            fields.append(FieldView(field=f, value="" if row is None else shown(row.value),
                                    row=ref, column=None if row is None else "value"))
        systolic = rows["SYSBP"]
        derived = () if systolic.grade is None else (
            f"{systolic.ctcae_term}: grade {systolic.grade} ({systolic.grade_rule})",)
        return [Entry(key=str(systolic.id), title=view.form.title, fields=tuple(fields),
                      version=systolic.version, derived=derived, saved=True)]

    def create(self, view: View, values: Mapping[str, Value],
               raw: Mapping[str, str]) -> list[str]:
        self.refuse_second(view)
        previously = values.get("previously_normal")
        with _refusing("diastolic_mmhg", values.get("diastolic_mmhg")):
            safety.record_vital_signs(
                view.unit, view.number, measured_on=_day(view),
                systolic_mmhg=float(_f(values, "systolic_mmhg") or 0),
                diastolic_mmhg=float(_f(values, "diastolic_mmhg") or 0),
                pulse_bpm=_f(values, "pulse_bpm"), temperature_c=_f(values, "temperature_c"),
                previously_normal=None if previously is None else bool(previously))
        return ["vital signs saved", *self.entries(view)[0].derived]

    def update(self, view: View, key: str, values: Mapping[str, Value], *, version: int,
               reason: str) -> list[str]:
        rows = self._by_code(view)
        systolic = _owned(view, VitalSign, key)
        check_version(systolic, version, subject=view.number)
        for name, code in _VITALS.items():
            row, value = rows.get(code), _f(values, name)
            if row is not None and value is not None:
                row.value = value
            elif row is None and value is not None:
                raise FieldRefused(name, shown(value), "not measured that day; add it as a "
                                   "new measurement")
        previously = values.get("previously_normal")
        with _refusing("diastolic_mmhg", values.get("diastolic_mmhg")):
            safety.regrade_blood_pressure(list(rows.values()), previously_normal=None
                                          if previously is None else bool(previously))
        view.unit.session.flush()
        return ["vital signs changed", *self.entries(view)[0].derived]


def kind_of(kind: str) -> Kind:
    """The kind object of a form kind."""
    from oncotrial.services._form_panels import PANELS  # noqa: PLC0415  (they build on this)

    table: dict[str, Kind] = {
        "demographics": Demographics(), "body_measurement": Body(), "ecog": Ecog(),
        "survival_contact": Survival(), "medical_history": MedicalHistoryLog(),
        "prior_therapy": TherapyLog("PRIOR ANTICANCER"),
        "concomitant_medication": TherapyLog("CONCOMITANT"), "adverse_event": AdverseEventLog(),
        "end_of_treatment": EndOfTreatment(), "death": Death(), "labs": Labs(),
        "vital_signs": Vitals(), "ecg": EcgLog(), "protocol_deviation": DeviationLog(), **PANELS,
    }
    return table[kind]

