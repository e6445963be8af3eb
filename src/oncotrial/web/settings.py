"""Settings of the web EDC, read once when the app is created (never at import)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from oncotrial.errors import DataError

__all__ = ["WebSettings"]

ENV_DB = "ONCOTRIAL_DB_URL"
DEFAULT_DB_URL = "sqlite:///oncotrial.db"
ENV_PROTOCOL = "ONCOTRIAL_PROTOCOL"
ENV_AS_OF = "ONCOTRIAL_AS_OF"
ENV_INSECURE = "ONCOTRIAL_INSECURE_COOKIES"
ENV_TUNE_GC = "ONCOTRIAL_SERVER_GC"


@dataclass(frozen=True, slots=True)
class WebSettings:
    """What the web application serves and how.

    ``as_of`` fixes "today" for a virtual trial (the demo runs in 2018–2021); a real trial
    leaves it unset. ``secure_cookies`` is off only for plain-HTTP test clients.
    ``tune_gc`` (set by ``oncotrial serve``) tunes the garbage collector for a long-lived
    server process once the app has started.
    """

    db_url: str = DEFAULT_DB_URL
    protocol_path: Path | None = None
    as_of: date | None = None
    secure_cookies: bool = True
    max_body_bytes: int = 1_000_000
    tune_gc: bool = False

    @classmethod
    def from_env(cls) -> WebSettings:
        """Settings from ``ONCOTRIAL_*`` environment variables (what ``oncotrial serve`` sets)."""
        as_of = os.environ.get(ENV_AS_OF)
        try:
            day = date.fromisoformat(as_of) if as_of else None
        except ValueError as exc:
            raise DataError("not a date", field=ENV_AS_OF, value=as_of,
                            allowed="YYYY-MM-DD") from exc
        protocol = os.environ.get(ENV_PROTOCOL)
        return cls(
            db_url=os.environ.get(ENV_DB, DEFAULT_DB_URL),
            protocol_path=Path(protocol) if protocol else None,
            as_of=day,
            secure_cookies=os.environ.get(ENV_INSECURE, "") != "1",
            tune_gc=os.environ.get(ENV_TUNE_GC, "") == "1",
        )

    def today(self) -> date:
        """The day the casebook is seen from."""
        return self.as_of or date.today()
