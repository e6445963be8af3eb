"""MkDocs hooks of the documentation site (mkdocs.yml ``hooks:``).

- ``<!-- exports: oncotrial.PACKAGE -->`` in a page becomes one mkdocstrings entry per name the
  package exports (its ``__all__``): functions first, then classes, then constants, each group
  in alphabetical order. The reference therefore follows the code: a new export appears, a
  removed one disappears, and nothing is listed by hand.
- Sphinx cross-reference roles in docstrings (``:func:`name```, ``:class:``, ``:mod:``, …) are
  shown as plain code, since mkdocstrings renders Markdown, not reStructuredText roles.
"""

from __future__ import annotations

import importlib
import inspect
import re
from typing import Any

_EXPORTS = re.compile(r"^<!-- exports: (?P<package>[\w.]+) -->$", re.MULTILINE)
_ROLE = re.compile(r":(?:py:)?(?:func|class|mod|meth|attr|data|exc|obj|const):(?=<code>)")
_GROUPS = (("Functions", inspect.isfunction), ("Classes", inspect.isclass),
           ("Constants", lambda _obj: True))


def _entries(package: str) -> str:
    module = importlib.import_module(package)
    names = sorted(module.__all__)
    placed: set[str] = set()
    parts: list[str] = []
    for title, test in _GROUPS:
        chosen = [n for n in names if n not in placed and test(getattr(module, n))]
        if not chosen:
            continue
        placed.update(chosen)
        parts.append(f"## {title}\n")
        parts.extend(f"::: {package}.{name}\n" for name in chosen)
    return "\n".join(parts)


def on_page_markdown(markdown: str, **_kwargs: Any) -> str:
    """Expand the exports markers of a page."""
    return _EXPORTS.sub(lambda m: _entries(m["package"]), markdown)


def on_page_content(html: str, **_kwargs: Any) -> str:
    """Drop the Sphinx role prefix before inline code (``:func:<code>x</code>`` → ``x``)."""
    return _ROLE.sub("", html)
