"""Report outputs of the second response criteria (Choi): time to confirmed response by each
criteria and the waterfall by size and by density. Expected values are computed by hand."""

from __future__ import annotations

import matplotlib.colors as mcolors
import pandas as pd
from matplotlib.figure import Figure

from oncotrial.report._style import RESPONSE_COLOURS
from oncotrial.report.content import build_sections
from oncotrial.report.figures import CHOI_DENSITY_LINE, plot_density_waterfall
from oncotrial.report.tables import compute_time_to_response_table
from tests.report.synthetic import build_adam


def _ttr_inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """6 subjects, S06 outside the efficacy population. Confirmed responders: RECIST S01-S03
    (+ S06), Choi S01-S04; S05 has a Choi PR that was never confirmed (CHOICRSP N)."""
    subjects = [f"S0{i}" for i in range(1, 7)]
    adsl = pd.DataFrame({"USUBJID": subjects, "EFFFL": ["Y"] * 5 + ["N"]})
    crsp = dict.fromkeys(subjects, "N") | {"S01": "Y", "S02": "Y", "S03": "Y", "S06": "Y"}
    choi = dict.fromkeys(subjects, "N") | dict.fromkeys(("S01", "S02", "S03", "S04"), "Y")
    adrs = pd.DataFrame(
        [(s, "CRSP", v) for s, v in crsp.items()] + [(s, "CHOICRSP", v) for s, v in choi.items()]
        + [("S05", "CHOIBOR", "PR")], columns=["USUBJID", "PARAMCD", "AVALC"])
    adtte = pd.DataFrame(
        [("S01", "TTR", 43.0), ("S02", "TTR", 85.0), ("S03", "TTR", 127.0), ("S06", "TTR", 20.0),
         ("S01", "CHOITTR", 43.0), ("S02", "CHOITTR", 43.0), ("S03", "CHOITTR", 85.0),
         ("S04", "CHOITTR", 44.0)], columns=["USUBJID", "PARAMCD", "AVAL"]).assign(CNSR=0)
    return adtte, adrs, adsl


def test_time_to_response_by_each_criteria() -> None:
    """RECIST: 43, 85, 127 days → median 85 days = 85 / 30.4375 = 2.79 months, range
    1.41-4.17. Choi: 43, 43, 44, 85 → median 43.5 days = 1.43 months, range 1.41-2.79. The
    unconfirmed Choi PR (S05) and the subject outside EFFFL (S06) are not counted."""
    table = compute_time_to_response_table(*_ttr_inputs())
    assert table is not None
    rows = table.rows.set_index("Criteria")
    assert rows.loc["RECIST 1.1"].tolist() == ["3", "2.79 (1.41–4.17)", "85 (43–127)"]
    assert rows.loc["Choi"].tolist() == ["4", "1.43 (1.41–2.79)", "43.5 (43–85)"]
    assert table.population == "EFFFL (N = 5), confirmed responders by each criteria"


def test_time_to_response_without_responders_or_records() -> None:
    adtte, adrs, adsl = _ttr_inputs()
    none_choi = adrs.assign(AVALC=adrs["AVALC"].where(adrs["PARAMCD"] != "CHOICRSP", "N"))
    table = compute_time_to_response_table(adtte, none_choi, adsl)
    assert table is not None
    rows = table.rows.set_index("Criteria")
    assert rows.loc["Choi", "Confirmed responders"] == "0"
    assert rows.loc["Choi", "Median (range), months"] == "no confirmed responder"
    # a responder of ADRS without its ADTTE record is said, not summarised away
    short = adtte[~((adtte["USUBJID"] == "S04") & (adtte["PARAMCD"] == "CHOITTR"))]
    table = compute_time_to_response_table(short, adrs, adsl)
    assert table is not None
    assert table.rows.set_index("Criteria").loc["Choi", "Median (range), months"] == (
        "not available: 1 responder(s) without ADTTE CHOITTR")
    # RECIST only: one row; no confirmed-response parameter at all: no table
    recist = compute_time_to_response_table(adtte, adrs[adrs["PARAMCD"] == "CRSP"], adsl)
    assert recist is not None
    assert recist.rows["Criteria"].tolist() == ["RECIST 1.1"]
    assert compute_time_to_response_table(adtte, adrs[adrs["PARAMCD"] == "CHOIBOR"],
                                          adsl) is None


def _colour(patch: object) -> str:
    return mcolors.to_hex(patch.get_facecolor())  # type: ignore[attr-defined]


def test_density_waterfall_bars_lines_and_colours() -> None:
    """Each panel sorted on its own values (largest first), bars coloured by that criteria's
    best response; the density panel has the Choi −15 % line, the size panel +20/−30 %."""
    size = pd.DataFrame({"USUBJID": ["A", "B", "C"], "PCHG": [-35.0, 5.0, 25.0],
                         "BOR": ["PR", "SD", "PD"]})
    density = pd.DataFrame({"USUBJID": ["A", "B", "C", "D"],
                            "PCHG": [-40.0, -16.0, -14.0, None],
                            "BOR": ["PR", "PR", "SD", "MISSING"]})
    figure = Figure()
    top, bottom = figure.subplots(2, 1)
    plot_density_waterfall(size, density, size_ax=top, density_ax=bottom)
    assert [p.get_height() for p in top.patches] == [25.0, 5.0, -35.0]
    assert [p.get_height() for p in bottom.patches] == [-14.0, -16.0, -40.0]  # D has none
    assert [_colour(p) for p in bottom.patches] == [
        RESPONSE_COLOURS["SD"].lower(), RESPONSE_COLOURS["PR"].lower(),
        RESPONSE_COLOURS["PR"].lower()]
    levels = {ax: sorted({float(line.get_ydata()[0]) for line in ax.get_lines()})
              for ax in (top, bottom)}
    assert levels[top] == [-30.0, 0.0, 20.0]
    assert levels[bottom] == [CHOI_DENSITY_LINE, 0.0] == [-15.0, 0.0]
    assert bottom.get_legend().get_title().get_text() == "Best response (Choi)"


def _with_density(adam: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    adtr = adam["ADTR"]
    sums = adtr[adtr["PARAMCD"] == "SUMDIAM"]
    density = sums.assign(PARAMCD="DENSITY", PCHG=sums["PCHG"] * 1.5)
    cbor = adam["ADRS"][adam["ADRS"]["PARAMCD"] == "CBOR"].assign(PARAMCD="CHOICBOR")
    return adam | {"ADTR": pd.concat([adtr, density], ignore_index=True),
                   "ADRS": pd.concat([adam["ADRS"], cbor], ignore_index=True)}


def test_efficacy_section_draws_or_explains_the_density_waterfall() -> None:
    adam = build_adam(12, seed=3)
    efficacy = {s.key: s for s in build_sections(_with_density(adam))}["efficacy"]
    figures = {f.key: f for f in efficacy.figures}
    assert "waterfall-density" in figures
    assert figures["waterfall-density"].number.startswith("Figure 14.2.")
    assert "Density panel: 12 subjects" in figures["waterfall-density"].caption
    assert not any("density" in note for note in efficacy.notes)
    # the RECIST-only trial: the size waterfall alone and a note saying why no density
    plain = {s.key: s for s in build_sections(adam)}["efficacy"]
    assert "waterfall" in {f.key for f in plain.figures}
    assert "waterfall-density" not in {f.key for f in plain.figures}
    assert any(note.startswith("Waterfall by density not drawn") for note in plain.notes)
