"""A small synthetic trial in ADaM form, built by the tests from a seeded generator."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

RESPONSES = ("CR", "PR", "SD", "PD", "NE")


def build_adam(n: int, seed: int) -> dict[str, pd.DataFrame]:
    """ADSL, ADRS, ADTTE, ADAE, ADEX, ADLB and ADTR for *n* treated subjects plus 3 screen
    failures, with values drawn from a seeded generator."""
    rng = np.random.default_rng(seed)
    start = date(2018, 6, 1)
    subjects = [f"LEADER-01-{i:03d}" for i in range(1, n + 4)]
    treated = subjects[:n]
    starts = [start + timedelta(days=int(7 * i)) for i in range(n)]
    durations = rng.integers(30, 400, size=n)
    phase = ["Ib" if i < 6 else "II" for i in range(n)]
    arm = ["L18E1.1" if i < 3 else "L14E1.1" for i in range(n)]
    adsl = pd.DataFrame({
        "USUBJID": subjects,
        "ENRLFL": ["Y"] * n + ["N"] * 3,
        "SCRFREAS": [""] * n + ["ECOG > 1", "Inadequate organ function", "ECOG > 1"],
        "SAFFL": ["Y"] * n + ["N"] * 3,
        "EFFFL": ["Y"] * (n - 1) + ["N"] + ["N"] * 3,
        "DLTEVLFL": ["Y" if p == "Ib" else "" for p in phase] + [""] * 3,
        "PHASE": phase + [""] * 3,
        "ACTARM": arm + ["Screen Failure"] * 3,
        "HISTOL": list(rng.choice(["LMS", "LPS"], size=n)) + [""] * 3,
        "SEX": list(rng.choice(["F", "M"], size=n)) + ["F"] * 3,
        "AGE": list(rng.integers(30, 80, size=n)) + [50] * 3,
        "TRTSDT": [d.isoformat() for d in starts] + [""] * 3,
        "TRTEDT": [(d + timedelta(days=int(k))).isoformat() for d, k in zip(starts, durations,
                                                                             strict=True)]
                  + [""] * 3,
        "EOTSTT": list(rng.choice(["DISCONTINUED", "ONGOING"], size=n, p=[0.8, 0.2])) + [""] * 3,
        "DCTREAS": list(rng.choice(["Progressive disease", "Adverse event"], size=n)) + [""] * 3,
        "DTHDT": ["" for _ in range(n + 3)],
    })
    cbor = list(rng.choice(RESPONSES, size=n, p=[0.05, 0.15, 0.5, 0.25, 0.05]))
    adrs_rows = []
    for subject, best, day0 in zip(treated, cbor, starts, strict=True):
        responded = "Y" if best in {"CR", "PR"} else "N"
        adrs_rows += [
            {"USUBJID": subject, "PARAMCD": "CBOR", "AVALC": best,
             "ADT": (day0 + timedelta(days=42)).isoformat()},
            {"USUBJID": subject, "PARAMCD": "BOR", "AVALC": best,
             "ADT": (day0 + timedelta(days=42)).isoformat()},
            {"USUBJID": subject, "PARAMCD": "CRSP", "AVALC": responded,
             "ADT": (day0 + timedelta(days=42)).isoformat() if responded == "Y" else ""},
            {"USUBJID": subject, "PARAMCD": "PD", "AVALC": "Y" if best == "PD" else "N",
             "ADT": (day0 + timedelta(days=84)).isoformat() if best == "PD" else ""},
        ]
    adrs = pd.DataFrame(adrs_rows)
    adtte = pd.concat([pd.DataFrame({
        "USUBJID": treated, "PARAMCD": code,
        "AVAL": rng.exponential(scale, size=n).round() + 1,
        "CNSR": rng.choice([0, 1], size=n, p=[0.7, 0.3]),
    }) for code, scale in (("PFS", 260.0), ("OS", 500.0))], ignore_index=True)
    terms = ["Neutrophil count decreased", "Hypertension", "Fatigue", "Proteinuria"]
    ae_rows = []
    for index, subject in enumerate(treated):
        ae_rows.extend({"USUBJID": subject, "AEDECOD": str(term),
                            "ATOXGRN": int(rng.integers(1, 5)), "TRTEMFL": "Y",
                            "AESER": "N", "AEACN": "DOSE NOT CHANGED", "AEOUT": "RECOVERED",
                            "DLTFL": "Y" if index in (1, 4) and term == terms[0] else "",
                            "RELLEN": "Y", "RELERI": "N"}
                       for term in rng.choice(terms, size=int(rng.integers(0, 4)), replace=False))
    adae = pd.DataFrame(ae_rows)
    adex = pd.DataFrame([{"USUBJID": s, "EXTRT": drug, "PARAMCD": "RDI",
                          "PARAM": "Relative dose intensity (%)",
                          "AVAL": float(rng.uniform(50, 100))}
                         for s in treated for drug in ("LENVATINIB", "ERIBULIN")])
    adlb = pd.DataFrame([{"USUBJID": s, "PARAM": "Neutrophils (10^9/L)", "ABLFL": flag,
                          "ATOXGRN": grade, "BTOXGRN": 0}
                         for s in treated
                         for flag, grade in (("Y", 0), ("", int(rng.integers(0, 5))))])
    adtr_rows = []
    for subject in treated:
        change = 0.0
        adtr_rows.append({"USUBJID": subject, "PARAMCD": "SUMDIAM", "ADY": -3, "PCHG": None,
                          "ABLFL": "Y"})
        for visit in range(1, 4):
            change += float(rng.normal(-5, 12))
            adtr_rows.append({"USUBJID": subject, "PARAMCD": "SUMDIAM", "ADY": 42 * visit,
                              "PCHG": change, "ABLFL": ""})
    adtr = pd.DataFrame(adtr_rows)
    return {"ADSL": adsl, "ADRS": adrs, "ADTTE": adtte, "ADAE": adae, "ADEX": adex,
            "ADLB": adlb, "ADTR": adtr}


def build_scores(n_pairs: int, seed: int, *, dc_shift: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Immune scores for paired pre/post biopsies (rows = files) and their sample sheet; the
    DC score rises by *dc_shift* (log2) after treatment."""
    rng = np.random.default_rng(seed)
    features = ["DC", "T-cells", "CD8 T cells", "Macrophages", "TIS"]
    files, sheet = [], []
    values = []
    for subject in range(n_pairs):
        base = rng.normal(5.0, 1.0, size=len(features))
        for timepoint in ("pre", "post"):
            shift = np.zeros(len(features))
            if timepoint == "post":
                shift[0] = dc_shift
            name = f"P{subject:02d}_{timepoint}.RCC"
            files.append(name)
            values.append(base + shift + rng.normal(0.0, 0.3, size=len(features)))
            sheet.append({"file": name, "subject": f"P{subject:02d}", "timepoint": timepoint,
                          "response": "PR" if subject % 4 == 0 else "SD"})
    scores = pd.DataFrame(values, index=pd.Index(files, name="file"), columns=features)
    return scores, pd.DataFrame(sheet)
