"""Small server-drawn SVG charts (no script: the page's CSP allows none inline)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup

__all__ = ["enrolment_svg"]

_W, _H, _PAD = 640, 240, 40


def enrolment_svg(points: Sequence[tuple[date, int]], *, target: int | None = None) -> Markup:
    """Cumulative enrolment as a step line, with the dates and counts on its axes."""
    if not points:
        return Markup('<p class="note">No subject enrolled yet.</p>')
    first, last = points[0][0], points[-1][0]
    span = max((last - first).days, 1)
    top = max(target or 0, points[-1][1])

    def x(day: date) -> float:
        return _PAD + (day - first).days / span * (_W - 2 * _PAD)

    def y(n: int) -> float:
        return _H - _PAD - n / top * (_H - 2 * _PAD)

    path, previous = [f"M{x(first):.1f},{y(0):.1f}"], 0
    for day, n in points:
        path += [f"L{x(day):.1f},{y(previous):.1f}", f"L{x(day):.1f},{y(n):.1f}"]
        previous = n
    ticks = "".join(
        f'<text x="{_PAD - 6}" y="{y(n) + 4:.1f}" text-anchor="end">{n}</text>'
        for n in sorted({0, top // 2, top}))
    labels = (f'<text x="{_PAD}" y="{_H - 12}">{first.isoformat()}</text>'
              f'<text x="{_W - _PAD}" y="{_H - 12}" text-anchor="end">{last.isoformat()}</text>')
    svg = (f'<svg role="img" aria-labelledby="enrol-title" viewBox="0 0 {_W} {_H}" '
           f'class="chart"><title id="enrol-title">Cumulative enrolment: {points[-1][1]} '
           f'subjects from {first.isoformat()} to {last.isoformat()}</title>'
           f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - _PAD}" y2="{_H - _PAD}" '
           f'stroke="#666"/><line x1="{_PAD}" y1="{_PAD}" x2="{_PAD}" y2="{_H - _PAD}" '
           f'stroke="#666"/><path d="{" ".join(path)}" fill="none" stroke="#1f5fa8" '
           f'stroke-width="2"/>{ticks}{labels}</svg>')
    return Markup(svg)  # noqa: S704  (built from dates and integers only)
