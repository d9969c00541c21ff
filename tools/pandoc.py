"""Pandoc, from the pypandoc-binary wheel: the one converter behind the notebooks' HTML and the report.

The notebooks' Markdown is read as CommonMark with Pandoc's extensions (``commonmark_x``), the
dialect Jupyter renders, so a cell reads the same in JupyterLab, in the HTML and in the report;
an image alone in its paragraph becomes a figure with its text as the caption. TeX math becomes MathML in HTML, which Chromium,
Firefox and Safari draw natively: no MathJax, no CDN, no network.
"""
from __future__ import annotations

import pypandoc

READER = "commonmark_x+implicit_figures"
_BOUNDARY = "PANDOC-BOUNDARY-5f2c9e"  # a paragraph no notebook writes


def convert(text: str, to: str, *args: str, outputfile: str | None = None) -> str:
    """``text`` (the notebooks' Markdown) converted by Pandoc to format ``to`` with extra ``args``."""
    return pypandoc.convert_text(text, to, format=READER, extra_args=list(args), outputfile=outputfile)


def markdown_to_html(texts: list[str]) -> list[str]:
    """Each Markdown text as an HTML fragment, TeX math as MathML, all in one Pandoc run."""
    if not texts:
        return []
    html = convert(f"\n\n{_BOUNDARY}\n\n".join(texts), "html", "--mathml")
    parts = html.split(f"<p>{_BOUNDARY}</p>")
    if len(parts) != len(texts):
        raise RuntimeError(f"Pandoc returned {len(parts)} fragments for {len(texts)} texts")
    return [part.strip() for part in parts]
