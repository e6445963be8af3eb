"""Checkpoints of the change log kept outside the database, signed with a key kept apart.

The hash chain proves that the log agrees with itself, not that it is the log that was
written: whoever can write to the database can delete the newest entries, or rewrite an entry
and recompute every later hash. A checkpoint records, at one moment, the number of entries and
the hash of the last one (the chain's head) and of the first, and signs them with HMAC-SHA256
under a key that is *not* in the database. Checkpoints are appended, one JSON object per line,
to a file kept apart from the database (another host, write-once storage, or a copy sent to the
sponsor). Verification then refuses:

- a log shorter than a checkpoint (truncation);
- an entry whose hash differs from the checkpointed head (a rewritten, recomputed chain);
- a checkpoint whose signature does not match the key (an edited checkpoint file).

Changes made after the newest checkpoint are covered by the chain and the row comparison only,
until the next checkpoint is taken (``oncotrial audit checkpoint``, e.g. nightly).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from oncotrial.errors import DataError
from oncotrial.store.schema import AuditLog

__all__ = [
    "Checkpoint",
    "append_checkpoint",
    "check_checkpoint",
    "create_key",
    "read_checkpoints",
    "read_key",
    "take_checkpoint",
]

_MIN_KEY_CHARS = 32


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The log's length and head at one time, signed: ``mac`` = HMAC-SHA256(key, the rest)."""

    entries: int
    head: str
    first: str
    at: str  # UTC, ISO 8601
    mac: str

    def payload(self) -> bytes:
        """The signed bytes: every field but the MAC, as canonical JSON."""
        body = {k: v for k, v in asdict(self).items() if k != "mac"}
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _sign(key: bytes, checkpoint: Checkpoint) -> str:
    return hmac.new(key, checkpoint.payload(), hashlib.sha256).hexdigest()


def create_key(path: Path) -> None:
    """Write a new random key (256 bits, hex) to *path*, readable by its owner only.

    Parameters
    ----------
    path
        The key file to create (mode 0600); keep it away from the database.

    Returns
    -------
    None
        Writes 64 hex characters and a newline to the new file.

    Raises
    ------
    DataError
        If *path* exists (a key is never overwritten) or cannot be written.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise DataError("a key file is never overwritten", field="key_file",
                        value=str(path)) from exc
    except OSError as exc:
        raise DataError(f"cannot write the key file: {exc.strerror}", field="key_file",
                        value=str(path)) from exc
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")


def read_key(path: Path) -> bytes:
    """The checkpoint key stored in *path* (at least 32 characters).

    Parameters
    ----------
    path
        The key file written by :func:`create_key`.

    Returns
    -------
    bytes
        The key text without surrounding white space, UTF-8 encoded (the HMAC key).

    Raises
    ------
    DataError
        If the file cannot be read or the key is shorter than 32 characters (field
        ``key_file``).
    """
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise DataError(f"cannot read the key file: {exc.strerror}", field="key_file",
                        value=str(path)) from exc
    if len(text) < _MIN_KEY_CHARS:
        raise DataError("the key is too short", field="key_file", value=str(path),
                        allowed=f"at least {_MIN_KEY_CHARS} characters (oncotrial audit keygen)")
    return text.encode("utf-8")


def _entry_hash(session: Session, seq: int) -> str | None:
    return session.scalar(select(AuditLog.entry_hash).where(AuditLog.seq == seq))


def take_checkpoint(session: Session, key: bytes, *, now: datetime) -> Checkpoint:
    """A signed checkpoint of the log as *session* sees it.

    Parameters
    ----------
    session
        A session on the trial database (a snapshot for one consistent state).
    key
        The HMAC key from :func:`read_key`.
    now
        Aware UTC time recorded in the checkpoint.

    Returns
    -------
    Checkpoint
        The number of entries, the hashes of the last (``head``) and first entries (``""``
        for an empty log), the time, and ``mac`` = HMAC-SHA256(key, the rest). Nothing is
        written.

    Examples
    --------
    A checkpoint of an empty log is signed and checks against the same key, not another:

    >>> import tempfile
    >>> from datetime import UTC, datetime
    >>> from pathlib import Path
    >>> from oncotrial.store.migrate import upgrade
    >>> from oncotrial.store.session import Store
    >>> url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'trial.db'}"
    >>> _ = upgrade(url)
    >>> store = Store(url)
    >>> with store.snapshot() as session:
    ...     mark = take_checkpoint(session, b"k" * 32, now=datetime(2026, 3, 2, tzinfo=UTC))
    ...     same = check_checkpoint(session, mark, b"k" * 32)
    ...     other = check_checkpoint(session, mark, b"x" * 32)
    >>> mark.entries, same
    (0, '')
    >>> other
    'checkpoint of 2026-03-02T00:00:00+00:00: its signature does not match the key (...)'
    >>> store.dispose()
    """
    last = session.execute(
        select(AuditLog.seq, AuditLog.entry_hash).order_by(AuditLog.seq.desc()).limit(1)
    ).first()
    entries, head = (int(last[0]), str(last[1])) if last is not None else (0, "")
    first = _entry_hash(session, 1) or ""
    unsigned = Checkpoint(entries=entries, head=head, first=first, at=now.isoformat(), mac="")
    return Checkpoint(entries=entries, head=head, first=first, at=unsigned.at,
                      mac=_sign(key, unsigned))


def append_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Append *checkpoint* as one JSON line to *path* (created readable by its owner only).

    Parameters
    ----------
    path
        The checkpoint file (created with mode 0600 if missing).
    checkpoint
        From :func:`take_checkpoint`.

    Returns
    -------
    None
        Appends one line (sorted keys) and syncs it to disk (``fsync``).

    Raises
    ------
    DataError
        If the file cannot be written (field ``checkpoints``).
    """
    line = json.dumps(asdict(checkpoint), sort_keys=True) + "\n"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise DataError(f"cannot write the checkpoint file: {exc.strerror}",
                        field="checkpoints", value=str(path)) from exc


def read_checkpoints(path: Path) -> list[Checkpoint]:
    """Every checkpoint in *path*, oldest first.

    Parameters
    ----------
    path
        The checkpoint file written by :func:`append_checkpoint`.

    Returns
    -------
    list[Checkpoint]
        One per non-blank line, in file order; signatures are not checked here.

    Raises
    ------
    DataError
        The file cannot be read or a line is not a checkpoint.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataError(f"cannot read the checkpoint file: {exc.strerror}",
                        field="checkpoints", value=str(path)) from exc
    found = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            found.append(Checkpoint(entries=int(data["entries"]), head=str(data["head"]),
                                    first=str(data["first"]), at=str(data["at"]),
                                    mac=str(data["mac"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"line {number} is not a checkpoint", field="checkpoints",
                            value=str(path)) from exc
    return found


def check_checkpoint(session: Session, checkpoint: Checkpoint, key: bytes) -> str:
    """Why the log as *session* sees it contradicts *checkpoint* (``""`` if it agrees).

    Parameters
    ----------
    session
        A session on the trial database (a snapshot for one consistent state).
    checkpoint
        One checkpoint read back by :func:`read_checkpoints`.
    key
        The HMAC key it was signed with.

    Returns
    -------
    str
        ``""``, or one sentence naming the checkpoint's time and the contradiction: a
        signature that does not match the key, fewer entries than checkpointed (removed), a
        different hash at the checkpointed head (rewritten chain) or at entry 1.

    Examples
    --------
    See :func:`take_checkpoint`.
    """
    if not hmac.compare_digest(_sign(key, checkpoint), checkpoint.mac):
        return (f"checkpoint of {checkpoint.at}: its signature does not match the key "
                "(the checkpoint file was edited, or the key is not the one that signed it)")
    if checkpoint.entries == 0:
        return ""
    head = _entry_hash(session, checkpoint.entries)
    last = session.scalar(select(AuditLog.seq).order_by(AuditLog.seq.desc()).limit(1)) or 0
    if head is None or last < checkpoint.entries:
        return (f"checkpoint of {checkpoint.at}: the log had {checkpoint.entries} entries, "
                f"it now ends at entry {last} (entries were removed)")
    if head != checkpoint.head:
        return (f"checkpoint of {checkpoint.at}: entry {checkpoint.entries} no longer has the "
                "hash it had (the log was rewritten and its chain recomputed)")
    if _entry_hash(session, 1) != checkpoint.first:
        return (f"checkpoint of {checkpoint.at}: entry 1 no longer has the hash it had (the log "
                "was rewritten from the start, or this is another database)")
    return ""
