"""Shared fixtures: seeded randomness and the environment of real external services.

A test that needs a component this machine may lack (PostgreSQL, Chromium, poppler, the outside
validation files in ``../shared``) asks for it through :func:`missing_component`: on a
developer's machine the test is skipped with one clear reason; when ``ONCOTRIAL_REQUIRE_ALL`` is
set (``.ci/run`` sets it) the same absence is a failure, so CI can never pass by skipping the
audit-log protection, the concurrency race or the browser tests.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import numpy as np
import pytest

REQUIRE_ALL = "ONCOTRIAL_REQUIRE_ALL"


def find_shared() -> Path:
    """The read-only ``shared/`` folder: ``$ONCOTRIAL_SHARED_DIR`` if set, else beside the
    checkout (``../shared``)."""
    override = os.environ.get("ONCOTRIAL_SHARED_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "shared"


SHARED = find_shared()


def missing_component(what: str, how: str) -> NoReturn:
    """Skip because *what* is absent (saying *how* to provide it), or fail under
    ``ONCOTRIAL_REQUIRE_ALL``."""
    if os.environ.get(REQUIRE_ALL):
        pytest.fail(f"{what} is missing and {REQUIRE_ALL} is set: {how}")
    pytest.skip(f"{what} is missing on this machine ({how})")


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator; tests never use global random state."""
    return np.random.default_rng(20180601)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only ``shared/`` folder beside the checkout (reference data, validation files)."""
    if not SHARED.is_dir():
        missing_component(f"the outside validation files (no shared/ folder at {SHARED})",
                          "put shared/ beside the checkout or set ONCOTRIAL_SHARED_DIR")
    return SHARED


def require_env(name: str, what: str) -> str:
    """Return env var *name*, which points at *what*; a missing component when unset."""
    value = os.environ.get(name)
    if value:
        return value
    return missing_component(what, f"set {name}; .ci/run installs it and sets it")


def require_module(name: str, what: str) -> ModuleType:
    """Import *name* (a Python package the dev extra installs); a missing component if absent."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return missing_component(what, "install the dev extra: make test does")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Close the run with one summary line: N passed, N failed, N skipped (errors count as
    failures)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not hasattr(reporter, "stats"):
        return
    stats = reporter.stats
    passed = len(stats.get("passed", []))
    failed = len(stats.get("failed", [])) + len(stats.get("error", []))
    skipped = len(stats.get("skipped", []))
    reporter.write_line(f"oncotrial tests: {passed} passed, {failed} failed, {skipped} skipped")
