"""Page speed of the web EDC: 300 subjects with complete casebooks on SQLite.

Goals (issue: the web EDC): the casebook matrix and a form page render in ≤ 150 ms p95, and a
form save completes in ≤ 100 ms p95, measured with an HTTP client against the running server.

Usage::

    .venv/bin/python -m benchmarks.web_benchmark [--subjects 300] [--requests 60]

The casebook is built once through the form service (every form of screening, baseline,
cycles 1–3 and the first imaging visit, three adverse events per subject; cached under
``benchmarks/.cache``); ``oncotrial serve`` then runs in its own process and a coordinator
(150 subjects at their site) and the data manager (all 300) read and write over loopback
HTTP. Results go to ``benchmarks/results/web.md``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import httpx2 as httpx

from oncotrial.protocol import load_protocol
from oncotrial.services import admin, auth, forms, subjects
from oncotrial.services._unit import open_unit
from oncotrial.store import Store, upgrade
from oncotrial.types import Role

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
RESULTS = ROOT / "benchmarks" / "results" / "web.md"
PASSWORD = "benchmark casebook passphrase"  # noqa: S105  (a throw-away benchmark database)
AS_OF = date(2019, 12, 1)
START = date(2019, 1, 7)
SITES = ("01", "02")
ELIGIBLE = {
    "histology": "LMS", "age_years": "58", "prior_systemic_lines": "1",
    "measurable_disease": "true", "karnofsky": "90", "anc": "3.2", "platelets": "250",
    "hemoglobin": "12.1", "bilirubin": "0.6", "bilirubin_uln": "1.2", "alt": "22",
    "alt_uln": "40", "ast": "25", "ast_uln": "40", "creatinine_clearance": "90",
    "systolic_bp": "128", "diastolic_bp": "78", "urine_protein_dipstick": "negative",
    "qtc_ms": "420", "informed_consent": "true", "prior_eribulin_or_lenvatinib": "false",
    "active_brain_metastases": "false", "pregnant_or_breastfeeding": "false",
}
LABS = {
    "cbc": {"neut": ("3.1", "10^9/L", "2", "7.5"), "plat": ("240", "10^9/L", "150", "400"),
            "hgb": ("12.5", "g/dL", "12", "16"), "wbc": ("6.1", "10^9/L", "4", "10"),
            "lym": ("1.6", "10^9/L", "1", "4")},
    "chemistry": {"alt": ("25", "U/L", "7", "40"), "ast": ("22", "U/L", "8", "40"),
                  "bili": ("9", "umol/L", "3", "21"), "creat": ("80", "umol/L", "45", "100"),
                  "k": ("4.2", "mmol/L", "3.5", "5.1"), "mg": ("0.85", "mmol/L", "0.7", "1.0"),
                  "sodium": ("140", "mmol/L", "135", "145"), "alb": ("40", "g/L", "35", "50")},
    "urine": {"prot": ("0.1", "g/24h", "", "0.15")},
}


def _lab_raw(form: str) -> dict[str, str]:
    raw: dict[str, str] = {}
    for code, (value, unit, lln, uln) in LABS[form].items():
        raw |= {f"{code}_value": value, f"{code}_unit": unit, f"{code}_lln": lln,
                f"{code}_uln": uln}
    return raw


def _visit_forms(day: date, visit: str, forms_here: tuple[str, ...]) -> list[
        tuple[str, dict[str, str]]]:
    entries = []
    first = {"visit_date": day.isoformat()}
    for form in forms_here:
        raw: dict[str, str] = dict(first)
        first = {}
        if form in LABS:
            raw |= _lab_raw(form)
        elif form == "vitals":
            raw |= {"systolic_mmhg": "126", "diastolic_mmhg": "78", "pulse_bpm": "72",
                    "temperature_c": "36.7", "previously_normal": "true"}
        elif form == "body":
            raw |= {"height_cm": "168", "weight_kg": "66"}
        elif form == "ecog":
            raw |= {"score": "1"}
        elif form in {"demographics", "eligibility", "dosing"}:
            continue  # entered on their own (enrolment; doses as the engine recommends)
        entries.append((form, raw))
    del visit
    return entries


def _build(path: Path, n_subjects: int) -> None:
    url = f"sqlite:///{path}"
    upgrade(url)
    store = Store(url)
    protocol = load_protocol()
    boss = admin.bootstrap_admin(store, username="admin", full_name="Bench Admin")
    with open_unit(store, boss) as unit:
        for code in SITES:
            admin.create_site(unit, code, name=f"Site {code}")
            admin.create_user(unit, f"coord{code}", full_name=f"Coordinator {code}",
                              role=Role.COORDINATOR, sites=[code])
        admin.create_user(unit, "dm", full_name="Data Manager", role=Role.DATA_MANAGER)
        for name in ("coord01", "coord02", "dm"):
            auth.set_password(unit, name, PASSWORD)
    actors = {code: admin.log_in(store, f"coord{code}", channel="UI") for code in SITES}
    for i in range(n_subjects):
        site = SITES[i % len(SITES)]
        number = f"{site}-{i + 1:04d}"
        consent = START + timedelta(days=i % 120)
        _subject(store, actors[site], protocol, number, site=site, consent=consent)
        if (i + 1) % 25 == 0:
            print(f"  built {i + 1}/{n_subjects} casebooks", flush=True)
    store.dispose()


def _subject(store: Store, actor: object, protocol: object, number: str, *, site: str,
             consent: date) -> None:
    today = AS_OF
    with open_unit(store, actor) as unit:  # type: ignore[arg-type]
        subjects.register_subject(unit, number, site=site, consent_date=consent,
                                  consent_version="2.0", sex="F",
                                  birth_date=date(1961, 4, 2), histology="LMS", ecog=1)
        save = _saver(unit, number, protocol, today)
        enrolled = consent + timedelta(days=3)
        save("SCREENING", "eligibility", ELIGIBLE | {
            "visit_date": consent.isoformat(), "phase": "II",
            "enrolled_on": enrolled.isoformat()})
        for form, raw in _visit_forms(consent, "SCREENING", ("body", "cbc", "chemistry",
                                                             "urine", "vitals")):
            save("SCREENING", form, raw)
        save("BASELINE", "tumour", {"assessed_on": consent.isoformat(),
                                    "l1_category": "TARGET", "l1_location": "LUNG",
                                    "l1_diameter_mm": "42", "l2_category": "TARGET",
                                    "l2_location": "LIVER", "l2_diameter_mm": "31"})
        for cycle in (1, 2, 3):
            for day in (1, 8, 15):
                when = enrolled + timedelta(days=(cycle - 1) * 21 + day - 1)
                visit = f"C{cycle}D{day}"
                names = {1: ("cbc", "chemistry", "urine", "vitals", "body", "ecog"),
                         8: ("cbc", "vitals"), 15: ("vitals",)}[day]
                for form, raw in _visit_forms(when, visit, names):
                    save(visit, form, raw)
                if day in (1, 8):
                    save(visit, "dosing", {"lenvatinib_dose_mg": "14",
                                           "eribulin_dose_mg": _eribulin(unit, number,
                                                                         visit, protocol)})
        save("IMAGING 1", "tumour", {"assessed_on": (enrolled + timedelta(days=42)).isoformat(),
                                     "t01_diameter_mm": "35", "t02_diameter_mm": "28"})
        for k, term in enumerate(("Fatigue", "Nausea", "Hypertension")):
            save("LOG", "adverse_events", {
                "term": term, "grade": "1", "start_date": (enrolled + timedelta(
                    days=5 + 7 * k)).isoformat(), "serious": "false",
                "related_lenvatinib": "possible", "related_eribulin": "unlikely",
                "action_taken": "DOSE NOT CHANGED", "outcome": "RECOVERED/RESOLVED"})


def _eribulin(unit: object, number: str, visit: str, protocol: object) -> str:
    page = forms.form_page(unit, number, visit, "dosing", protocol=protocol,  # type: ignore[arg-type]
                           today=AS_OF)
    for entry in page.entries:
        if entry.title == "Eribulin":
            advice = next((d for d in entry.derived if d.startswith("recommended")), "")
            found = re.search(r"([0-9.]+) mg", advice)
            return found.group(1) if found else "0"
    return "0"


def _saver(unit: object, number: str, protocol: object, today: date):  # type: ignore[no-untyped-def]
    def save(visit: str, form: str, raw: dict[str, str]) -> None:
        forms.save_form(unit, number, visit, form, raw, protocol=protocol,  # type: ignore[arg-type]
                        today=today)

    return save


def _database(n_subjects: int) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"web_{n_subjects}.sqlite"
    if not path.exists():
        print(f"building {n_subjects} complete casebooks (once; cached in {path})", flush=True)
        started = time.perf_counter()
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        _build(partial, n_subjects)
        partial.rename(path)
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    work = CACHE / f"web_{n_subjects}_run.sqlite"
    shutil.copyfile(path, work)
    return work


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _client(base: str, user: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    page = client.get("/login")
    client.post("/login", data={"username": user, "password": PASSWORD,
                                "csrf_token": _csrf(page.text)})
    return client, _csrf(client.get("/account").text)


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1] * 1000


def _time(client: httpx.Client, method: str, path: str, repeat: int, *,
          data: dict[str, str] | None = None, expect: int = 200) -> list[float]:
    times = []
    for k in range(repeat + 3):
        body = None if data is None else dict(data)
        if body is not None and "term" in body:  # a new adverse event each time
            body["start_date"] = (date(2019, 6, 1) + timedelta(days=k % 150)).isoformat()
        started = time.perf_counter()
        answer = client.request(method, path, data=body)
        elapsed = time.perf_counter() - started
        if answer.status_code != expect:
            raise SystemExit(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
        if k >= 3:  # the first requests warm caches
            times.append(elapsed)
    return times


def main() -> None:
    """Build (or reuse) the casebook, serve it, time the pages and the saves."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=300)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    database = _database(args.subjects)
    port = _free_port()
    env = os.environ | {"ONCOTRIAL_INSECURE_COOKIES": "1"}
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("oncotrial")), "serve", "--db",
         f"sqlite:///{database}", "--port", str(port), "--as-of", AS_OF.isoformat()],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/login", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        rows = _measure(base, args.subjects, args.requests)
    finally:
        server.terminate()
        server.wait(timeout=10)
    _write(rows, args)


def _measure(base: str, n_subjects: int, repeat: int) -> list[tuple[str, str, list[float],
                                                                     float]]:
    coordinator, csrf = _client(base, "coord01")
    manager, _ = _client(base, "dm")
    subject = "01-0001"
    ae = {"csrf_token": csrf, "entry": "new", "term": "Fatigue", "grade": "1",
          "serious": "false", "related_lenvatinib": "possible", "related_eribulin": "unlikely",
          "action_taken": "DOSE NOT CHANGED", "outcome": "RECOVERED/RESOLVED"}
    half = n_subjects // 2
    return [
        (f"casebook matrix, coordinator ({half} subjects, page of 25, cycles 1–3)", "GET",
         _time(coordinator, "GET", "/", repeat), 150),
        (f"casebook matrix, data manager ({n_subjects} subjects, page of 25)", "GET",
         _time(manager, "GET", "/", repeat), 150),
        ("form page: C1D1 complete blood count", "GET",
         _time(coordinator, "GET", f"/subjects/{subject}/visits/C1D1/forms/cbc", repeat), 150),
        ("form page: C1D1 dosing with the engine's recommendation", "GET",
         _time(coordinator, "GET", f"/subjects/{subject}/visits/C1D1/forms/dosing", repeat),
         150),
        ("form page: adverse event log", "GET",
         _time(coordinator, "GET", f"/subjects/{subject}/visits/LOG/forms/adverse_events",
               repeat), 150),
        ("form save: a new adverse event (validated, DLT rule, audited)", "POST",
         _time(coordinator, "POST", f"/subjects/{subject}/visits/LOG/forms/adverse_events",
               repeat, data=ae, expect=303), 100),
    ]


def _write(rows: list[tuple[str, str, list[float], float]], args: argparse.Namespace) -> None:
    lines = ["# Web EDC page speed", "",
             (f"Command: `.venv/bin/python -m benchmarks.web_benchmark --subjects "
              f"{args.subjects} --requests {args.requests}`"), "",
             (f"{args.subjects} subjects with complete casebooks (screening, baseline, cycles "
              "1–3, imaging 1, three adverse events) on SQLite; `oncotrial serve` in its own "
              "process, an HTTP client on loopback, one request at a time, after 3 warm-up "
              "requests."), "",
             "| request | n | median (ms) | p95 (ms) | goal p95 (ms) |", "|---|---|---|---|---|"]
    for name, _method, times, goal in rows:
        p95 = _p95(times)
        lines.append(f"| {name} | {len(times)} | {statistics.median(times) * 1000:.0f} | "
                     f"{p95:.0f} | ≤ {goal:.0f} ({'met' if p95 <= goal else 'MISSED'}) |")
    lines += ["", (f"Run on {time.strftime('%Y-%m-%d')} (load average "
                   f"{os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs).")]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
