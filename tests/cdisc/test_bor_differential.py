"""Differential test: ``oncotrial recist assess`` and ``oncotrial derive --source TR`` give the
same best overall response (BOR) and confirmed BOR (CBOR) for every subject.

Hypothesis draws lesion histories (target lesions nodal or not, non-target lesions, new
lesions, missed target readings, dates at random intervals), writes them as SDTM DM, EX, TU and
TR, and runs the service functions behind both commands (``derive_tumour_assessment`` →
summary.csv, ``derive_adam(source="TR")`` → ADRS BOR/CBOR) with the same protocol.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncotrial.cdisc.adam import derive_adam
from oncotrial.cdisc.sdtm.tumour import derive_tumour_assessment
from oncotrial.protocol import Protocol, load_protocol
from oncotrial.rules.recist import RecistSettings

START = pd.Timestamp("2021-03-01")
LEADER = load_protocol()
# Target sizes relative to baseline, chosen to sit on and beside the RECIST 1.1 cut-points
# (−30 % PR, +20 % and +5 mm PD from the nadir) and to reach CR (0) and regrowth.
FACTORS = (0.0, 0.3, 0.5, 0.69, 0.7, 0.71, 0.9, 1.0, 1.19, 1.2, 1.25, 1.5, 2.0)


@dataclass(frozen=True)
class Lesion:
    """One lesion of a subject: role, nodal, baseline size (mm) and one entry per visit."""

    role: str  # TARGET, NON-TARGET
    nodal: bool
    baseline_mm: float
    visits: tuple[object, ...]  # TARGET: factor or None (not done); NON-TARGET: TUMSTATE


@dataclass(frozen=True)
class History:
    """One subject: baseline day, post-baseline visit days (from the first dose), lesions and
    the visit at which a new lesion appears (None: never)."""

    baseline_day: int
    days: tuple[int, ...]
    lesions: tuple[Lesion, ...]
    new_at: int | None


def _non_target_states(draw: st.DrawFn, n_visits: int) -> list[str]:
    """PRESENT, then ABSENT from one visit, then back (present, unequivocal progression or not
    done) from a later one: disappearance and reappearance drive CR and CR followed by PR."""
    gone_from = draw(st.integers(0, n_visits))
    back_at = draw(st.integers(gone_from, n_visits))
    back = draw(st.sampled_from(["PRESENT", "UNEQUIVOCAL PROGRESSION", "NOT DONE"]))
    states = ["PRESENT" if v < gone_from else "ABSENT" if v < back_at else back
              for v in range(n_visits)]
    if draw(st.booleans()):  # now and then one visit not done
        states[draw(st.integers(0, n_visits - 1))] = "NOT DONE"
    return states


@st.composite
def histories(draw: st.DrawFn) -> History:
    """A random but well-formed lesion history of one subject."""
    n_visits = draw(st.integers(1, 6))
    gaps = draw(st.lists(st.sampled_from([14, 27, 28, 29, 35, 41, 42, 43, 56]),
                         min_size=n_visits, max_size=n_visits))
    days = tuple(sum(gaps[: i + 1]) for i in range(n_visits))
    # CR (0) is drawn often enough to reach CR followed by something worse
    factor = st.one_of(st.sampled_from(FACTORS), st.just(0.0), st.none())
    targets = draw(st.lists(st.tuples(st.booleans(), st.integers(15, 60),
                                      st.lists(factor, min_size=n_visits, max_size=n_visits)),
                            min_size=1, max_size=3))
    non_targets = [_non_target_states(draw, n_visits) for _ in range(draw(st.integers(0, 2)))]
    if draw(st.booleans()):  # all targets follow one course, so CR (all gone) is common
        targets = [(nodal, size, targets[0][2]) for nodal, size, _ in targets]
    lesions = [Lesion("TARGET", nodal, float(size), tuple(f)) for nodal, size, f in targets]
    lesions += [Lesion("NON-TARGET", False, 0.0, tuple(s)) for s in non_targets]
    new_at = draw(st.sampled_from([None, None, None, *range(n_visits)]))  # mostly none
    return History(draw(st.integers(-10, 0)), days, tuple(lesions), new_at)


def _date(day: int) -> str:
    return (START + pd.Timedelta(days=day)).strftime("%Y-%m-%d")


def _tr_row(subject: str, link: str, visit: int, day: int, **result: object) -> dict[str, object]:
    return {"STUDYID": "LEADER", "USUBJID": subject, "TRLNKID": link, "TREVAL": "INVESTIGATOR",
            "VISITNUM": float(visit), "VISIT": f"VISIT {visit}", "TRDTC": _date(day), **result}


def _lesion_rows(subject: str, history: History, j: int, lesion: Lesion) -> list[dict[str, object]]:
    link = f"{'T' if lesion.role == 'TARGET' else 'NT'}{j:02d}"
    visits = [(0, history.baseline_day), *((v + 1, d) for v, d in enumerate(history.days))]
    rows = []
    for (visit, day), value in zip(visits, (None, *lesion.visits), strict=True):
        if lesion.role == "NON-TARGET":
            state = "PRESENT" if visit == 0 else str(value)
            rows.append(_tr_row(subject, link, visit, day, TRTESTCD="TUMSTATE",
                                TRSTRESC=state, TRORRES=state, TRSTRESN=float("nan")))
            continue
        test = "LPERP" if lesion.nodal else "LDIAM"
        if visit > 0 and value is None:
            rows.append(_tr_row(subject, link, visit, day, TRTESTCD=test, TRSTRESC="",
                                TRORRES="", TRSTRESN=float("nan"), TRSTAT="NOT DONE"))
            continue
        size = lesion.baseline_mm * (1.0 if visit == 0 else float(value))  # type: ignore[arg-type]
        size = float(round(size))
        rows.append(_tr_row(subject, link, visit, day, TRTESTCD=test, TRSTRESC=f"{size:g}",
                            TRORRES=f"{size:g}", TRSTRESN=size, TRSTRESU="mm"))
    return rows


def _sdtm(cases: list[History]) -> dict[str, pd.DataFrame]:
    subjects = [f"LEADER-{i + 1:03d}" for i in range(len(cases))]
    dm = pd.DataFrame({"STUDYID": "LEADER", "USUBJID": subjects, "RFSTDTC": _date(0)})
    ex = pd.DataFrame({"STUDYID": "LEADER", "USUBJID": subjects, "EXTRT": "LENVATINIB",
                       "EXDOSE": 14.0, "EXSTDTC": _date(0), "EXENDTC": _date(400)})
    tu_rows, tr_rows = [], []
    for subject, history in zip(subjects, cases, strict=True):
        for j, lesion in enumerate(history.lesions):
            link = f"{'T' if lesion.role == 'TARGET' else 'NT'}{j:02d}"
            tu_rows.append({"USUBJID": subject, "TULNKID": link, "TUSTRESC": lesion.role,
                            "TULOC": "LYMPH NODE" if lesion.nodal else f"SITE {j}",
                            "TUDTC": _date(history.baseline_day), "VISITNUM": 0.0})
            tr_rows += _lesion_rows(subject, history, j, lesion)
        if history.new_at is not None:
            visit, day = history.new_at + 1, history.days[history.new_at]
            tu_rows.append({"USUBJID": subject, "TULNKID": "NEW01", "TUSTRESC": "NEW",
                            "TULOC": "LIVER", "TUDTC": _date(day), "VISITNUM": float(visit)})
            tr_rows.append(_tr_row(subject, "NEW01", visit, day, TRTESTCD="TUMSTATE",
                                   TRSTRESC="UNEQUIVOCAL", TRORRES="UNEQUIVOCAL",
                                   TRSTRESN=float("nan")))
    tu = pd.DataFrame(tu_rows).assign(STUDYID="LEADER", TUEVAL="INVESTIGATOR")
    return {"DM": dm, "EX": ex, "TU": tu, "TR": pd.DataFrame(tr_rows)}


def _both(sdtm: dict[str, pd.DataFrame], protocol: Protocol) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(recist assess summary, derive ADRS) best responses indexed by subject."""
    assessment = derive_tumour_assessment(sdtm, settings=RecistSettings.from_protocol(protocol))
    summary = assessment.summary.set_index("USUBJID")[["BOR", "CBOR"]]
    adrs = derive_adam(sdtm, protocol=protocol, source="TR").adrs
    best = adrs.loc[adrs["PARAMCD"].isin(["BOR", "CBOR"])]
    derived = best.pivot(index="USUBJID", columns="PARAMCD", values="AVALC")[["BOR", "CBOR"]]
    return summary.sort_index(), derived.sort_index()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(histories(), min_size=4, max_size=16))
def test_recist_assess_and_derive_agree_on_bor_and_cbor(cases: list[History]) -> None:
    """The engine's summary and ADRS from the same TU/TR give identical BOR and CBOR."""
    summary, derived = _both(_sdtm(cases), LEADER)
    pd.testing.assert_frame_equal(summary, derived, check_names=False)


def test_cr_then_pr_is_progression_in_both() -> None:
    """Targets gone with the non-target absent (CR), then the non-target back (PR, Table 1 row
    CR | non-CR/non-PD): the PR after a CR is PD in both commands (RECIST 1.1 Table 3 note a),
    so the second PR confirms nothing and CBOR is SD (the CR is past the 42-day minimum)."""
    target = Lesion("TARGET", False, 40.0, (0.0, 0.0, 0.0))
    non_target = Lesion("NON-TARGET", False, 0.0, ("ABSENT", "PRESENT", "PRESENT"))
    case = History(-3, (56, 112, 168), (target, non_target), None)
    summary, derived = _both(_sdtm([case]), LEADER)
    assert summary.iloc[0].tolist() == derived.iloc[0].tolist() == ["CR", "SD"]
