"""Who may do what: the one table of permissions every service, page and API call checks.

Roles follow the usual division of an oncology trial's EDC (ICH E6(R3) §4.2 computerised
systems, 21 CFR 11.10(d) and (g): access limited to authorised individuals, authority checks):

- coordinator: enters and corrects data at the sites assigned;
- investigator: as the coordinator, and signs (21 CFR 11.50);
- monitor: reads the sites assigned, raises and closes queries, verifies source data; never
  edits clinical data;
- data manager: every site; queries, locks and unlocks; no clinical edits;
- statistician: every site, read-only; exports and dashboards (an investigator may export
  the sites they are assigned to);
- administrator: users and sites; no clinical data at all.

A user may hold different roles at different sites; site-scoped actions are decided by the role
held at the subject's site. A subject at a site the user may not see is answered as if it did
not exist, so its existence does not leak.
"""

from __future__ import annotations

from enum import StrEnum

from oncotrial.types import Role

__all__ = [
    "PERMISSIONS",
    "SITE_SCOPED",
    "STUDY_WIDE_ROLES",
    "Action",
    "allowed",
    "permission_table",
]


class Action(StrEnum):
    """What a user asks to do."""

    VIEW_CASEBOOK = "view casebook"
    ENTER_DATA = "enter and correct data"
    SIGN = "sign visits and casebooks"
    RAISE_QUERY = "raise and close queries"
    ANSWER_QUERY = "answer queries"
    VERIFY = "verify source data"
    LOCK = "lock and unlock"
    VIEW_AUDIT = "view the audit trail"
    EXPORT = "export SDTM and ODM"
    VIEW_DASHBOARD = "view dashboards"
    MANAGE_USERS = "manage users and sites"


_R = Role
#: the permission table (printed in the README by ``oncotrial user roles``)
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.VIEW_CASEBOOK: frozenset({_R.COORDINATOR, _R.INVESTIGATOR, _R.MONITOR,
                                     _R.DATA_MANAGER, _R.STATISTICIAN}),
    Action.ENTER_DATA: frozenset({_R.COORDINATOR, _R.INVESTIGATOR}),
    Action.SIGN: frozenset({_R.INVESTIGATOR}),
    Action.RAISE_QUERY: frozenset({_R.MONITOR, _R.DATA_MANAGER}),
    Action.ANSWER_QUERY: frozenset({_R.COORDINATOR, _R.INVESTIGATOR}),
    Action.VERIFY: frozenset({_R.MONITOR}),
    Action.LOCK: frozenset({_R.DATA_MANAGER}),
    Action.VIEW_AUDIT: frozenset({_R.MONITOR, _R.DATA_MANAGER, _R.INVESTIGATOR,
                                  _R.COORDINATOR, _R.STATISTICIAN}),
    Action.EXPORT: frozenset({_R.DATA_MANAGER, _R.STATISTICIAN, _R.INVESTIGATOR}),
    Action.VIEW_DASHBOARD: frozenset({_R.STATISTICIAN, _R.DATA_MANAGER, _R.INVESTIGATOR,
                                      _R.MONITOR}),
    Action.MANAGE_USERS: frozenset({_R.ADMIN}),
}

#: roles that see every site; the others see the sites they are assigned to
STUDY_WIDE_ROLES = frozenset({Role.DATA_MANAGER, Role.STATISTICIAN, Role.ADMIN})

#: actions on one subject's data, decided by the role held at the subject's site
SITE_SCOPED = frozenset({Action.VIEW_CASEBOOK, Action.ENTER_DATA, Action.SIGN,
                         Action.RAISE_QUERY, Action.ANSWER_QUERY, Action.VERIFY,
                         Action.VIEW_AUDIT})


def allowed(role: str, action: Action) -> bool:
    """Whether *role* may perform *action* (at a site where it holds that role).

    Parameters
    ----------
    role
        A role's value (``"monitor"``, ...); an unknown role may do nothing.
    action
        The action asked for.

    Returns
    -------
    bool
        Whether :data:`PERMISSIONS` grants *action* to *role*.

    Examples
    --------
    >>> allowed("monitor", Action.RAISE_QUERY), allowed("monitor", Action.ENTER_DATA)
    (True, False)
    >>> allowed("surgeon", Action.VIEW_CASEBOOK)
    False
    """
    try:
        return Role(role) in PERMISSIONS[action]
    except ValueError:
        return False


def permission_table() -> list[list[str]]:
    """The table as rows: action, then ``yes``/``-`` per role (header row first).

    Returns
    -------
    list[list[str]]
        The header row (``action`` and each role's value), then one row per
        :class:`Action`.

    Examples
    --------
    >>> permission_table()[0]
    ['action', 'investigator', 'coordinator', 'monitor', 'data_manager', 'statistician', 'admin']
    >>> next(row for row in permission_table() if row[0] == "lock and unlock")
    ['lock and unlock', '-', '-', '-', 'yes', '-', '-']
    """
    roles = list(Role)
    rows = [["action", *[r.value for r in roles]]]
    rows += [[a.value, *["yes" if r in PERMISSIONS[a] else "-" for r in roles]]
             for a in Action]
    return rows
