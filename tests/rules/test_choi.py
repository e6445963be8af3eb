"""Choi CT response criteria (Choi et al., J Clin Oncol 2007;25:1753, Table): thresholds on
both sides, modified Choi, protocol choices, worked examples and Choi PR ⊇ RECIST PR."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncotrial.errors import DataError, ProtocolError
from oncotrial.rules import classify_timepoints
from oncotrial.rules.choi import (
    CHOI_RULES,
    ChoiSettings,
    classify_choi_timepoints,
    derive_choi_responses,
)
from tests.rules.test_recist_cases import LEADER, START, build, reference

Cell = tuple[float | str | None, float | None]  # (diameter or state, density HU)


def _frames(
    targets: Mapping[str, Sequence[Cell]],
    *,
    nontargets: Mapping[str, Sequence[float | str | None]] | None = None,
    new: Sequence[tuple[int, str, str]] = (),
    nodal: Sequence[str] = (),
    days: Sequence[int] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    n_visits = len(next(iter(targets.values())))
    days = days or [0, *range(56, 56 * n_visits, 56)]
    lesions, meas = build(
        days,
        targets={k: (k in nodal, [c[0] for c in v]) for k, v in targets.items()},
        nontargets={k: (False, list(v)) for k, v in (nontargets or {}).items()},
        new=new,
    )
    density = {
        (lesion, float(visit)): cell[1]
        for lesion, cells in targets.items()
        for visit, cell in enumerate(cells)
    }
    meas["density_hu"] = [
        density.get((lk, vn)) for lk, vn in zip(meas["lesion_id"], meas["visitnum"], strict=True)
    ]
    meas["density_hu"] = meas["density_hu"].astype(float)
    return lesions, meas


def _choi(
    targets: Mapping[str, Sequence[Cell]], choi: ChoiSettings | None = None, **kwargs: object
) -> pd.DataFrame:
    lesions, meas = _frames(targets, **kwargs)  # type: ignore[arg-type]
    return classify_choi_timepoints(
        lesions, meas, settings=choi or ChoiSettings(), recist=LEADER
    )


def _last(targets: Mapping[str, Sequence[Cell]], **kwargs: object) -> tuple[str, str]:
    row = _choi(targets, **kwargs).iloc[-1]
    return str(row["overall_response"]), str(row["overall_rule"])


# --- thresholds, both sides ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"),
    [(90.1, ("SD", "choi_sd")), (90.0, ("PR", "choi_pr_size_or_density"))],
)
def test_size_decrease_10pct_is_pr_9_9pct_is_not(size: float, expected: tuple[str, str]) -> None:
    """Choi PR by size: -9.9 % stays SD, -10 % is PR (density unchanged)."""
    assert _last({"T1": [(100.0, 100.0), (size, 100.0)]}) == expected


@pytest.mark.parametrize(
    ("hu", "expected"),
    [(85.1, ("SD", "choi_sd")), (85.0, ("PR", "choi_pr_size_or_density"))],
)
def test_density_decrease_15pct_is_pr_14_9pct_is_not(hu: float, expected: tuple[str, str]) -> None:
    """Choi PR by density: -14.9 % stays SD, -15 % is PR (size unchanged)."""
    assert _last({"T1": [(100.0, 100.0), (100.0, hu)]}) == expected


@pytest.mark.parametrize(
    ("size", "expected"),
    [(109.9, ("SD", "choi_sd")), (110.0, ("PD", "choi_pd_size_increase"))],
)
def test_size_increase_10pct_is_pd_9_9pct_is_not(size: float, expected: tuple[str, str]) -> None:
    """Choi PD by size: +9.9 % stays SD, +10 % is PD when density has not fallen."""
    assert _last({"T1": [(100.0, 100.0), (size, 100.0)]}) == expected


@pytest.mark.parametrize(
    ("hu", "expected"),
    [(85.1, ("PD", "choi_pd_size_increase")), (85.0, ("PR", "choi_pr_size_or_density"))],
)
def test_size_increase_with_density_response_is_not_pd(
    hu: float, expected: tuple[str, str]
) -> None:
    """+10 % in size is not PD when density fell >= 15 % ("does not meet PR by density")."""
    assert _last({"T1": [(100.0, 100.0), (110.0, hu)]}) == expected


def test_modified_choi_needs_size_and_density() -> None:
    """mChoi: size -10 % alone or density -15 % alone is SD; both together is PR."""
    modified = ChoiSettings(variant="modified")
    assert _last({"T1": [(100.0, 100.0), (90.0, 100.0)]}, choi=modified) == ("SD", "choi_sd")
    assert _last({"T1": [(100.0, 100.0), (100.0, 85.0)]}, choi=modified) == ("SD", "choi_sd")
    assert _last({"T1": [(100.0, 100.0), (90.0, 85.0)]}, choi=modified) == (
        "PR",
        "choi_pr_size_and_density",
    )
    assert _last({"T1": [(100.0, 100.0), (90.1, 85.0)]}, choi=modified) == ("SD", "choi_sd")


# --- other rules -----------------------------------------------------------------------------


def test_new_lesion_is_pd_even_with_density_response() -> None:
    """A new lesion is PD whatever size and density do."""
    got = _last({"T1": [(100.0, 100.0), (80.0, 50.0)]}, new=[(1, "N1", "PRESENT")])
    assert got == ("PD", "choi_pd_new_lesion")


def test_intratumoral_nodule_is_pd() -> None:
    """A new or growing intratumoral nodule (Choi PD criterion 3) is PD."""
    lesions, meas = _frames({"T1": [(100.0, 100.0), (80.0, 50.0)]})
    meas["nodule_progression"] = [False, True]
    out = classify_choi_timepoints(lesions, meas, settings=ChoiSettings(), recist=LEADER)
    assert out["overall_rule"].tolist() == ["choi_pd_intratumoral_nodule"]


def test_nontarget_progression_is_pd_or_blocks_pr_by_setting() -> None:
    """Unequivocal non-target progression: PD by default; with the option off it only
    prevents PR ("no obvious progression of non-measurable disease")."""
    targets = {"T1": [(100.0, 100.0), (80.0, 100.0)]}
    nontargets = {"N1": ["PRESENT", "UNEQUIVOCAL"]}
    assert _last(targets, nontargets=nontargets) == ("PD", "choi_pd_nontarget")
    off = ChoiSettings(nontarget_progression_is_pd=False)
    assert _last(targets, nontargets=nontargets, choi=off) == ("SD", "choi_sd")


def test_complete_response_needs_all_lesions_gone() -> None:
    """CR: every target gone and non-targets absent; with a non-target left it is PR."""
    assert _last({"T1": [(50.0, 80.0), ("ABSENT", None)]}) == ("CR", "choi_cr_all_gone")
    got = _last({"T1": [(50.0, 80.0), ("ABSENT", None)]}, nontargets={"N1": ["PRESENT"] * 2})
    assert got == ("PR", "choi_pr_size_or_density")
    modified = ChoiSettings(variant="modified")
    got = _last(
        {"T1": [(50.0, 80.0), ("ABSENT", None)]},
        nontargets={"N1": ["PRESENT"] * 2},
        choi=modified,
    )
    assert got == ("PR", "choi_pr_size_and_density")


def test_missing_target_is_ne() -> None:
    """A target lesion not assessed makes the visit NE (no evident PD)."""
    got = _last({"T1": [(50.0, 80.0), (None, None)], "T2": [(30.0, 60.0), (30.0, 60.0)]})
    assert got == ("NE", "choi_ne_not_all_assessed")


def test_size_pd_evident_with_a_lesion_not_read() -> None:
    """T1 not read, T2 alone 50 → 90 mm: the partial sum 90 already exceeds baseline 80 by
    12.5 %, so PD unless the density of the lesions read fell >= 15 % (then NE)."""
    base = {"T1": [(30.0, 80.0), (None, None)]}
    assert _last({**base, "T2": [(50.0, 80.0), (90.0, 80.0)]}) == ("PD", "choi_pd_size_increase")
    assert _last({**base, "T2": [(50.0, 80.0), (90.0, 68.0)]}) == (
        "NE",
        "choi_ne_not_all_assessed",
    )
    assert _last({**base, "T2": [(50.0, 80.0), (87.9, 80.0)]}) == (
        "NE",
        "choi_ne_not_all_assessed",
    )


def test_pd_reference_baseline_or_nadir() -> None:
    """100 → 80 → 89 mm, density flat: -11 % from baseline (PR, Choi's comparison) but
    +11.25 % from the nadir (PD when the protocol chooses the nadir)."""
    targets = {"T1": [(100.0, 100.0), (80.0, 100.0), (89.0, 100.0)]}
    assert _last(targets) == ("PR", "choi_pr_size_or_density")
    assert _last(targets, choi=ChoiSettings(pd_reference="nadir")) == (
        "PD",
        "choi_pd_size_increase",
    )


def test_density_average_mean_of_lesions_or_diameter_weighted() -> None:
    """Lesions 100 mm at 100→100 HU and 20 mm at 40→10 HU.
    Mean of lesion means 70 → 55 HU (-21.4 %, PR); diameter-weighted
    (100·100+20·40)/120 = 90 → (100·100+20·10)/120 = 85 HU (-5.6 %, SD)."""
    targets = {"T1": [(100.0, 100.0), (100.0, 100.0)], "T2": [(20.0, 40.0), (20.0, 10.0)]}
    row = _choi(targets).iloc[-1]
    assert row["density_hu"] == pytest.approx(55.0)
    assert row["baseline_density_hu"] == pytest.approx(70.0)
    assert row["density_change_pct"] == pytest.approx(-150 / 7)
    assert row["overall_response"] == "PR"
    row = _choi(targets, choi=ChoiSettings(density_average="diameter_weighted")).iloc[-1]
    assert row["density_hu"] == pytest.approx(85.0)
    assert row["baseline_density_hu"] == pytest.approx(90.0)
    assert row["overall_response"] == "SD"


def test_worked_example_density_response_that_recist_calls_stable() -> None:
    """Worked example (the pattern Choi 2007 describes in GIST on imatinib: lesions turn
    hypodense while size barely changes). Baseline 50 + 30 = 80 mm at 80 and 60 HU (mean
    70); at 8 weeks 52 + 31 = 83 mm (+3.75 %) at 45 and 40 HU (mean 42.5, -39.3 %).
    Choi: PR by density. RECIST 1.1: SD (+3.75 % is neither -30 % nor +20 %)."""
    targets = {"T1": [(50.0, 80.0), (52.0, 45.0)], "T2": [(30.0, 60.0), (31.0, 40.0)]}
    row = _choi(targets).iloc[-1]
    assert row["change_from_baseline_pct"] == pytest.approx(3.75)
    assert row["density_change_pct"] == pytest.approx(-39.2857142857)
    assert (row["overall_response"], bool(row["size_pr"]), bool(row["density_pr"])) == (
        "PR",
        False,
        True,
    )
    lesions, meas = _frames(targets)
    recist = classify_timepoints(lesions, meas.drop(columns="density_hu"), settings=LEADER)
    assert recist["overall_response"].tolist() == ["SD"]


def test_best_response_reuses_recist_confirmation() -> None:
    """PR at weeks 8 and 16 is a confirmed PR (28-day confirmation interval)."""
    lesions, meas = _frames({"T1": [(100.0, 100.0), (100.0, 80.0), (100.0, 70.0)]})
    out = derive_choi_responses(
        lesions, meas, reference=reference(), settings=ChoiSettings(), recist=LEADER
    )
    best = out.best_response.iloc[0]
    assert (best["bor"], best["cbor"]) == ("PR", "PR")
    assert best["response_date"] == pd.Timestamp(START + timedelta(days=56))


# --- bad input -------------------------------------------------------------------------------


def test_missing_density_names_subject_visit_and_lesion() -> None:
    """A measured target without density is an error naming subject, visit and lesion."""
    lesions, meas = _frames({"T1": [(100.0, 100.0), (90.0, None)]})
    with pytest.raises(DataError, match=r"subject S1, visit V1.*lesion T1") as info:
        classify_choi_timepoints(lesions, meas, settings=ChoiSettings(), recist=LEADER)
    assert (info.value.field, info.value.subject, info.value.visit) == ("density_hu", "S1", "V1")
    with pytest.raises(DataError, match="density_hu"):
        classify_choi_timepoints(
            lesions, meas.drop(columns="density_hu"), settings=ChoiSettings(), recist=LEADER
        )


def test_impossible_density_is_refused() -> None:
    """A density outside the Hounsfield scale is refused with the allowed range."""
    lesions, meas = _frames({"T1": [(100.0, 100.0), (90.0, 5000.0)]})
    with pytest.raises(DataError, match="Hounsfield"):
        classify_choi_timepoints(lesions, meas, settings=ChoiSettings(), recist=LEADER)


def test_non_positive_baseline_density_is_ne() -> None:
    """A percent change from a baseline density <= 0 HU is undefined: NE, named."""
    assert _last({"T1": [(100.0, 0.0), (90.0, -5.0)]}) == ("NE", "choi_ne_no_baseline")


@pytest.mark.parametrize(
    "kwargs",
    [{"variant": "mchoi"}, {"pd_reference": "first"}, {"density_average": "median"},
     {"nontarget_progression_is_pd": 1}],
)
def test_bad_settings_are_refused(kwargs: dict[str, object]) -> None:
    """Every protocol choice accepts only its listed values."""
    with pytest.raises(ProtocolError, match="choi"):
        ChoiSettings(**kwargs)  # type: ignore[arg-type]


def test_every_rule_can_decide() -> None:
    """The rule names are unique and every rule decides at least one small case."""
    names = [name for name, _, _ in CHOI_RULES]
    assert len(set(names)) == len(names)
    modified = ChoiSettings(variant="modified")
    lesions, meas = _frames({"T1": [(100.0, 100.0), (80.0, 50.0)]})
    meas["nodule_progression"] = [False, True]
    nodule = classify_choi_timepoints(lesions, meas, settings=ChoiSettings(), recist=LEADER)
    lesions, meas = build([0, 56], nontargets={"N1": (False, ["PRESENT", "PRESENT"])})
    meas["density_hu"] = float("nan")
    no_target = classify_choi_timepoints(lesions, meas, settings=ChoiSettings(), recist=LEADER)
    reached = {
        _last({"T1": [(100.0, 100.0), (90.0, 100.0)]})[1],
        _last({"T1": [(100.0, 100.0), (90.0, 85.0)]}, choi=modified)[1],
        _last({"T1": [(100.0, 100.0), (100.0, 100.0)]})[1],
        _last({"T1": [(100.0, 100.0), (110.0, 100.0)]})[1],
        _last({"T1": [(100.0, 0.0), (90.0, 0.0)]})[1],
        _last({"T1": [(50.0, 80.0), ("ABSENT", None)]})[1],
        _last({"T1": [(50.0, 80.0), (None, None)]})[1],
        _last({"T1": [(50.0, 80.0), (50.0, 80.0)]}, new=[(1, "N1", "PRESENT")])[1],
        _last({"T1": [(50.0, 80.0)] * 2}, nontargets={"N1": ["PRESENT", "UNEQUIVOCAL"]})[1],
        nodule["overall_rule"].iloc[-1],
        no_target["overall_rule"].iloc[-1],
    }
    assert reached == set(names)


# --- property: Choi PR contains RECIST PR ----------------------------------------------------

lesion_pair = st.tuples(
    st.integers(10, 150).map(float),  # baseline diameter
    st.one_of(st.just(0.0), st.integers(1, 200).map(float)),  # follow-up diameter
    st.integers(1, 150).map(float),  # baseline density
    st.integers(-50, 200).map(float),  # follow-up density
)


@settings(max_examples=150, deadline=None)
@given(st.lists(lesion_pair, min_size=1, max_size=5), st.booleans())
def test_recist_pr_implies_choi_pr(pairs: list[tuple[float, float, float, float]],
                                   modified: bool) -> None:
    """With no new lesion and non-targets not progressing, every RECIST 1.1 PR (-30 %) is a
    Choi PR (-10 % suffices) — and a RECIST CR is a Choi CR. With modified Choi only
    RECIST CR ⇒ CR holds in general (PR needs the density fall too)."""
    targets = {
        f"T{i}": [(b, bh), (f, fh if f > 0 else None)] for i, (b, f, bh, fh) in enumerate(pairs)
    }
    lesions, meas = _frames(targets)
    recist = classify_timepoints(lesions, meas.drop(columns="density_hu"), settings=LEADER)
    variant = "modified" if modified else "choi"
    choi = classify_choi_timepoints(
        lesions, meas, settings=ChoiSettings(variant=variant), recist=LEADER
    )
    r, c = recist["overall_response"].iloc[0], choi["overall_response"].iloc[0]
    if r == "CR":
        assert c == "CR"
    if r == "PR" and not modified:
        assert c == "PR"
    if c == "PD":
        assert r != "PR"


@settings(max_examples=100, deadline=None)
@given(st.lists(lesion_pair, min_size=1, max_size=4), st.floats(0.0, 5.0))
def test_modified_pr_implies_choi_pr_and_lower_density_never_hurts(
    pairs: list[tuple[float, float, float, float]], fall: float
) -> None:
    """Modified-Choi PR ⇒ Choi PR (both conditions ⇒ either); and with sizes fixed, a further
    fall of every follow-up density never turns a Choi PR into SD or PD."""
    targets = {
        f"T{i}": [(b, bh), (f, fh if f > 0 else None)] for i, (b, f, bh, fh) in enumerate(pairs)
    }
    lower = {
        k: [v[0], (v[1][0], None if v[1][1] is None else v[1][1] - 100.0 * fall)]
        for k, v in targets.items()
    }
    choi = _choi(targets)["overall_response"].iloc[0]
    modified = _choi(targets, ChoiSettings(variant="modified"))["overall_response"].iloc[0]
    if modified == "PR":
        assert choi == "PR"
    if choi == "PR":
        assert _choi(lower)["overall_response"].iloc[0] == "PR"
