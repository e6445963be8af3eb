"""Write the clinical study report: self-contained HTML (inline SVG), PDF, and tables as CSV."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

import oncotrial
from oncotrial._outputs import atomic_folder, final_path, write_csv
from oncotrial.cdisc.io import read_domain
from oncotrial.errors import DataError, failure_context
from oncotrial.report import _prepare as prep
from oncotrial.report._style import figure_style
from oncotrial.report.content import ReportSection, TranslationalInputs, build_sections
from oncotrial.report.tables import ReportTable

__all__ = ["ADAM_DATASETS", "read_adam", "render_report"]

ADAM_DATASETS = ("ADSL", "ADRS", "ADTTE", "ADAE", "ADEX", "ADLB", "ADTR")
FORMATS = ("html", "pdf")
_ROWS_PER_PDF_PAGE = 28


def read_adam(directory: Path) -> dict[str, pd.DataFrame]:
    """Read the ADaM datasets present in *directory* (``adsl.xpt`` or ``adsl.csv``, …)."""
    if not directory.is_dir():
        raise DataError("not a directory", field="adam", value=str(directory))
    found = {name: frame for name in ADAM_DATASETS
             if (frame := read_domain(directory, name)) is not None}
    if "ADSL" not in found:
        raise DataError("no ADSL dataset found; the report needs at least ADSL",
                        field="adam", value=str(directory), allowed="adsl.xpt or adsl.csv")
    return found


def render_report(
    adam: Mapping[str, pd.DataFrame],
    out_dir: Path,
    *,
    formats: Sequence[str] = FORMATS,
    title: str = "Clinical study report",
    subtitle: str = "",
    cutoff: date | None = None,
    design: prep.SimonDesign | None = None,
    translational: TranslationalInputs | None = None,
) -> list[Path]:
    """Compute every table and figure from *adam* and write the report files into *out_dir*.

    Returns the written paths: ``report.html`` and/or ``report.pdf`` plus one CSV per table
    under ``tables/``. The data cut-off defaults to the latest date found in the datasets.
    Everything is written into a temporary folder that replaces *out_dir*'s entries at the end
    (:func:`oncotrial._outputs.atomic_folder`): a failed or killed run never leaves a
    truncated ``report.pdf`` under its final name.
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise DataError("unknown report format", field="format", value=",".join(unknown),
                        allowed=", ".join(FORMATS))
    with failure_context("computing the report's tables and figures"):
        sections = build_sections(adam, design=design, translational=translational)
    cutoff_date = cutoff or _latest_date(adam.values())
    cutoff_text = cutoff_date.isoformat() if cutoff_date else "not determined"
    meta = {"title": title, "subtitle": subtitle, "cutoff": cutoff_text,
            "datasets": ", ".join(sorted(adam)), "version": oncotrial.__version__}
    with atomic_folder(out_dir) as temp:
        written = _write_tables(sections, temp / "tables")
        if "html" in formats:
            with failure_context("writing report.html"):
                written.append(_write_html(sections, temp / "report.html", meta))
        if "pdf" in formats:
            with failure_context("writing report.pdf"):
                written.append(_write_pdf(sections, temp / "report.pdf", meta))
    return [final_path(path, temp, out_dir) for path in written]


def _latest_date(frames: Iterable[pd.DataFrame]) -> date | None:
    latest: pd.Timestamp | None = None
    for frame in frames:
        for column in frame.columns:
            if re.fullmatch(r"[A-Z]*DT", str(column)):
                values = pd.to_datetime(frame[column], errors="coerce").dropna()
                if not values.empty and (latest is None or values.max() > latest):
                    latest = values.max()
    return None if latest is None else latest.date()


def _write_tables(sections: list[ReportSection], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    return [write_csv(table.rows, directory / f"{table.key}.csv")
            for section in sections for table in section.tables]


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    with figure_style():
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _table_html(table: ReportTable) -> str:
    return table.rows.to_html(index=False, border=0, escape=True, na_rep="")


def _write_html(sections: list[ReportSection], path: Path, meta: Mapping[str, str]) -> Path:
    environment = Environment(loader=PackageLoader("oncotrial.report", "templates"),
                              autoescape=select_autoescape(["html", "j2"]))
    template = environment.get_template("report.html.j2")
    view = [{
        "key": s.key, "title": s.title, "notes": s.notes,
        "tables": [{"key": t.key, "title": t.title, "population": t.population,
                    "footnotes": t.footnotes, "html": _table_html(t)} for t in s.tables],
        "figures": [{"key": f.key, "title": f.title, "caption": f.caption,
                     "population": f.population, "svg": _svg(f.figure)} for f in s.figures],
    } for s in sections]
    path.write_text(template.render(sections=view, **meta), encoding="utf-8")
    return path


def _write_pdf(sections: list[ReportSection], path: Path, meta: Mapping[str, str]) -> Path:
    with figure_style(), PdfPages(path, metadata={"Title": meta["title"],
                                                  "Creator": "oncotrial",
                                                  "CreationDate": None}) as pdf:
        pdf.savefig(_title_page(meta))
        for section in sections:
            for table in section.tables:
                for page in _table_pages(table, section.title, meta["cutoff"]):
                    pdf.savefig(page)
            for item in section.figures:
                pdf.savefig(item.figure)
            if section.notes and not section.tables and not section.figures:
                pdf.savefig(_text_page(section.title, section.notes))
    return path


def _title_page(meta: Mapping[str, str]) -> Figure:
    lines = [meta["subtitle"], f"Data cut-off: {meta['cutoff']}",
             f"ADaM datasets: {meta['datasets']}", f"oncotrial {meta['version']}"]
    return _text_page(meta["title"], [line for line in lines if line])


def _text_page(title: str, lines: Sequence[str]) -> Figure:
    figure = Figure(figsize=(8.27, 11.69))
    figure.text(0.08, 0.92, title, fontsize=16, weight="bold", va="top")
    for index, line in enumerate(lines):
        figure.text(0.08, 0.86 - 0.03 * index, line, fontsize=10, va="top", wrap=True)
    return figure


def _table_pages(table: ReportTable, section: str, cutoff: str) -> list[Figure]:
    rows = table.rows.astype(str)
    chunks = [rows.iloc[i: i + _ROWS_PER_PDF_PAGE]
              for i in range(0, max(len(rows), 1), _ROWS_PER_PDF_PAGE)]
    pages = []
    for number, chunk in enumerate(chunks, start=1):
        figure = Figure(figsize=(8.27, 11.69))
        suffix = f" (page {number} of {len(chunks)})" if len(chunks) > 1 else ""
        figure.text(0.06, 0.96, f"{section}: {table.title}{suffix}", fontsize=11,
                    weight="bold", va="top")
        figure.text(0.06, 0.935, f"Population: {table.population} · Data cut-off: {cutoff}",
                    fontsize=8, va="top")
        ax = figure.add_axes((0.06, 0.08, 0.88, 0.83))
        ax.set_axis_off()
        if chunk.empty:
            ax.text(0.0, 1.0, "No records.", va="top", fontsize=9)
        else:
            cells = [[_wrap(v) for v in row] for row in chunk.to_numpy().tolist()]
            drawn = ax.table(cellText=cells, colLabels=[str(c) for c in chunk.columns],
                             loc="upper left", cellLoc="left")
            drawn.auto_set_font_size(False)
            drawn.set_fontsize(7)
            drawn.scale(1.0, 1.3)
        for index, note in enumerate(table.footnotes):
            figure.text(0.06, 0.05 - 0.015 * index, note, fontsize=7, va="top")
        pages.append(figure)
    return pages


def _wrap(value: str, width: int = 60) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"
