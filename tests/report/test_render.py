"""The rendered report: files, figures, PDF pages, and the page in a real headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import imread

from oncotrial.report import (
    SimonDesign,
    TranslationalInputs,
    plot_kaplan_meier,
    plot_spider,
    plot_swimmer,
    plot_waterfall,
    read_adam,
    render_report,
)
from oncotrial.report import _prepare as prep
from tests.conftest import require_env, require_module
from tests.report.synthetic import build_adam, build_scores

EXPECTED_FIGURES = {"consort", "waterfall", "spider", "swimmer", "km-pfs", "km-os"}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESIGN = SimonDesign(p0=0.05, p1=0.25, r1=0, n1=9, r=2, n=17)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the synthetic trial, rendered once into a temporary folder."""
    out = tmp_path_factory.mktemp("report")
    render_report(build_adam(30, seed=7), out, title="LEADER test report", design=DESIGN)
    return out


def test_report_files_are_written(rendered: Path) -> None:
    """HTML, PDF and one CSV per table are written."""
    assert (rendered / "report.html").stat().st_size > 10_000
    assert (rendered / "report.pdf").read_bytes().startswith(b"%PDF")
    tables = {p.stem for p in (rendered / "tables").glob("*.csv")}
    assert {"disposition", "baseline", "bor_cbor", "ae", "time_to_event", "simon"} <= tables


def test_html_is_self_contained_with_every_figure(rendered: Path) -> None:
    """Figures are inline SVG (no external files) and every expected figure is present."""
    html = (rendered / "report.html").read_text(encoding="utf-8")
    figures = set(re.findall(r'<figure id="figure-[0-9-]+" class="report-figure" '
                             r'data-key="([a-z-]+)"', html))
    assert figures >= EXPECTED_FIGURES
    assert html.count("<svg") >= len(EXPECTED_FIGURES)
    assert not re.search(r'<(img|script|link)[^>]+(src|href)="(?!#|data:)', html)


def test_table_csv_matches_adam(rendered: Path, adam: dict[str, pd.DataFrame]) -> None:
    """The disposition CSV counts equal the ADSL counts."""
    disposition = pd.read_csv(rendered / "tables" / "disposition.csv")
    counts = dict(zip(disposition["Stage"].str.strip(), disposition["n"], strict=True))
    adsl = adam["ADSL"]
    assert counts["Screened"] == len(adsl)
    assert counts["Enrolled"] == int((adsl["ENRLFL"] == "Y").sum())
    assert counts["Evaluable for response (EFFFL)"] == int((adsl["EFFFL"] == "Y").sum())


def test_missing_dataset_is_named_not_invented(adam: dict[str, pd.DataFrame],
                                               tmp_path: Path) -> None:
    """Without ADTR the report says the dataset is missing and draws no waterfall."""
    partial = {k: v for k, v in adam.items() if k != "ADTR"}
    render_report(partial, tmp_path, formats=("html",))
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "dataset ADTR was not provided" in html
    assert 'data-key="waterfall"' not in html


def test_read_adam_round_trip(adam: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    """Datasets written as CSV are found by read_adam; a folder without ADSL is refused."""
    for name, frame in adam.items():
        frame.to_csv(tmp_path / f"{name.lower()}.csv", index=False)
    found = read_adam(tmp_path)
    assert set(found) == set(adam)
    (tmp_path / "adsl.csv").unlink()
    with pytest.raises(Exception, match="ADSL"):
        read_adam(tmp_path)


@pytest.mark.parametrize("plot", [plot_waterfall, plot_spider, plot_swimmer, plot_kaplan_meier])
def test_plot_functions_take_and_return_axes(plot: object, adam: dict[str, pd.DataFrame]) -> None:
    """Each plot_* draws on the Axes it is given and returns that Axes."""
    data = {
        plot_waterfall: lambda: prep.best_change(adam["ADTR"], adam["ADRS"]),
        plot_spider: lambda: prep.change_over_time(adam["ADTR"], adam["ADRS"]),
        plot_swimmer: lambda: prep.swimmer_data(adam["ADSL"], adam["ADRS"]),
        plot_kaplan_meier: lambda: adam["ADTTE"][adam["ADTTE"]["PARAMCD"] == "PFS"],
    }[plot]()  # type: ignore[index]
    ax = Figure().add_subplot()
    returned = plot(data, ax=ax)  # type: ignore[operator]
    assert returned is ax
    assert isinstance(returned, Axes)
    assert returned.get_xlabel()
    assert returned.get_ylabel()


def _pdf_pages(pdf: Path, out: Path) -> list[Path]:
    tool = shutil.which("pdftoppm")
    if tool is None:
        require_env("ONCOTRIAL_TEST_PDFTOPPM", "poppler's pdftoppm (Debian poppler-utils)")
        tool = os.environ["ONCOTRIAL_TEST_PDFTOPPM"]
    subprocess.run([tool, "-r", "30", "-png", str(pdf), str(out / "page")], check=True)
    return sorted(out.glob("page*.png"))


def test_pdf_pages_are_not_blank(rendered: Path, tmp_path: Path) -> None:
    """Every PDF page renders (poppler) and has ink on it; the cover, the list of outputs
    and the outputs make several pages."""
    pages = _pdf_pages(rendered / "report.pdf", tmp_path)
    assert len(pages) >= 2 + len(EXPECTED_FIGURES) // 2
    for page in pages:
        pixels = imread(page)
        assert float(np.mean(pixels[..., :3] < 0.5)) > 0.001, f"{page.name} is blank"


@pytest.mark.browser
def test_report_opens_in_headless_chromium(rendered: Path) -> None:
    """The HTML report loads in Chromium with no console errors and every figure visible;
    a full-page screenshot is saved as a test artefact."""
    chromium = os.environ.get("ONCOTRIAL_TEST_CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        require_env("ONCOTRIAL_TEST_CHROMIUM", "a headless Chromium (Debian chromium)")
    sync_api = require_module("playwright.sync_api", "playwright (Python package)")
    errors: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((rendered / "report.html").as_uri())
        shown = page.eval_on_selector_all(
            "figure.report-figure svg",
            "els => els.map(e => { const r = e.getBoundingClientRect(); "
            "return r.width * r.height; })")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-full-page.png"), full_page=True)
        browser.close()
    assert errors == []
    assert len(shown) >= len(EXPECTED_FIGURES)
    assert all(area > 10_000 for area in shown)


def test_translational_section_reports_paired_tests(adam: dict[str, pd.DataFrame],
                                                    tmp_path: Path) -> None:
    """With paired scores the report adds the paired-test table (DC first when it rose) and
    the paired-lines figure."""
    scores, samples = build_scores(12, seed=3, dc_shift=1.5)
    render_report(adam, tmp_path, formats=("html",),
                  translational=TranslationalInputs(scores=scores, samples=samples))
    table = pd.read_csv(tmp_path / "tables" / "translational_paired.csv")
    assert table["Score"].iloc[0] == "DC"
    assert table["Pairs"].iloc[0] == 12
    assert table["Wilcoxon p"].iloc[0] < 0.01
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'data-key="paired-scores"' in html
