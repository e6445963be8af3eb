"""Write one numbered table, listing or figure as an RTF document.

RTF is what sponsors deliver TLFs in (it opens in Word and LibreOffice and is pasted into the
clinical study report). The subset written here is RTF 1.9.1 (Microsoft, 2008): a font table,
page size and margins (``\\paperw``, ``\\paperh``, ``\\landscape``), a running header and a
footer with ``PAGE`` and ``NUMPAGES`` fields, centred title lines, a table paginated here with
its title and column header repeated on every page (also marked ``\\trhdr``), footnotes, and
for figures a PNG picture (``\\pngblip``).
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


def _heading(lines: Sequence[str], *, new_page: bool = False) -> list[str]:
    first, *rest = lines
    before = "\\pagebb" if new_page else ""  # page break before the paragraph
    out = [f"\\pard\\plain\\qc{before}\\f0\\fs20\\b {rtf_text(first)}\\b0\\par"]
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


def _row(cells: Sequence[str], edges: Sequence[int], *, header: bool, last: bool,
         centred: Sequence[bool]) -> str:
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
        align = "\\qc" if centred[index] else "\\ql"
        bold = ("\\b ", "\\b0") if header else ("", "")
        parts.append(f"\\pard\\intbl{align}\\li{indent}\\f0\\fs{_FONT_SIZE} {bold[0]}"
                     f"{rtf_text(text)}{bold[1]}\\cell")
    parts.append("\\row")
    return "".join(parts)


_LINE = 200  # twips per line of 8 pt text, with leading
_ROW_PAD = 40  # twips of cell padding per row
_CHAR = 85  # average width of an 8 pt Arial character, twips


def _lines(cells: Sequence[str], edges: Sequence[int]) -> int:
    """Printed lines of a row: its tallest cell once wrapped to its column width."""
    lefts = [0, *edges[:-1]]
    most = 1
    for cell, left, right in zip(cells, lefts, edges, strict=True):
        per_line = max(1, (right - left - 2 * _PAD) // _CHAR)
        most = max(most, -(-len(str(cell)) // per_line))
    return most


def _pages(rows: Sequence[Sequence[str]], edges: Sequence[int], *, room: int) -> list[list[int]]:
    """Row indexes per page, so that no row is split and each page's rows fit in *room*
    twips (conservative estimates of wrapped lines)."""
    pages: list[list[int]] = [[]]
    used = 0
    for index, row in enumerate(rows):
        height = _lines(row, edges) * _LINE + _ROW_PAD
        if pages[-1] and used + height > room:
            pages.append([])
            used = 0
        pages[-1].append(index)
        used += height
    return pages


def write_rtf_table(
    path: Path,
    *,
    page: RtfPage,
    heading: Sequence[str],
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    notes: Sequence[str],
    centred: Sequence[bool],
) -> Path:
    """Write a table or listing: *heading* lines centred above (number, title, population),
    the column *header*, *rows* (columns flagged in *centred* centred, the others
    left-aligned), then *notes* (footnotes, source).

    The table is paginated here, as sponsors' RTF outputs are: each page repeats the heading
    (marked "continued") and the column header, and no row is split across pages, so every
    RTF reader shows the header on every page; the header row is also marked ``\\trhdr``.
    """
    edges = _widths(header, rows, page.text_width)
    fixed = (len(heading) + 1) * 260 + _lines(header, edges) * _LINE + _ROW_PAD
    fixed += sum(_lines([n], [page.text_width]) for n in notes) * _LINE + 2 * _LINE
    room = page.size[1] - 2 * _MARGIN - 300 - fixed
    chunks = _pages(rows, edges, room=room)
    body: list[str] = []
    for number, chunk in enumerate(chunks):
        lines = list(heading)
        if number:
            lines[0] = f"{heading[0]} (continued)"
        body += _heading(lines, new_page=number > 0)
        body.append(_row(header, edges, header=True, last=not chunk, centred=centred))
        body += [_row(rows[i], edges, header=False, last=i == chunk[-1], centred=centred)
                 for i in chunk]
    if not rows:
        body.append("\\pard\\plain\\qc\\f0\\fs16 No records.\\par")
    lines = [*_prologue(page), *body, "\\pard\\plain\\f0\\fs16\\par", *_notes(notes), "}"]
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
