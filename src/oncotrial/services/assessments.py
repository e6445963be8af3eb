"""Tumour assessments: lesions and measurements in, RECIST 1.1 response computed and stored.

The investigator's response is stored as entered; beside it the engine's target, non-target,
new-lesion and overall responses with the deciding rule (:mod:`oncotrial.rules.recist`), using
the protocol's RECIST parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select

from oncotrial.protocol import Protocol
from oncotrial.rules.recist import RecistSettings, classify_timepoints
from oncotrial.services._unit import Unit
from oncotrial.services.inputs import LesionReading, TumourAssessmentInput
from oncotrial.store.schema import Lesion, LesionMeasurement, TumourAssessment
from oncotrial.types import Response

__all__ = ["LesionReading", "record_tumour_assessment", "rederive_tumour_responses"]


def record_tumour_assessment(
    unit: Unit,
    subject: str,
    *,
    visit: str,
    visitnum: float,
    assessed_on: date,
    lesions: Sequence[LesionReading | Mapping[str, Any]],
    protocol: Protocol,
    investigator_response: Response | str | None = None,
    evaluator: str = "INVESTIGATOR",
) -> TumourAssessment:
    """Record one imaging timepoint and store the RECIST 1.1 response beside the investigator's.

    The first assessment of an evaluator is the baseline (no response). Lesions are identified
    by ``link_id``: TARGET/NON-TARGET at baseline, NEW when first seen later.

    Parameters
    ----------
    unit
        An open unit of work (:func:`oncotrial.services.open_unit`) of a user who may enter data
        at the subject's site.
    subject
        Screening number of the subject.
    visit, visitnum
        Visit name and number (SDTM VISIT, VISITNUM).
    assessed_on
        Date of the scans.
    lesions
        Every lesion read at this timepoint, as :class:`LesionReading` or a mapping of its
        fields.
    protocol
        The trial protocol (its RECIST settings).
    investigator_response
        The investigator's overall response (CR, PR, SD, NON-CR/NON-PD, PD, NE), stored beside the
        computed one.
    evaluator
        Who read the scans (SDTM RSEVAL).

    Returns
    -------
    TumourAssessment
        The stored row, with the computed target, non-target and new-lesion responses, the
        overall response, its rule and the sum of diameters.

    Raises
    ------
    DataError
        A value :class:`~oncotrial.services.inputs.TumourAssessmentInput` refuses (no lesion, a
        lesion twice, an unknown category or state, a diameter outside 0-2000 mm, a density
        on a non-target lesion), naming the subject and visit.

    Examples
    --------
    >>> import tempfile
    >>> from datetime import date
    >>> from oncotrial.protocol import load_protocol
    >>> from oncotrial.services import open_unit
    >>> from oncotrial.services.admin import bootstrap_admin, create_site, create_user, log_in
    >>> from oncotrial.services.assessments import LesionReading, record_tumour_assessment
    >>> from oncotrial.services.database import upgrade_database
    >>> from oncotrial.services.subjects import register_subject
    >>> from oncotrial.store import Store
    >>> folder = tempfile.TemporaryDirectory()
    >>> url = f"sqlite:///{folder.name}/trial.sqlite"
    >>> revision = upgrade_database(url)
    >>> store = Store(url)
    >>> ada = bootstrap_admin(store, username="ada", full_name="Ada Admin")
    >>> with open_unit(store, ada) as unit:
    ...     _ = create_site(unit, "01", name="Site 01")
    ...     _ = create_user(unit, "ines", full_name="Ines Ito", role="investigator", sites=["01"])
    >>> ines, protocol = log_in(store, "ines", channel="API"), load_protocol()
    >>> with open_unit(store, ines) as unit:
    ...     _ = register_subject(unit, "01-001", site="01", sex="F",
    ...                          consent_date=date(2024, 1, 2), consent_version="3.0")
    ...     _ = record_tumour_assessment(
    ...         unit, "01-001", visit="SCREENING", visitnum=0, assessed_on=date(2024, 1, 2),
    ...         protocol=protocol,
    ...         lesions=[{"link_id": "T01", "category": "TARGET", "location": "LUNG",
    ...                   "diameter_mm": 50},
    ...                  {"link_id": "T02", "category": "TARGET", "location": "LIVER",
    ...                   "diameter_mm": 30}])
    ...     week6 = record_tumour_assessment(
    ...         unit, "01-001", visit="WEEK 6", visitnum=1, assessed_on=date(2024, 2, 13),
    ...         protocol=protocol, investigator_response="PR",
    ...         lesions=[LesionReading(link_id="T01", category="TARGET", location="LUNG",
    ...                                diameter_mm=28),
    ...                  LesionReading(link_id="T02", category="TARGET", location="LIVER",
    ...                                diameter_mm=20)])
    >>> week6.sum_diameters_mm, week6.computed_response, week6.computed_rule
    (48.0, 'PR', 'overall_pr')
    >>> store.dispose(); folder.cleanup()
    """
    checked = TumourAssessmentInput.checked({
        "visit": visit, "visitnum": visitnum, "assessed_on": assessed_on, "lesions": lesions,
        "investigator_response": None if investigator_response is None
        else str(investigator_response), "evaluator": evaluator}, subject=subject, visit=visit)
    with unit.step() as session:
        owner = unit.subject(subject, write=True)
        assessment = TumourAssessment(
            subject_id=owner.id,
            visit_name=visit,
            visitnum=visitnum,
            assessed_on=assessed_on,
            evaluator=evaluator,
            investigator_response=None
            if investigator_response is None
            else str(investigator_response),
        )
        session.add(assessment)
        session.flush()
        known = {
            les.link_id: les
            for les in session.scalars(
                select(Lesion).where(
                    Lesion.subject_id == owner.id,
                    Lesion.evaluator == evaluator,
                    Lesion.deleted.is_(False),
                )
            )
        }
        for reading in checked.lesions:
            lesion = known.get(reading.link_id)
            if lesion is None:
                lesion = Lesion(
                    subject_id=owner.id,
                    link_id=reading.link_id,
                    category=reading.category,
                    location=reading.location,
                    nodal=reading.nodal,
                    evaluator=evaluator,
                )
                session.add(lesion)
                session.flush()
            session.add(
                LesionMeasurement(
                    subject_id=owner.id,
                    assessment_id=assessment.id,
                    lesion_id=lesion.id,
                    diameter_mm=reading.diameter_mm,
                    perpendicular_mm=reading.perpendicular_mm,
                    state=reading.state or None,
                    density_hu=reading.density_hu,
                )
            )
        session.flush()
        _derive(unit, owner.id, assessment, protocol=protocol)
        return assessment


def _derive(
    unit: Unit, subject_id: int, assessment: TumourAssessment, *, protocol: Protocol
) -> None:
    """Run the RECIST engine over all of the evaluator's assessments; store this timepoint."""
    session = unit.session
    rows = session.execute(
        select(
            Lesion.link_id,
            Lesion.category,
            Lesion.location,
            Lesion.nodal,
            TumourAssessment.visitnum,
            TumourAssessment.visit_name,
            TumourAssessment.assessed_on,
            LesionMeasurement.diameter_mm,
            LesionMeasurement.state,
        )
        .join(LesionMeasurement, LesionMeasurement.lesion_id == Lesion.id)
        .join(TumourAssessment, TumourAssessment.id == LesionMeasurement.assessment_id)
        .where(
            Lesion.subject_id == subject_id,
            Lesion.evaluator == assessment.evaluator,
            LesionMeasurement.deleted.is_(False),
            TumourAssessment.deleted.is_(False),
        )
    ).all()
    key = str(subject_id)
    lesions = pd.DataFrame(
        {(r.link_id, r.category, r.location, r.nodal) for r in rows},
        columns=["lesion_id", "role", "organ", "nodal"],
    ).assign(subject=key, evaluator=assessment.evaluator)
    measurements = pd.DataFrame(
        [
            (
                r.link_id,
                r.visitnum,
                r.visit_name,
                pd.Timestamp(r.assessed_on),
                r.diameter_mm,
                r.state or "",
            )
            for r in rows
        ],
        columns=["lesion_id", "visitnum", "visit", "date", "diameter_mm", "state"],
    ).assign(subject=key, evaluator=assessment.evaluator)
    timepoints = classify_timepoints(
        lesions, measurements, settings=RecistSettings.from_protocol(protocol)
    )
    mine = timepoints[timepoints["visitnum"] == assessment.visitnum]
    if mine.empty:
        return  # the baseline assessment has no response
    row = mine.iloc[0]
    assessment.computed_target = str(row["target_response"])
    assessment.computed_nontarget = str(row["nontarget_response"])
    assessment.computed_new_lesion = str(row["new_lesion"])
    assessment.computed_response = str(row["overall_response"])
    assessment.computed_rule = str(row["overall_rule"])[:120]
    total = row["sum_mm"]
    assessment.sum_diameters_mm = None if pd.isna(total) else float(total)
    session.flush()


def rederive_tumour_responses(unit: Unit, subject_id: int, *, evaluator: str,
                              protocol: Protocol) -> None:
    """Assess every timepoint of an evaluator again (after a measurement was corrected).

    Parameters
    ----------
    unit
        The open unit of work the correction was made in.
    subject_id
        Database id of the subject.
    evaluator
        Whose assessments (SDTM RSEVAL, e.g. INVESTIGATOR).
    protocol
        The trial protocol (its RECIST settings).

    Returns
    -------
    None
        Each assessment row's computed responses, rule and sum are set in place.
    """
    for assessment in unit.session.scalars(
        select(TumourAssessment).where(
            TumourAssessment.subject_id == subject_id,
            TumourAssessment.evaluator == evaluator,
            TumourAssessment.deleted.is_(False),
        ).order_by(TumourAssessment.visitnum)
    ):
        _derive(unit, subject_id, assessment, protocol=protocol)
