"""The files a submission needs beside each dataset's XPT: its Dataset-JSON copy, and for the
folder define.xml (Define-XML 2.1, XSD-validated) with define.html."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import pandas as pd

from oncotrial.cdisc.datasetjson import write_dataset_json
from oncotrial.cdisc.define import DEFINE_FILE, StudyInfo, build_define
from oncotrial.cdisc.define_html import render_define_html
from oncotrial.cdisc.spec import Standard, load_specification
from oncotrial.cdisc.terminology import labels_for
from oncotrial.errors import failure_context

__all__ = ["DEFINE_HTML", "dataset_labels", "study_info", "write_submission_files"]

DEFINE_HTML = "define.html"


def dataset_labels(name: str, frame: pd.DataFrame, standard: Standard) -> tuple[dict[str, str],
                                                                                 str]:
    """Variable labels and the dataset label of *name*: the specification's, else the known
    CDISC labels (another study's variables).

    Parameters
    ----------
    name
        Dataset name, any case.
    frame
        The dataset; its columns are the variables labelled.
    standard
        ``"SDTM"`` or ``"ADaM"``: which specification to read.

    Returns
    -------
    tuple of (dict of str to str, str)
        Variable -> label (the specification's label wins over :data:`VARIABLE_LABELS`; a
        variable known to neither gets none) and the dataset label (``"<standard> <NAME>"``
        for a dataset the specification does not hold).
    """
    spec = load_specification(standard).datasets.get(name.upper())
    labels = labels_for(list(frame.columns))
    if spec is None:
        return labels, f"{standard} {name.upper()}"
    return {**labels, **spec.labels()}, spec.label


def study_info(frames: Mapping[str, pd.DataFrame], *, title: str = "",
               protocol: str = "") -> StudyInfo:
    """The study define.xml describes: STUDYID of the first dataset that has one.

    Parameters
    ----------
    frames
        Datasets by name; the first non-empty one with a STUDYID column gives the study.
    title
        StudyDescription (default ``"Study <STUDYID>"``).
    protocol
        ProtocolName (default the STUDYID).

    Returns
    -------
    StudyInfo
        STUDYID (``UNKNOWN`` when no dataset carries one) as study id and name, with the
        description and protocol name.
    """
    study = next((str(f["STUDYID"].iloc[0]) for f in frames.values()
                  if "STUDYID" in f.columns and len(f)), "UNKNOWN")
    return StudyInfo(study_id=study, name=study, description=title or f"Study {study}",
                     protocol=protocol or study)


def write_submission_files(
    frames: Mapping[str, pd.DataFrame], directory: Path, *, standard: Standard,
    study: StudyInfo, created: datetime,
) -> list[Path]:
    """Write ``<name>.json`` (Dataset-JSON 1.1) for each dataset, ``define.xml`` and
    ``define.html`` into *directory*; return the paths.

    Parameters
    ----------
    frames
        Datasets by name (SDTM domains or ADaM datasets).
    directory
        Existing folder to write into.
    standard
        ``"SDTM"`` or ``"ADaM"``.
    study
        The study define.xml and the JSON files name (:func:`study_info`).
    created
        Creation time stamped in define.xml and every Dataset-JSON file.

    Returns
    -------
    list of pathlib.Path
        The JSON files in the order of *frames*, then ``define.xml`` and ``define.html``.

    Raises
    ------
    DataError
        When define.xml fails its XSD validation (:func:`oncotrial.cdisc.define.build_define`);
        any failure names the dataset or file being written.
    """

    spec = load_specification(standard)
    written: list[Path] = []
    for name, frame in frames.items():
        with failure_context(f"writing {name} as Dataset-JSON"):
            labels, _ = dataset_labels(name, frame, standard)
            written.append(write_dataset_json(
                frame, directory / f"{name.lower()}.json", name=name,
                spec=spec.datasets.get(name.upper()), study_id=study.study_id,
                standard=standard, created=created, labels=labels))
    with failure_context(f"writing the {standard} define.xml"):
        document = build_define(frames, standard=standard, study=study, created=created)
        (directory / DEFINE_FILE).write_bytes(document)
        (directory / DEFINE_HTML).write_text(render_define_html(document), encoding="utf-8")
    return [*written, directory / DEFINE_FILE, directory / DEFINE_HTML]
