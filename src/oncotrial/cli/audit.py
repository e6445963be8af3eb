"""``oncotrial audit``: verify the change log against itself, the data and the checkpoints kept
outside the database; take checkpoints; create the key that signs them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn

from oncotrial.cli._options import DbOption
from oncotrial.services.database import create_checkpoint_key, resolve_db_url, verify_audit

if TYPE_CHECKING:
    from oncotrial.services.database import AuditReport

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)  # help: cli.COMMANDS

CheckpointsOption = Annotated[Path | None, typer.Option(
    "--checkpoints", envvar="ONCOTRIAL_AUDIT_CHECKPOINTS",
    help="Checkpoint file kept apart from the database (one signed JSON line per checkpoint).")]
KeyOption = Annotated[Path | None, typer.Option(
    "--key-file", envvar="ONCOTRIAL_AUDIT_KEY_FILE",
    help="File holding the key that signs the checkpoints (never stored in the database).")]
_SHOWN = 50


def _run(db: str | None, checkpoints: Path | None, key_file: Path | None, *,
         record: bool) -> AuditReport:
    # The bar starts with the first report of progress, so an error before it stays one line.
    progress = Progress("[progress.description]{task.description}", BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(),
                        console=Console(stderr=True), transient=True)
    tasks: dict[str, TaskID] = {}
    labels = {"log": "replaying the change log", "rows": "comparing every row"}

    def advance(phase: str, done: int, total: int) -> None:
        if not tasks:
            progress.start()
        if phase not in tasks:
            tasks[phase] = progress.add_task(labels.get(phase, phase), total=total)
        progress.update(tasks[phase], completed=done, total=total)

    try:
        return verify_audit(resolve_db_url(db), checkpoints=checkpoints, key_file=key_file,
                            record=record, progress=advance)
    finally:
        if tasks:
            progress.stop()


def _print(report: AuditReport) -> None:
    found = report.store
    chain = found.chain
    state = "intact" if chain.ok else (
        f"BROKEN at entry {chain.first_bad_seq}: {chain.problem}")
    typer.echo(f"checked in {report.seconds:.2f} s:")
    typer.echo(f"  chain: {found.entries:,} entries, {state}"
               + (f", head {chain.last_hash}" if chain.ok else ""))
    typer.echo(f"  rows: {found.rows:,} rows of {found.tables} tables against the replayed log: "
               + ("all equal" if not found.mismatch_count
                  else f"{found.mismatch_count:,} difference(s)"))
    for mismatch in found.mismatches[:_SHOWN]:
        typer.echo(f"    {mismatch.describe()}")
    if found.mismatch_count > _SHOWN:
        typer.echo(f"    … and {found.mismatch_count - _SHOWN:,} more")
    if report.checkpoints_checked:
        agree = "all agree" if not report.checkpoint_problems else "CONTRADICTED"
        typer.echo(f"  checkpoints: {report.checkpoints_checked} checked, {agree}")
    else:
        typer.echo("  checkpoints: none given, so removed newest entries or a rewritten and "
                   "recomputed chain cannot be detected (see README: audit checkpoints)")
    for problem in report.checkpoint_problems:
        typer.echo(f"    {problem}")
    if report.checkpoint_written is not None:
        written = report.checkpoint_written
        typer.echo(f"  new checkpoint: {written.entries:,} entries, head {written.head}")


@app.command("verify")
def verify_command(
    db: DbOption = None,
    checkpoints: CheckpointsOption = None,
    key_file: KeyOption = None,
) -> None:
    """Check the hash chain, compare every row with the replayed log, check the checkpoints;
    exit 1 on any difference."""
    report = _run(db, checkpoints, key_file, record=False)
    _print(report)
    if not report.ok:
        typer.echo("audit verification FAILED", err=True)
        raise typer.Exit(code=1)


@app.command("checkpoint")
def checkpoint_command(
    checkpoints: Annotated[Path, typer.Option(
        "--checkpoints", envvar="ONCOTRIAL_AUDIT_CHECKPOINTS",
        help="Checkpoint file to append to (created if missing).")],
    key_file: Annotated[Path, typer.Option(
        "--key-file", envvar="ONCOTRIAL_AUDIT_KEY_FILE", help="Key that signs checkpoints.")],
    db: DbOption = None,
) -> None:
    """Verify everything as `audit verify` does; if all agree, append a signed checkpoint."""
    report = _run(db, checkpoints, key_file, record=True)
    _print(report)
    if not report.ok:
        typer.echo("audit verification FAILED: no checkpoint written", err=True)
        raise typer.Exit(code=1)


@app.command("keygen")
def keygen_command(
    out: Annotated[Path, typer.Option("--out", help="Key file to create (never overwritten).")],
) -> None:
    """Create a random key for signing checkpoints; keep it away from the database."""
    create_checkpoint_key(out)
    typer.echo(f"wrote a new checkpoint key to {out} (readable by you only)")
