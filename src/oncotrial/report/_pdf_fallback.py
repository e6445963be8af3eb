"""The report PDF drawn with matplotlib, for a machine where WeasyPrint cannot run.

WeasyPrint needs the Pango text library of the operating system; without it the report still
gets a PDF: A4 pages (landscape for wide tables), each table split into pages of at most
``ROWS_PER_PAGE`` rows with its column header repeated, figures with their number, caption,
population and cut-off, and on every page the running header (study, cut-off) and the footer
"Page X of Y".
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.image import imread

from oncotrial.report._style import figure_style
from oncotrial.report.content import ReportFigure, ReportSection
from oncotrial.report.tables import ReportTable

__all__ = ["write_pdf_matplotlib"]

ROWS_PER_PAGE = 28
_PORTRAIT = (8.27, 11.69)  # A4 in inches
_LANDSCAPE = (11.69, 8.27)


def write_pdf_matplotlib(sections: list[ReportSection], path: Path, meta: Mapping[str, str],
                         *, wide: set[str]) -> Path:
    """Write the report PDF to *path*; tables whose key is in *wide* get landscape pages."""
    pages: list[Figure] = [_text_page(meta["title"], [
        meta["subtitle"], f"Data cut-off: {meta['cutoff']}",
        f"ADaM datasets: {meta['datasets']}", f"Program: {meta['program']}"])]
    for section in sections:
        for table in section.tables:
            pages += _table_pages(table, landscape=table.key in wide, cutoff=meta["cutoff"])
        pages += [_figure_page(item, meta["cutoff"]) for item in section.figures]
        if section.notes and not section.tables and not section.figures:
            pages.append(_text_page(section.title, section.notes))
    with figure_style(), PdfPages(path, metadata={"Title": meta["title"], "Creator": "oncotrial",
                                                  "CreationDate": None}) as pdf:
        for number, page in enumerate(pages, start=1):
            page.text(0.03, 0.99, meta["study"], fontsize=7, va="top")
            page.text(0.97, 0.99, f"Data cut-off: {meta['cutoff']}", fontsize=7, va="top",
                      ha="right")
            page.text(0.97, 0.01, f"Page {number} of {len(pages)}", fontsize=7, ha="right")
            pdf.savefig(page)
    return path


def _text_page(title: str, lines: Sequence[str]) -> Figure:
    figure = Figure(figsize=_PORTRAIT)
    figure.text(0.08, 0.92, textwrap.fill(title, 60), fontsize=16, weight="bold", va="top")
    for index, line in enumerate(line for line in lines if line):
        figure.text(0.08, 0.80 - 0.03 * index, textwrap.fill(line, 95), fontsize=10, va="top")
    return figure


def _figure_page(item: ReportFigure, cutoff: str) -> Figure:
    """The figure as an image on an A4 portrait page, with its number, caption, population
    and cut-off below (every page of the PDF has the same size)."""
    buffer = io.BytesIO()
    with figure_style():
        item.figure.savefig(buffer, format="png", dpi=150)
    buffer.seek(0)
    image = imread(buffer, format="png")
    page = Figure(figsize=_PORTRAIT)
    height, width = image.shape[:2]
    box_h = min(0.8, 0.88 * (height / width) * (_PORTRAIT[0] / _PORTRAIT[1]))
    ax = page.add_axes((0.06, 0.92 - box_h, 0.88, box_h))
    ax.imshow(image)
    ax.set_axis_off()
    page.text(0.06, 0.90 - box_h, textwrap.fill(
        f"{item.number}. {item.title}. {item.caption} Population: {item.population}. "
        f"Data cut-off: {cutoff}.", 110), fontsize=8, va="top")
    return page


def _table_pages(table: ReportTable, *, landscape: bool, cutoff: str) -> list[Figure]:
    rows = table.rows.astype(str)
    chunks = [rows.iloc[i: i + ROWS_PER_PAGE]
              for i in range(0, max(len(rows), 1), ROWS_PER_PAGE)]
    width = 150 if landscape else 100
    pages = []
    for number, chunk in enumerate(chunks, start=1):
        figure = Figure(figsize=_LANDSCAPE if landscape else _PORTRAIT)
        suffix = f" (continued, part {number} of {len(chunks)})" if number > 1 else ""
        figure.text(0.5, 0.955, f"{table.number}{suffix}", fontsize=10, weight="bold",
                    va="top", ha="center")
        figure.text(0.5, 0.935, textwrap.fill(table.title, width), fontsize=9, va="top",
                    ha="center")
        figure.text(0.5, 0.905, f"Population: {table.population} · Data cut-off: {cutoff}",
                    fontsize=8, va="top", ha="center")
        ax = figure.add_axes((0.04, 0.12, 0.92, 0.77))
        ax.set_axis_off()
        if chunk.empty:
            ax.text(0.0, 1.0, "No records.", va="top", fontsize=8)
        else:
            cells = [[textwrap.fill(v, 45) for v in row] for row in chunk.to_numpy().tolist()]
            drawn = ax.table(cellText=cells, colLabels=[textwrap.fill(str(c), 18)
                                                        for c in chunk.columns],
                             loc="upper left", cellLoc="left")
            drawn.auto_set_font_size(False)
            drawn.set_fontsize(6)
            drawn.auto_set_column_width(list(range(len(chunk.columns))))
        notes = [*table.footnotes, f"Source: {', '.join(table.sources)}."]
        figure.text(0.04, 0.10, textwrap.fill(" ".join(notes), width + 40), fontsize=6,
                    va="top")
        pages.append(figure)
    return pages
