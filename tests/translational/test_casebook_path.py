"""From the casebook to the paired analysis: biopsies, TIL scores and RCC files recorded through
the services, ``nanostring link`` on import and ``nanostring score --db`` building the pairs."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from oncotrial.cli import app
from oncotrial.errors import DataError
from oncotrial.services import subjects
from oncotrial.services._unit import open_unit
from oncotrial.services.assays import list_assay_samples
from oncotrial.store import Store
from tests.services.helpers import register
from tests.store.backends import World, admin_actor, backend, give_password, store, world

__all__ = ["admin_actor", "backend", "store", "world"]

_PAIRS = {1: ("NanoTube__GSM3308226_20160715_5609WV-C.RCC",
              "NanoTube__GSM3308254_20170504_5885SL-D2.RCC"),
          2: ("NanoStringNCTools__SKMEL2-DMSO-8h-R1_04.RCC",
              "NanoStringNCTools__SKMEL2-VEM-8h-R1_10.RCC")}
_TILS = {("1", "PRE"): 5.0, ("1", "POST"): 20.0, ("2", "PRE"): 10.0, ("2", "POST"): 30.0}


def _biopsies(store: Store, world: World) -> dict[int, str]:
    """Two subjects at site A, each with a PRE and POST biopsy and a stromal TIL score."""
    numbers = {n: register(store, world, n) for n in _PAIRS}
    with open_unit(store, world.inv_a) as unit:
        for n, number in numbers.items():
            for timepoint, day in (("PRE", 1), ("POST", 29)):
                code = f"{world.tag}-{n}-{timepoint}"
                subjects.record_biospecimen(
                    unit, number, specimen_code=code, timepoint=timepoint,
                    specimen_type="FFPE BIOPSY", collected_on=date(2019, 4, day),
                    anatomic_site="thigh")
                subjects.record_til_assessment(
                    unit, number, specimen_code=code,
                    stromal_til_percent=_TILS[(str(n), timepoint)],
                    section_type="CORE BIOPSY", assessed_by="Dr P",
                    assessed_on=date(2019, 5, 1))
    return numbers


def _error(result: Result) -> str:
    return f"{result.output}{result.exception}"


def test_biospecimen_services_refuse_reused_block_id_and_double_links(
        store: Store, world: World) -> None:
    """A block id names one specimen; a file is linked once; an unknown block id is named."""
    numbers = _biopsies(store, world)
    first = numbers[1]
    sha = "a" * 64
    with open_unit(store, world.inv_a) as unit, pytest.raises(DataError, match="already"):
        subjects.record_biospecimen(unit, first, specimen_code=f"{world.tag}-1-PRE",
                                    timepoint="PRE", specimen_type="FFPE BIOPSY",
                                    collected_on=date(2019, 4, 2))
    with open_unit(store, world.inv_a) as unit:
        subjects.record_assay_file(unit, first, specimen_code=f"{world.tag}-1-PRE",
                                   assay="nCounter RCC", file_name=f"{world.tag}.RCC",
                                   sha256=sha, size_bytes=10)
    for code, name, digest, message in (
            (f"{world.tag}-1-POST", f"{world.tag}.RCC", "b" * 64, "already linked"),
            (f"{world.tag}-1-POST", "other.RCC", sha, "already linked"),
            (f"{world.tag}-9-PRE", "new.RCC", "c" * 64, "no such biospecimen")):
        with open_unit(store, world.inv_a) as unit, pytest.raises(DataError, match=message):
            subjects.record_assay_file(unit, first, specimen_code=code, assay="nCounter RCC",
                                       file_name=name, sha256=digest, size_bytes=10)
    with open_unit(store, world.inv_a) as unit:
        samples = [s for s in list_assay_samples(unit) if s.subject == first]
    assert [(s.specimen_code, s.timepoint, s.til_stromal_percent, s.anatomic_site)
            for s in samples] == [(f"{world.tag}-1-PRE", "PRE", 5.0, "thigh")]
    with open_unit(store, world.inv_b) as unit:  # site B sees nothing of site A
        assert not [s for s in list_assay_samples(unit) if s.subject == first]


def test_link_on_import_then_score_from_the_database(store: Store, world: World,
                                                     rcc_dir: Path, tmp_path: Path) -> None:
    """`nanostring link` attaches each RCC to its biopsy (twice or to an unknown block id:
    refused); `nanostring score --db` builds the pairs from the casebook, TILs included."""
    numbers = _biopsies(store, world)
    folder = tmp_path / "rcc"
    folder.mkdir()
    env = give_password(store, world.inv_a.username)
    runner = CliRunner(env=env)
    for n, files in _PAIRS.items():
        for timepoint, name in zip(("PRE", "POST"), files, strict=True):
            shutil.copy(rcc_dir / name, folder / name)
            result = runner.invoke(app, [
                "nanostring", "link", str(folder / name), "--subject", numbers[n],
                "--specimen", f"{world.tag}-{n}-{timepoint}", "--user",
                world.inv_a.username, "--db", store.url])
            assert result.exit_code == 0, _error(result)
    twice = runner.invoke(app, [
        "nanostring", "link", str(folder / _PAIRS[1][0]), "--subject", numbers[1],
        "--specimen", f"{world.tag}-1-POST", "--user", world.inv_a.username, "--db", store.url])
    assert twice.exit_code != 0
    assert "already linked" in _error(twice)
    unknown = runner.invoke(app, [
        "nanostring", "link", str(folder / _PAIRS[1][0]), "--subject", numbers[1],
        "--specimen", "NO-SUCH-BLOCK", "--user", world.inv_a.username, "--db", store.url])
    assert unknown.exit_code != 0
    assert "NO-SUCH-BLOCK" in _error(unknown)
    out = tmp_path / "out"
    scored = runner.invoke(app, ["nanostring", "score", str(folder), "--db", store.url,
                                 "--user", world.inv_a.username, "--out", str(out)])
    assert scored.exit_code == 0, _error(scored)
    tests = pd.read_csv(out / "paired_tests_scores.csv").set_index("feature")
    assert tests.at["stromal TILs (%)", "n_pairs"] == 2
    assert tests.at["stromal TILs (%)", "median_delta"] == pytest.approx(17.5)
    scores = pd.read_csv(out / "scores.csv").set_index("sample")
    assert scores.at[_PAIRS[2][1], "stromal TILs (%)"] == 30.0
    genes = pd.read_csv(out / "paired_values.csv")
    assert set(genes["subject"]) == {numbers[1], numbers[2]}
    # A file changed after it was linked is refused, before anything is written.
    (folder / _PAIRS[2][1]).write_bytes((folder / _PAIRS[2][1]).read_bytes() + b"\n")
    changed = runner.invoke(app, ["nanostring", "score", str(folder), "--db", store.url,
                                  "--user", world.inv_a.username, "--out",
                                  str(tmp_path / "out2")])
    assert changed.exit_code != 0
    assert "differs from the one linked" in _error(changed)
    assert not (tmp_path / "out2").exists()
