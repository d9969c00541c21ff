"""The submission zip built from the session's smoke outputs: what is in it, what is not,
and that the code in it imports on its own. Also the student-number check."""
import os
import subprocess
import sys
import zipfile
from fnmatch import fnmatch

import pytest

from lib.runs import PROJECT_ROOT
from tools.submission import build_submission

STUDENT = "12345678"
TOP = f"{STUDENT}_assignment3"
NOTEBOOKS = ("01_lstm", "02_gan_train", "03_gan_samples", "04_report")
ALLOWED = ("report.html", "executed/*.ipynb", "executed/*.html", "lib/*.py", "notebooks/*.ipynb", "tools/*.py",
           "params/*/*.yaml", "Makefile", "environment.yml", "requirements.txt", "README.md")
FORBIDDEN = (".pt", ".npz", ".pyc", ".venv", "__pycache__", "data/", "outputs/")
MAX_ZIP_BYTES = 8_000_000  # the smoke zip is about 4.5 MB, nearly all of it base64 figures


def project_files(pattern):
    return {path.relative_to(PROJECT_ROOT).as_posix() for path in PROJECT_ROOT.glob(pattern)}


@pytest.fixture(scope="module")
def submission(executed_root, exported_html, tmp_path_factory):
    """(zip path, its member names relative to the top folder, the unpacked top folder)."""
    zip_path = build_submission(STUDENT, executed_root)
    unpacked = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        archive.extractall(unpacked)
    assert all(name.startswith(f"{TOP}/") for name in names), "everything lives under one top folder"
    return zip_path, {name.removeprefix(f"{TOP}/") for name in names}, unpacked / TOP


def test_zip_is_written_next_to_the_outputs(executed_root, submission):
    zip_path, _, _ = submission
    assert zip_path == executed_root / f"{TOP}.zip"
    assert zip_path.stat().st_size < MAX_ZIP_BYTES


def test_zip_holds_report_executed_notebooks_and_sources(submission):
    _, files, _ = submission
    required = {"report.html", "Makefile", "environment.yml", "requirements.txt", "README.md"}
    required |= {f"executed/{name}.{ext}" for name in NOTEBOOKS for ext in ("ipynb", "html")}
    required |= {f"notebooks/{name}.ipynb" for name in NOTEBOOKS}
    required |= {"tools/__init__.py", "tools/export_html.py", "tools/submission.py", "tools/readme_tables.py"}
    required |= project_files("lib/*.py") | project_files("params/*/*.yaml")
    assert not required - files, f"missing from the zip: {sorted(required - files)}"


def test_zip_holds_nothing_else(submission):
    _, files, _ = submission
    unexpected = [name for name in files if not any(fnmatch(name, pattern) for pattern in ALLOWED)]
    assert not unexpected, f"unexpected files in the zip: {unexpected}"
    forbidden = [name for name in files if any(part in name for part in FORBIDDEN)]
    assert not forbidden, f"environment, data, checkpoints or caches in the zip: {forbidden}"


def test_report_is_the_exported_report_without_code(submission):
    _, _, folder = submission
    report = (folder / "report.html").read_text()
    assert report == (folder / "executed" / "04_report.html").read_text()
    assert "report.read_outputs(" not in report, "the report's code should not be in report.html"
    assert "data:image/png;base64," in report


def test_code_in_the_zip_imports_from_the_zip(submission):
    _, _, folder = submission
    # The venv's .pth file puts the checkout on sys.path; PYTHONPATH puts the unpacked folder before it.
    env = {**os.environ, "PYTHONPATH": str(folder)}
    env.pop("PYTHONSAFEPATH", None)
    code = ("import lib.recurrent, lib.gan, lib.gan_train, lib.evaluate, lib.latent, lib.samples, lib.report\n"
            "import tools.export_html, tools.submission, tools.readme_tables\n"
            "import lib, tools; print(lib.__file__); print(tools.__file__)")
    result = subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    for path in result.stdout.split():
        assert (folder / path).resolve().is_relative_to(folder.resolve()), f"imported {path}, not the zip's copy"


def test_stale_html_is_exported_again(executed_root, submission):
    html, notebook = executed_root / "html" / "01_lstm.html", executed_root / "01_lstm.ipynb"
    os.utime(html, (notebook.stat().st_mtime - 60,) * 2)
    build_submission(STUDENT, executed_root)
    assert html.stat().st_mtime >= notebook.stat().st_mtime


@pytest.mark.parametrize("student", ["", "   ", "abc", "1234x", "12.5", "-1", "١٢٣"])
def test_bad_student_number_is_refused_before_any_work(student, tmp_path):
    with pytest.raises(ValueError, match="STUDENT must be your student number"):
        build_submission(student, tmp_path)
    assert not any(tmp_path.iterdir())


def run_tool(*args):
    return subprocess.run([sys.executable, "-m", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=300)


def test_command_line_refuses_a_missing_student_number_with_status_2(tmp_path):
    result = run_tool("tools.submission", "--student", "", "--root", str(tmp_path))
    assert result.returncode == 2
    assert "STUDENT must be your student number, digits only, e.g. make submission STUDENT=12345678" in result.stderr
    assert not any(tmp_path.iterdir())


def test_command_line_without_executed_notebooks_says_make_all(tmp_path):
    for tool in (("tools.submission", "--student", STUDENT), ("tools.export_html",)):
        result = run_tool(*tool, "--root", str(tmp_path))
        assert result.returncode == 1, result.stderr
        assert "make all" in result.stderr
    assert not any(tmp_path.iterdir())
