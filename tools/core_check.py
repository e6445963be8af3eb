"""Run the CDISC CORE rules engine (PyPI ``cdisc-rules-engine``) on an SDTM folder, offline.

Not part of oncotrial and not imported by it: CORE needs Python 3.12 and a rules cache (the
``resources/cache`` folder of the engine's GitHub repository), neither of which CI has. Start it
through ``tools/core_check.sh``, or directly with the Python that has the engine installed:

    $CORE_PYTHON tools/core_check.py --cache $CORE_CACHE --sdtm out/demo/sdtm \
        --standard sdtmig --version 3-3 --ct sdtmct-2015-12-18 --out core_findings.csv

Only the engine's library API is used (``RulesEngine`` with a ``LibraryMetadataContainer``, as
its docs/PYPI.md describes). The cache files that come from the CDISC Library
(``standards_details.pkl``, ``standards_models.pkl``, ``variables_metadata.pkl``) are optional:
without them the IG and model metadata are empty, the rules that need them end in "execution
error" (named in the output), and the rules that look only at the data, define.xml and the CT
package still run. Writes one CSV row per finding or execution error and prints the rule counts
by status; exits 1 when a rule reported findings.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import os
import pickle
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdisc_rules_engine.config import config
from cdisc_rules_engine.models.library_metadata_container import LibraryMetadataContainer
from cdisc_rules_engine.rules_engine import RulesEngine
from cdisc_rules_engine.services import logger as engine_logger
from cdisc_rules_engine.services.cache import InMemoryCacheService
from cdisc_rules_engine.services.data_services import DataServiceFactory
from cdisc_rules_engine.utilities.utils import (
    get_execution_status,
    get_library_variables_metadata_cache_key,
    get_model_details_cache_key_from_ig,
    get_rules_cache_key,
    get_standard_codelist_cache_key,
    get_standard_details_cache_key,
)

LIBRARY_FILES = ("standards_details.pkl", "standards_models.pkl", "variables_metadata.pkl")
COLUMNS = ("rule", "cdisc_rule", "status", "dataset", "row", "usubjid", "value", "message")


@dataclass
class Outcome:
    status: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_rules: Counter[str] = field(default_factory=Counter)
    rows: list[dict[str, Any]] = field(default_factory=list)


def _load(cache: Path, name: str) -> Any:
    path = cache / name
    if not path.exists():
        return None
    with path.open("rb") as f:
        return pickle.load(f)  # noqa: S301 - the engine's own cache files, chosen by the user


def _library(cache: Path, standard: str, version: str, ct: list[str]) -> LibraryMetadataContainer:
    details = _load(cache, "standards_details.pkl") or {}
    ig = details.get(get_standard_details_cache_key(standard, version, None), {})
    models = _load(cache, "standards_models.pkl") or {}
    model = models.get(get_model_details_cache_key_from_ig(ig), {}) if ig else {}
    variables = (_load(cache, "variables_metadata.pkl") or {}).get(
        get_library_variables_metadata_cache_key(standard, version, None))
    codelists = (_load(cache, "variable_codelist_maps.pkl") or {}).get(
        get_standard_codelist_cache_key(standard, version))
    published = {f.name.split(".")[0] for f in cache.iterdir() if "ct-" in f.name}
    unknown = sorted(set(ct) - published)
    if unknown:
        sys.exit(f"--ct {', '.join(unknown)}: not in {cache} (have "
                 f"{', '.join(sorted(p for p in published if p.startswith('sdtmct')))})")
    return LibraryMetadataContainer(
        standard_metadata=ig, model_metadata=model, variable_codelist_map=codelists,
        variables_metadata=variables, ct_package_metadata={c: _load(cache, f"{c}.pkl") for c in ct},
        published_ct_packages=published, cache_path=str(cache))


def _record(out: Outcome, rid: str, cdisc: str, results: list[dict[str, Any]]) -> None:
    status = get_execution_status(results) if results else "success"
    out.status[status] += 1
    reasons: set[str] = set()
    for r in results:
        es = r.get("executionStatus")
        errors = r.get("errors") or []
        first = errors[0] if errors and isinstance(errors[0], dict) else {}
        base = {"rule": rid, "cdisc_rule": cdisc, "dataset": r.get("dataset") or r.get("domain")}
        if es == "skipped":
            reason = str(first.get("error") or r.get("message")).split(" for rule id=", 1)[0]
            out.skipped[reason] += 1
            reasons.add(reason)
        elif es == "execution error":
            out.rows.append({**base, "status": "execution error", "row": "", "usubjid": "",
                             "value": first.get("error", ""),
                             "message": first.get("message", r.get("message", ""))})
        elif errors:
            out.rows.extend({**base, "status": "finding", "row": e.get("row", ""),
                             "usubjid": e.get("USUBJID", ""), "value": e.get("value", ""),
                             "message": r.get("message", "")} for e in errors)
    if status == "skipped":
        out.skipped_rules[" + ".join(sorted(reasons))] += 1


def _run(engine: RulesEngine, rules: dict[str, dict[str, Any]], ids: list[str]) -> Outcome:
    out = Outcome()
    for rid in ids:
        rule = dict(rules[rid])
        cdisc = " ".join(sorted({ref.get("Rule_Identifier", {}).get("Id", "")
                                 for refs in rule.get("reference") or [] for ref in refs}))
        try:
            results = [r for rs in engine.validate_single_rule(rule).values() for r in rs]
        except Exception as exc:  # an engine failure is a status, not a crash
            results = [{"executionStatus": "execution error", "dataset": "",
                        "errors": [{"error": type(exc).__name__, "message": str(exc)}]}]
        _record(out, rid, cdisc, results)
    return out


def _report(out: Outcome, rules: dict[str, dict[str, Any]], n_rules: int, seconds: float) -> None:
    counts = ", ".join(f"{k} {v}" for k, v in sorted(out.status.items()))
    print(f"{n_rules} rules in {seconds:.0f} s: {counts}")
    for reason, n in out.skipped_rules.most_common():
        print(f"  skipped rules, every dataset: {reason}: {n}")
    for reason, n in out.skipped.most_common():
        print(f"  skipped (rule, dataset) pairs, {reason}: {n}")
    for kind in ("execution error", "finding"):
        by_rule = Counter(r["rule"] for r in out.rows if r["status"] == kind)
        for rid, n in sorted(by_rule.items()):
            cause = next(r["message"] for r in out.rows if r["rule"] == rid)
            print(f"  {kind} {rid} ({rules[rid].get('description', '')[:70]}): {n}"
                  + (f" - {cause.rsplit('Error: ', 1)[-1][:80]}" if kind == "execution error"
                     else ""))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--cache", default=os.environ.get("CORE_CACHE"),
                   help="CORE resources/cache folder (default $CORE_CACHE)")
    p.add_argument("--sdtm", required=True, help="folder of .xpt datasets and define.xml")
    p.add_argument("--standard", default="sdtmig")
    p.add_argument("--version", default="3-3", help="IG version with dashes, e.g. 3-3")
    p.add_argument("--ct", action="append", default=[], help="CT package, e.g. sdtmct-2015-12-18")
    p.add_argument("--rule", action="append", default=[], help="run only these CORE ids")
    p.add_argument("--out", default="core_findings.csv")
    args = p.parse_args(argv)
    if not args.cache or not Path(args.cache, "rules.pkl").is_file():
        p.error(f"--cache/CORE_CACHE must be a CORE cache folder with rules.pkl: {args.cache!r}")
    cache, sdtm = Path(args.cache), Path(args.sdtm)
    paths = sorted(str(x) for x in sdtm.glob("*.xpt"))
    if not paths:
        p.error(f"--sdtm {sdtm}: no .xpt files")
    engine_logger.disabled = True
    key = get_rules_cache_key(args.standard, args.version, None)
    ids = sorted((_load(cache, "rules_dictionary.pkl") or {}).get(key, []))
    ids = [r for r in ids if r in set(args.rule)] if args.rule else ids
    if not ids:
        print(f"no CORE rules for {key} in {cache}", file=sys.stderr)
        return 2
    library = _library(cache, args.standard, args.version, args.ct)
    size = max(os.path.getsize(x) for x in paths)
    memory = InMemoryCacheService()
    data = DataServiceFactory(config, memory, standard=args.standard,
                              standard_version=args.version, library_metadata=library,
                              max_dataset_size=size).get_data_service(paths)
    define = sdtm / "define.xml"
    engine = RulesEngine(cache=memory, data_service=data, standard=args.standard,
                         standard_version=args.version, library_metadata=library,
                         max_dataset_size=size, dataset_paths=paths, ct_packages=args.ct,
                         define_xml_path=str(define) if define.exists() else None,
                         validate_xml=True)
    started = time.time()
    rules = _load(cache, "rules.pkl")
    out = _run(engine, rules, ids)
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(out.rows)
    print(f"cdisc-rules-engine {importlib.metadata.version('cdisc-rules-engine')}, "
          f"Python {sys.version.split()[0]}; {args.standard} {args.version}, "
          f"CT {', '.join(args.ct) or '-'}; {len(paths)} datasets, "
          f"define.xml {'yes' if define.exists() else 'no'}")
    missing = [n for n in LIBRARY_FILES if not (cache / n).exists()]
    if missing:
        print(f"cache without {', '.join(missing)}: IG and model metadata empty")
    _report(out, rules, len(ids), time.time() - started)
    print(f"written {args.out}")
    return 1 if any(r["status"] == "finding" for r in out.rows) else 0


if __name__ == "__main__":
    sys.exit(main())
