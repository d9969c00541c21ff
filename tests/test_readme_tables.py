"""The results in brief (tools.readme_tables): outputs/results.md beside the report, and README.md's marked
sections, rebuilt only on request, from the session's smoke outputs (into a copy of a README)."""
import shutil

import pytest

from lib.pipeline import PROJECT_ROOT, profile_of
from tools import readme_tables
from tools.readme_tables import MarkerError, results_section, update_readme, write_results

TEMPLATE = """# Title

Text before.

<!-- results:start -->
old results
<!-- results:end -->

<!-- full:start -->
kept
<!-- full:end -->

<!-- bench:start -->
old bench
<!-- bench:end -->

Text after.
"""


def test_profile_is_inferred_from_the_output_root(tmp_path):
    assert profile_of("outputs") == "default"
    assert profile_of(PROJECT_ROOT / "outputs" / "smoke") == "smoke"
    assert profile_of(tmp_path) is None


def test_results_are_written_beside_the_outputs(executed_root):
    path = write_results(executed_root)
    text = path.read_text()
    assert path == executed_root / "results.md"
    assert "| model | T = 3 | T = 5 |" in text  # Part I sweep (the smoke profile's lengths)
    assert "| measure | moving average | raw generator | real digits |" in text  # Part II quality
    assert "| pair | path | reading changes |" in text  # interpolation
    assert "Not run yet" not in text


def test_the_readme_sections_come_from_the_default_and_the_full_profile(executed_root, tmp_path, monkeypatch):
    default, full = tmp_path / "outputs", tmp_path / "outputs" / "full"
    shutil.copytree(executed_root, default, ignore=shutil.ignore_patterns("html", "report", "*.zip"))
    monkeypatch.setattr(readme_tables, "output_root", {"default": str(default), "full": str(full)}.get)
    readme = tmp_path / "README.md"
    readme.write_text(TEMPLATE)
    text = update_readme(readme).read_text()
    assert text.startswith("# Title\n\nText before.\n") and text.endswith("\n\nText after.\n")
    assert "old results" not in text and results_section(default).strip() in text
    assert "kept" in text, "without a full run the full profile's section stays as it was"
    assert "old bench" in text, "no bench.json: the benchmark section stays as it was"
    shutil.copytree(executed_root, full, ignore=shutil.ignore_patterns("html", "report", "*.zip"))
    readme.write_text(TEMPLATE)
    assert "kept" not in update_readme(readme).read_text()


def test_parts_without_metrics_are_not_run_yet(tmp_path):
    text = results_section(tmp_path / "empty")
    assert text.count("Not run yet") == 2 and "make all OUT=" in text


def test_readme_without_markers_is_left_alone(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n")
    with pytest.raises(MarkerError, match="results:start"):
        update_readme(readme)
    assert readme.read_text() == "# Title\n"
