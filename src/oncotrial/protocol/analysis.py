"""The analysis profile: every value the ADaM derivations, RECIST assessment and report take from
a protocol, for any study.

A profile comes from a protocol file (:func:`profile_from_protocol`) or, for a study without one,
from :data:`GENERIC_PROFILE`, a documented generic oncology profile whose every value names its
source. Options can be overridden (:func:`override_profile`, the CLI's flags); the profile in
effect is described line by line (:func:`describe_profile`) and written beside the outputs, so a
result always says which values made it.

:func:`choose_profile` picks the profile for a set of SDTM: the protocol file when one is given,
else the shipped LEADER protocol when the data are LEADER's (STUDYID), else the generic profile.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from oncotrial._yaml import read_yaml
from oncotrial.errors import DataError
from oncotrial.protocol.loader import LEADER_PROTOCOL, load_protocol
from oncotrial.protocol.models import Protocol

__all__ = [
    "ADMIRAL_ALIVE_DATES",
    "ALIVE_DATES",
    "GENERIC_PROFILE",
    "AnalysisProfile",
    "DeathWithoutAssessment",
    "PfsRules",
    "RecistProfile",
    "StartDateChoice",
    "as_profile",
    "censoring_rule_sets",
    "choose_profile",
    "describe_profile",
    "override_profile",
    "profile_from_protocol",
]

StartDateChoice = Literal["auto", "RANDDT", "TRTSDT", "ENRLDT"]
PfsRules = str  # a progression rule set of the censoring rule table: censoring_rule_sets()
_PROGRESSION = ["PFS", "TTP", "DOR"]


@cache
def censoring_rule_sets() -> tuple[str, ...]:
    """The censoring rule sets a trial may choose for PFS, TTP and DOR (``pfs_rules``).

    They are the progression sets of the censoring rule table ``rules/data/tte_censoring.yaml``,
    read here as data because the protocol sits below the rules;
    :func:`oncotrial.rules.censoring.load_censoring_rules` validates the table itself.

    Returns
    -------
    tuple of str
        Set names in table order, e.g. ``("FDA", "EMA")``.
    """
    text = (resources.files("oncotrial").joinpath("rules/data/tte_censoring.yaml")
            .read_text(encoding="utf-8"))
    return tuple(str(s["name"]) for s in read_yaml(text)["rule_sets"]
                 if list(s.get("endpoints", _PROGRESSION)) == _PROGRESSION)
DeathWithoutAssessment = Literal["fda", "event"]

# (domain.variable) dates that show a subject alive, for LSTALVDT. "ADSL.TRTEDT" is the last
# dose. admiral's ADSL template (vignette "Creating ADSL", Derive the Last Date Known Alive)
# uses AE start and end, LB and TRTEDT; oncotrial also counts every other record of a visit the
# subject attended, tumour assessments included (the template's LSTALVDT can fall before the
# last tumour assessment, reference note adam_derivations.md §3.3).
ADMIRAL_ALIVE_DATES: tuple[str, ...] = ("AE.AESTDTC", "AE.AEENDTC", "LB.LBDTC", "ADSL.TRTEDT")
ALIVE_DATES: tuple[str, ...] = (
    "AE.AESTDTC", "AE.AEENDTC", "LB.LBDTC", "VS.VSDTC", "EX.EXSTDTC", "EX.EXENDTC",
    "SV.SVSTDTC", "SV.SVENDTC", "RS.RSDTC", "TR.TRDTC", "CM.CMSTDTC", "DS.DSSTDTC",
    "ADSL.TRTEDT",
)


@dataclass(frozen=True, slots=True)
class RecistProfile:
    """RECIST 1.1 values, with the attribute names of ``Protocol.recist``."""

    confirmation_interval_days: int
    min_sd_duration_days: int
    too_small_to_measure_mm: float
    max_target_lesions: int
    max_target_per_organ: int
    imaging_interval_days: int
    imaging_window_days: int


# the least each RECIST value may be (a confirmation needs a later scan; a trial has a target)
_RECIST_MINIMUM = {"confirmation_interval_days": 1, "min_sd_duration_days": 1,
                   "too_small_to_measure_mm": 0, "max_target_lesions": 1,
                   "max_target_per_organ": 1, "imaging_interval_days": 1,
                   "imaging_window_days": 0}


@dataclass(frozen=True, slots=True)
class AnalysisProfile:
    """The values an analysis of SDTM needs from a protocol, and where each came from.

    Attributes
    ----------
    name, origin
        What the profile is (``LEADER protocol``, ``generic oncology profile``) and how it was
        chosen.
    study_id, title, nct_id
        For report titles; empty for the generic profile (the report then uses STUDYID).
    recist
        Confirmation interval, minimum SD duration, imaging interval and window, lesion rules.
    start_date
        Reference start date of response windows and time to event: ``auto`` = RANDDT when any
        subject was randomised, else ENRLDT, else TRTSDT.
    pfs_rules
        A progression rule set of the censoring rule table (:func:`censoring_rule_sets`):
        ``FDA`` (2018 endpoints guidance censoring table) or ``EMA`` (events at their date).
    death_without_assessment
        PFS of a subject who dies without an adequate tumour assessment: ``fda`` (FDA 2018
        table: no baseline assessment → censored at the start; death after more than one
        missed assessment → censored at the last adequate assessment, here the start) or
        ``event`` (admiralonco template: death is a PFS event whatever the assessments, as the
        FDA row "death before first PD assessment" reads on its own).
    alive_dates
        ``DOMAIN.VARIABLE`` dates that count for LSTALVDT (``ADSL.TRTEDT`` = last dose).
    treatment_emergent_window_days
        AE treatment-emergent window after the last dose.
    cycle_length_days, planned_days
        Cycle length and each drug's planned dosing days in a cycle (lower-case EXTRT); ADEX
        derives cycles and relative dose intensity only where these are known.
    dlt_window_days
        DLT observation window (DLTEVLFL); ``None`` when the study has none.
    design
        Simon two-stage design ``(p0, p1, r1, n1, r, n)`` for the report, if any.
    sources
        Source of each value, by attribute name.
    """

    name: str
    origin: str
    study_id: str
    title: str
    nct_id: str
    recist: RecistProfile
    start_date: StartDateChoice = "auto"
    pfs_rules: PfsRules = "FDA"
    death_without_assessment: DeathWithoutAssessment = "fda"
    alive_dates: tuple[str, ...] = ALIVE_DATES
    treatment_emergent_window_days: int = 30
    cycle_length_days: int | None = None
    planned_days: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    dlt_window_days: int | None = None
    design: tuple[float, float, int, int, int, int] | None = None
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_choice("start_date", self.start_date, ("auto", "RANDDT", "TRTSDT", "ENRLDT"))
        _check_choice("pfs_rules", self.pfs_rules, censoring_rule_sets())
        _check_choice("death_without_assessment", self.death_without_assessment, ("fda", "event"))
        for entry in self.alive_dates:
            domain, _, variable = entry.partition(".")
            if not domain or not variable or entry != entry.upper():
                raise DataError("not a DOMAIN.VARIABLE date", field="alive_dates", value=entry,
                                allowed="e.g. AE.AESTDTC, LB.LBDTC, ADSL.TRTEDT")
        for name, low in _RECIST_MINIMUM.items():
            value = getattr(self.recist, name)
            if value < low:
                raise DataError("below the least allowed value", field=name, value=value,
                                allowed=f">= {low}")


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise DataError("unknown choice", field=name, value=value, allowed=", ".join(allowed))


_RECIST_SOURCES = {
    "confirmation_interval_days": "RECIST 1.1 §4.6 (Eisenhauer 2009): confirmation no less "
                                  "than 4 weeks later; admiralonco ADRS template 28 days",
    "min_sd_duration_days": "RECIST 1.1 §4.4: protocol-defined; admiralonco ADRS template "
                            "ref_start_window = 42 days",
    "imaging_interval_days": "RECIST 1.1 §4.5 (follow-up every 6-8 weeks reasonable in phase "
                             "II): 6 weeks",
    "imaging_window_days": "common practice (assumption): ± 7 days around each assessment",
}
GENERIC_PROFILE = AnalysisProfile(
    name="generic oncology profile",
    origin="no protocol file given and the data are not LEADER's",
    study_id="",
    title="",
    nct_id="",
    recist=RecistProfile(
        confirmation_interval_days=28, min_sd_duration_days=42, too_small_to_measure_mm=5.0,
        max_target_lesions=5, max_target_per_organ=2, imaging_interval_days=42,
        imaging_window_days=7,
    ),
    sources={
        **_RECIST_SOURCES,
        "start_date": "admiralonco templates use RANDDT; without randomisation ENRLDT, else "
                      "the first dose (reference note §5)",
        "pfs_rules": "FDA guidance 'Clinical Trial Endpoints for the Approval of Cancer Drugs "
                     "and Biologics' (2018), PFS censoring table",
        "death_without_assessment": "FDA 2018 table rows 'no baseline tumor assessments' and "
                                    "'death or progression after more than one missed visit'",
        "alive_dates": "admiral ADSL template dates plus every record of an attended visit",
        "treatment_emergent_window_days": "admiral ADAE template (TRTEDT + 30 days)",
        "cycle_length_days": "unknown without a protocol: no cycles or dose intensity in ADEX",
        "dlt_window_days": "none without a protocol: no DLTEVLFL",
    },
)


def profile_from_protocol(protocol: Protocol, *, origin: str) -> AnalysisProfile:
    """The analysis profile of a trial *protocol* (RECIST values, TE window, cycles, drugs' days,
    DLT window and Simon design from the file; PFS and LSTALVDT choices as the generic ones).

    Parameters
    ----------
    protocol
        A validated protocol (:func:`oncotrial.protocol.load_protocol`).
    origin
        How the protocol was chosen, shown with the profile (e.g. ``protocol file x.yaml``).

    Returns
    -------
    AnalysisProfile
        Named ``"<protocol id> protocol"``; each value taken from the file has the protocol as
        its source, the others keep the generic profile's sources.

    Examples
    --------
    The shipped LEADER protocol: RECIST 1.1 confirmation no less than 4 weeks after the
    response (§4.6), AEs treatment-emergent up to 30 days after the last dose.

    >>> from oncotrial.protocol import load_protocol, profile_from_protocol
    >>> profile = profile_from_protocol(load_protocol(), origin="example")
    >>> profile.name, profile.recist.confirmation_interval_days
    ('LEADER protocol', 28)
    >>> profile.treatment_emergent_window_days, profile.cycle_length_days
    (30, 21)
    """
    recist = protocol.recist
    design = protocol.phase_ii.design
    return replace(
        GENERIC_PROFILE,
        name=f"{protocol.id} protocol",
        origin=origin,
        study_id=protocol.id,
        title=protocol.title,
        nct_id=protocol.nct_id,
        recist=RecistProfile(
            confirmation_interval_days=recist.confirmation_interval_days,
            min_sd_duration_days=recist.min_sd_duration_days,
            too_small_to_measure_mm=float(recist.too_small_to_measure_mm),
            max_target_lesions=recist.max_target_lesions,
            max_target_per_organ=recist.max_target_per_organ,
            imaging_interval_days=recist.imaging_interval_days,
            imaging_window_days=recist.imaging_window_days,
        ),
        treatment_emergent_window_days=protocol.safety.treatment_emergent_window_days,
        cycle_length_days=protocol.cycle_length_days,
        planned_days={drug.name.lower(): tuple(drug.days) for drug in protocol.drugs},
        dlt_window_days=protocol.phase_ib.dlt_window_days,
        design=(design.p0, design.p1, design.r1, design.n1, design.r, design.n),
        sources={
            **GENERIC_PROFILE.sources,
            **dict.fromkeys(_RECIST_SOURCES, f"protocol {protocol.id}, recist section"),
            "treatment_emergent_window_days": f"protocol {protocol.id}: "
                                              f"{protocol.safety.source}",
            "cycle_length_days": f"protocol {protocol.id} (cycle length, drugs' dosing days)",
            "dlt_window_days": f"protocol {protocol.id} (phase Ib DLT window)",
        },
    )


_RECIST_FIELDS = {f.name for f in fields(RecistProfile)}


def _recist_value(name: str, value: object) -> int | float:
    """A RECIST override as the profile holds it (a whole number, or a number of mm), or
    :class:`DataError` naming it; the profile checks its least value."""
    whole = name != "too_small_to_measure_mm"
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if number is None or (whole and not float(number).is_integer()):
        raise DataError("not an allowed value", field=name, value=value,
                        allowed="a whole number" if whole else "a number")
    return int(number) if whole else float(number)


def override_profile(profile: AnalysisProfile, **values: object) -> AnalysisProfile:
    """*profile* with the given values replaced (``None`` values are ignored); each replaced
    value's source says it was set on the command line. RECIST values are given by name
    (``min_sd_duration_days=56``).

    Parameters
    ----------
    profile
        The profile to start from.
    **values
        Profile attributes (``start_date``, ``pfs_rules``, ``alive_dates`` as a list or a
        comma-separated string, ...) or RECIST attributes (``confirmation_interval_days``,
        ``min_sd_duration_days``, ...) and their new values.

    Returns
    -------
    AnalysisProfile
        A new profile (*profile* itself when no value is given); *profile* is not changed.

    Raises
    ------
    DataError
        For an unknown name or a value the profile does not allow.
    """
    given = {k: v for k, v in values.items() if v is not None}
    if not given:
        return profile
    known = {f.name for f in fields(AnalysisProfile)} | _RECIST_FIELDS
    unknown = sorted(set(given) - known)
    if unknown:
        raise DataError("unknown analysis option", field="option", value=unknown,
                        allowed=", ".join(sorted(known)))
    recist_values = {k: _recist_value(k, v) for k, v in given.items() if k in _RECIST_FIELDS}
    top = {k: v for k, v in given.items() if k not in _RECIST_FIELDS}
    if "alive_dates" in top:
        top["alive_dates"] = tuple(str(v).strip().upper() for v in _as_list(top["alive_dates"]))
    sources = dict(profile.sources)
    for name in given:
        sources[name] = "set on the command line"
    recist = (replace(profile.recist, **recist_values)  # type: ignore[arg-type]  # by _recist_value
              if recist_values else profile.recist)
    return replace(profile, recist=recist, sources=sources, **top)  # type: ignore[arg-type]


def _as_list(value: object) -> Iterable[object]:
    if isinstance(value, str):
        return [v for v in value.split(",") if v.strip()]
    if isinstance(value, Iterable):
        return list(value)
    return [value]


def describe_profile(profile: AnalysisProfile) -> list[tuple[str, str, str]]:
    """``(setting, value, source)`` rows of every value in *profile*, for the output folder.

    Parameters
    ----------
    profile
        The profile in effect.

    Returns
    -------
    list of tuple of (str, str, str)
        First ``("profile", name, origin)``, then one row per RECIST value, start date, PFS
        rules, death without assessment, alive dates, TE window, cycle length, planned days
        and DLT window; an unknown value (no cycles, no DLT window) is an empty string.
    """
    recist = profile.recist
    planned = "; ".join(f"{drug}: days {','.join(map(str, days))}"
                        for drug, days in sorted(profile.planned_days.items()))
    source = profile.sources.get
    return [
        ("profile", profile.name, profile.origin),
        *((name, str(getattr(recist, name)), source(name, "")) for name in _RECIST_SOURCES),
        ("start_date", profile.start_date, source("start_date", "")),
        ("pfs_rules", profile.pfs_rules, source("pfs_rules", "")),
        ("death_without_assessment", profile.death_without_assessment,
         source("death_without_assessment", "")),
        ("alive_dates", ", ".join(profile.alive_dates), source("alive_dates", "")),
        ("treatment_emergent_window_days", str(profile.treatment_emergent_window_days),
         source("treatment_emergent_window_days", "")),
        ("cycle_length_days", "" if profile.cycle_length_days is None
         else str(profile.cycle_length_days), source("cycle_length_days", "")),
        ("planned_days", planned, source("cycle_length_days", "")),
        ("dlt_window_days", "" if profile.dlt_window_days is None
         else str(profile.dlt_window_days), source("dlt_window_days", "")),
    ]


def choose_profile(protocol_path: Path | None, study_ids: Iterable[str]) -> AnalysisProfile:
    """The profile for SDTM whose DM STUDYID values are *study_ids*.

    A protocol file when *protocol_path* is given; else the shipped LEADER protocol when every
    STUDYID is LEADER's; else :data:`GENERIC_PROFILE`.

    Parameters
    ----------
    protocol_path
        A protocol YAML file (the CLI's ``--protocol``), or ``None``.
    study_ids
        The DM STUDYID values of the data; blanks are ignored.

    Returns
    -------
    AnalysisProfile
        Its ``origin`` says which of the three cases chose it.

    Raises
    ------
    ProtocolError
        When the protocol file is missing, not YAML or not a valid protocol.
    """
    if protocol_path is not None:
        protocol = load_protocol(protocol_path)
        return profile_from_protocol(protocol, origin=f"protocol file {protocol_path}")
    shipped = load_protocol()
    ids = {str(s).strip() for s in study_ids if str(s).strip()}
    if ids and ids <= {shipped.id}:
        return profile_from_protocol(
            shipped, origin=f"shipped {LEADER_PROTOCOL} (STUDYID {shipped.id})")
    shown = ", ".join(sorted(ids)) or "none"
    return replace(GENERIC_PROFILE,
                   origin=f"no --protocol given and STUDYID ({shown}) is not {shipped.id}")


def as_profile(protocol: Protocol | AnalysisProfile) -> AnalysisProfile:
    """*protocol* as an analysis profile (a profile is returned as it is).

    Parameters
    ----------
    protocol
        A validated protocol or an analysis profile.

    Returns
    -------
    AnalysisProfile
        :func:`profile_from_protocol` of a protocol (origin ``protocol <id>``), or *protocol*
        unchanged.
    """
    if isinstance(protocol, AnalysisProfile):
        return protocol
    return profile_from_protocol(protocol, origin=f"protocol {protocol.id}")
