"""Write one numbered table, listing or figure as an RTF document.

RTF is what sponsors deliver TLFs in (it opens in Word and LibreOffice and is pasted into the
clinical study report). The subset written here is RTF 1.9.1 (Microsoft, 2008): a font table,
page size and margins (``\\paperw``, ``\\paperh``, ``\\landscape``), a running header and a
footer with ``PAGE`` and ``NUMPAGES`` fields, centred title lines, a table whose first row is
repeated on every page (``\\trhdr``), footnotes, and for figures a PNG picture (``\\pngblip``).
Non-ASCII characters are written as ``\\uN?`` (signed 16-bit code units, ``\\uc1``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RtfPage", "rtf_text", "write_rtf_figure", "write_rtf_table"]

TWIPS_PER_INCH = 1440
_A4 = (11906, 16838)  # twips: 210 × 297 mm
_MARGIN = 1134  # 2 cm
_INDENT = 170  # twips per level of leading indentation (4 spaces) in the first column
_FONT_SIZE = 16  # half-points: 8 pt in tables
_PAD = 60  # cell padding, twips


@dataclass(frozen=True)
class RtfPage:
    """Page set-up and the running header and footer lines of a TLF document."""

    landscape: bool
    header_left: str
    header_right: str
    footer_left: str

    @property
    def size(self) -> tuple[int, int]:
        """Paper width and height in twips."""
        width, height = _A4
        return (height, width) if self.landscape else (width, height)

    @property
    def text_width(self) -> int:
        """Width between the margins, in twips."""
        return self.size[0] - 2 * _MARGIN


def rtf_text(text: str) -> str:
    """*text* escaped for RTF: ``\\``, ``{``, ``}`` escaped, line breaks as ``\\line``, and
    every non-ASCII character as ``\\uN?`` (UTF-16 code units, as signed 16-bit numbers)."""
    out: list[str] = []
    for char in text:
        code = ord(char)
        if char in "\\{}":
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\line ")
        elif 32 <= code < 128:
            out.append(char)
        elif code < 32:
            out.append(" ")
        else:
            units = char.encode("utf-16-le")
            for index in range(0, len(units), 2):
                unit = int.from_bytes(units[index:index + 2], "little")
                out.append(f"\\u{unit - 65536 if unit > 32767 else unit}?")
    return "".join(out)


def _prologue(page: RtfPage) -> list[str]:
    width, height = page.size
    orientation = "\\landscape" if page.landscape else ""
    turned = "\\lndscpsxn" if page.landscape else ""
    section = (f"\\sectd{turned}\\pgwsxn{width}\\pghsxn{height}"
               f"\\marglsxn{_MARGIN}\\margrsxn{_MARGIN}\\margtsxn{_MARGIN + 300}"
               f"\\margbsxn{_MARGIN}\\headery{_MARGIN // 2}\\footery{_MARGIN // 2}")
    right = page.text_width
    return [
        "{\\rtf1\\ansi\\ansicpg1252\\deff0\\uc1",
        "{\\fonttbl{\\f0\\fswiss\\fcharset0 Arial;}}",
        (f"\\paperw{width}\\paperh{height}{orientation}\\margl{_MARGIN}\\margr{_MARGIN}"
        f"\\margt{_MARGIN + 300}\\margb{_MARGIN}"),
        section,
        (f"{{\\header\\pard\\plain\\f0\\fs16\\tqr\\tx{right} {rtf_text(page.header_left)}"
        f"\\tab {rtf_text(page.header_right)}\\par}}"),
        (f"{{\\footer\\pard\\plain\\f0\\fs16\\tqr\\tx{right} {rtf_text(page.footer_left)}"
        "\\tab Page {\\field{\\*\\fldinst PAGE}{\\fldrslt 1}} of "
        "{\\field{\\*\\fldinst NUMPAGES}{\\fldrslt 1}}\\par}"),
    ]


def _heading(lines: Sequence[str]) -> list[str]:
    first, *rest = lines
    out = [f"\\pard\\plain\\qc\\f0\\fs20\\b {rtf_text(first)}\\b0\\par"]
    out += [f"\\pard\\plain\\qc\\f0\\fs18 {rtf_text(line)}\\par" for line in rest]
    out.append("\\pard\\plain\\f0\\fs16\\par")
    return out


def _notes(lines: Sequence[str]) -> list[str]:
    return [f"\\pard\\plain\\ql\\f0\\fs16 {rtf_text(line)}\\par" for line in lines]


def _widths(header: Sequence[str], rows: Sequence[Sequence[str]], total: int) -> list[int]:
    """Column right edges in twips, shared in proportion to each column's longest text
    (at least 6 characters, at most 60, so a long reason wraps instead of crowding out
    the counts)."""
    longest = [max([len(str(h)), *(len(str(r[i])) for r in rows)]) for i, h in enumerate(header)]
    weights = [min(max(n, 6), 60) for n in longest]
    edges, running = [], 0.0
    for weight in weights:
        running += total * weight / sum(weights)
        edges.append(round(running))
    return edges


def _row(cells: Sequence[str], edges: Sequence[int], *, header: bool, last: bool) -> str:
    borders = ""
    if header:
        borders = "\\clbrdrt\\brdrs\\brdrw10\\clbrdrb\\brdrs\\brdrw10"
    elif last:
        borders = "\\clbrdrb\\brdrs\\brdrw10"
    definition = "".join(f"{borders}\\cellx{edge}" for edge in edges)
    repeat = "\\trhdr" if header else ""
    parts = [f"\\trowd{repeat}\\trgaph{_PAD}\\trleft0{definition}"]
    for index, cell in enumerate(cells):
        text = str(cell)
        indent = 0
        if index == 0:
            stripped = text.lstrip(" ")
            indent = _INDENT * ((len(text) - len(stripped)) // 4)
            text = stripped
        align = "\\ql" if index == 0 else "\\qc"
        bold = ("\\b ", "\\b0") if header else ("", "")
        parts.append(f"\\pard\\intbl{align}\\li{indent}\\f0\\fs{_FONT_SIZE} {bold[0]}"
                     f"{rtf_text(text)}{bold[1]}\\cell")
    parts.append("\\row")
    return "".join(parts)


def write_rtf_table(
    path: Path,
    *,
    page: RtfPage,
    heading: Sequence[str],
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    notes: Sequence[str],
) -> Path:
    """Write a table or listing: *heading* lines centred above (number, title, population),
    the column *header* repeated on every page, *rows*, then *notes* (footnotes, source)."""
    edges = _widths(header, rows, page.text_width)
    body = [_row(header, edges, header=True, last=not rows)]
    body += [_row(r, edges, header=False, last=i == len(rows) - 1) for i, r in enumerate(rows)]
    if not rows:
        body.append("\\pard\\plain\\qc\\f0\\fs16 No records.\\par")
    lines = [*_prologue(page), *_heading(heading), *body, "\\pard\\plain\\f0\\fs16\\par",
             *_notes(notes), "}"]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def write_rtf_figure(
    path: Path,
    *,
    page: RtfPage,
    heading: Sequence[str],
    png: bytes,
    size_inches: tuple[float, float],
    notes: Sequence[str],
) -> Path:
    """Write a figure: *heading* lines, the PNG image scaled to the text width at most, then
    *notes* (caption, population, source)."""
    width_in, height_in = size_inches
    scale = min(1.0, page.text_width / (width_in * TWIPS_PER_INCH))
    goal_w = round(width_in * TWIPS_PER_INCH * scale)
    goal_h = round(height_in * TWIPS_PER_INCH * scale)
    hexdata = png.hex()
    picture = "\n".join(hexdata[i:i + 128] for i in range(0, len(hexdata), 128))
    lines = [*_prologue(page), *_heading(heading),
             f"\\pard\\plain\\qc{{\\pict\\pngblip\\picwgoal{goal_w}\\pichgoal{goal_h}",
             picture, "}\\par", *_notes(notes), "}"]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path
