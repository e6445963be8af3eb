"""Target-lesion density (HU) for the Choi criteria: recorded with the measurement, refused on
a non-target lesion or off the CT number scale, exported as SDTM TR ATTEN (HU) that the TR
reader and `recist assess --criteria choi` read back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from oncotrial.cdisc.sdtm import read_sdtm
from oncotrial.cdisc.sdtm.tumour import derive_tumour_assessment
from oncotrial.errors import DataError
from oncotrial.protocol import Protocol, load_protocol
from oncotrial.rules import RecistSettings
from oncotrial.services import assessments
from oncotrial.services._unit import open_unit
from oncotrial.services.export import export_sdtm
from oncotrial.store import Store
from tests.services.helpers import enrol_with_body, reading, register
from tests.store.backends import World

R = reading


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol()


@pytest.mark.parametrize(("reading", "value"), [
    (R("NT01", "NON-TARGET", "BONE", state="PRESENT", density_hu=40.0),
     "=40.0: lesion NT01: density (HU) is measured on target lesions, not NON-TARGET"),
    (R("T01", "TARGET", "LUNG", 30.0, density_hu=-1000.5),
     "=-1000.5: lesion T01: out of range (allowed: -1000 to 3071 HU)"),
    (R("T01", "TARGET", "LUNG", 30.0, density_hu=3071.5),
     "=3071.5: lesion T01: out of range (allowed: -1000 to 3071 HU)"),
])
def test_density_off_a_target_or_off_the_scale_is_refused(
    store: Store, world: World, protocol: Protocol, reading: dict[str, object],
    value: str,
) -> None:
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit, pytest.raises(DataError) as caught:
        assessments.record_tumour_assessment(unit, number, visit="BASELINE", visitnum=1,
                                             assessed_on=date(2019, 3, 20), lesions=[reading],
                                             protocol=protocol)
    assert caught.value.field == "lesions[0].density_hu"
    assert caught.value.subject == number
    assert caught.value.visit == "BASELINE"
    assert value in str(caught.value)


def test_density_reaches_tr_and_the_choi_assessment(
    store: Store, world: World, protocol: Protocol, tmp_path: Path,
) -> None:
    """Sizes 50 + 50 mm → 47 + 47 mm (−6 %, RECIST SD) while density falls 60 → 50 HU (−16.7 %):
    Choi PR by density (Choi 2007: ≥ 15 % decrease in density)."""
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        enrol_with_body(unit, number, protocol, date(2019, 3, 25))
        for visit, visitnum, day, size, hu in (("BASELINE", 1, date(2019, 3, 20), 50.0, 60.0),
                                               ("IMAGING 1", 10, date(2019, 5, 6), 47.0, 50.0)):
            assessments.record_tumour_assessment(
                unit, number, visit=visit, visitnum=visitnum, assessed_on=day, protocol=protocol,
                lesions=[R("T01", "TARGET", "LUNG", size, density_hu=hu),
                         R("T02", "TARGET", "LIVER", size, density_hu=hu)])
    with open_unit(store, world.data_manager) as unit:
        export_sdtm(unit, tmp_path, protocol=protocol)
    tr = pd.read_csv(tmp_path / "tr.csv")
    usubjid = f"{protocol.id}-{number}"
    atten = tr[(tr["USUBJID"] == usubjid) & (tr["TRTESTCD"] == "ATTEN")]
    assert sorted(atten["TRSTRESN"]) == [50.0, 50.0, 60.0, 60.0]
    assert set(atten["TRSTRESU"]) == {"HU"}
    assert set(atten["TRTEST"]) == {"Attenuation"}
    sdtm = read_sdtm(tmp_path)
    settings = RecistSettings.from_protocol(protocol)

    def last_overall(criteria: str) -> str:
        rs = derive_tumour_assessment(sdtm, settings=settings, criteria=criteria).rs
        mine = rs[(rs["USUBJID"] == usubjid) & (rs["RSTESTCD"] == "OVRLRESP")]
        return str(mine.sort_values("VISITNUM")["RSSTRESC"].iloc[-1])

    assert last_overall("choi") == "PR"
    assert last_overall("recist") == "SD"
