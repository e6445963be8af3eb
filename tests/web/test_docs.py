"""The README's access tables are the ones the code enforces, and the vendored htmx is the
file the table of vendored assets names."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from typer.testing import CliRunner

from oncotrial.cli import app
from oncotrial.web.access import route_table

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "src" / "oncotrial" / "web" / "static"


def _block(name: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- {name}:start -->\n(.*?)\n<!-- {name}:end -->", text, re.S)
    assert found, f"README has no {name} block"
    return found.group(1)


def test_readme_permission_table_is_what_user_roles_prints() -> None:
    """`oncotrial user roles` prints the permission table the services use; the README holds
    exactly that table."""
    printed = CliRunner().invoke(app, ["user", "roles"])
    assert printed.exit_code == 0
    assert printed.output.strip() == _block("permissions")


def test_readme_route_table_is_the_declared_routes() -> None:
    """The README's route table is generated from the declarations the matrix test uses."""
    assert _block("routes") == route_table()


def test_vendored_htmx_is_the_pinned_release() -> None:
    """The served htmx file has the SHA-256 the table of vendored assets records."""
    table = (STATIC / "VENDORED.md").read_text(encoding="utf-8")
    recorded = re.search(r"`htmx-2\.0\.11\.min\.js`.*\| ([0-9a-f]{64}) \|", table)
    assert recorded
    digest = hashlib.sha256((STATIC / "htmx-2.0.11.min.js").read_bytes()).hexdigest()
    assert digest == recorded.group(1)
