"""The report rendered from the session's executed notebooks (tools.report): one source, four formats, the same
numbered figures and tables in each, and a title block that shows what the student typed, in any script."""
import html
import os
import re
import shutil
import subprocess
import sys
import zipfile

import nbformat
import pytest
from pypdf import PdfReader

from lib import outputs
from lib.pipeline import PROJECT_ROOT
from lib.report import paper
from tools import fonts
from tools.report import NotRenderable, render, report_markdown

STUDENT = "12345678"
NAME = "Zoë O'Brien & Co. 100% _under_ \\back \"quoted\""
RAW = ("$", "\\tanh", "^{(t)}", "\\mathcal", "<IPython", "object at 0x", "display(", "Figure ?", "Table ?")


@pytest.fixture(scope="module")
def rendered(executed_root):
    files = render(executed_root, STUDENT, NAME)
    return files, (executed_root / "report" / "report.md").read_text(), outputs.read_data(executed_root)


@pytest.fixture(scope="module")
def pdf_text(rendered):
    files, _, _ = rendered
    return "\n".join(page.extract_text() for page in PdfReader(files["pdf"]).pages)


def flat(text: str) -> str:
    """The PDF's text with its typography undone: one space for any run of white space, straight quotes."""
    return re.sub(r"\s+", " ", text).replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')


def test_all_four_formats_are_written(rendered):
    files, body, _ = rendered
    assert set(files) == {"pdf", "docx", "tex", "html"} and all(path.stat().st_size > 1000 for path in files.values())
    assert files["pdf"].read_bytes().startswith(b"%PDF")
    assert not body.startswith("# CS324"), "the first heading is the title block, not a section"


def test_pdf_has_every_section_and_the_numbers_of_this_run(rendered, pdf_text):
    _, _, data = rendered
    text = flat(pdf_text)
    for section in paper.SECTIONS:
        heading = section.heading.split("\n")[-1].lstrip("# ").replace(" {.unnumbered}", "")
        if heading:
            assert heading in text, f"no section {heading!r} in the PDF"
    gan = data["gan"]
    for number in (f"{gan['final']['inception_score']:.2f}", f"{gan['classifier']['test_accuracy'] * 100:.1f}%",
                   f"{gan['real_baseline']['inception_score']:.2f}"):
        assert number in text, f"the PDF does not show {number} from 02_gan_train/metrics.json"
    for raw in RAW:
        assert raw not in text, f"raw TeX, Python or an unresolved reference ({raw!r}) in the PDF's text"
    for required in ("Hochreiter and Schmidhuber", "Bengio, Simard and Frasconi", "Goodfellow, Pouget-Abadie",
                     "Tallec and Ollivier", "Zhao, Liu, Lin, Zhu and Han", "Yazıcı, Foo", "Salimans, Goodfellow",
                     "Heusel, Ramsauer", "White"):
        assert required in text.split("References")[-1], f"{required} is not among the references"


def test_figures_and_tables_are_numbered_in_order_and_referred_to_by_number(rendered, pdf_text):
    _, body, _ = rendered
    captions = [int(n) for n in re.findall(r"!\[Figure (\d+):", body)]
    assert captions == list(range(1, len(captions) + 1)) and len(captions) >= 8
    tables = [int(n) for n in re.findall(r"^Table: Table (\d+):", body, re.MULTILINE)]
    assert tables == list(range(1, len(tables) + 1)) and len(tables) >= 10
    text = flat(pdf_text)
    for n in captions:
        assert f"Figure {n}:" in text, f"Figure {n}'s caption is not in the PDF"
        assert text.count(f"Figure {n}") >= 2, f"Figure {n} is never referred to in the text"
    for n in tables:
        assert text.count(f"Table {n}") >= 2, f"Table {n} is never referred to in the text"
    assert "Figure 1: Figure 1" not in text, "the renderer's own numbering is off"


def test_pdf_embeds_every_figure_and_is_about_a_dozen_pages(rendered):
    files, body, _ = rendered
    figures = len(re.findall(r"!\[[^\]]*\]\(figures/figure-\d+\.png\)", body))
    assert sum(len(page.images) for page in PdfReader(files["pdf"]).pages) == figures
    assert len(PdfReader(files["pdf"]).pages) <= 16


def test_pdf_pages_are_a4_with_the_margin_set_in_tools_report(rendered):
    from tools.report import MARGIN

    page = PdfReader(rendered[0]["pdf"]).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842), "A4"
    left = []
    page.extract_text(visitor_text=lambda text, cm, tm, font, size: left.append(cm[0] * tm[4] + cm[2] * tm[5] + cm[4])
                      if text.strip() else None)
    assert min(left) == pytest.approx(MARGIN / 2.54 * 72, abs=1), "the text starts at the margin"


def test_docx_is_a4_with_native_equations_numbered_captions_and_every_figure(rendered):
    files, body, _ = rendered
    with zipfile.ZipFile(files["docx"]) as docx:
        document = docx.read("word/document.xml").decode()
        media = [name for name in docx.namelist() if name.startswith("word/media/")]
    assert 'w:w="11906"' in document and 'w:h="16838"' in document, "an A4 page"
    assert document.count("<m:oMath>") >= 10, "native equations"
    assert len(media) == body.count("](figures/figure-")
    text = re.sub(r"<[^>]+>", "", document)
    assert "\\tanh" not in text and "Figure 1:" in text and "Table 1:" in text and "Table: " not in text
    assert "\\operatorname" not in body, "LibreOffice cannot import operatorname's Word equations"


def test_docx_equations_survive_libreoffice_where_it_is_installed(rendered, tmp_path):
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        pytest.skip("no LibreOffice on this machine (.ci/run installs libreoffice-writer-nogui and its Math)")
    files, _, _ = rendered
    result = subprocess.run([office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(files["docx"])],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "report.pdf").pages)
    assert "¿" not in text, "LibreOffice marked an equation it could not import"
    assert re.search(r"d\s*i\s*a\s*g\s*\(1", text), "the Jacobian diag(1 - h h) W_hh lost its argument"


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
    assert len(PdfReader(copy / "report.pdf").pages) >= 8


def test_name_with_quotes_accents_and_latex_specials_comes_out_literally(rendered, pdf_text):
    files, _, _ = rendered
    assert NAME in flat(pdf_text) and f"student number {STUDENT}" in flat(pdf_text)
    with zipfile.ZipFile(files["docx"]) as docx:
        core = html.unescape(docx.read("docProps/core.xml").decode() + docx.read("word/document.xml").decode())
    assert NAME in core
    assert NAME in html.unescape(re.sub(r"<[^>]+>", "", files["html"].read_text()))
    # in LaTeX, each special character escaped (the compile test above typesets it)
    assert 'Zoë O\\textquotesingle Brien \\& Co. 100\\% \\_under\\_ \\textbackslash back "quoted"' in files["tex"].read_text()


CJK_NAME = "张三"


def test_a_cjk_name_reaches_every_rendering_in_any_locale_or_is_refused_with_the_fix(executed_root, tmp_path):
    """Rendered by a process under LC_ALL=C, as on a minimal install: the name travels in a UTF-8 file."""
    root = tmp_path / "root"
    shutil.copytree(executed_root, root, ignore=shutil.ignore_patterns("report", "html", "*.zip"))
    env = dict(os.environ, LC_ALL="C", LANG="C")
    command = [sys.executable, "-m", "tools.report", "--root", str(root), "--student", STUDENT, "--name", CJK_NAME]
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    if fonts.font_dirs_for(CJK_NAME) is None:
        assert result.returncode == 1 and "fonts-noto-cjk" in result.stderr and "Nothing has been written" in result.stderr
        pytest.skip("no CJK font on this machine: refused with the fix, as it should (.ci/run installs fonts-noto-cjk)")
    assert result.returncode == 0, result.stderr
    report = root / "report"
    pdf = "".join(page.extract_text() for page in PdfReader(report / "report.pdf").pages[:1])
    assert CJK_NAME in pdf and "\ufffd" not in pdf
    assert CJK_NAME in (report / "report.html").read_text(encoding="utf-8")
    with zipfile.ZipFile(report / "report.docx") as docx:
        assert CJK_NAME in docx.read("docProps/core.xml").decode()
    tex = (report / "report.tex").read_text(encoding="utf-8")
    assert CJK_NAME in tex and "\\setmainfont" in tex
    if shutil.which("xelatex"):
        result = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", "report.tex"], cwd=report,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout[-3000:]


def test_without_any_cjk_font_a_cjk_name_is_refused_before_anything_is_written(executed_root, tmp_path, monkeypatch):
    root = tmp_path / "root"
    shutil.copytree(executed_root, root, ignore=shutil.ignore_patterns("report", "html", "*.zip"))
    monkeypatch.setenv(fonts.ENV, str(tmp_path / "no-fonts"))
    with pytest.raises(NotRenderable, match="sudo apt install fonts-noto-cjk"):
        render(root, STUDENT, CJK_NAME)
    assert not (root / "report").exists()


def test_anything_but_markdown_in_the_report_notebook_stops_the_rendering(executed_root, tmp_path):
    notebook = nbformat.read(executed_root / "04_report.ipynb", as_version=4)
    cell = next(c for c in notebook.cells if c.cell_type == "code" and c.outputs)
    cell.outputs.append(nbformat.v4.new_output("execute_result", {"text/plain": "<IPython.core.display.Markdown object>"}))
    nbformat.write(notebook, tmp_path / "04_report.ipynb")
    with pytest.raises(NotRenderable, match="shows text/plain: the report shows Markdown only"):
        report_markdown(tmp_path / "04_report.ipynb")


def test_an_analysis_without_every_seeds_gradient_names_no_table_that_it_does_not_place(executed_root):
    """Metrics written before every seed's share was measured still render: no reference to the seeds' table."""
    from lib.files import load_json
    from lib.report.document import Document

    lstm = load_json(executed_root / "01_lstm" / "metrics.json")
    assert paper.part1_analysis(Document(executed_root, [], ["p1_seed_shares", "p1_gradient"]), lstm)
    del lstm["gradient_flow"]["seeds"]
    doc = Document(executed_root, [], ["p1_gradient"])
    text = paper.part1_analysis(doc, lstm)
    assert "median over the seeds" not in text and doc.placed_tables == []
    assert paper.seed_shares(doc, lstm) == "" and doc.placed_tables == [], "nor the appendix"


def test_the_back_matter_is_set_small_and_only_the_last_sections_tables_are_kept_in_place_in_the_pdf():
    from tools.report import BACK_MATTER, back_matter

    figure = "#figure(\n  align(center)[#table()]\n  , kind: table\n  )\n"
    appendix = "#heading(level: 1, numbering: none)[Appendix]\n<appendix>\n"
    typ = f"= Part\n{figure}== Sub\n{figure}#heading(level: 1, numbering: none)[References]\nA.\n{appendix}{figure}"
    finished = back_matter(typ)
    assert finished.count("placement: none") == 1 and finished.index("placement: none") > finished.index("[Appendix]")
    assert "#pagebreak" not in finished, "the appendix runs on after the references"
    assert finished.count(BACK_MATTER) == 1 and finished.index("[References]") < finished.index(BACK_MATTER) < \
        finished.index("A.")
    assert BACK_MATTER not in back_matter(f"= Part\n{figure}"), "no back matter, nothing set small"


def test_no_figure_or_table_number_is_typed_by_hand_in_the_reports_text():
    """Numbers come from ``Document.fig`` and ``Document.tab``: a typed 'Table 3' goes stale when a table moves."""
    import ast

    typed = re.compile(r"\b(Table|Figure) \d")
    for path in (PROJECT_ROOT / "lib" / "report").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                      and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
        found = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
                 and id(node) not in docstrings and typed.search(node.value)]
        assert not found, f"{path.name}: {found}"
