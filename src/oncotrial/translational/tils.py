"""Case report form fields for stromal TIL scoring on H&E (International TILs Working Group).

Method: Salgado R et al., Ann Oncol 2015;26:259 (doi:10.1093/annonc/mdu450), recommendations
table (https://pmc.ncbi.nlm.nih.gov/articles/PMC6267863/table/MDU450TB2), and Hendry S et al.,
Adv Anat Pathol 2017;24:235 (general method). Rules reflected in the fields:

1. Stromal TILs = % of the intratumoural *stromal area* occupied by mononuclear cells
   (denominator: stromal area, not cell count) → ``stromal_tils_pct`` 0–100.
2.–4. Only within the invasive border; exclude areas outside the border, around in-situ or
   normal structures, crush artefact, necrosis, regressive hyalinisation and the previous
   biopsy site → ``exclusions``.
5. Lymphocytes and plasma cells are scored; granulocytes excluded → ``granulocytes_excluded``.
6. One 4–5 µm section at ×200–400 is sufficient → ``section_thickness_um``,
   ``magnification``; departures are allowed but listed by :attr:`TilAssessment.deviations`.
7. Full sections preferred; cores acceptable pre-treatment; **no validated method after
   treatment** → :attr:`TilAssessment.deviations` notes on-treatment specimens.
8. Average over the whole tumour area, no hotspots → ``scoring_scope`` is fixed.
9. Continuous variable; in practice pathologists round to the nearest 5–10 % and report "in as
   much detail as the pathologist feels comfortable with" → any value 0–100 is accepted (no
   step is enforced; Salgado 2015 recommendation 9).

Sarcoma is not among the tumour types of Hendry 2017 Part 2, so ``scoring_adaptation`` must
state how the method was adapted (e.g. separating stroma from tumour in spindle-cell lesions).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from oncotrial.errors import DataError
from oncotrial.types import Histology

__all__ = ["TilAssessment", "TilExclusion", "validate_til_assessment"]

TilExclusion = Literal[
    "outside_invasive_border",
    "in_situ_or_normal_structures",
    "crush_artefact",
    "necrosis",
    "regressive_hyalinisation",
    "prior_biopsy_site",
    "other",
]

Percent = Field(default=None, ge=0, le=100)


class TilAssessment(BaseModel):
    """One stromal-TIL reading: one record per specimen and reader (CRF fields)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    # Identifiers
    subject_id: str = Field(min_length=1)
    specimen_id: str = Field(min_length=1, description="specimen / block ID")
    timepoint: Literal["baseline", "on_treatment", "progression", "other"]
    timepoint_detail: str | None = Field(default=None, description="e.g. cycle 2 day 1")
    biopsy_date: date | None = None
    anatomic_site: str = Field(min_length=1)
    lesion_origin: Literal["primary", "metastasis", "unknown"]
    histology: Histology
    histology_subtype: str | None = None
    specimen_type: Literal["core_needle", "excision", "other"]
    n_cores: int | None = Field(default=None, ge=1)
    # Technical
    stain: Literal["H&E"] = "H&E"
    section_thickness_um: float = Field(gt=0, le=20)
    magnification: int = Field(ge=40, le=1000, description="objective × eyepiece, e.g. 200")
    n_slides: int = Field(default=1, ge=1)
    whole_slide_image_id: str | None = None
    # Adequacy
    evaluable: bool
    not_evaluable_reason: (
        Literal["insufficient_tumour", "crush_artefact", "necrosis", "other"] | None
    ) = None
    tumour_cellularity_pct: float | None = Percent
    evaluated_stromal_area_mm2: float | None = Field(default=None, gt=0)
    # Result
    scoring_scope: Literal["whole_tumour_average"] = "whole_tumour_average"
    stromal_tils_pct: float | None = Percent
    intratumoural_tils_pct: float | None = Percent
    tls_present: bool | None = None
    tls_count: int | None = Field(default=None, ge=0)
    distribution: Literal["diffuse", "heterogeneous"] | None = None
    exclusions: frozenset[TilExclusion] = frozenset()
    granulocytes_excluded: Literal[True] = True
    scoring_adaptation: str = Field(min_length=1)
    ihc_cd3_per_mm2: float | None = Field(default=None, ge=0)
    ihc_cd8_per_mm2: float | None = Field(default=None, ge=0)
    # Audit
    pathologist_id: str = Field(min_length=1)
    assessment_date: date
    second_reader_id: str | None = None
    second_reader_stromal_tils_pct: float | None = Percent
    consensus_stromal_tils_pct: float | None = Percent
    comments: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> TilAssessment:
        # Messages start with the field name; validate_til_assessment reports it as the field.
        if not self.evaluable and self.stromal_tils_pct is not None:
            raise ValueError("stromal_tils_pct: must be empty when evaluable is false")
        if self.evaluable and self.stromal_tils_pct is None:
            raise ValueError("stromal_tils_pct: required when evaluable is true")
        if not self.evaluable and self.not_evaluable_reason is None:
            raise ValueError("not_evaluable_reason: required when evaluable is false")
        if self.tls_count is not None and self.tls_present is not True:
            raise ValueError("tls_count: needs tls_present=true")
        if self.second_reader_stromal_tils_pct is not None and not self.second_reader_id:
            raise ValueError("second_reader_stromal_tils_pct: needs second_reader_id")
        if self.biopsy_date and self.assessment_date < self.biopsy_date:
            raise ValueError("assessment_date: is before biopsy_date")
        return self

    @property
    def deviations(self) -> tuple[str, ...]:
        """Departures from the working-group method (recorded, not refused)."""
        out = []
        if not 4 <= self.section_thickness_um <= 5:
            out.append("section thickness outside 4–5 µm (Salgado 2015 rec. 6)")
        if not 200 <= self.magnification <= 400:
            out.append("magnification outside ×200–400 (Salgado 2015 rec. 6)")
        if self.timepoint != "baseline":
            out.append("no validated TIL method after treatment (Salgado 2015 rec. 7)")
        return tuple(out)


def validate_til_assessment(
    data: Mapping[str, object], *, subject: str | None = None
) -> TilAssessment:
    """Build a :class:`TilAssessment`, turning validation errors into :class:`DataError`.

    Parameters
    ----------
    data
        Field name → value of a :class:`TilAssessment`.
    subject
        Subject named in the error; default the ``subject_id`` of *data*.

    Returns
    -------
    TilAssessment
        The validated assessment.

    Raises
    ------
    DataError
        Naming the first invalid field, the value received and what is allowed.
    """
    try:
        return TilAssessment.model_validate(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"])
        message, value = first["msg"], first.get("input")
        if not name:  # a cross-field rule: its message starts with "<field>: "
            name, _, message = str(first["ctx"]["error"]).partition(": ")
            value = data.get(name)
        raise DataError(message, field=name, value=value,
                        allowed=_allowed(name),
                        subject=subject or str(data.get("subject_id") or "") or None,
                        visit=str(data.get("timepoint") or "") or None) from None


def _allowed(name: str) -> str:
    if name.endswith("_pct"):
        return "0–100 (continuous; rounding to 5–10 % is common practice)"
    field = TilAssessment.model_fields.get(name)
    return str(field.annotation) if field is not None else "see TilAssessment"
