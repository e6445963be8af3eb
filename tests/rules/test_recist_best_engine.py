"""The array entry point of the best-response engine that ADRS and the simulator call."""

from __future__ import annotations

import numpy as np
import pytest

from oncotrial.errors import ProtocolError
from oncotrial.rules.recist import (
    RESPONSE_CODES,
    BestResponseSettings,
    decide_best_responses,
    load_recist_rules,
)


def _cbor(codes: list[str], days: list[int], **options: object) -> tuple[str, str]:
    settings = BestResponseSettings(confirmation_interval_days=28, min_sd_duration_days=42,
                                    **options)  # type: ignore[arg-type]
    result = decide_best_responses(
        np.zeros(len(codes), dtype=np.int64), np.asarray(days, dtype=np.int64),
        np.asarray([RESPONSE_CODES[c] for c in codes], dtype=np.int64), n_groups=1,
        sd_from=np.array([42]), settings=settings, rules=load_recist_rules())
    return str(result.cbor.outcome[0]), str(result.cbor.rule_name[0])


@pytest.mark.parametrize(("second_day", "expected"), [
    pytest.param(84, ("PR", "cbor_confirmed_pr"), id="28-days-later-confirms"),
    pytest.param(83, ("SD", "cbor_sd_min_duration"), id="27-days-later-does-not"),
])
def test_confirmation_interval_both_sides(second_day: int, expected: tuple[str, str]) -> None:
    """A PR is confirmed by a PR ≥ 28 days later, not 27 (RECIST 1.1 §4.6; no +1 day)."""
    assert _cbor(["PR", "PR"], [56, second_day]) == expected


@pytest.mark.parametrize(("accept_sd", "expected"), [(False, "SD"), (True, "PR")])
def test_sd_between_pr_and_confirmation_is_an_option(accept_sd: bool, expected: str) -> None:
    """PR, SD, PR confirms only when one SD in between is accepted (admiralonco accept_sd)."""
    assert _cbor(["PR", "SD", "PR"], [56, 70, 98], accept_sd_between=accept_sd)[0] == expected


@pytest.mark.parametrize(("max_ne", "expected"), [(0, "SD"), (1, "PR")])
def test_ne_between_pr_and_confirmation_up_to_the_maximum(max_ne: int, expected: str) -> None:
    """One NE between a PR and its confirmation is tolerated with max_ne_between ≥ 1 only."""
    assert _cbor(["PR", "NE", "PR"], [56, 70, 98], max_ne_between=max_ne)[0] == expected


@pytest.mark.parametrize(("recode", "expected"), [(True, "SD"), (False, "PR")])
def test_cr_followed_by_pr(recode: bool, expected: str) -> None:
    """CR, PR, PR: the PR after the CR is PD (RECIST 1.1 Table 3 note a), cutting the rest;
    without the recoding the two PRs confirm each other (admiralonco)."""
    assert _cbor(["CR", "PR", "PR"], [56, 112, 168],
                 cr_followed_by_worse_is_pd=recode)[0] == expected


def test_group_without_records_is_missing() -> None:
    """A group with no assessment takes the *_missing rule, with no record."""
    result = decide_best_responses(
        np.array([1], dtype=np.int64), np.array([60], dtype=np.int64),
        np.array([RESPONSE_CODES["SD"]], dtype=np.int64), n_groups=2, sd_from=np.array([42, 42]),
        settings=BestResponseSettings(28, 42), rules=load_recist_rules())
    assert result.bor.outcome.tolist() == ["MISSING", "SD"]
    assert result.bor.position.tolist() == [-1, 0]


@pytest.mark.parametrize(("field", "value"), [
    ("confirmation_interval_days", 0), ("min_sd_duration_days", -1), ("max_ne_between", 1.5),
    ("accept_sd_between", "yes"),
])
def test_bad_settings_name_the_field(field: str, value: object) -> None:
    """Each invalid option raises a ProtocolError that names it."""
    values: dict[str, object] = {"confirmation_interval_days": 28, "min_sd_duration_days": 42,
                                 field: value}
    with pytest.raises(ProtocolError, match=field):
        BestResponseSettings(**values)  # type: ignore[arg-type]


def test_day_numbers_become_dates_and_none_stays_none() -> None:
    """Best-response dates: day 17897 is 2019-01-01 (days since 1970-01-01), a day before
    1970 stays exact, and no day is NaT."""
    import pandas as pd

    from oncotrial.rules.recist._best import _dates_of_days

    dates = _dates_of_days(np.array([17897.0, np.nan, -1.0]))
    assert dates.iloc[0] == pd.Timestamp("2019-01-01")
    assert pd.isna(dates.iloc[1])
    assert dates.iloc[2] == pd.Timestamp("1969-12-31")
