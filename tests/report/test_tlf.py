"""Numbered TLFs read back as a reader gets them: the PDF (poppler's pdftotext/pdfinfo), the RTF
(striprtf, an independent RTF reader), the titled CSVs and the TLF index."""

from __future__ import annotations

import builtins
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from oncotrial.report import SimonDesign, render_report
from tests.conftest import missing_component, require_env, require_module
from tests.report.synthetic import build_adam

DESIGN = SimonDesign(p0=0.05, p1=0.25, r1=0, n1=9, r=2, n=17)
NUMBER = re.compile(r"(Table|Listing|Figure) 14(\.\d+)+")
A4 = {(595, 842), (842, 595)}  # points, portrait and landscape


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the synthetic trial, rendered once (HTML, PDF, TLFs)."""
    out = tmp_path_factory.mktemp("tlf")
    render_report(build_adam(30, seed=7), out, title="LEADER test report",
                  subtitle="NCT03526679 · clinical study report", design=DESIGN)
    return out


def _poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pdftoppm = require_env("ONCOTRIAL_TEST_PDFTOPPM", "poppler's pdftoppm (Debian "
                               "poppler-utils)")
        found = str(Path(pdftoppm).with_name(tool))
    return found


def _pages_text(pdf: Path) -> list[str]:
    text = subprocess.run([_poppler("pdftotext"), "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    return text.split("\f")[:-1]


def _page_sizes(pdf: Path) -> list[tuple[int, int]]:
    info = subprocess.run([_poppler("pdfinfo"), "-f", "1", "-l", "9999", str(pdf)], check=True,
                          capture_output=True, text=True).stdout
    return [(round(float(w)), round(float(h)))
            for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]


def _index(rendered: Path) -> pd.DataFrame:
    return pd.read_csv(rendered / "tlf" / "index.csv", keep_default_na=False)


def test_index_numbers_every_output_once_in_ich_e3_order(rendered: Path) -> None:
    """The TLF index lists each output once with an ICH E3 section 14 number, numbered
    1, 2, 3 … within kind and section, and names files that exist."""
    index = _index(rendered)
    assert len(index) >= 20
    assert index["Output"].is_unique
    assert all(NUMBER.fullmatch(n) for n in index["Output"])
    assert "Table 14.1.1" in set(index["Output"])
    assert "Table 14.3.1.1" in set(index["Output"])
    assert "Figure 14.2.1" in set(index["Output"])
    by_slot: dict[tuple[str, str], list[int]] = {}
    for output in index["Output"]:
        kind, number = output.split(" ")
        section, last = number.rsplit(".", 1)
        by_slot.setdefault((kind, section), []).append(int(last))
    for slot, numbers in by_slot.items():
        assert numbers == list(range(1, len(numbers) + 1)), slot
    for files in index["Files"]:
        for name in files.split("; "):
            assert (rendered / name).is_file(), name
    assert all(re.search(r"\(N = \d+\)", p) or p.startswith("all") for p in
               index["Population"])


def test_pdf_has_every_title_continuous_page_numbers_and_a4_pages(rendered: Path) -> None:
    """Read back with pdftotext: every output's number, title and population with its N is
    in the PDF, each page
    says "Page k of N" with k = 1..N, the running header names the study and cut-off on
    every page, and pages are A4 portrait or landscape only."""
    pages = _pages_text(rendered / "report.pdf")
    whole = re.sub(r"\s+", " ", " ".join(pages))
    index = _index(rendered)
    for number, title, population in zip(index["Output"], index["Title"], index["Population"],
                                         strict=True):
        assert f"{number} {title}" in whole or f"{number}. {title}" in whole, number
        assert f"Population: {population}" in whole, number
    total = len(pages)
    for k, page in enumerate(pages, start=1):
        assert f"Page {k} of {total}" in page
        assert "NCT03526679" in page.split("\n", 1)[0]
        assert "Data cut-off:" in page.split("\n", 1)[0]
    sizes = _page_sizes(rendered / "report.pdf")
    assert len(sizes) == total
    assert set(sizes) <= A4
    assert (842, 595) in set(sizes)  # the AE tables by grade are landscape


def test_pdf_toc_page_numbers_point_at_the_outputs(rendered: Path) -> None:
    """The list of outputs gives, for each, the page on which its heading is printed."""
    pages = _pages_text(rendered / "report.pdf")
    toc = " ".join(pages[1:3])
    entries = re.findall(r"((?:Table|Listing|Figure) 14[\d.]+?)\s[^\n]*?\.{3,}\s*(\d+)", toc)
    assert len(entries) >= 10
    for number, page in entries:
        body = pages[int(page) - 1]
        assert re.search(re.escape(number) + r"(\.|\s*$|\s)", body, re.MULTILINE), (number, page)


def test_pdf_text_stays_inside_the_page(rendered: Path, tmp_path: Path) -> None:
    """No word is printed outside the page box (pdftotext -bbox coordinates)."""
    html = tmp_path / "bbox.html"
    subprocess.run([_poppler("pdftotext"), "-bbox", str(rendered / "report.pdf"), str(html)],
                   check=True)
    text = html.read_text(encoding="utf-8")
    checked = 0
    for page in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', text,
                            re.DOTALL):
        width, height = float(page.group(1)), float(page.group(2))
        for box in re.finditer(r'xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" '
                               r'yMax="([\d.-]+)"', page.group(3)):
            x0, y0, x1, y1 = (float(v) for v in box.groups())
            assert x0 >= 0, box.group(0)
            assert y0 >= 0, box.group(0)
            assert x1 <= width, box.group(0)
            assert y1 <= height, box.group(0)
            checked += 1
    assert checked > 1000


def test_rtf_reads_back_with_number_title_population_and_footnotes(rendered: Path) -> None:
    """Every table's RTF, read by striprtf, carries its number, title, population, column
    header, footnotes and source line; the header row repeats on each page (trhdr), the
    footer has PAGE and NUMPAGES fields, and wide tables are landscape."""
    striprtf = require_module("striprtf.striprtf", "striprtf (Python package, dev extra)")
    index = _index(rendered)
    for output, title, population, files in index[["Output", "Title", "Population",
                                                   "Files"]].itertuples(index=False):
        rtf_path = rendered / files.split("; ")[0]
        raw = rtf_path.read_text(encoding="ascii")
        assert raw.count("{") == raw.count("}"), rtf_path.name
        text = re.sub(r"\s+", " ", striprtf.rtf_to_text(raw))
        assert output in text
        assert title in text
        assert f"Population: {population}" in text
        assert "Source: " in text
        assert "Data cut-off:" in text
        assert "\\fldinst PAGE" in raw
        assert "\\fldinst NUMPAGES" in raw
        if output.startswith(("Table", "Listing")):
            assert "\\trhdr" in raw
        else:
            assert "\\pngblip" in raw
    ae = (rendered / "tlf" / "t14_3_1_2.rtf").read_text(encoding="ascii")
    ae_text = striprtf.rtf_to_text(ae)
    assert "\\landscape" in ae
    for column in ("Grade 1", "Grade 2", "Grade 3", "Grade 4", "Grade 5", "Any grade"):
        assert column in ae_text
    assert "Grade ≥ 3" in ae_text  # non-ASCII written as \uN? and read back


def test_tlf_csv_carries_title_population_and_footnotes(rendered: Path) -> None:
    """The CSV of a TLF starts with its number, title and population and ends with its
    footnotes and source; between them the same rows as tables/<key>.csv."""
    index = _index(rendered).set_index("Output")
    files = index.loc["Table 14.1.1", "Files"].split("; ")
    lines = (rendered / files[1]).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Table 14.1.1"
    assert lines[1] == index.loc["Table 14.1.1", "Title"]
    assert lines[2] == f"Population: {index.loc['Table 14.1.1', 'Population']}"
    plain = (rendered / files[2]).read_text(encoding="utf-8").splitlines()
    assert lines[4: 4 + len(plain)] == plain
    assert lines[-1].startswith("Source: ADSL. Program: oncotrial")


def test_rerun_replaces_the_whole_report(tmp_path: Path) -> None:
    """A second run into the same folder leaves nothing of the first: no PDF when only HTML
    is asked for, no stray file inside tlf/ or tables/."""
    adam = build_adam(12, seed=5)
    render_report(adam, tmp_path)
    (tmp_path / "tlf" / "t99_9_9.rtf").write_text("stale", encoding="ascii")
    (tmp_path / "tables" / "old.csv").write_text("stale", encoding="ascii")
    render_report(adam, tmp_path, formats=("html",))
    assert not (tmp_path / "report.pdf").exists()
    assert not (tmp_path / "tlf" / "t99_9_9.rtf").exists()
    assert not (tmp_path / "tables" / "old.csv").exists()
    assert (tmp_path / "report.html").is_file()
    assert (tmp_path / "tlf" / "index.csv").is_file()


def test_pdf_without_weasyprint_falls_back_to_numbered_matplotlib_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When WeasyPrint cannot load (no Pango), the PDF is still written, with numbered
    outputs and "Page k of N" on every page."""
    real_import = builtins.__import__

    def no_pango(name: str, *args: object, **kwargs: object) -> object:
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_pango)
    render_report(build_adam(12, seed=5), tmp_path, formats=("pdf",))
    monkeypatch.undo()
    pages = _pages_text(tmp_path / "report.pdf")
    assert len(pages) > 5
    for k, page in enumerate(pages, start=1):
        assert f"Page {k} of {len(pages)}" in page
    assert "Table 14.1.1" in " ".join(pages)


def test_long_rtf_table_paginates_with_repeated_header_in_libreoffice(tmp_path: Path) -> None:
    """A 150-row RTF table opened by LibreOffice (an independent RTF reader and layout engine)
    runs over several A4 pages, each with the title (continued), the column header, the
    running header and "Page k of N", and no row lost."""
    soffice = shutil.which("soffice")
    if soffice is None:
        missing_component("LibreOffice (soffice)", "apt-get install libreoffice-writer-nogui; "
                          ".ci/run installs it")
    from oncotrial.report._rtf import RtfPage, write_rtf_table

    rows = [[f"Subject {i:03d}", f"{i % 7}", f"{i}/150 ({100 * i / 150:.1f}%)"]
            for i in range(1, 151)]
    path = write_rtf_table(
        tmp_path / "long.rtf", page=RtfPage(landscape=False, header_left="STUDY-X · NCT00000000",
                                            header_right="Data cut-off: 2024-01-31",
                                            footer_left="oncotrial test"),
        heading=["Listing 16.2.1", "A long listing", "Population: all (N = 150)"],
        header=["Subject", "Grade ≥ 3", "Share"], rows=rows, notes=["Source: test."],
        centred=[False, True, True])
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(path)], check=True, capture_output=True, timeout=300)
    pages = _pages_text(tmp_path / "long.pdf")
    assert len(pages) >= 3
    for k, page in enumerate(pages, start=1):
        assert f"Page {k} of {len(pages)}" in page
        assert "STUDY-X · NCT00000000" in page
        assert re.search(r"Subject\s+Grade ≥ 3\s+Share", page), k
    whole = " ".join(pages)
    assert "Subject 150" in whole
    assert "Listing 16.2.1" in pages[0]
    assert "Listing 16.2.1 (continued)" in pages[1]
    assert set(_page_sizes(tmp_path / "long.pdf")) <= A4
