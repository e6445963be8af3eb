"""ECGs (QTc), medical history and protocol deviations: recorded in the casebook, read by the
dose rules where they act (LENVIMA Table 1: QTc above 500 ms or more than 60 ms above baseline),
and exported as SDTM EG, MH and DV that read back with pyreadstat (SDTMIG 3.3)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pyreadstat
import pytest

from oncotrial.cdisc.spec import load_specification, spec_differences
from oncotrial.errors import DataError
from oncotrial.protocol import Protocol, load_protocol
from oncotrial.services import dosing, history, safety
from oncotrial.services._unit import Unit, open_unit
from oncotrial.services.export import export_sdtm
from oncotrial.store import Store
from oncotrial.types import DoseAction
from tests.services.helpers import enrol_with_body, register
from tests.store.backends import World

START = date(2019, 4, 1)  # cycle 1 day 1


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol()


def _enrolled(unit: Unit, number: str, protocol: Protocol) -> None:
    enrol_with_body(unit, number, protocol, START)
    for code, value, lln, uln in (("NEUT", 3.0, 1.8, 7.5), ("PLAT", 200, 150, 400)):
        safety.record_lab(unit, number, collected_on=START, test_code=code, value=value,
                          unit_of_measure="10^9/L", lln=lln, uln=uln)


@pytest.mark.parametrize(
    ("baseline", "today", "action"),
    [
        (420, 500, DoseAction.GIVE),  # 500 is not above 500; +80 over baseline holds below
        (450, 501, DoseAction.HOLD),  # above 500 ms
        (420, 480, DoseAction.GIVE),  # +60 ms: not more than 60
        (420, 481, DoseAction.HOLD),  # +61 ms
    ],
)
def test_the_days_qtc_and_its_baseline_reach_the_qt_rule(
    store: Store, world: World, protocol: Protocol, *, baseline: float, today: float,
    action: DoseAction,
) -> None:
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        _enrolled(unit, number, protocol)
        history.record_ecg(unit, number, performed_on=START - timedelta(days=10), qtc_ms=baseline)
        history.record_ecg(unit, number, performed_on=START, qtc_ms=today)
        lenvatinib = dosing.recommend_dose(unit, number, cycle=1, day=1, on=START,
                                           protocol=protocol).drug("lenvatinib")
    if (baseline, today) == (420, 500):
        # 500 ms is not above 500, but 80 ms above baseline is: the increase rule holds
        assert lenvatinib.action is DoseAction.HOLD
        return
    assert lenvatinib.action is action
    assert (lenvatinib.hold_rule == "lenvatinib_hold_qtc_prolongation") == (
        action is DoseAction.HOLD)
    assert not [b for b in lenvatinib.blocked if "QTc" in b.reason]


def test_without_an_ecg_of_the_day_the_qt_rule_is_named_as_not_evaluated(
    store: Store, world: World, protocol: Protocol,
) -> None:
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        _enrolled(unit, number, protocol)
        history.record_ecg(unit, number, performed_on=START - timedelta(days=10), qtc_ms=430)
        lenvatinib = dosing.recommend_dose(unit, number, cycle=1, day=1, on=START,
                                           protocol=protocol).drug("lenvatinib")
    assert lenvatinib.action is DoseAction.GIVE
    expected = "not evaluated: no QTc (ms) today"
    assert ("lenvatinib_hold_qtc_prolongation", expected) in [
        (b.name, b.reason) for b in lenvatinib.blocked]


@pytest.mark.parametrize(
    ("kwargs", "field", "allowed"),
    [
        ({"qtc_ms": 199.9}, "qtc_ms", "200–800 msec"),
        ({"qtc_ms": 800.1}, "qtc_ms", "200–800 msec"),
        ({"qtc_ms": 430, "correction": "hodges"}, "correction", "fridericia, bazett"),
    ],
)
def test_an_impossible_ecg_is_refused_naming_the_field(
    store: Store, world: World, protocol: Protocol, *, kwargs: dict[str, object], field: str,
    allowed: str,
) -> None:
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit, pytest.raises(DataError) as caught:
        history.record_ecg(unit, number, performed_on=START, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert caught.value.allowed == allowed
    assert number in str(caught.value)


def test_ecg_limits_are_inclusive(store: Store, world: World) -> None:
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        history.record_ecg(unit, number, performed_on=START, qtc_ms=200)
        history.record_ecg(unit, number, performed_on=START, qtc_ms=800, correction="bazett")


def test_a_deviation_needs_a_known_category_and_a_term(store: Store, world: World) -> None:
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        with pytest.raises(DataError) as caught:
            history.record_protocol_deviation(unit, number, start_date=START,
                                              category="LATE", term="visit 3 days late")
        assert caught.value.field == "category"
        with pytest.raises(DataError) as blank:
            history.record_protocol_deviation(unit, number, start_date=START,
                                              category="VISIT SCHEDULE", term="  ")
        assert blank.value.field == "term"


def test_ecg_history_and_deviations_are_exported_as_eg_mh_dv(
    store: Store, world: World, protocol: Protocol, tmp_path: Path,
) -> None:
    """A dose given against the rules (with its reason) writes a DOSING deviation itself; EG, MH
    and DV read back with pyreadstat with the values entered."""
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        _enrolled(unit, number, protocol)
        history.record_ecg(unit, number, performed_on=START - timedelta(days=3), qtc_ms=432)
        history.record_medical_history(unit, number, term="Hypertension", start="2015-06",
                                       ongoing=True)
        history.record_medical_history(unit, number, term="Appendectomy", start="1998",
                                       ongoing=False, end="1998")
        history.record_protocol_deviation(unit, number, start_date=START, category="PROCEDURE",
                                          term="tumour imaging 10 days outside its window")
        record = dosing.record_dose(unit, number, drug="lenvatinib", cycle=1, day=1,
                                    administered_on=START, given_dose_mg=10, protocol=protocol,
                                    reason="patient asked for a lower dose")
        assert record.deviation
    with open_unit(store, world.data_manager) as unit:
        export_sdtm(unit, tmp_path, protocol=protocol)
    usubjid = f"{protocol.id}-{number}"
    define = (tmp_path / "define.xml").read_text(encoding="utf-8")
    assert all(f'Name="{d}"' in define for d in ("EG", "MH", "DV"))
    eg, _ = pyreadstat.read_xport(str(tmp_path / "eg.xpt"))
    mine = eg[eg["USUBJID"] == usubjid]
    assert mine[["EGTESTCD", "EGTEST", "EGORRES", "EGORRESU", "EGSTRESN", "EGMETHOD",
                 "EGDTC"]].values.tolist() == [
        ["QTCFAG", "QTcF Interval, Aggregate", "432", "msec", 432.0, "12 LEAD STANDARD",
         "2019-03-29"]]
    mh, _ = pyreadstat.read_xport(str(tmp_path / "mh.xpt"))
    rows = mh[mh["USUBJID"] == usubjid][["MHTERM", "MHSTDTC", "MHENDTC", "MHENRTPT"]]
    assert rows.values.tolist() == [["Appendectomy", "1998", "1998", ""],
                                    ["Hypertension", "2015-06", "", "ONGOING"]]
    spec = load_specification("SDTM")
    for name in ("EG", "MH", "DV"):
        frame, _ = pyreadstat.read_xport(str(tmp_path / f"{name.lower()}.xpt"))
        assert spec_differences(list(frame.columns), spec.dataset(name)) == ([], []), name
    dv, _ = pyreadstat.read_xport(str(tmp_path / "dv.xpt"))
    mine_dv = dv[dv["USUBJID"] == usubjid].sort_values("DVCAT")
    assert mine_dv["DVCAT"].tolist() == ["DOSING", "PROCEDURE"]
    dosing_term = mine_dv["DVTERM"].iloc[0]
    assert dosing_term.startswith("lenvatinib 10 mg given where the dose rules decided give 14 mg")
    assert dosing_term.endswith("patient asked for a lower dose")
    assert (mine_dv["DVSTDTC"] == "2019-04-01").all()


def test_empty_eg_mh_dv_are_not_written(tmp_path: Path) -> None:
    """FDA's technical conformance guide: no empty datasets (EG, MH, DV here; DM always)."""
    from oncotrial.cdisc.sdtm import build_sdtm, write_sdtm

    domains = build_sdtm({"site": [], "subject": []}, study_id="EMPTY")
    write_sdtm(domains, tmp_path)
    assert (tmp_path / "dm.xpt").is_file()
    for name in ("eg", "mh", "dv"):
        assert not (tmp_path / f"{name}.xpt").exists()
        assert not (tmp_path / f"{name}.json").exists()
    assert 'Name="MH"' not in (tmp_path / "define.xml").read_text(encoding="utf-8")
