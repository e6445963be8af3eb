"""Write the numbered TLFs one file each (RTF, CSV with title and footnotes, PNG for figures)
and the TLF index that lists them."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from oncotrial._outputs import safe_cell, write_csv
from oncotrial.report._rtf import RtfPage, write_rtf_figure, write_rtf_table
from oncotrial.report._style import figure_style
from oncotrial.report._tlf import file_stem
from oncotrial.report.content import ReportFigure, ReportSection
from oncotrial.report.tables import ReportTable, centred_columns

__all__ = ["INDEX_COLUMNS", "write_tlf_files"]

INDEX_COLUMNS = ["Output", "Title", "Population", "Source datasets", "Files"]


def _closing_notes(sources: Sequence[str], meta: Mapping[str, str]) -> list[str]:
    return [(f"Source: {', '.join(sources) or 'not recorded'}. Program: {meta['program']}. "
            f"Data cut-off: {meta['cutoff']}.")]


def _page(meta: Mapping[str, str], *, landscape: bool) -> RtfPage:
    return RtfPage(landscape=landscape, header_left=meta["study"],
                   header_right=f"Data cut-off: {meta['cutoff']}",
                   footer_left=meta["program"])


def _table_csv(table: ReportTable, path: Path, meta: Mapping[str, str]) -> Path:
    """The table as CSV preceded by its number, title and population and followed by its
    footnotes and source line, each in the first column (cells made spreadsheet-safe)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for line in (table.number, table.title, f"Population: {table.population}"):
        writer.writerow([safe_cell(line)])
    writer.writerow([])
    writer.writerow([safe_cell(str(c)) for c in table.rows.columns])
    for values in table.rows.astype(str).to_numpy().tolist():
        writer.writerow([safe_cell(v) for v in values])
    writer.writerow([])
    for line in [*table.footnotes, *_closing_notes(table.sources, meta)]:
        writer.writerow([safe_cell(line)])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _write_table(table: ReportTable, directory: Path, meta: Mapping[str, str], *,
                 landscape: bool) -> tuple[list[Path], dict[str, str]]:
    kind, number = table.number.split(" ", 1)
    stem = file_stem(kind, number)
    rows = [[v.strip() if i else v for i, v in enumerate(r)]
            for r in table.rows.astype(str).to_numpy().tolist()]
    rtf = write_rtf_table(
        directory / f"{stem}.rtf", page=_page(meta, landscape=landscape),
        heading=[table.number, table.title, f"Population: {table.population}"],
        header=[str(c) for c in table.rows.columns],
        rows=rows, notes=[*table.footnotes, *_closing_notes(table.sources, meta)],
        centred=centred_columns(table.rows))
    text = _table_csv(table, directory / f"{stem}.csv", meta)
    entry = {"Output": table.number, "Title": table.title, "Population": table.population,
             "Source datasets": ", ".join(table.sources),
             "Files": f"tlf/{rtf.name}; tlf/{text.name}; tables/{table.key}.csv"}
    return [rtf, text], entry


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    with figure_style():
        figure.savefig(buffer, format="png", dpi=150, metadata={"Software": None})
    return buffer.getvalue()


def _write_figure(item: ReportFigure, directory: Path,
                  meta: Mapping[str, str]) -> tuple[list[Path], dict[str, str]]:
    kind, number = item.number.split(" ", 1)
    stem = file_stem(kind, number)
    png = _png(item.figure)
    (directory / f"{stem}.png").write_bytes(png)
    width, height = item.figure.get_size_inches()
    rtf = write_rtf_figure(
        directory / f"{stem}.rtf", page=_page(meta, landscape=False),
        heading=[item.number, item.title, f"Population: {item.population}"], png=png,
        size_inches=(float(width), float(height)),
        notes=[item.caption, *_closing_notes(item.sources, meta)])
    entry = {"Output": item.number, "Title": item.title, "Population": item.population,
             "Source datasets": ", ".join(item.sources),
             "Files": f"tlf/{rtf.name}; tlf/{stem}.png"}
    return [rtf, directory / f"{stem}.png"], entry


def write_tlf_files(sections: list[ReportSection], directory: Path, meta: Mapping[str, str],
                    *, landscape: set[str]) -> list[Path]:
    """Write every numbered output of *sections* into *directory*, then ``index.csv``
    listing them in report order (tables whose key is in *landscape* get landscape pages)."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    index: list[dict[str, str]] = []
    for section in sections:
        for table in section.tables:
            files, entry = _write_table(table, directory, meta,
                                        landscape=table.key in landscape)
            written += files
            index.append(entry)
        for item in section.figures:
            files, entry = _write_figure(item, directory, meta)
            written += files
            index.append(entry)
    written.append(write_csv(pd.DataFrame(index, columns=INDEX_COLUMNS),
                             directory / "index.csv"))
    return written
