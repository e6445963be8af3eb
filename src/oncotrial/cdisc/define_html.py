"""define.html: a define.xml (Define-XML 2.1) rendered for a reviewer's browser.

One self-contained page (no script, inline style): the standards, the datasets with their
variables (label, type, length, codelist, origin, method, key), the value-level metadata, the
codelists with their NCI codes, the methods and the analysis results metadata. Everything is
read back from the XML, so the page shows what the file says.
"""

from __future__ import annotations

from html import escape

from lxml import etree

__all__ = ["render_define_html"]

_NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1",
       "xlink": "http://www.w3.org/1999/xlink", "arm": "http://www.cdisc.org/ns/arm/v1.0"}
_DEF = "{http://www.cdisc.org/ns/def/v2.1}"
_STYLE = """
body{font-family:DejaVu Sans,Arial,sans-serif;font-size:13px;margin:1.5em;color:#111}
h1{font-size:20px}h2{font-size:16px;margin-top:1.6em;border-bottom:2px solid #345}
h3{font-size:14px;margin-bottom:.3em}table{border-collapse:collapse;margin:.4em 0 1em}
th,td{border:1px solid #9ab;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#e6eef5}tr:nth-child(even) td{background:#f7f9fb}.m{color:#555;font-size:12px}
nav a{margin-right:.8em}
"""


def _t(element: etree._Element | None) -> str:
    """The English text of an element's Description."""
    if element is None:
        return ""
    text = element.find("odm:Description/odm:TranslatedText", _NS)
    return "" if text is None or text.text is None else str(text.text)


def _table(head: list[str], rows: list[list[str]]) -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _origin(item: etree._Element, method: str) -> str:
    origin = item.find("def:Origin", _NS)
    if origin is None:
        return ""
    kind = origin.get("Type", "")
    detail = _t(origin) or origin.get("Source", "")
    text = escape(kind) + (f" ({escape(detail)})" if detail else "")
    if method:
        text += f'<br><a href="#{escape(method)}">{escape(method)}</a>'
    return text


def _variables(root: etree._Element, group: etree._Element) -> str:
    items = {i.get("OID"): i for i in root.iterfind(".//odm:ItemDef", _NS)}
    rows = []
    for ref in group.iterfind("odm:ItemRef", _NS):
        item = items[ref.get("ItemOID")]
        codelist = item.find("odm:CodeListRef", _NS)
        values = item.find("def:ValueListRef", _NS)
        cl = "" if codelist is None else (
            f'<a href="#{escape(codelist.get("CodeListOID", ""))}">'
            f'{escape(codelist.get("CodeListOID", "")[3:])}</a>')
        if values is not None:
            cl += f' <a href="#{escape(values.get("ValueListOID", ""))}">value level</a>'
        rows.append([escape(item.get("Name", "")), escape(_t(item)),
                     escape(item.get("DataType", "")), escape(item.get("Length", "")),
                     escape(item.get(f"{_DEF}DisplayFormat", "")), cl,
                     _origin(item, ref.get("MethodOID", "")),
                     escape(ref.get("KeySequence", "")), escape(ref.get("Mandatory", ""))])
    return _table(["Variable", "Label", "Type", "Length", "Format", "Codelist", "Origin",
                   "Key", "Mandatory"], rows)


def _value_lists(root: etree._Element) -> str:
    items = {i.get("OID"): i for i in root.iterfind(".//odm:ItemDef", _NS)}
    where = {w.get("OID"): w for w in root.iterfind(".//def:WhereClauseDef", _NS)}
    parts = []
    for listing in root.iterfind(".//def:ValueListDef", _NS):
        rows = []
        for ref in listing.iterfind("odm:ItemRef", _NS):
            item = items[ref.get("ItemOID")]
            clause = where[ref.find("def:WhereClauseRef", _NS).get("WhereClauseOID")]
            check = clause.find("odm:RangeCheck", _NS)
            on = check.get(f"{_DEF}ItemOID", "").rsplit(".", 1)[-1]
            value = check.findtext("odm:CheckValue", "", _NS)
            codelist = item.find("odm:CodeListRef", _NS)
            rows.append([escape(f"{on} = {value}"), escape(item.get("DataType", "")),
                         escape(item.get("Length", "")),
                         "" if codelist is None else escape(codelist.get("CodeListOID", "")[3:]),
                         _origin(item, ref.get("MethodOID", ""))])
        parts.append(f'<h3 id="{escape(listing.get("OID", ""))}">{escape(listing.get("OID", ""))}'
                     f"</h3>" + _table(["Where", "Type", "Length", "Codelist", "Origin"], rows))
    return "".join(parts)


def _codelists(root: etree._Element) -> str:
    parts = []
    for cl in root.iterfind(".//odm:CodeList", _NS):
        alias = cl.find("odm:Alias", _NS)
        code = "" if alias is None else alias.get("Name", "")
        rows = []
        for term in [*cl.iterfind("odm:CodeListItem", _NS), *cl.iterfind("odm:EnumeratedItem",
                                                                        _NS)]:
            term_alias = term.find("odm:Alias", _NS)
            decode = term.findtext("odm:Decode/odm:TranslatedText", "", _NS)
            extended = "sponsor extension" if term.get(f"{_DEF}ExtendedValue") == "Yes" else ""
            rows.append([escape(term.get("CodedValue", "")), escape(decode),
                         escape("" if term_alias is None else term_alias.get("Name", "")),
                         extended])
        title = f"{cl.get('Name', '')}" + (f" ({code}, CDISC CT)" if code else " (sponsor)")
        parts.append(f'<h3 id="{escape(cl.get("OID", ""))}">{escape(title)}</h3>'
                     + _table(["Value", "Decode", "NCI code", ""], rows))
    return "".join(parts)


def _methods(root: etree._Element) -> str:
    rows = [[f'<span id="{escape(m.get("OID", ""))}">{escape(m.get("OID", ""))}</span>',
             escape(m.get("Name", "")), escape(_t(m))]
            for m in root.iterfind(".//odm:MethodDef", _NS)]
    return _table(["Method", "Name", "Description and source"], rows)


def _results(root: etree._Element) -> str:
    parts = []
    for display in root.iterfind(".//arm:ResultDisplay", _NS):
        parts.append(f"<h3>{escape(display.get('Name', ''))}: {escape(_t(display))}</h3>")
        for result in display.iterfind("arm:AnalysisResult", _NS):
            datasets = [
                f"{escape(d.get('ItemGroupOID', '')[3:])} where "
                f"{escape(d.find('def:WhereClauseRef', _NS).get('WhereClauseOID', ''))}"
                for d in result.iterfind("arm:AnalysisDatasets/arm:AnalysisDataset", _NS)]
            parts.append(_table(["Result", "Reason", "Purpose", "Datasets", "Documentation",
                                 "Code"], [[
                escape(_t(result)), escape(result.get("AnalysisReason", "")),
                escape(result.get("AnalysisPurpose", "")), "<br>".join(datasets),
                escape(_t(result.find("arm:Documentation", _NS))),
                ("<code>" + escape(result.findtext("arm:ProgrammingCode/arm:Code", "", _NS))
                 + "</code>")]]))
    return "".join(parts)


def _class(group: etree._Element) -> str:
    found = group.find("def:Class", _NS)
    if found is None:
        return ""
    sub = found.find("def:SubClass", _NS)
    return str(found.get("Name", "")) + ("" if sub is None else f" / {sub.get('Name', '')}")


def render_define_html(document: bytes) -> str:
    """The HTML page of a define.xml document.

    Parameters
    ----------
    document
        A define.xml as :func:`oncotrial.cdisc.define.build_define` writes it.

    Returns
    -------
    str
        One self-contained HTML page (inline style): standards, datasets with class, structure
        and file, analysis results metadata when present, each dataset's variables, the
        value-level metadata, codelists and methods; every text HTML-escaped.
    """

    root = etree.fromstring(document, parser=etree.XMLParser(resolve_entities=False))
    study = root.find("odm:Study", _NS)
    name = study.findtext("odm:GlobalVariables/odm:StudyName", "", _NS)
    description = study.findtext("odm:GlobalVariables/odm:StudyDescription", "", _NS)
    standards = [[escape(s.get("Name", "")), escape(s.get("Type", "")),
                  escape(s.get("PublishingSet", "")), escape(s.get("Version", ""))]
                 for s in root.iterfind(".//def:Standard", _NS)]
    groups = list(root.iterfind(".//odm:ItemGroupDef", _NS))
    nav = "".join(f'<a href="#{escape(g.get("OID", ""))}">{escape(g.get("Name", ""))}</a>'
                  for g in groups)
    overview = [[f'<a href="#{escape(g.get("OID", ""))}">{escape(g.get("Name", ""))}</a>',
                 escape(_t(g)), escape(_class(g)),
                 escape(g.get(f"{_DEF}Structure", "")),
                 escape(g.find("def:leaf", _NS).get("{http://www.w3.org/1999/xlink}href", ""))]
                for g in groups]
    datasets = "".join(
        f'<h3 id="{escape(g.get("OID", ""))}">{escape(g.get("Name", ""))}: {escape(_t(g))}</h3>'
        f'<p class="m">{escape(g.get(f"{_DEF}Structure", ""))}</p>' + _variables(root, g)
        for g in groups)
    results = _results(root)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>define.xml: {escape(name)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(name)}: {escape(description)}</h1><nav>{nav}</nav>"
        "<h2>Standards</h2>" + _table(["Name", "Type", "Publishing set", "Version"], standards)
        + "<h2>Datasets</h2>" + _table(["Dataset", "Description", "Class", "Structure",
                                       "Location"], overview)
        + (f"<h2>Analysis results metadata</h2>{results}" if results else "")
        + f"<h2>Variables</h2>{datasets}<h2>Value-level metadata</h2>{_value_lists(root)}"
        + f"<h2>Codelists</h2>{_codelists(root)}<h2>Methods</h2>{_methods(root)}"
        + "</body></html>")
