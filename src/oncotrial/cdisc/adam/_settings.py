"""Options of the ADaM derivations and the protocol values they read.

Protocol values (confirmation interval, minimum SD duration, imaging schedule) come from the
trial's :class:`oncotrial.protocol.Protocol` (``protocol.recist``); the derivations accept any
object with the same attributes, so they depend on the protocol's shape, not its loader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from oncotrial.errors import DataError

__all__ = [
    "START_DATES",
    "PfsRules",
    "ProtocolLike",
    "RecistLike",
    "ResponseOptions",
    "StartDate",
    "evaluator_label",
]

StartDate = Literal["RANDDT", "TRTSDT", "ENRLDT"]
START_DATES: tuple[StartDate, ...] = ("RANDDT", "TRTSDT", "ENRLDT")
PfsRules = str  # a progression rule set of the censoring rule table (FDA, EMA, ...)


class RecistLike(Protocol):
    """The RECIST parameters of a protocol the derivations read (``Protocol.recist``)."""

    @property
    def confirmation_interval_days(self) -> int: ...  # RECIST 1.1 §4.6: ≥ 4 weeks

    @property
    def min_sd_duration_days(self) -> int: ...  # RECIST 1.1 §4.4: protocol-defined

    @property
    def imaging_interval_days(self) -> int: ...

    @property
    def imaging_window_days(self) -> int: ...


class ProtocolLike(Protocol):
    """A trial protocol: only its RECIST parameters matter here."""

    @property
    def recist(self) -> RecistLike: ...


@dataclass(frozen=True, slots=True)
class ResponseOptions:
    """Company conventions of the response derivations that are not protocol values.

    Defaults are those of admiralonco (``derive_param_confirmed_bor``: ``max_nr_ne = 1``,
    ``accept_sd = FALSE``; templates 0.3.0 to 1.4.0), except *cr_followed_by_worse_is_pd*,
    which follows RECIST 1.1 as the engine does.

    Attributes
    ----------
    max_ne_in_confirmation
        NE assessments tolerated between a response and its confirmation.
    accept_sd_in_confirmation
        Whether one SD between a PR and its confirmation is tolerated.
    cut_at_new_therapy
        Drop assessments on or after the first new anticancer therapy from the response
        working set (RECIST 1.1 §4.4: the BOR window ends at new therapy; admiralonco vignette).
    cr_followed_by_worse_is_pd
        Recode a PR, SD or NON-CR/NON-PD after a CR as PD (RECIST 1.1 Table 3 footnote a: once a
        true CR is documented, reappearing disease is progression). On by default, as in the
        RECIST engine (:mod:`oncotrial.rules.recist`), so ADRS and ``oncotrial recist assess``
        give the same BOR/CBOR. ``False`` reproduces admiralonco, which treats CR followed by
        PR as a data issue (``signal_crpr()``, issues #87, #161, #275) and whose own test
        expectations (e.g. PR, CR, PR → CBOR SD) assume no recoding.
    """

    max_ne_in_confirmation: int = 1
    accept_sd_in_confirmation: bool = False
    cut_at_new_therapy: bool = True
    # RECIST 1.1 Table 3 footnote a (the engine's default); admiralonco does not recode
    cr_followed_by_worse_is_pd: bool = True

    def __post_init__(self) -> None:
        if self.max_ne_in_confirmation < 0:
            raise DataError(
                "must not be negative",
                field="max_ne_in_confirmation",
                value=self.max_ne_in_confirmation,
                allowed="an integer ≥ 0",
            )


_EVALUATOR_LABELS = {"INVESTIGATOR": "Investigator", "INDEPENDENT ASSESSOR": "Independent Assessor"}


def evaluator_label(evaluator: str) -> str:
    """Title-case evaluator text for PARAM/PARCAT2 (``INVESTIGATOR`` → ``Investigator``)."""
    return _EVALUATOR_LABELS.get(evaluator.upper(), evaluator.title())
