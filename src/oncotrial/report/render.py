"""Write the clinical study report: self-contained HTML (inline SVG), PDF, and tables as CSV."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from html import escape
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from matplotlib.figure import Figure

import oncotrial
from oncotrial._outputs import atomic_folder, final_path, write_csv
from oncotrial.cdisc.io import read_domain
from oncotrial.errors import DataError, failure_context
from oncotrial.protocol import Protocol
from oncotrial.report import _prepare as prep
from oncotrial.report._files import write_tlf_files
from oncotrial.report._pdf_fallback import write_pdf_matplotlib
from oncotrial.report._style import figure_style
from oncotrial.report.content import ReportSection, TranslationalInputs, build_sections
from oncotrial.report.tables import ReportTable, centred_columns

__all__ = ["ADAM_DATASETS", "is_wide", "read_adam", "render_report"]

ADAM_DATASETS = ("ADSL", "ADRS", "ADTTE", "ADAE", "ADEX", "ADLB", "ADTR")
FORMATS = ("html", "pdf")


def read_adam(directory: Path) -> dict[str, pd.DataFrame]:
    """Read the ADaM datasets present in *directory* (``adsl.xpt`` or ``adsl.csv``, …).

    Parameters
    ----------
    directory
        Folder of ADaM datasets (ADSL, ADRS, ADTTE, ADAE, ADEX, ADLB, ADTR are looked for).

    Returns
    -------
    dict of str to pandas.DataFrame
        Dataset name (upper case) → dataset, for those present.

    Raises
    ------
    DataError
        *directory* is not a folder or has no ADSL.
    """
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
    protocol: Protocol | None = None,
) -> list[Path]:
    """Compute every table and figure from *adam* and write the report files into *out_dir*.

    Writes ``report.html`` and/or ``report.pdf`` (the combined report), every numbered table,
    listing and figure under ``tlf/`` as RTF and as CSV with its title, population and
    footnotes (figures also as PNG), the TLF index ``tlf/index.csv``, and each table's rows as
    plain CSV under ``tables/`` (for programs). The data cut-off defaults to the latest date
    found in the datasets. Everything is written into a temporary folder that replaces
    *out_dir*'s entries at the end (:func:`oncotrial._outputs.atomic_folder`): a failed or
    killed run never leaves a truncated ``report.pdf`` under its final name, and a re-run
    removes what the previous run wrote and this one does not.

    Parameters
    ----------
    adam
        ADaM datasets by name (:func:`read_adam`); ADSL is required.
    out_dir
        Folder the report is written into.
    formats
        ``"html"`` and/or ``"pdf"``.
    title, subtitle
        Title page text.
    cutoff
        Data cut-off date shown; default the latest date in the datasets.
    design
        The phase II two-stage design; when given, the efficacy section includes its
        decisions (:func:`compute_simon_table`).
    translational
        Immune scores and sample sheet; when given, a translational section is added.
    protocol
        The trial's protocol; with it the phase Ib section also shows its dose-finding
        decisions.

    Returns
    -------
    list of pathlib.Path
        Every file written, at its final place under *out_dir*.

    Raises
    ------
    DataError
        An unknown entry in *formats*.
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise DataError("unknown report format", field="format", value=",".join(unknown),
                        allowed=", ".join(FORMATS))
    with failure_context("computing the report's tables and figures"):
        sections = build_sections(adam, design=design, translational=translational,
                                  protocol=protocol)
    cutoff_date = cutoff or _latest_date(adam.values())
    meta = _meta(adam, title=title, subtitle=subtitle, cutoff=cutoff_date)
    with atomic_folder(out_dir) as temp:
        written = _write_tables(sections, temp / "tables")
        with failure_context("writing the RTF and CSV outputs under tlf/"):
            written += write_tlf_files(sections, temp / "tlf", meta,
                                       landscape=_wide_keys(sections))
        html = _html(sections, meta)
        if "html" in formats:
            with failure_context("writing report.html"):
                (temp / "report.html").write_text(html, encoding="utf-8")
                written.append(temp / "report.html")
        if "pdf" in formats:
            with failure_context("writing report.pdf"):
                written.append(_write_pdf(html, sections, temp / "report.pdf", meta))
    return [final_path(path, temp, out_dir) for path in written]


_NCT = re.compile(r"NCT\d{8}")


def _meta(adam: Mapping[str, pd.DataFrame], *, title: str, subtitle: str,
          cutoff: date | None) -> dict[str, str]:
    """Title-page and running-header text: study (ADSL STUDYID), protocol registry number
    (an NCT number in *subtitle*), cut-off, datasets and program."""
    adsl = adam.get("ADSL")
    studies = sorted(set(adsl["STUDYID"].astype(str))) if adsl is not None and \
        "STUDYID" in adsl else []
    registry = _NCT.search(subtitle)
    study = " · ".join(part for part in (", ".join(studies),
                                          registry.group(0) if registry else "") if part)
    return {"title": title, "subtitle": subtitle,
            "cutoff": cutoff.isoformat() if cutoff else "not determined",
            "study": study or title, "datasets": ", ".join(sorted(adam)),
            "version": oncotrial.__version__,
            "program": f"oncotrial {oncotrial.__version__} (oncotrial report)"}


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
    """The rows as an HTML table; leading spaces of the first column (the nesting of terms
    under their class, reasons under their category) become an indent."""
    centred = centred_columns(table.rows)
    marks = [' class="c"' if flag else "" for flag in centred]
    head = "".join(f"<th{marks[i]}>{escape(str(c))}</th>"
                   for i, c in enumerate(table.rows.columns))
    body = []
    for values in table.rows.astype(str).to_numpy().tolist():
        cells = []
        for index, value in enumerate(values):
            text = "" if value in {"nan", "<NA>"} else value
            level = (len(text) - len(text.lstrip(" "))) // 4 if index == 0 else 0
            style = f' style="padding-left: {0.4 + 1.2 * level:.1f}em"' if level else ""
            cells.append(f"<td{style}{marks[index]}>{escape(text.strip())}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(table.rows.columns)}">No records.</td></tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def is_wide(table: ReportTable) -> bool:
    """Whether *table* needs a landscape page: its widest cells side by side run past about
    110 characters (what fits across A4 portrait at 7.5 pt).

    Parameters
    ----------
    table
        A report table.

    Returns
    -------
    bool
        True when the sum over columns of the longer of header and widest cell exceeds 110
        characters; False for an empty table.
    """
    if table.rows.empty:
        return False
    lengths = [max(len(str(c)), int(table.rows[c].astype(str).str.len().max()))
               for c in table.rows.columns]
    return sum(lengths) > 110


def _wide_keys(sections: list[ReportSection]) -> set[str]:
    return {t.key for s in sections for t in s.tables if is_wide(t)}


def _html(sections: list[ReportSection], meta: Mapping[str, str]) -> str:
    environment = Environment(loader=PackageLoader("oncotrial.report", "templates"),
                              autoescape=select_autoescape(["html", "j2"]))
    environment.filters["css_string"] = _css_string
    template = environment.get_template("report.html.j2")
    view = [{
        "key": s.key, "title": s.title, "notes": s.notes,
        "tables": [{"key": t.key, "number": t.number, "anchor": _anchor(t.number),
                    "title": t.title, "population": t.population, "footnotes": t.footnotes,
                    "sources": ", ".join(t.sources), "wide": is_wide(t),
                    "html": _table_html(t)} for t in s.tables],
        "figures": [{"key": f.key, "number": f.number, "anchor": _anchor(f.number),
                     "title": f.title, "caption": f.caption, "population": f.population,
                     "sources": ", ".join(f.sources), "svg": _svg(f.figure)}
                    for f in s.figures],
    } for s in sections]
    return template.render(sections=view, **meta)


def _anchor(number: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", number.lower()).strip("-")


def _css_string(text: str) -> str:
    """*text* as the inside of a CSS double-quoted string (quotes, backslashes and control
    characters as CSS escapes)."""
    return "".join(f"\\{ord(ch):x} " if ch in {'"', "\\"} or ord(ch) < 32 else ch
                   for ch in text)


def _write_pdf(html: str, sections: list[ReportSection], path: Path,
               meta: Mapping[str, str]) -> Path:
    """The paginated PDF: the HTML laid out by WeasyPrint with CSS paged media (running
    header, page X of Y, TOC page numbers, landscape pages for wide tables, repeated table
    headers). Where WeasyPrint cannot load (the Pango library of the system is missing) the
    PDF is drawn with matplotlib instead (:mod:`oncotrial.report._pdf_fallback`)."""
    try:
        from weasyprint import HTML  # noqa: PLC0415 - loads Pango; only when a PDF is written
    except OSError:  # raised by WeasyPrint's import when Pango cannot be loaded
        return write_pdf_matplotlib(sections, path, meta, wide=_wide_keys(sections))
    HTML(string=html).write_pdf(path)
    return path
