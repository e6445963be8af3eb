"""New lesions measured in the casebook for iRECIST (Seymour et al., Lancet Oncol
2017;18:e143): the diameter of a NEW lesion is exported as SDTM TR LDIAM beside its TUMSTATE,
an INCREASED state as TUMSTATE INCREASED, and `recist assess --criteria irecist` reads them
back: iUPD by the new lesion, iCPD when its diameter grows by 5 mm."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from oncotrial.cdisc.sdtm import read_sdtm
from oncotrial.cdisc.sdtm.tumour import derive_tumour_assessment
from oncotrial.protocol import Protocol, load_protocol
from oncotrial.rules import RecistSettings
from oncotrial.services import assessments
from oncotrial.services._unit import open_unit
from oncotrial.services.export import export_sdtm
from oncotrial.store import Store
from oncotrial.store.schema import Lesion, LesionMeasurement
from tests.services.helpers import enrol_with_body, reading, register
from tests.store.backends import World

R = reading


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol()


def test_new_lesion_diameters_reach_tr_and_irecist(
    store: Store, world: World, protocol: Protocol, tmp_path: Path,
) -> None:
    """Target 50 mm throughout; a new liver lesion of 12 mm at imaging 2 (RECIST PD, iUPD),
    17 mm at imaging 3 (+5 mm: iCPD); the bone non-target recorded INCREASED there."""
    number = register(store, world)
    visits = (("BASELINE", 1, date(2019, 3, 20), None, "PRESENT"),
              ("IMAGING 1", 10, date(2019, 5, 6), None, "PRESENT"),
              ("IMAGING 2", 11, date(2019, 6, 17), 12.0, "PRESENT"),
              ("IMAGING 3", 12, date(2019, 7, 29), 17.0, "INCREASED"))
    with open_unit(store, world.inv_a) as unit:
        enrol_with_body(unit, number, protocol, date(2019, 3, 25))
        for visit, visitnum, day, new, bone in visits:
            # density keeps this subject readable by Choi in the session's shared store
            lesions = [R("T01", "TARGET", "LUNG", 50.0, density_hu=60.0),
                       R("NT01", "NON-TARGET", "BONE", state=bone)]
            if new is not None:
                lesions.append(R("NEW11-1", "NEW", "LIVER", new, state="UNEQUIVOCAL"))
            assessments.record_tumour_assessment(unit, number, visit=visit, visitnum=visitnum,
                                                 assessed_on=day, protocol=protocol,
                                                 lesions=lesions)
    with open_unit(store, world.data_manager) as unit:
        export_sdtm(unit, tmp_path, protocol=protocol)
    usubjid = f"{protocol.id}-{number}"
    tr = pd.read_csv(tmp_path / "tr.csv", keep_default_na=False)
    new = tr[(tr["USUBJID"] == usubjid) & (tr["TRLNKID"] == "NEW11-1")]
    assert sorted(zip(new["TRTESTCD"], new["TRSTRESC"], strict=True)) == [
        ("LDIAM", "12"), ("LDIAM", "17"), ("TUMSTATE", "UNEQUIVOCAL"),
        ("TUMSTATE", "UNEQUIVOCAL")]
    bone = tr[(tr["USUBJID"] == usubjid) & (tr["TRLNKID"] == "NT01")]
    assert bone["TRSTRESC"].tolist()[-1] == "INCREASED"
    result = derive_tumour_assessment(read_sdtm(tmp_path),
                                      settings=RecistSettings.from_protocol(protocol),
                                      criteria="irecist")
    mine = result.timepoints[result.timepoints["subject"] == usubjid]
    assert mine["overall_response"].tolist() == ["iSD", "iUPD", "iCPD"]
    assert mine["new_target_sum_mm"].tolist()[1:] == [12.0, 17.0]


def test_tumour_form_measures_and_follows_new_lesions(
    store: Store, world: World, protocol: Protocol,
) -> None:
    """The web tumour form (services.forms): a new lesion entered with its diameter at one
    imaging visit is offered for measurement at the next; a diameter without saying whether
    the lesion is unequivocal is refused, naming the field."""
    from oncotrial.services import forms

    number = register(store, world)
    today = date(2019, 8, 1)
    with open_unit(store, world.inv_a) as unit:
        enrol_with_body(unit, number, protocol, date(2019, 3, 25))
        forms.save_form(unit, number, "BASELINE", "tumour",
                        {"assessed_on": "2019-03-20", "l1_category": "TARGET",
                         "l1_location": "LUNG", "l1_diameter_mm": "40", "l1_density_hu": "50"},
                        protocol=protocol, today=today)
        with pytest.raises(forms.FormError, match="n1_state"):
            forms.save_form(unit, number, "IMAGING 1", "tumour",
                            {"assessed_on": "2019-05-06", "t01_diameter_mm": "40",
                             "t01_density_hu": "50", "n1_location": "LIVER",
                             "n1_diameter_mm": "12"}, protocol=protocol, today=today)
        forms.save_form(unit, number, "IMAGING 1", "tumour",
                        {"assessed_on": "2019-05-06", "t01_diameter_mm": "40",
                         "t01_density_hu": "50", "n1_location": "LIVER",
                         "n1_diameter_mm": "12", "n1_state": "UNEQUIVOCAL"},
                        protocol=protocol, today=today)
        shown = forms.form_page(unit, number, "IMAGING 2", "tumour", protocol=protocol,
                                today=today)
        names = {f.field.name for e in shown.entries for f in e.fields}
        assert {"new10_1_diameter_mm", "new10_1_state"} <= names
        forms.save_form(unit, number, "IMAGING 2", "tumour",
                        {"assessed_on": "2019-06-17", "t01_diameter_mm": "40",
                         "t01_density_hu": "50", "new10_1_diameter_mm": "18"},
                        protocol=protocol, today=today)
        rows = unit.session.execute(select(Lesion.link_id, LesionMeasurement.diameter_mm)
                                    .join(LesionMeasurement,
                                          LesionMeasurement.lesion_id == Lesion.id)
                                    .where(Lesion.category == "NEW",
                                           Lesion.subject_id == unit.subject(
                                               number, write=False).id)).all()
    assert sorted(r.diameter_mm for r in rows) == [12.0, 18.0]
