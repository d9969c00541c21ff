"""The report rendered from the session's executed notebooks (tools.report): one source, four formats."""
import html
import re
import shutil
import subprocess
import zipfile

import nbformat
import pytest
from pypdf import PdfReader

from lib.report import read_outputs
from tools.report import NotRenderable, render, report_markdown

STUDENT = "12345678"
NAME = "Zoë O'Brien & Co. 100% _under_ \\back \"quoted\""
SECTIONS = ("How to reproduce", "Part I: memory in recurrent networks", "The models, equation by equation",
            "Accuracy against the length of the palindrome", "Long memory", "Gradient flow",
            "Part II: a GAN on MNIST", "25 samples at the start", "Interpolating between two digits", "Analysis")
RAW = ("$", "\\tanh", "^{(t)}", "\\mathcal", "<IPython", "object at 0x", "display(")


@pytest.fixture(scope="module")
def rendered(executed_root):
    files = render(executed_root, STUDENT, NAME)
    return files, (executed_root / "report" / "report.md").read_text(), read_outputs(executed_root)


@pytest.fixture(scope="module")
def pdf_text(rendered):
    files, _, _ = rendered
    return "\n".join(page.extract_text() for page in PdfReader(files["pdf"]).pages)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_all_four_formats_are_written(rendered):
    files, body, _ = rendered
    assert set(files) == {"pdf", "docx", "tex", "html"} and all(path.stat().st_size > 1000 for path in files.values())
    assert files["pdf"].read_bytes().startswith(b"%PDF")
    assert not body.startswith("# CS324"), "the first heading is the title block, not a section"


def test_pdf_has_the_sections_and_the_numbers_of_this_run(rendered, pdf_text):
    _, _, outputs = rendered
    text = flat(pdf_text)
    for section in SECTIONS:
        assert section in text, f"no section {section!r} in the PDF"
    gan = outputs["gan"]
    for number in (f"{gan['final']['inception_score']:.2f}", f"{gan['final']['frechet_distance']:.2f}",
                   f"{gan['classifier']['test_accuracy']:.2%}"):
        assert number in text, f"the PDF does not show {number} from 02_gan_train/metrics.json"
    walk = outputs["interpolation"]
    assert f"digit {walk['classes'][0]}" in text and f"digit {walk['classes'][1]}" in text
    assert f"{len(outputs['lstm']['runs'])} runs" in text
    for raw in RAW:
        assert raw not in text, f"raw TeX or Python ({raw!r}) in the PDF's text"
    assert len(PdfReader(rendered[0]["pdf"]).pages) >= 10


def test_pdf_embeds_every_figure(rendered):
    files, body, _ = rendered
    figures = len(re.findall(r"!\[[^\]]*\]\(figures/figure-\d+\.png\)", body))
    assert figures >= 15
    embedded = sum(len(page.images) for page in PdfReader(files["pdf"]).pages)
    assert embedded == figures


def test_docx_has_native_equations_and_every_figure(rendered):
    files, body, _ = rendered
    with zipfile.ZipFile(files["docx"]) as docx:
        document = docx.read("word/document.xml").decode()
        media = [name for name in docx.namelist() if name.startswith("word/media/")]
    assert document.count("<m:oMath>") >= 10, "at least one native equation per numbered equation (1)-(10)"
    assert len(media) == body.count("](figures/figure-")
    assert "\\tanh" not in re.sub(r"<[^>]+>", "", document)


def test_tex_links_only_figures_beside_it_and_compiles_where_tex_is_installed(rendered, tmp_path):
    files, _, _ = rendered
    tex = files["tex"].read_text()
    targets = re.findall(r"\\includegraphics(?:\[[^\]]*\])?\{([^}]+)\}", tex)
    assert targets and all((files["tex"].parent / target).is_file() for target in targets)
    compiler = shutil.which("pdflatex") or shutil.which("xelatex")
    if compiler is None:
        pytest.skip("no pdflatex or xelatex on this machine (.ci/run installs Debian's texlive-latex-recommended)")
    copy = tmp_path / "tex"
    shutil.copytree(files["tex"].parent, copy)
    result = subprocess.run([compiler, "-interaction=nonstopmode", "-halt-on-error", "report.tex"], cwd=copy,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert len(PdfReader(copy / "report.pdf").pages) >= 10


def test_name_with_quotes_accents_and_latex_specials_comes_out_literally(rendered, pdf_text):
    files, _, _ = rendered
    assert NAME in flat(pdf_text) and f"student number {STUDENT}" in flat(pdf_text)
    with zipfile.ZipFile(files["docx"]) as docx:
        core = html.unescape(docx.read("docProps/core.xml").decode() + docx.read("word/document.xml").decode())
    assert NAME in core
    assert NAME in html.unescape(re.sub(r"<[^>]+>", "", files["html"].read_text()))
    # in LaTeX, each special character escaped (the compile test above typesets it)
    assert 'Zoë O\\textquotesingle Brien \\& Co. 100\\% \\_under\\_ \\textbackslash back "quoted"' in files["tex"].read_text()


def test_anything_but_markdown_in_the_report_notebook_stops_the_rendering(executed_root, tmp_path):
    notebook = nbformat.read(executed_root / "04_report.ipynb", as_version=4)
    cell = next(c for c in notebook.cells if c.cell_type == "code" and c.outputs)
    cell.outputs.append(nbformat.v4.new_output("execute_result", {"text/plain": "<IPython.core.display.Markdown object>"}))
    nbformat.write(notebook, tmp_path / "04_report.ipynb")
    with pytest.raises(NotRenderable, match="shows text/plain: the report shows Markdown only"):
        report_markdown(tmp_path / "04_report.ipynb")
