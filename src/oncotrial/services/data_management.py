"""Corrections, logical deletes, queries, electronic signatures, locks and the audit trail.

Follows the reference checklist (``edc_and_compliance.md`` §5): corrections are attributable
and justified; signatures carry signer, meaning, UTC time and a hash of the signed casebook and
are invalidated by a later change (21 CFR 11.50, 11.70); locks at study, site, subject and form
level, unlocking only by a privileged role with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from oncotrial.errors import DataError, NotFoundError
from oncotrial.services._unit import Unit, check_version, require_role, require_text
from oncotrial.services._validation import row_problems
from oncotrial.services._vocabulary import DERIVED_FIELDS, LOCK_LEVELS
from oncotrial.services.permissions import PERMISSIONS, Action
from oncotrial.store import (
    AuditEntry,
    casebook_hash,
    history_of_subject,
    record_event,
    value_as_of,
)
from oncotrial.store.rows import CASEBOOK_TABLES, model_for, table_columns
from oncotrial.store.schema import (
    AppUser,
    CasebookRow,
    DataQuery,
    QueryMessage,
    RecordLock,
    Signature,
    Site,
    Subject,
)

__all__ = [
    "SignatureStatus",
    "answer_query",
    "close_query",
    "correct_record",
    "delete_record",
    "field_as_of",
    "form_name",
    "lock",
    "raise_query",
    "sign_casebook",
    "subject_history",
    "unlock",
    "verify_signature",
]

_QUERY_RAISERS = PERMISSIONS[Action.RAISE_QUERY]
_QUERY_ANSWERERS = PERMISSIONS[Action.ANSWER_QUERY]
_SIGNERS = PERMISSIONS[Action.SIGN]
_LOCKERS = PERMISSIONS[Action.LOCK]
_LEVELS = LOCK_LEVELS
_PROTECTED = frozenset({"id", "subject_id", "version", "deleted"})


@dataclass(frozen=True, slots=True)
class SignatureStatus:
    """A signature as it stands now: valid only if unchanged since signing."""

    signature_id: int
    signer: str
    meaning: str
    signed_at: datetime
    state: str  # valid / invalidated
    reason: str | None
    content_matches: bool


# --- corrections --------------------------------------------------------------------------------


def _load_row(unit: Unit, table: str, row_id: int) -> tuple[CasebookRow, Subject]:
    model = model_for(table)
    row = unit.session.get(model, row_id)
    if row is None or row.deleted:
        raise NotFoundError(f"no such {table} row", field="row_id", value=row_id)
    subject_id = row.id if isinstance(row, Subject) else getattr(row, "subject_id", None)
    subject = unit.session.get(Subject, subject_id) if subject_id is not None else None
    if subject is None:
        raise DataError(f"{table} rows are not subject data", field="table", value=table)
    unit.subject(subject.screening_number, write=True)
    return row, subject


def _check_correctable(table: str, name: str, value: object, *, subject: str) -> None:
    """Only entered fields can be corrected: not keys, versions, the delete flag, nor what an
    engine or the workflow derived (grades, RECIST responses, BSA, status)."""
    fixed = _PROTECTED | DERIVED_FIELDS.get(table, frozenset())
    correctable = {s.name for s in table_columns(table)} - fixed
    if name not in correctable:
        derived = name in DERIVED_FIELDS.get(table, frozenset())
        why = (
            "derived by oncotrial; correct the fields it is derived from through the form's "
            "service instead"
            if derived
            else f"not a correctable field of {table}"
        )
        raise DataError(
            why, field=name, value=value, allowed=", ".join(sorted(correctable)), subject=subject
        )
    problems = row_problems(table, {name: value})  # the value alone (the row is checked on save)
    if problems:
        raise problems[0].error(subject=subject)


def correct_record(
    unit: Unit,
    table: str,
    row_id: int,
    *,
    version: int,
    changes: Mapping[str, Any],
    reason: str,
) -> int:
    """Correct fields of a saved row: needs the version read and a reason; returns new version.

    The corrected row passes the same checks as every other write
    (:func:`oncotrial.services._validation.check_row`): types, ranges, vocabularies, plausible
    dates, the actor's access to the subject's site before and after, and links to rows of the
    same subject. Derived fields (lab grades, RECIST responses, BSA, subject status) cannot be
    corrected; they are not re-derived here either: correct the source through the form's own
    service (e.g. :func:`oncotrial.services.safety.record_lab`) instead.

    Parameters
    ----------
    unit
        A unit of work of a user who may enter data at the subject's site.
    table
        The casebook table (e.g. ``"visit"``, ``"lab_result"``, ``"subject"``).
    row_id
        The row's id.
    version
        The row's version as read (optimistic locking).
    changes
        Field name → new value; only entered fields (not ``id``, ``subject_id``,
        ``version``, ``deleted`` or derived fields).
    reason
        Reason for change, non-blank; kept in the audit trail with each changed field.

    Returns
    -------
    int
        The row's new version.

    Raises
    ------
    DataError
        A blank reason, an unknown table or row, a field that cannot be corrected or a value
        another write path would refuse.
    ConcurrencyError
        *version* is not the row's current version.
    NotFoundError
        The row's subject is at a site the actor does not see.
    AccessError
        The actor may not enter data at the subject's site, or the row would move to a site
        outside the actor's sites.
    LockedError
        A lock covers the row.

    Examples
    --------
    >>> import tempfile
    >>> from datetime import date
    >>> from oncotrial.services import open_unit
    >>> from oncotrial.services.admin import bootstrap_admin, create_site, create_user, log_in
    >>> from oncotrial.services.data_management import (answer_query, close_query,
    ...                                                 correct_record, raise_query)
    >>> from oncotrial.services.database import upgrade_database
    >>> from oncotrial.services.review import list_queries
    >>> from oncotrial.services.subjects import record_visit, register_subject
    >>> from oncotrial.store import Store
    >>> folder = tempfile.TemporaryDirectory()
    >>> url = f"sqlite:///{folder.name}/trial.sqlite"
    >>> revision = upgrade_database(url)
    >>> store = Store(url)
    >>> ada = bootstrap_admin(store, username="ada", full_name="Ada Admin")
    >>> with open_unit(store, ada) as unit:
    ...     _ = create_site(unit, "01", name="Site 01")
    ...     _ = create_user(unit, "grace", full_name="Grace Chen", role="coordinator", sites=["01"])
    ...     _ = create_user(unit, "mona", full_name="Mona Marsh", role="monitor", sites=["01"])
    >>> grace, mona = log_in(store, "grace", channel="UI"), log_in(store, "mona", channel="UI")
    >>> with open_unit(store, grace) as unit:
    ...     _ = register_subject(unit, "01-001", site="01", sex="F",
    ...                          consent_date=date(2024, 1, 2), consent_version="3.0")
    ...     visit_id = record_visit(unit, "01-001", name="C1D1", visitnum=1,
    ...                             actual_date=date(2024, 1, 15))
    >>> with open_unit(store, grace) as unit:
    ...     correct_record(unit, "visit", visit_id, version=1,
    ...                    changes={"actual_date": date(2024, 1, 16)}, reason="transcription error")
    2
    >>> with open_unit(store, grace) as unit:   # a stale copy is refused
    ...     correct_record(unit, "visit", visit_id, version=1,
    ...                    changes={"actual_date": date(2024, 1, 17)}, reason="again")
    Traceback (most recent call last):
    ...
    oncotrial.errors.ConcurrencyError: subject 01-001: version=1: visit row 1 was changed ...
    >>> with open_unit(store, mona) as unit:    # monitors never edit clinical data
    ...     correct_record(unit, "visit", visit_id, version=2,
    ...                    changes={"actual_date": date(2024, 1, 17)}, reason="monitor's view")
    Traceback (most recent call last):
    ...
    oncotrial.errors.AccessError: subject 01-001: role='monitor': role monitor may not enter ...
    >>> store.dispose(); folder.cleanup()
    """
    reason = require_text(reason, field="reason")
    with unit.step(reason=reason) as session:
        row, subject = _load_row(unit, table, row_id)
        check_version(row, version, subject=subject.screening_number)
        for name, value in changes.items():
            _check_correctable(table, name, value, subject=subject.screening_number)
        for name, value in changes.items():
            setattr(row, name, value)
        session.flush()
        return row.version


def delete_record(unit: Unit, table: str, row_id: int, *, version: int, reason: str) -> None:
    """Logically delete a row (``deleted = True``), with the version read and a reason.

    Parameters
    ----------
    unit
        A unit of work of a user who may enter data at the subject's site.
    table
        The casebook table.
    row_id
        The row's id.
    version
        The row's version as read.
    reason
        Reason for the deletion, non-blank.

    Returns
    -------
    None

    Raises
    ------
    DataError
        A blank reason, an unknown table, or no such row (or it is already deleted).
    ConcurrencyError
        *version* is not the row's current version.
    NotFoundError
        The row's subject is at a site the actor does not see.
    AccessError
        The actor may not enter data at the subject's site.
    LockedError
        A lock covers the row.
    """
    reason = require_text(reason, field="reason")
    with unit.step(reason=reason):
        row, subject = _load_row(unit, table, row_id)
        check_version(row, version, subject=subject.screening_number)
        row.deleted = True


# --- queries ------------------------------------------------------------------------------------


def raise_query(unit: Unit, subject: str, *, table: str, row_id: int, field: str, text: str) -> int:
    """A monitor or data manager raises a query on one field of one row; returns its id.

    The role the actor holds at the subject's site must permit raising queries.

    Parameters
    ----------
    unit
        A unit of work of a monitor or data manager.
    subject
        The subject's screening number.
    table
        The casebook table of the row (e.g. ``"visit"``, ``"lab_result"``).
    row_id
        The row's id; it must belong to *subject*.
    field
        The queried column of *table*.
    text
        The question, non-blank.

    Returns
    -------
    int
        The query's id; it is in state ``Open`` (shown as "New").

    Raises
    ------
    AccessError
        If the actor holds neither role, or not at the subject's site.
    NotFoundError
        If there is no such subject or it is at a site the actor does not see.
    DataError
        If the text is blank, the table unknown, the row not the subject's, or the field not a
        column of the table.

    Examples
    --------
    >>> import tempfile
    >>> from datetime import date
    >>> from oncotrial.services import open_unit
    >>> from oncotrial.services.admin import bootstrap_admin, create_site, create_user, log_in
    >>> from oncotrial.services.data_management import (answer_query, close_query,
    ...                                                 correct_record, raise_query)
    >>> from oncotrial.services.database import upgrade_database
    >>> from oncotrial.services.review import list_queries
    >>> from oncotrial.services.subjects import record_visit, register_subject
    >>> from oncotrial.store import Store
    >>> folder = tempfile.TemporaryDirectory()
    >>> url = f"sqlite:///{folder.name}/trial.sqlite"
    >>> revision = upgrade_database(url)
    >>> store = Store(url)
    >>> ada = bootstrap_admin(store, username="ada", full_name="Ada Admin")
    >>> with open_unit(store, ada) as unit:
    ...     _ = create_site(unit, "01", name="Site 01")
    ...     _ = create_user(unit, "grace", full_name="Grace Chen", role="coordinator", sites=["01"])
    ...     _ = create_user(unit, "mona", full_name="Mona Marsh", role="monitor", sites=["01"])
    >>> grace, mona = log_in(store, "grace", channel="UI"), log_in(store, "mona", channel="UI")
    >>> with open_unit(store, grace) as unit:
    ...     _ = register_subject(unit, "01-001", site="01", sex="F",
    ...                          consent_date=date(2024, 1, 2), consent_version="3.0")
    ...     visit_id = record_visit(unit, "01-001", name="C1D1", visitnum=1,
    ...                             actual_date=date(2024, 1, 15))

    The monitor queries the visit date, the coordinator corrects it and answers, the monitor
    closes the query:

    >>> with open_unit(store, mona) as unit:
    ...     query_id = raise_query(unit, "01-001", table="visit", row_id=visit_id,
    ...                            field="actual_date", text="Source says 16 Jan 2024")
    >>> with open_unit(store, grace) as unit:
    ...     correct_record(unit, "visit", visit_id, version=1,
    ...                    changes={"actual_date": date(2024, 1, 16)}, reason="transcription error")
    ...     answer_query(unit, query_id, text="Corrected from the source")
    2
    >>> with open_unit(store, mona) as unit:
    ...     close_query(unit, query_id, text="Confirmed")
    ...     [(q.state, [kind for kind, *_ in q.messages]) for q in list_queries(unit)]
    [('Closed', ['raise', 'answer', 'close'])]
    >>> store.dispose(); folder.cleanup()
    """
    require_role(unit.actor, _QUERY_RAISERS, what="raise queries")
    text = require_text(text, field="text")
    with unit.step() as session:
        owner = unit.subject(subject, write=False, action=Action.RAISE_QUERY)
        row = session.get(model_for(table), row_id)
        row_subject = getattr(row, "subject_id", getattr(row, "id", None))
        if row is None or row_subject != owner.id:
            raise DataError(
                f"no such {table} row for this subject",
                field="row_id",
                value=row_id,
                subject=subject,
            )
        if field not in {s.name for s in table_columns(table)}:
            raise DataError(f"not a field of {table}", field="field", value=field)
        query = DataQuery(
            subject_id=owner.id,
            table_name=table,
            row_id=row_id,
            field=field,
            state="Open",
            text=text,
            raised_by=_user_id(unit),
        )
        session.add(query)
        session.flush()
        _message(unit, query, "raise", text)
        return query.id


def answer_query(unit: Unit, query_id: int, *, text: str) -> None:
    """Site staff answer an open query (state Open → Answered).

    Parameters
    ----------
    unit
        A unit of work of a coordinator or investigator.
    query_id
        The query's id.
    text
        The answer, non-blank; added to the query's thread.

    Returns
    -------
    None

    Raises
    ------
    AccessError
        If the actor holds neither role, or not at the query's site.
    NotFoundError
        If the query's subject is at a site the actor does not see.
    DataError
        If the text is blank or the query is not ``Open`` (:class:`NotFoundError` when there is
        no such query).

    Examples
    --------
    >>> import tempfile
    >>> from datetime import date
    >>> from oncotrial.services import open_unit
    >>> from oncotrial.services.admin import bootstrap_admin, create_site, create_user, log_in
    >>> from oncotrial.services.data_management import (answer_query, close_query,
    ...                                                 correct_record, raise_query)
    >>> from oncotrial.services.database import upgrade_database
    >>> from oncotrial.services.review import list_queries
    >>> from oncotrial.services.subjects import record_visit, register_subject
    >>> from oncotrial.store import Store
    >>> folder = tempfile.TemporaryDirectory()
    >>> url = f"sqlite:///{folder.name}/trial.sqlite"
    >>> revision = upgrade_database(url)
    >>> store = Store(url)
    >>> ada = bootstrap_admin(store, username="ada", full_name="Ada Admin")
    >>> with open_unit(store, ada) as unit:
    ...     _ = create_site(unit, "01", name="Site 01")
    ...     _ = create_user(unit, "grace", full_name="Grace Chen", role="coordinator", sites=["01"])
    ...     _ = create_user(unit, "mona", full_name="Mona Marsh", role="monitor", sites=["01"])
    >>> grace, mona = log_in(store, "grace", channel="UI"), log_in(store, "mona", channel="UI")
    >>> with open_unit(store, grace) as unit:
    ...     _ = register_subject(unit, "01-001", site="01", sex="F",
    ...                          consent_date=date(2024, 1, 2), consent_version="3.0")
    ...     visit_id = record_visit(unit, "01-001", name="C1D1", visitnum=1,
    ...                             actual_date=date(2024, 1, 15))

    The monitor queries the visit date, the coordinator corrects it and answers, the monitor
    closes the query:

    >>> with open_unit(store, mona) as unit:
    ...     query_id = raise_query(unit, "01-001", table="visit", row_id=visit_id,
    ...                            field="actual_date", text="Source says 16 Jan 2024")
    >>> with open_unit(store, grace) as unit:
    ...     correct_record(unit, "visit", visit_id, version=1,
    ...                    changes={"actual_date": date(2024, 1, 16)}, reason="transcription error")
    ...     answer_query(unit, query_id, text="Corrected from the source")
    2
    >>> with open_unit(store, mona) as unit:
    ...     close_query(unit, query_id, text="Confirmed")
    ...     [(q.state, [kind for kind, *_ in q.messages]) for q in list_queries(unit)]
    [('Closed', ['raise', 'answer', 'close'])]
    >>> with open_unit(store, grace) as unit:     # a closed query is not answered again
    ...     answer_query(unit, query_id, text="Once more")
    Traceback (most recent call last):
    ...
    oncotrial.errors.DataError: state='Closed': query is Closed (allowed: Open)
    >>> store.dispose(); folder.cleanup()
    """
    require_role(unit.actor, _QUERY_ANSWERERS, what="answer queries")
    _move_query(
        unit, query_id, text=text, from_states=("Open",), to_state="Answered", kind="answer",
        action=Action.ANSWER_QUERY,
    )


def close_query(unit: Unit, query_id: int, *, text: str, cancel: bool = False) -> None:
    """The raiser's side closes an answered query, or cancels an open one.

    Parameters
    ----------
    unit
        A unit of work of a monitor or data manager.
    query_id
        The query's id.
    text
        Why it is closed or cancelled, non-blank; added to the thread.
    cancel
        ``False`` (default): close an ``Answered`` query (state ``Closed``). ``True``: cancel an
        ``Open`` or ``Answered`` query (state ``Cancelled``), e.g. one raised in error.

    Returns
    -------
    None

    Raises
    ------
    AccessError
        If the actor is neither a monitor nor a data manager, or not at the query's site.
    NotFoundError
        If the query's subject is at a site the actor does not see.
    DataError
        If the text is blank or the query's state does not allow the move
        (:class:`NotFoundError` when there is no such query).

    Examples
    --------
    >>> import tempfile
    >>> from datetime import date
    >>> from oncotrial.services import open_unit
    >>> from oncotrial.services.admin import bootstrap_admin, create_site, create_user, log_in
    >>> from oncotrial.services.data_management import (answer_query, close_query,
    ...                                                 correct_record, raise_query)
    >>> from oncotrial.services.database import upgrade_database
    >>> from oncotrial.services.review import list_queries
    >>> from oncotrial.services.subjects import record_visit, register_subject
    >>> from oncotrial.store import Store
    >>> folder = tempfile.TemporaryDirectory()
    >>> url = f"sqlite:///{folder.name}/trial.sqlite"
    >>> revision = upgrade_database(url)
    >>> store = Store(url)
    >>> ada = bootstrap_admin(store, username="ada", full_name="Ada Admin")
    >>> with open_unit(store, ada) as unit:
    ...     _ = create_site(unit, "01", name="Site 01")
    ...     _ = create_user(unit, "grace", full_name="Grace Chen", role="coordinator", sites=["01"])
    ...     _ = create_user(unit, "mona", full_name="Mona Marsh", role="monitor", sites=["01"])
    >>> grace, mona = log_in(store, "grace", channel="UI"), log_in(store, "mona", channel="UI")
    >>> with open_unit(store, grace) as unit:
    ...     _ = register_subject(unit, "01-001", site="01", sex="F",
    ...                          consent_date=date(2024, 1, 2), consent_version="3.0")
    ...     visit_id = record_visit(unit, "01-001", name="C1D1", visitnum=1,
    ...                             actual_date=date(2024, 1, 15))

    The monitor queries the visit date, the coordinator corrects it and answers, the monitor
    closes the query:

    >>> with open_unit(store, mona) as unit:
    ...     query_id = raise_query(unit, "01-001", table="visit", row_id=visit_id,
    ...                            field="actual_date", text="Source says 16 Jan 2024")
    >>> with open_unit(store, grace) as unit:
    ...     correct_record(unit, "visit", visit_id, version=1,
    ...                    changes={"actual_date": date(2024, 1, 16)}, reason="transcription error")
    ...     answer_query(unit, query_id, text="Corrected from the source")
    2
    >>> with open_unit(store, mona) as unit:
    ...     close_query(unit, query_id, text="Confirmed")
    ...     [(q.state, [kind for kind, *_ in q.messages]) for q in list_queries(unit)]
    [('Closed', ['raise', 'answer', 'close'])]
    >>> with open_unit(store, mona) as unit:      # a closed query is re-opened, not closed again
    ...     close_query(unit, query_id, text="Again")
    Traceback (most recent call last):
    ...
    oncotrial.errors.DataError: state='Closed': query is Closed (allowed: Answered)
    >>> store.dispose(); folder.cleanup()
    """
    require_role(unit.actor, _QUERY_RAISERS, what="close queries")
    if cancel:
        _move_query(
            unit,
            query_id,
            text=text,
            from_states=("Open", "Answered"),
            to_state="Cancelled",
            kind="cancel",
            action=Action.RAISE_QUERY,
        )
    else:
        _move_query(
            unit, query_id, text=text, from_states=("Answered",), to_state="Closed", kind="close",
            action=Action.RAISE_QUERY,
        )


def _move_query(
    unit: Unit, query_id: int, *, text: str, from_states: tuple[str, ...], to_state: str,
    kind: str, action: Action,
) -> None:
    """Move a query between states; *action* is checked against the role the actor holds at
    the query's site (a coordinator at one site and monitor at another answers, and never
    closes, the queries of the first)."""
    text = require_text(text, field="text")
    with unit.step(reason=f"query {kind}"):
        query = unit.session.get(DataQuery, query_id)
        if query is None:
            raise NotFoundError("no such query", field="query_id", value=query_id)
        subject = unit.session.get(Subject, query.subject_id)
        assert subject is not None
        unit.subject(subject.screening_number, write=False, action=action)
        if query.state not in from_states:
            raise DataError(
                f"query is {query.state}",
                field="state",
                value=query.state,
                allowed=", ".join(from_states),
            )
        query.state = to_state
        _message(unit, query, kind, text)


def _message(unit: Unit, query: DataQuery, kind: str, text: str) -> None:
    unit.session.add(
        QueryMessage(
            query_id=query.id,
            subject_id=query.subject_id,
            author_id=_user_id(unit),
            kind=kind,
            text=text,
            at=unit.now(),
        )
    )


def _user_id(unit: Unit) -> int:
    if unit.actor.user_id is None:
        raise DataError("a named user is required", field="actor", value=unit.actor.username)
    return unit.actor.user_id


# --- signatures -----------------------------------------------------------------------------------


def sign_casebook(unit: Unit, subject: str, *, meaning: str) -> int:
    """The investigator signs a subject's casebook; returns the signature id.

    The signature stores the signer's printed name, the meaning, the UTC time and the SHA-256
    of the casebook as signed (21 CFR 11.50, 11.70). Re-authentication is the adapter's job;
    :func:`oncotrial.services.review.sign` checks it itself and signs visits too.

    Parameters
    ----------
    unit
        A unit of work of an investigator.
    subject
        The subject's screening number.
    meaning
        What the signature means (e.g. review and approval), non-blank.

    Returns
    -------
    int
        The signature's id.

    Raises
    ------
    AccessError
        If the actor is not an investigator.
    NotFoundError
        If there is no such subject or it is at a site the actor does not see.
    DataError
        If the meaning is blank.
    """
    require_role(unit.actor, _SIGNERS, what="sign casebooks")
    meaning = require_text(meaning, field="meaning")
    with unit.step() as session:
        owner = unit.subject(subject, write=False)
        user = session.get(AppUser, _user_id(unit))
        assert user is not None
        signature = Signature(
            subject_id=owner.id,
            signer_id=user.id,
            signer_name=user.full_name,
            meaning=meaning,
            signed_at=unit.now(),
            content_hash=casebook_hash(session, owner.id),
            state="valid",
        )
        session.add(signature)
        session.flush()
        record_event(
            session,
            action="sign",
            table_name="signature",
            row_id=signature.id,
            subject_id=owner.id,
            detail=meaning,
        )
        return signature.id


def verify_signature(unit: Unit, signature_id: int) -> SignatureStatus:
    """The signature's state and whether the casebook still hashes to what was signed.

    Parameters
    ----------
    unit
        A unit of work of a user who sees the subject's site.
    signature_id
        The signature's id.

    Returns
    -------
    SignatureStatus
        Signer, meaning, time, state (``valid`` or ``invalidated`` with the reason) and
        whether the subject's casebook still has the hash that was signed.

    Raises
    ------
    NotFoundError
        If there is no such signature.
    NotFoundError
        If its subject is at a site the actor does not see.
    """
    signature = unit.session.get(Signature, signature_id)
    if signature is None:
        raise NotFoundError("no such signature", field="signature_id", value=signature_id)
    subject = unit.session.get(Subject, signature.subject_id)
    assert subject is not None
    unit.subject(subject.screening_number, write=False)
    matches = casebook_hash(unit.session, signature.subject_id) == signature.content_hash
    return SignatureStatus(
        signature_id=signature.id,
        signer=signature.signer_name,
        meaning=signature.meaning,
        signed_at=signature.signed_at,
        state=signature.state,
        reason=signature.invalidated_reason,
        content_matches=matches,
    )


# --- locks --------------------------------------------------------------------------------------


def lock(
    unit: Unit,
    *,
    level: str,
    reason: str,
    site: str | None = None,
    subject: str | None = None,
    form: str | None = None,
) -> int:
    """Lock the study, a site, a subject or one form of a subject; returns the lock id.

    *form* is a form name or its table name (``eligibility`` or ``eligibility_result``);
    only a form lock keeps it. While the lock is active no row it covers can be written.

    Parameters
    ----------
    unit
        A unit of work of a data manager.
    level
        ``"study"``, ``"site"``, ``"subject"`` or ``"form"``.
    reason
        Why, non-blank.
    site
        The site code, for a site lock.
    subject
        The screening number, for a subject or form lock.
    form
        The form or table name, for a form lock.

    Returns
    -------
    int
        The lock's id (for :func:`unlock`).

    Raises
    ------
    AccessError
        If the actor is not a data manager.
    DataError
        If the level is unknown, the reason blank, the site unknown, the subject missing for a
        subject or form lock, or the form unknown.
    NotFoundError
        If the subject does not exist.
    """
    require_role(unit.actor, _LOCKERS, what="lock data")
    if level not in _LEVELS:
        raise DataError(
            "unknown lock level", field="level", value=level, allowed=", ".join(_LEVELS)
        )
    reason = require_text(reason, field="reason")
    form = form_name(form) if level == "form" else None
    with unit.step() as session:
        site_id, subject_id = _lock_target(unit, level, site=site, subject=subject)
        row = RecordLock(
            level=level,
            site_id=site_id,
            subject_id=subject_id,
            form_name=form,
            active=True,
            reason=reason,
            locked_by=_user_id(unit),
        )
        session.add(row)
        session.flush()
        record_event(
            session,
            action="lock",
            table_name="record_lock",
            row_id=row.id,
            subject_id=subject_id,
            detail=f"{level} {site or subject or ''} {form or ''}",
            reason=reason,
        )
        return row.id


def _lock_target(
    unit: Unit, level: str, *, site: str | None, subject: str | None
) -> tuple[int | None, int | None]:
    if level == "site":
        site_id = unit.session.scalar(select(Site.id).where(Site.code == site))
        if site_id is None:
            raise NotFoundError("no such site", field="site", value=site)
        return site_id, None
    if level in {"subject", "form"}:
        if subject is None:
            raise DataError("a subject is required", field="subject", value=None)
        owner = unit.subject(subject, write=False)
        return owner.site_id, owner.id
    return None, None


def form_name(form: str | None) -> str:
    """The form name locks and the lock check use, from a form or table name.

    ``eligibility`` and ``eligibility_result`` both name the eligibility form.

    Parameters
    ----------
    form
        A form name or a casebook table name.

    Returns
    -------
    str
        The form name as the lock check compares it.

    Raises
    ------
    DataError
        If *form* is blank or ``None``, or names no form or table.

    Examples
    --------
    >>> form_name("eligibility_result"), form_name("lab_result")
    ('eligibility', 'lab_result')
    """
    name = require_text(form, field="form")
    forms = {m.form or m.__tablename__: m for m in CASEBOOK_TABLES}
    for model in CASEBOOK_TABLES:
        if name in (model.form, model.__tablename__):
            return model.form or model.__tablename__
    raise DataError("unknown form", field="form", value=form, allowed=", ".join(sorted(forms)))


def unlock(unit: Unit, lock_id: int, *, reason: str) -> None:
    """Unlock (data manager only, reason required); the unlock is audited.

    Parameters
    ----------
    unit
        A unit of work of a data manager.
    lock_id
        The active lock's id.
    reason
        Why, non-blank.

    Returns
    -------
    None

    Raises
    ------
    AccessError
        If the actor's role may not unlock (only data managers hold the permission).
    DataError
        If the reason is blank or there is no such active lock.
    """
    require_role(unit.actor, _LOCKERS, what="unlock data")
    reason = require_text(reason, field="reason")
    with unit.step(reason=reason) as session:
        row = session.get(RecordLock, lock_id)
        if row is None or not row.active:
            raise DataError("no such active lock", field="lock_id", value=lock_id)
        row.active = False
        row.unlocked_by = _user_id(unit)
        row.unlock_reason = reason
        record_event(
            session,
            action="unlock",
            table_name="record_lock",
            row_id=row.id,
            subject_id=row.subject_id,
            reason=reason,
        )


# --- audit trail --------------------------------------------------------------------------------


def subject_history(unit: Unit, subject: str) -> list[AuditEntry]:
    """Every committed change to one subject's data, oldest first (a unit's own changes are
    numbered into the log when it commits).

    Parameters
    ----------
    unit
        A unit of work of a user who sees the subject's site.
    subject
        The subject's screening number.

    Returns
    -------
    list[AuditEntry]
        Who changed which field of which row, old and new value, when (UTC) and why.

    Raises
    ------
    NotFoundError
        If there is no such subject or it is at a site the actor does not see.
    """
    owner = unit.subject(subject, write=False)
    return history_of_subject(unit.session, owner.id)


def field_as_of(unit: Unit, table: str, row_id: int, *, field: str, at: datetime) -> Any:
    """The value a field had at UTC time *at*, read from the change log.

    Parameters
    ----------
    unit
        A unit of work of a user who sees the row's subject.
    table
        The casebook table.
    row_id
        The row's id.
    field
        The column.
    at
        The UTC time of interest.

    Returns
    -------
    Any
        The value then, decoded to its Python type (``None`` if the field had no value).

    Raises
    ------
    DataError
        If the table is unknown, there is no such row, the table is not subject data, or the
        row did not exist yet at *at*.
    NotFoundError
        If the row's subject is at a site the actor does not see.
    """
    row, _subject = _load_row_for_read(unit, table, row_id)
    del row
    return value_as_of(unit.session, table_name=table, row_id=row_id, field=field, at=at)


def _load_row_for_read(unit: Unit, table: str, row_id: int) -> tuple[CasebookRow, Subject]:
    row = unit.session.get(model_for(table), row_id)
    if row is None:
        raise NotFoundError(f"no such {table} row", field="row_id", value=row_id)
    subject_id = row.id if isinstance(row, Subject) else getattr(row, "subject_id", None)
    subject = unit.session.get(Subject, subject_id)
    if subject is None:
        raise DataError(f"{table} rows are not subject data", field="table", value=table)
    unit.subject(subject.screening_number, write=False)
    return row, subject
