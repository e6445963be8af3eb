"""Load benchmark of the store: concurrent writers recording labs and AEs, SQLite and PostgreSQL.

Usage::

    .venv/bin/python -m benchmarks.store_load [--backend sqlite|postgresql|both] \
        [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] \
        [--writers 20] [--duration 60] [--out benchmarks/results/store.md]

For each back end a fresh database is created and migrated (SQLite: a file in a temporary
folder; PostgreSQL: a database created with the superuser ``--admin-url``, needed for
``postgresql`` and ``both``); each writer is a coordinator at its own site with its own
subjects and writes one lab result or adverse event per transaction through the services (row
validation, CTCAE grading, access checks, audit log, hash chain). Afterwards the number of rows
is checked against the number of acknowledged writes (no lost write), and the whole audit
trail is verified: the chain, and every row against the replayed log.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from oncotrial.services import admin, safety, subjects
from oncotrial.services._unit import open_unit
from oncotrial.store import Store, upgrade
from oncotrial.store.schema import AdverseEvent, LabResult
from oncotrial.store.verify import verify_store
from oncotrial.types import Channel, Role


@dataclass
class WriterStats:
    """Acknowledged writes and their latencies (seconds) for one writer."""

    labs: int = 0
    aes: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _setup(store: Store, writers: int) -> None:
    boss = admin.bootstrap_admin(store, username="admin", full_name="Bench Admin")
    with open_unit(store, boss) as unit:
        for w in range(writers):
            admin.create_site(unit, f"S{w:02d}", name=f"Site {w}")
            admin.create_user(
                unit,
                f"coord{w}",
                full_name=f"Coordinator {w}",
                role=Role.COORDINATOR,
                sites=[f"S{w:02d}"],
            )
    for w in range(writers):
        actor = admin.log_in(store, f"coord{w}", channel=Channel.API)
        with open_unit(store, actor) as unit:
            for s in range(5):
                subjects.register_subject(
                    unit,
                    f"S{w:02d}-{s:03d}",
                    site=f"S{w:02d}",
                    consent_date=date(2019, 1, 2),
                    consent_version="1",
                    sex="F",
                )


def _writer(store: Store, w: int, deadline: float, stats: WriterStats) -> None:
    actor = admin.log_in(store, f"coord{w}", channel=Channel.API)
    i = 0
    while time.perf_counter() < deadline:
        subject = f"S{w:02d}-{i % 5:03d}"
        day = date(2019, 2, 1) + timedelta(days=i % 300)
        began = time.perf_counter()
        try:
            with open_unit(store, actor) as unit:
                if i % 2 == 0:
                    safety.record_lab(
                        unit,
                        subject,
                        collected_on=day,
                        test_code="NEUT",
                        value=0.5 + (i % 40) / 10,
                        unit_of_measure="10^9/L",
                        lln=1.8,
                        uln=7.5,
                    )
                else:
                    safety.record_adverse_event(
                        unit,
                        subject,
                        term="Fatigue",
                        grade=1 + i % 3,
                        start_date=day,
                        related_lenvatinib="possible",
                        related_eribulin="unlikely",
                    )
        except Exception as exc:  # a failed write is counted and reported, not fatal
            stats.errors.append(repr(exc))
        else:
            stats.latencies.append(time.perf_counter() - began)
            if i % 2 == 0:
                stats.labs += 1
            else:
                stats.aes += 1
        i += 1


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass(frozen=True)
class Outcome:
    """One back end's figures."""

    backend: str
    writers: int
    seconds: float
    latencies: list[float]
    failed: int
    lost: int
    chain: str
    rows: str
    first_errors: list[str]


@contextmanager
def _database(backend: str, admin_url: str | None) -> Iterator[str]:
    """A fresh, empty database URL on *backend*, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/store_load.db"
        return
    if not admin_url:
        raise SystemExit("--admin-url (a PostgreSQL superuser URL) is needed for postgresql")
    name = "oncotrial_bench_store"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        c.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        engine.dispose()


def run(backend: str, *, admin_url: str | None, writers: int, duration: float) -> Outcome:
    """Run *writers* threads for *duration* seconds on a fresh database of *backend*."""
    with _database(backend, admin_url) as url:
        upgrade(url)
        store = Store(url, pool_size=writers)
        _setup(store, writers)
        stats = [WriterStats() for _ in range(writers)]
        deadline = time.perf_counter() + duration
        threads = [
            threading.Thread(target=_writer, args=(store, w, deadline, stats[w]))
            for w in range(writers)
        ]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
        acked_labs, acked_aes = sum(s.labs for s in stats), sum(s.aes for s in stats)
        with store.snapshot() as session:
            labs = session.scalar(select(func.count()).select_from(LabResult)) or 0
            aes = session.scalar(select(func.count()).select_from(AdverseEvent)) or 0
            verified = verify_store(session)
        store.dispose()
    chain = verified.chain
    return Outcome(
        backend=backend,
        writers=writers,
        seconds=elapsed,
        latencies=[x for s in stats for x in s.latencies],
        failed=sum(len(s.errors) for s in stats),
        lost=(acked_labs - labs) + (acked_aes - aes),
        chain=(f"verifies ({chain.checked:,} entries)" if chain.ok
               else f"BROKEN {chain.problem}"),
        rows=(f"all {verified.rows:,} equal the log" if not verified.mismatch_count
              else f"{verified.mismatch_count} differ"),
        first_errors=[e for s in stats for e in s.errors][:3],
    )


def _line(o: Outcome) -> str:
    writes = len(o.latencies)
    p50 = statistics.median(o.latencies) * 1000 if writes else float("nan")
    p99 = _percentile(o.latencies, 0.99) * 1000 if writes else float("nan")
    return (f"| {o.backend} | {o.writers} | {o.seconds:.1f} | {writes} | {writes / o.seconds:.1f} "
            f"| {p50:.1f} | {p99:.1f} | {o.failed} | {o.lost} | {o.chain} | {o.rows} |")


def main() -> None:
    """Run the benchmark on the chosen back ends and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--admin-url", help="PostgreSQL superuser URL")
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per back end")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/store.md"))
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    outcomes = []
    for backend in backends:
        print(f"[{backend}] {args.writers} writers for {args.duration:g} s", flush=True)
        outcomes.append(run(backend, admin_url=args.admin_url, writers=args.writers,
                            duration=args.duration))
        print(_line(outcomes[-1]), flush=True)
    lines = [
        "# Store load benchmark (SQLite and PostgreSQL)",
        "",
        (f"Command: `.venv/bin/python -m benchmarks.store_load --backend {args.backend} "
         f"--admin-url URL --writers {args.writers} --duration {args.duration:g}`"),
        "",
        ("Each write is one service call in its own transaction: row validation (types, "
         "ranges, vocabularies, site access), CTCAE grading (labs), row insert, field-level "
         "audit entries, hash-chain append under the chain lock at commit. SQLite writers "
         "begin IMMEDIATE (WAL) and wait for each other at BEGIN; PostgreSQL writers run in "
         "parallel and queue only for the chain lock at commit. Afterwards every acknowledged "
         "write is counted in the database (lost = acknowledged − stored) and the audit trail "
         "is verified: the chain, and every row against the replayed log."),
        "",
        ("| back end | writers | seconds | writes | writes/s | p50 ms | p99 ms | failed | lost "
         "| chain | rows vs log |"),
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *(_line(o) for o in outcomes),
    ]
    for o in outcomes:
        if o.first_errors:
            lines += ["", f"First errors on {o.backend}: " + "; ".join(o.first_errors)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
