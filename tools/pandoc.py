"""Pandoc, from the pypandoc-binary wheel: the one converter behind the notebooks' HTML and the report.

The notebooks' Markdown cells are read as CommonMark with Pandoc's extensions (``commonmark_x``), the dialect
Jupyter renders, so a cell reads the same in JupyterLab and in the exported HTML. The report is read as Pandoc's
own Markdown, which has table captions (``Table: ...``) and image widths (``{width=60%}``); an image alone in
its paragraph becomes a figure with its text as the caption. TeX math becomes MathML in HTML, which Chromium,
Firefox and Safari draw natively: no MathJax, no CDN, no network.
"""
from __future__ import annotations

import subprocess

import pypandoc

NOTEBOOK_READER = "commonmark_x+implicit_figures"
REPORT_READER = "markdown-raw_tex"
_BOUNDARY = "PANDOC-BOUNDARY-5f2c9e"  # a paragraph no notebook writes


def convert(text: str, to: str, *args: str, outputfile: str | None = None, reader: str = REPORT_READER) -> str:
    """``text`` converted by Pandoc to format ``to`` with extra ``args``."""
    return pypandoc.convert_text(text, to, format=reader, extra_args=list(args), outputfile=outputfile)


def default_data_file(name: str) -> bytes:
    """One of Pandoc's own data files (e.g. ``reference.docx``), as its bytes."""
    return subprocess.run([pypandoc.get_pandoc_path(), "--print-default-data-file", name], check=True,
                          capture_output=True).stdout


def markdown_to_html(texts: list[str]) -> list[str]:
    """Each notebook Markdown text as an HTML fragment, TeX math as MathML, all in one Pandoc run."""
    if not texts:
        return []
    html = convert(f"\n\n{_BOUNDARY}\n\n".join(texts), "html", "--mathml", reader=NOTEBOOK_READER)
    parts = html.split(f"<p>{_BOUNDARY}</p>")
    if len(parts) != len(texts):
        raise RuntimeError(f"Pandoc returned {len(parts)} fragments for {len(texts)} texts")
    return [part.strip() for part in parts]
