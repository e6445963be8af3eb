"""Load on the web EDC over HTTP: 50 users at several sites entering labs, adverse events and
doses for 60 s, then proof that no acknowledged write was lost or written twice.

Usage::

    .venv/bin/python -m benchmarks.web_load --admin-url postgresql+psycopg://USER@HOST/postgres \
        [--users 50] [--sites 5] [--duration 60]

A fresh PostgreSQL database is migrated, the application role granted (``db grant``), and
``oncotrial serve`` started in its own process as that role. Each simulated user is a
coordinator with a browser session (sign-in, CSRF token) and an API token, and loops: a lab
result through the JSON API (its row id comes back), an adverse event through the HTML form,
the doses of the next visit through the dosing form. Afterwards every acknowledged lab id is
in the database, adverse events and doses match the acknowledged counts exactly (no loss, no
duplicate), and the audit trail verifies (chain and every row against the log). Requests/s and
p50/p95/p99 per route go to ``benchmarks/results/web_load.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from benchmarks.store_load import _database
from oncotrial.protocol import load_protocol
from oncotrial.services import admin, auth, enrolment, subjects
from oncotrial.services._unit import open_unit
from oncotrial.store import Store, grant_application_role, upgrade
from oncotrial.store.schema import AdverseEvent, DrugAdministration, LabResult
from oncotrial.store.verify import verify_store
from oncotrial.types import Role

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "web_load.md"
PASSWORD = "load test casebook passphrase"  # noqa: S105  (a throw-away benchmark database)
APP_ROLE = "oncotrial_load_app"
AS_OF = date(2021, 12, 31)
ENROLLED = date(2019, 1, 10)
SCREENING = {
    "histology": "LMS",
    "age_years": {"value": 58, "unit": "years"},
    "prior_systemic_lines": 1,
    "measurable_disease": True,
    "karnofsky": 90,
    "anc": {"value": 3.2, "unit": "10^9/L"},
    "platelets": {"value": 250, "unit": "10^9/L"},
    "hemoglobin": {"value": 12.1, "unit": "g/dL"},
    "bilirubin": {"value": 0.6, "unit": "mg/dL", "uln": 1.2},
    "alt": {"value": 22, "unit": "U/L", "uln": 40},
    "ast": {"value": 25, "unit": "U/L", "uln": 40},
    "creatinine_clearance": {"value": 90, "unit": "mL/min"},
    "systolic_bp": {"value": 128, "unit": "mmHg"},
    "diastolic_bp": {"value": 78, "unit": "mmHg"},
    "urine_protein_dipstick": "negative",
    "qtc_ms": {"value": 420, "unit": "msec"},
    "informed_consent": True,
    "prior_eribulin_or_lenvatinib": False,
    "active_brain_metastases": False,
    "pregnant_or_breastfeeding": False,
}


@dataclass
class Tally:
    """What one simulated user had acknowledged, and how long each request took."""

    labs: list[int] = field(default_factory=list)
    aes: int = 0
    doses: int = 0
    errors: list[str] = field(default_factory=list)
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


def _setup(owner_url: str, users: int, sites: int) -> dict[str, str]:
    """Sites, coordinators with passwords, one enrolled subject each; API tokens by user."""
    store = Store(owner_url)
    protocol = load_protocol()
    boss = admin.bootstrap_admin(store, username="admin", full_name="Load Admin")
    with open_unit(store, boss) as unit:
        for s in range(sites):
            admin.create_site(unit, f"L{s}", name=f"Load site {s}")
        for u in range(users):
            admin.create_user(
                unit,
                f"c{u:02d}",
                full_name=f"Coordinator {u}",
                role=Role.COORDINATOR,
                sites=[f"L{u % sites}"],
            )
            auth.set_password(unit, f"c{u:02d}", PASSWORD)
    tokens = {}
    for u in range(users):
        actor = admin.log_in(store, f"c{u:02d}", channel="API")
        with open_unit(store, actor) as unit:
            subjects.register_subject(
                unit,
                f"L-{u:03d}",
                site=f"L{u % sites}",
                consent_date=ENROLLED - timedelta(days=7),
                consent_version="2",
                sex="F",
                birth_date=date(1960, 1, 1),
                histology="LMS",
            )
            enrolment.enrol_subject(
                unit,
                f"L-{u:03d}",
                screening=SCREENING,
                phase="II",
                enrolled_on=ENROLLED,
                protocol=protocol,
                reference_start_date=ENROLLED,
            )
            tokens[f"c{u:02d}"] = auth.create_api_token(unit, label="load")
    store.dispose()
    return tokens


async def _timed(tally: Tally, route: str, call: object) -> httpx.Response:
    began = time.perf_counter()
    answer: httpx.Response = await call  # type: ignore[misc]
    tally.times[route].append(time.perf_counter() - began)
    return answer


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


async def _user(
    base: str, user: str, *, token: str, number: str, deadline: float, tally: Tally
) -> None:
    async with httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=60) as client:
        page = await client.get("/login")
        await client.post(
            "/login", data={"username": user, "password": PASSWORD, "csrf_token": _csrf(page.text)}
        )
        csrf = _csrf((await client.get("/account")).text)
        bearer = {"Authorization": f"Bearer {token}"}
        visits = [f"C{c}D{d}" for c in range(1, 40) for d in (1, 8)]
        i = 0
        while time.perf_counter() < deadline:
            day = ENROLLED + timedelta(days=i % 700)
            try:
                await _one_round(
                    client,
                    tally,
                    csrf=csrf,
                    bearer=bearer,
                    number=number,
                    day=day,
                    visits=visits,
                    i=i,
                )
            except (httpx.HTTPError, AssertionError) as exc:
                tally.errors.append(f"{type(exc).__name__}: {exc}"[:200])
            i += 1


async def _one_round(
    client: httpx.AsyncClient,
    tally: Tally,
    *,
    csrf: str,
    bearer: dict[str, str],
    number: str,
    day: date,
    visits: list[str],
    i: int,
) -> None:
    lab = await _timed(
        tally,
        "POST /api/subjects/{s}/labs",
        client.post(
            f"/api/subjects/{number}/labs",
            headers=bearer,
            json={
                "collected_on": day.isoformat(),
                "results": [
                    {
                        "test_code": "NEUT",
                        "value": 0.5 + (i % 40) / 10,
                        "unit": "10^9/L",
                        "lln": 1.8,
                        "uln": 7.5,
                    }
                ],
            },
        ),
    )
    assert lab.status_code == 201, lab.text[:200]
    tally.labs += [r["id"] for r in lab.json()]
    ae = await _timed(
        tally,
        "POST adverse event form",
        client.post(
            f"/subjects/{number}/visits/LOG/forms/adverse_events",
            data={
                "csrf_token": csrf,
                "entry": "new",
                "term": "Fatigue",
                "grade": str(1 + i % 3),
                "start_date": day.isoformat(),
                "serious": "false",
                "related_lenvatinib": "possible",
                "related_eribulin": "unlikely",
                "action_taken": "DOSE NOT CHANGED",
                "outcome": "RECOVERED/RESOLVED",
            },
        ),
    )
    assert ae.status_code == 303, ae.text[:200]
    tally.aes += 1
    if i < len(visits):
        visit = visits[i]
        cycle, cday = (int(x) for x in visit[1:].split("D"))
        when = ENROLLED + timedelta(days=(cycle - 1) * 21 + cday - 1)
        dose = await _timed(
            tally,
            "POST dosing form",
            client.post(
                f"/subjects/{number}/visits/{visit}/forms/dosing",
                data={
                    "csrf_token": csrf,
                    "entry": "new",
                    "visit_date": when.isoformat(),
                    "lenvatinib_dose_mg": "14",
                    "lenvatinib_reason": "load test",
                    "eribulin_dose_mg": "0",
                    "eribulin_reason": "load test",
                },
            ),
        )
        assert dose.status_code == 303, dose.text[:200]
        tally.doses += 2
    page = await _timed(tally, "GET casebook matrix", client.get("/"))
    assert page.status_code == 200


def _serve(app_url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = os.environ | {"ONCOTRIAL_INSECURE_COOKIES": "1"}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("oncotrial")),
            "serve",
            "--db",
            app_url,
            "--port",
            str(port),
            "--as-of",
            AS_OF.isoformat(),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            httpx.get(base + "/login", timeout=1)
            return server, base
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def _grant(owner_url: str) -> str:
    engine = create_engine(owner_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if not connection.scalar(
            text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}
        ):
            connection.execute(text(f"CREATE ROLE {APP_ROLE} LOGIN"))
        grant_application_role(connection, APP_ROLE)
    engine.dispose()
    return make_url(owner_url).set(username=APP_ROLE).render_as_string(hide_password=False)


def main() -> None:
    """Set up, serve, load, verify, write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=os.environ.get("ONCOTRIAL_BENCH_PG_ADMIN_URL"))
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--sites", type=int, default=5)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1, help="oncotrial serve --workers")
    args = parser.parse_args()
    if not args.admin_url:
        parser.error(
            "--admin-url (or ONCOTRIAL_BENCH_PG_ADMIN_URL) must name a PostgreSQL "
            "superuser URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        )
    with _database("postgresql", args.admin_url) as owner_url:
        upgrade(owner_url)
        tokens = _setup(owner_url, args.users, args.sites)
        server, base = _serve(_grant(owner_url), args.workers)
        try:
            tallies = asyncio.run(_load(base, tokens, args.duration))
        finally:
            server.terminate()
            server.wait(timeout=20)
        _report(owner_url, tallies, args)


async def _load(base: str, tokens: dict[str, str], duration: float) -> list[Tally]:
    tallies = [Tally() for _ in tokens]
    started = time.perf_counter()
    deadline = started + duration
    await asyncio.gather(
        *(
            _user(base, user, token=token, number=f"L-{u:03d}", deadline=deadline, tally=tallies[u])
            for u, (user, token) in enumerate(sorted(tokens.items()))
        )
    )
    return tallies


def _report(owner_url: str, tallies: list[Tally], args: argparse.Namespace) -> None:
    store = Store(owner_url)
    acked = {i for t in tallies for i in t.labs}
    with store.snapshot() as session:
        lab_ids = set(session.scalars(select(LabResult.id)))
        aes = session.scalar(select(func.count()).select_from(AdverseEvent)) or 0
        doses = session.scalar(select(func.count()).select_from(DrugAdministration)) or 0
        verified = verify_store(session)
    store.dispose()
    cli = subprocess.run(  # the operator's command, as the issue asks, beside the library call
        [str(Path(sys.executable).with_name("oncotrial")), "audit", "verify"],
        env={**os.environ, "ONCOTRIAL_DB_URL": owner_url}, capture_output=True, text=True,
        check=False)
    times: dict[str, list[float]] = defaultdict(list)
    for t in tallies:
        for route, values in t.times.items():
            times[route] += values
    total = sum(len(v) for v in times.values())
    errors = [e for t in tallies for e in t.errors]
    lines = [
        "# Web EDC under load (PostgreSQL, HTTP)",
        "",
        (
            f"Command: `.venv/bin/python -m benchmarks.web_load --users {args.users} "
            f"--sites {args.sites} --duration {args.duration:g} --workers {args.workers}`"
        ),
        "",
        (
            f"{args.users} coordinators at {args.sites} sites, each with a browser session "
            "and an API token, for {d:g} s against `oncotrial serve` ({w} server process(es), "
            "the application role) on loopback; PostgreSQL and this client on the same machine."
        ).replace("{d:g}", f"{args.duration:g}").replace("{w}", str(args.workers)),
        "",
        "| route | requests | per s | p50 (ms) | p95 (ms) | p99 (ms) |",
        "|---|---|---|---|---|---|",
    ]
    for route, values in sorted(times.items()):
        q = statistics.quantiles(values, n=100)
        lines.append(
            f"| {route} | {len(values)} | {len(values) / args.duration:.1f} | "
            f"{q[49] * 1000:.0f} | {q[94] * 1000:.0f} | {q[98] * 1000:.0f} |"
        )
    chain = verified.chain
    lines += [
        "",
        f"All routes: {total} requests, {total / args.duration:.1f} per s; {len(errors)} failed.",
        (
            f"Labs: {len(acked)} acknowledged, {len(acked - lab_ids)} missing, "
            f"{len(lab_ids) - len(acked)} unacknowledged rows."
        ),
        (
            f"Adverse events: {sum(t.aes for t in tallies)} acknowledged, {aes} stored; "
            f"doses: {sum(t.doses for t in tallies)} acknowledged, {doses} stored."
        ),
        (
            f"Audit trail: chain {'verifies' if chain.ok else 'BROKEN'} "
            f"({chain.checked:,} entries); rows against the log: "
            f"{verified.mismatch_count} differ."
        ),
        "",
        f"`oncotrial audit verify` (exit {cli.returncode}):",
        "",
        "```",
        *(cli.stdout + cli.stderr).strip().splitlines(),
        "```",
        "",
        (
            f"Run on {time.strftime('%Y-%m-%d')} (load average {os.getloadavg()[0]:.2f}, "
            f"{os.cpu_count()} CPUs)."
        ),
    ]
    if errors:
        lines += ["", "First errors:", *[f"- {e}" for e in errors[:5]]]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    lost = acked - lab_ids or len(lab_ids) != len(acked)
    counted = (aes, doses) != (sum(t.aes for t in tallies), sum(t.doses for t in tallies))
    if errors or lost or counted or not chain.ok or verified.mismatch_count or cli.returncode:
        sys.exit("web load: failed requests, lost or duplicated writes, or an audit mismatch")


if __name__ == "__main__":
    main()
