"""Load benchmark of the store: concurrent writers recording labs and AEs on PostgreSQL.

Usage::

    .venv/bin/python -m benchmarks.store_load \
        --admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        [--writers 20] [--duration 60] [--out benchmarks/results/store.md]

A fresh database is created and migrated; each writer is a coordinator at its own site with
its own subjects and writes one lab result or adverse event per transaction through the
services (CTCAE grading, access checks, audit log, hash chain). Afterwards the number of rows
is checked against the number of acknowledged writes (no lost write) and the whole audit
chain is verified.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from oncotrial.services import admin, safety, subjects
from oncotrial.services._unit import open_unit
from oncotrial.store import Store, upgrade, verify_chain
from oncotrial.store.schema import AdverseEvent, LabResult
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


def main() -> None:
    """Run the benchmark and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", required=True, help="PostgreSQL superuser URL")
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/store.md"))
    args = parser.parse_args()

    name = "oncotrial_bench_store"
    admin_engine = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        c.execute(text(f"CREATE DATABASE {name}"))
    url = make_url(args.admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    store = Store(url, pool_size=args.writers)
    _setup(store, args.writers)

    stats = [WriterStats() for _ in range(args.writers)]
    deadline = time.perf_counter() + args.duration
    threads = [
        threading.Thread(target=_writer, args=(store, w, deadline, stats[w]))
        for w in range(args.writers)
    ]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began

    latencies = [x for s in stats for x in s.latencies]
    acked_labs, acked_aes = sum(s.labs for s in stats), sum(s.aes for s in stats)
    with store.session(admin.log_in(store, "admin", channel=Channel.CLI)) as session:
        labs = session.scalar(select(func.count()).select_from(LabResult)) or 0
        aes = session.scalar(select(func.count()).select_from(AdverseEvent)) or 0
        chain = verify_chain(session)
    store.dispose()
    with admin_engine.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin_engine.dispose()

    errors = sum(len(s.errors) for s in stats)
    lines = [
        "# Store load benchmark (PostgreSQL)",
        "",
        (
            f"Command: `.venv/bin/python -m benchmarks.store_load --admin-url URL "
            f"--writers {args.writers} --duration {args.duration:g}`"
        ),
        "",
        (
            "Each write is one service call in its own transaction: access check, CTCAE grading "
            "(labs), row insert, field-level audit entries, hash-chain append under the chain lock."
        ),
        "Machine: 2 shared CPU cores (several other jobs running), PostgreSQL 15 on loopback.",
        "",
        "| writers | seconds | writes | writes/s | p50 ms | p99 ms | failed | lost | chain |",
        "|---|---|---|---|---|---|---|---|---|",
        (
            f"| {args.writers} | {elapsed:.1f} | {len(latencies)} | {len(latencies) / elapsed:.1f} "
            f"| {statistics.median(latencies) * 1000:.1f} "
            f"| {_percentile(latencies, 0.99) * 1000:.1f} "
            f"| {errors} | {(acked_labs - labs) + (acked_aes - aes)} "
            f"| {'verifies' if chain.ok else 'BROKEN ' + chain.problem} ({chain.checked} entries) |"
        ),
        "",
        (
            f"Rows: lab_result {labs} (acknowledged {acked_labs}), adverse_event {aes} "
            f"(acknowledged {acked_aes})."
        ),
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
