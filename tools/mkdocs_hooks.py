"""MkDocs hooks of the documentation site (mkdocs.yml ``hooks:``).

- ``<!-- exports: oncotrial.PACKAGE -->`` in a page becomes one mkdocstrings entry per name the
  package exports (its ``__all__``): functions first, then classes, then constants, each group
  in alphabetical order. The reference therefore follows the code: a new export appears, a
  removed one disappears, and nothing is listed by hand.
- ``<!-- modules: oncotrial.PACKAGE -->`` becomes one section per public module below the
  package (at any depth; migrations excepted) with the functions and classes it exports that
  the package itself does not, each object once, under the first module that exports it.
- Sphinx cross-reference roles in docstrings (``:func:`name```, ``:class:``, ``:mod:``, …) are
  shown as plain code, since mkdocstrings renders Markdown, not reStructuredText roles.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from types import ModuleType
from typing import Any

_EXPORTS = re.compile(r"^<!-- exports: (?P<package>[\w.]+) -->$", re.MULTILINE)
_MODULES = re.compile(r"^<!-- modules: (?P<package>[\w.]+) -->$", re.MULTILINE)
_ROLE = re.compile(r":(?:py:)?(?:func|class|mod|meth|attr|data|exc|obj|const):(?=<code>)")
_GROUPS = (("Functions", inspect.isfunction), ("Classes", inspect.isclass),
           ("Constants", lambda _obj: True))


def _entries(package: str, names: list[str] | None = None, level: int = 2) -> str:
    module = importlib.import_module(package)
    names = sorted(module.__all__ if names is None else names)
    placed: set[str] = set()
    parts: list[str] = []
    options = "" if level == 2 else f"    options:\n      heading_level: {level + 1}\n"
    groups = _GROUPS if level == 2 else _GROUPS[:2]  # a module's constants: in its source
    for title, test in groups:
        chosen = [n for n in names if n not in placed and test(getattr(module, n))]
        if not chosen:
            continue
        placed.update(chosen)
        parts.append(f"{'#' * level} {title}\n")
        parts.extend(f"::: {package}.{name}\n{options}" for name in chosen)
    return "\n".join(parts)


def _below(package: str) -> Iterator[ModuleType]:
    root = importlib.import_module(package)
    for info in pkgutil.iter_modules(getattr(root, "__path__", [])):
        if not info.name.startswith("_") and info.name != "migrations":
            module = importlib.import_module(f"{package}.{info.name}")
            yield module
            yield from _below(module.__name__)


def _modules(package: str) -> str:
    root = importlib.import_module(package)
    shown = {id(getattr(root, n)) for n in getattr(root, "__all__", [])}
    parts: list[str] = []
    for module in _below(package):
        own = [n for n in getattr(module, "__all__", []) if id(getattr(module, n)) not in shown]
        if not own:
            continue
        shown.update(id(getattr(module, n)) for n in own)
        summary = (inspect.getdoc(module) or "").split("\n\n")[0].replace("\n", " ")
        parts.append(f"## {module.__name__}\n\n{summary}\n\n"
                     + _entries(module.__name__, own, level=3))
    return "\n".join(parts)


def on_page_markdown(markdown: str, **_kwargs: Any) -> str:
    """Expand the exports and modules markers of a page."""
    markdown = _EXPORTS.sub(lambda m: _entries(m["package"]), markdown)
    return _MODULES.sub(lambda m: _modules(m["package"]), markdown)


def on_page_content(html: str, **_kwargs: Any) -> str:
    """Drop the Sphinx role prefix before inline code (``:func:<code>x</code>`` → ``x``)."""
    return _ROLE.sub("", html)
