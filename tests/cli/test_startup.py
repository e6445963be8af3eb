"""The command line starts at once: the listing imports no command module, each command
imports only what it runs, and the registry and the commands agree."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from oncotrial.cli import COMMANDS, app, load_command

HEAVY = ("pandas", "sqlalchemy", "scipy", "matplotlib")

_PROBE = """
import json, sys
sys.argv = ["oncotrial", *json.loads(sys.argv[1])]
import oncotrial.cli
try:
    oncotrial.cli.main()
except SystemExit:
    pass
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})), file=sys.stderr)
"""


def _top_modules_after(args: list[str]) -> set[str]:
    run = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(args)], capture_output=True,
                         text=True, check=True)
    return set(json.loads(run.stderr.strip().splitlines()[-1]))


def test_help_imports_no_heavy_library() -> None:
    """Importing the CLI and printing `--help` loads none of pandas, SQLAlchemy, scipy,
    matplotlib (nor numpy or pydantic)."""
    loaded = _top_modules_after(["--help"])
    assert "oncotrial" in loaded
    assert not loaded & {*HEAVY, "numpy", "pydantic"}


@pytest.mark.parametrize("args", [["design", "boin", "--target", "0.3"], ["dose", "schema"],
                                  ["ctcae", "--help"], ["protocol", "show"]])
def test_light_commands_import_no_heavy_library(args: list[str]) -> None:
    """Site and design commands that need no data frame or database do not load them."""
    assert not _top_modules_after(args) & set(HEAVY)


def test_help_lists_every_command() -> None:
    """`oncotrial --help` lists each registered command with its one-line help."""
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert f"  {name} " in result.output


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_registry_entry_loads_and_agrees(name: str) -> None:
    """Each entry imports, builds a command of that name, and its listed help is the
    command's own first help line (groups take theirs from the registry)."""
    command = load_command(name)
    assert command.name == name
    assert (command.help or "").strip().splitlines()[0] == COMMANDS[name].help
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert COMMANDS[name].help.split()[0] in result.output


def test_unknown_command_suggests_the_near_one() -> None:
    """A typo names the command and suggests the closest one (exit code 2)."""
    result = CliRunner().invoke(app, ["dos"])
    assert result.exit_code == 2
    assert "No such command 'dos'" in result.output
    assert "'dose'" in result.output
