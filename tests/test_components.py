"""A missing component (here the outside validation files) skips a test with one clear reason
on a developer's machine, and fails it when ONCOTRIAL_REQUIRE_ALL is set, as in CI; every run
ends with the summary line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NEEDS_SHARED = "tests/translational/test_scores.py::test_shipped_gene_sets_match_reference_files"


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONCOTRIAL_") and k != "CI"}
    clean["ONCOTRIAL_SHARED_DIR"] = str(tmp_path / "no-such-shared")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", NEEDS_SHARED],
        cwd=ROOT, env=clean | env, capture_output=True, text=True, check=False)


@pytest.mark.slow
def test_missing_shared_skips_locally(tmp_path: Path) -> None:
    run = _run(tmp_path)
    assert run.returncode == 0, run.stdout
    assert "the outside validation files (no shared/ folder at" in run.stdout
    assert run.stdout.rstrip().splitlines()[-1] == (
        "oncotrial tests: 0 passed, 0 failed, 1 skipped")


@pytest.mark.slow
def test_missing_shared_fails_when_everything_is_required(tmp_path: Path) -> None:
    run = _run(tmp_path, ONCOTRIAL_REQUIRE_ALL="1")
    assert run.returncode == 1, run.stdout
    assert "ONCOTRIAL_REQUIRE_ALL is set" in run.stdout
    assert run.stdout.rstrip().splitlines()[-1] == (
        "oncotrial tests: 0 passed, 1 failed, 0 skipped")
