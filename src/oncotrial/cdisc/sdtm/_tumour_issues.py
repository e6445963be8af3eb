"""Collecting data issues found while reading SDTM tumour domains (``issues.csv`` rows)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["ISSUE_COLUMNS", "IssueLog"]

ISSUE_COLUMNS = (
    "USUBJID",
    "EVAL",
    "VISIT",
    "DOMAIN",
    "VARIABLE",
    "VALUE",
    "ISSUE",
    "ACTION",
    "MESSAGE",
)


@dataclass
class IssueLog:
    """Accumulates issue frames; :meth:`frame` returns them as one sorted DataFrame."""

    parts: list[pd.DataFrame] = field(default_factory=list)

    def add(
        self,
        rows: pd.DataFrame,
        *,
        domain: str,
        variable: str,
        issue: str,
        action: str,
        message: str,
        value_column: str | None = None,
    ) -> None:
        """Record one issue for every row of *rows* (which carries USUBJID, EVAL, VISIT)."""
        if rows.empty:
            return
        n = len(rows)
        self.parts.append(
            pd.DataFrame(
                {
                    "USUBJID": _column(rows, "USUBJID", n),
                    "EVAL": _column(rows, "EVAL", n),
                    "VISIT": _column(rows, "VISIT", n),
                    "DOMAIN": domain,
                    "VARIABLE": variable,
                    "VALUE": _column(rows, value_column or variable, n),
                    "ISSUE": issue,
                    "ACTION": action,
                    "MESSAGE": message,
                }
            )
        )

    def add_one(
        self,
        *,
        domain: str,
        variable: str,
        value: str,
        issue: str,
        action: str,
        message: str,
        subject: str = "",
        evaluator: str = "",
        visit: str = "",
    ) -> None:
        """Record a single issue."""
        self.parts.append(
            pd.DataFrame(
                [
                    {
                        "USUBJID": subject,
                        "EVAL": evaluator,
                        "VISIT": visit,
                        "DOMAIN": domain,
                        "VARIABLE": variable,
                        "VALUE": value,
                        "ISSUE": issue,
                        "ACTION": action,
                        "MESSAGE": message,
                    }
                ]
            )
        )

    def frame(self) -> pd.DataFrame:
        """All issues, sorted by subject, evaluator, domain, visit and issue."""
        if not self.parts:
            return pd.DataFrame(columns=list(ISSUE_COLUMNS))
        out = pd.concat(self.parts, ignore_index=True)[list(ISSUE_COLUMNS)]
        out = out.astype(str).replace({"nan": "", "None": "", "NaT": ""})
        return out.sort_values(
            ["USUBJID", "EVAL", "DOMAIN", "VISIT", "ISSUE"], kind="stable"
        ).reset_index(drop=True)


def _column(rows: pd.DataFrame, name: str, n: int) -> list[str]:
    if name in rows.columns:
        return rows[name].astype(str).tolist()
    return [""] * n
