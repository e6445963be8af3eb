"""Every exported function of the documented packages carries numpydoc sections: a
``Parameters`` section naming each of its parameters and a ``Returns`` section, so a new
service function cannot reach the API reference undocumented."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest

#: packages whose public modules (not starting with ``_``, at any depth) are held to the rule
PACKAGES = ("oncotrial.services", "oncotrial.rules", "oncotrial.stats", "oncotrial.protocol",
            "oncotrial.sim", "oncotrial.report", "oncotrial.translational", "oncotrial.store",
            "oncotrial.cdisc")

#: exported functions not yet documented; an entry that has gained its sections fails
#: :func:`test_pending_list_is_current`, so the list only shrinks
PENDING: frozenset[str] = frozenset()

_HEADER = re.compile(r"^(\w[\w ]*)\n-{3,}$", re.MULTILINE)


def _public_modules(package: str) -> Iterator[ModuleType]:
    """The package and its public modules and subpackages, depth first (migrations excepted:
    Alembic's revision files are not an API)."""
    root = importlib.import_module(package)
    yield root
    for info in pkgutil.iter_modules(getattr(root, "__path__", [])):
        if not info.name.startswith("_") and info.name != "migrations":
            yield from _public_modules(f"{package}.{info.name}")


def _exported() -> list[tuple[str, Callable[..., object]]]:
    """Each exported function once, under the name of the module that defines it."""
    found: dict[int, tuple[str, Callable[..., object]]] = {}
    for package in PACKAGES:
        for module in _public_modules(package):
            for name in getattr(module, "__all__", []):
                obj = getattr(module, name)
                if inspect.isfunction(obj):
                    found.setdefault(id(obj), (f"{obj.__module__}.{obj.__qualname__}", obj))
    return list(found.values())


def sections(doc: str) -> dict[str, str]:
    """numpydoc sections of a cleaned docstring: header -> body."""
    marks = list(_HEADER.finditer(doc))
    return {m.group(1): doc[m.end():marks[i + 1].start() if i + 1 < len(marks) else len(doc)]
            for i, m in enumerate(marks)}


def documented_parameters(body: str) -> set[str]:
    """Names a Parameters section describes (``a, b`` and ``a : type`` forms)."""
    names: set[str] = set()
    for line in body.splitlines():
        if line and not line[0].isspace():
            names.update(n.strip().lstrip("*") for n in line.split(":")[0].split(","))
    return names


def problems(func: Callable[..., object]) -> list[str]:
    """What the docstring of *func* lacks."""
    params = [p for p in inspect.signature(func).parameters if p not in ("self", "cls")]
    found = sections(inspect.cleandoc(func.__doc__ or ""))
    wrong = []
    if params:
        if "Parameters" not in found:
            wrong.append("no Parameters section")
        else:
            missing = [p for p in params if p not in documented_parameters(found["Parameters"])]
            if missing:
                wrong.append(f"Parameters does not describe {', '.join(missing)}")
    if "Returns" not in found and "Yields" not in found:
        wrong.append("no Returns section")
    return wrong


def test_sections_parser_reads_numpydoc() -> None:
    """The checker finds sections and the parameter names of combined and typed entries."""
    doc = inspect.cleandoc("""Summary.

        Parameters
        ----------
        unit
            A unit.
        since, until : datetime
            A range.

        Returns
        -------
        int
            A count.
        """)
    found = sections(doc)
    assert set(found) == {"Parameters", "Returns"}
    assert documented_parameters(found["Parameters"]) == {"unit", "since", "until"}


def test_checker_reports_an_undocumented_function() -> None:
    """A function with an argument and only a summary line is reported; one fully documented
    is not."""
    def bare(unit: object) -> None:
        """Do something."""

    def half(unit: object, reason: str) -> int:
        """Do something.

        Parameters
        ----------
        unit
            A unit.

        Returns
        -------
        int
            A number.
        """
        return 0

    assert problems(bare) == ["no Parameters section", "no Returns section"]
    assert problems(half) == ["Parameters does not describe reason"]


def test_public_functions_are_documented() -> None:
    """Every exported function of the public modules has Parameters (each one) and Returns."""
    exported = _exported()
    assert len(exported) > 100  # the services export this many; an import slip would hide them
    bad = {name: wrong for name, func in exported
           if name not in PENDING and (wrong := problems(func))}
    assert not bad, "\n".join(f"{name}: {'; '.join(w)}" for name, w in sorted(bad.items()))


def test_pending_list_is_current() -> None:
    """Each pending name still exists and still lacks a section (else drop it from PENDING)."""
    exported = dict(_exported())
    stale = sorted(name for name in PENDING if name not in exported or not problems(exported[name]))
    assert not stale, f"remove from PENDING: {', '.join(stale)}"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_has_public_modules(package: str) -> None:
    """The packages held to the rule are importable and export functions."""
    assert any(getattr(m, "__all__", None) for m in _public_modules(package))
