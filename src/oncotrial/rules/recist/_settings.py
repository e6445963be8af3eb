"""Protocol-driven parameters of the RECIST 1.1 engine and the engine's input vocabulary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol as TypingProtocol

from oncotrial.errors import ProtocolError

__all__ = [
    "LESION_COLUMNS",
    "LESION_ROLES",
    "MEASUREMENT_COLUMNS",
    "MEASUREMENT_STATES",
    "BestResponseSettings",
    "RecistParametersLike",
    "RecistSettings",
]

# Input frames of the engine (documented in oncotrial.rules.recist).
LESION_COLUMNS = ("subject", "evaluator", "lesion_id", "role", "organ", "nodal")
MEASUREMENT_COLUMNS = (
    "subject",
    "evaluator",
    "lesion_id",
    "visitnum",
    "visit",
    "date",
    "diameter_mm",
    "state",
)
LESION_ROLES = ("TARGET", "NON-TARGET", "NEW")
# Canonical lesion states (the SDTM reader maps TRSTRESC/TRSTAT spellings onto these).
MEASUREMENT_STATES = (
    "",  # a number in diameter_mm, nothing else said
    "PRESENT",
    "ABSENT",
    "UNEQUIVOCAL",  # non-target: unequivocal progression; new lesion: unequivocal
    "EQUIVOCAL",  # new lesion seen but equivocal
    "NOT DONE",
    "TOO SMALL TO MEASURE",
    # iRECIST: present and grown since the last assessment, not (necessarily) unequivocal
    # progression (EORTC RECIST FAQ "If iUPD is driven by non-target disease…": INCLA). RECIST
    # 1.1 reads it as PRESENT; iRECIST confirms iUPD of non-target or new non-target lesions by it.
    "INCREASED",
)


def _check_int(name: str, value: object, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ProtocolError(f"recist.{name}={value!r}: must be an integer >= {minimum}")


@dataclass(frozen=True, slots=True)
class BestResponseSettings:
    """The parameters of best overall response and its confirmation, and nothing else.

    One set of options for every caller of the one best-response engine
    (:mod:`oncotrial.rules.recist._best`): the RECIST engine (from :class:`RecistSettings`),
    ADRS (protocol values plus ``ResponseOptions``) and the simulator (its ``TrialDesign``).
    The meaning of each field is documented on :class:`RecistSettings`.
    """

    confirmation_interval_days: int
    min_sd_duration_days: int
    max_ne_between: int = 1
    accept_sd_between: bool = False
    cr_followed_by_worse_is_pd: bool = True

    def __post_init__(self) -> None:
        _check_int("confirmation_interval_days", self.confirmation_interval_days, 1)
        _check_int("min_sd_duration_days", self.min_sd_duration_days, 0)
        _check_int("max_ne_between", self.max_ne_between, 0)
        for name in ("accept_sd_between", "cr_followed_by_worse_is_pd"):
            if not isinstance(getattr(self, name), bool):
                raise ProtocolError(f"{name}={getattr(self, name)!r}: must be true or false")


class RecistParametersLike(TypingProtocol):
    """The RECIST block of a protocol (``oncotrial.protocol.Protocol.recist``)."""

    @property
    def confirmation_interval_days(self) -> int: ...
    @property
    def min_sd_duration_days(self) -> int: ...
    @property
    def too_small_to_measure_mm(self) -> float: ...
    @property
    def max_target_lesions(self) -> int: ...
    @property
    def max_target_per_organ(self) -> int: ...


class _HasRecist(TypingProtocol):
    @property
    def recist(self) -> RecistParametersLike: ...


@dataclass(frozen=True, slots=True)
class RecistSettings:
    """Parameters of one trial's RECIST 1.1 evaluation, taken from its protocol.

    Attributes
    ----------
    confirmation_interval_days
        A CR/PR is confirmed by a repeat assessment at least this many days later
        (RECIST 1.1 §4.6: "no less than 4 weeks"; LEADER protocol: 28).
    min_sd_duration_days
        SD (and NON-CR/NON-PD) counts for best response only on or after the reference start
        date plus this many days (RECIST 1.1 §4.4.3 / §4.6.3, protocol-defined; LEADER: 42).
    too_small_to_measure_mm
        Value used for a lesion judged present but too small to measure (RECIST 1.1 §4.3.1
        note; EORTC Q&A "Lesions less than 5 mm"; default 5 mm).
    max_target_lesions, max_target_per_organ
        Lesion-selection limits (RECIST 1.1 §3.3: 5 in total, 2 per organ).
    max_ne_between
        NE assessments tolerated between a response and its confirmation (admiralonco
        ``max_nr_ne = 1``).
    accept_sd_between
        Whether one SD between a PR and its confirmation is tolerated (admiralonco
        ``accept_sd = FALSE``).
    cr_followed_by_worse_is_pd
        Treat a PR/SD/NON-CR/NON-PD after a CR as PD (RECIST 1.1 Table 3 footnote a). ``False``
        reproduces admiralonco, which leaves it to the data.
    """

    confirmation_interval_days: int
    min_sd_duration_days: int
    too_small_to_measure_mm: float
    max_target_lesions: int
    max_target_per_organ: int
    max_ne_between: int = 1
    accept_sd_between: bool = False
    cr_followed_by_worse_is_pd: bool = True

    def __post_init__(self) -> None:
        checks = (
            ("confirmation_interval_days", self.confirmation_interval_days, 1),
            ("min_sd_duration_days", self.min_sd_duration_days, 0),
            ("max_target_lesions", self.max_target_lesions, 1),
            ("max_target_per_organ", self.max_target_per_organ, 1),
            ("max_ne_between", self.max_ne_between, 0),
        )
        for name, value, minimum in checks:
            _check_int(name, value, minimum)
        tsm = self.too_small_to_measure_mm
        if isinstance(tsm, bool) or not isinstance(tsm, int | float) or not 0 < tsm < 10:
            raise ProtocolError(
                f"recist.too_small_to_measure_mm={tsm!r}: must be a number in (0, 10) mm"
            )

    @property
    def best_response(self) -> BestResponseSettings:
        """The subset of these settings that best overall response reads."""
        return BestResponseSettings(
            confirmation_interval_days=self.confirmation_interval_days,
            min_sd_duration_days=self.min_sd_duration_days,
            max_ne_between=self.max_ne_between,
            accept_sd_between=self.accept_sd_between,
            cr_followed_by_worse_is_pd=self.cr_followed_by_worse_is_pd,
        )

    @classmethod
    def from_protocol(
        cls,
        protocol: _HasRecist,
        *,
        max_ne_between: int = 1,
        accept_sd_between: bool = False,
        cr_followed_by_worse_is_pd: bool = True,
    ) -> RecistSettings:
        """Build the settings from ``protocol.recist`` (an ``oncotrial.protocol.Protocol``)."""
        params = protocol.recist
        return cls(
            confirmation_interval_days=params.confirmation_interval_days,
            min_sd_duration_days=params.min_sd_duration_days,
            too_small_to_measure_mm=float(params.too_small_to_measure_mm),
            max_target_lesions=params.max_target_lesions,
            max_target_per_organ=params.max_target_per_organ,
            max_ne_between=max_ne_between,
            accept_sd_between=accept_sd_between,
            cr_followed_by_worse_is_pd=cr_followed_by_worse_is_pd,
        )
