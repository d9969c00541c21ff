"""README.md's results section, rebuilt from the session's smoke outputs (into a copy of a README)."""
import pytest

from lib.runs import PROJECT_ROOT
from tools.export_html import profile_of
from tools.readme_tables import MarkerError, update_readme

TEMPLATE = """# Title

Text before.

<!-- results:start -->
old results
<!-- results:end -->

<!-- bench:start -->
old bench
<!-- bench:end -->

Text after.
"""


def test_profile_is_inferred_from_the_output_root(tmp_path):
    assert profile_of("outputs") == "default"
    assert profile_of(PROJECT_ROOT / "outputs" / "smoke") == "smoke"
    assert profile_of(tmp_path) is None


def test_tables_replace_only_the_marked_sections(executed_root, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(TEMPLATE)
    text = update_readme(executed_root, readme).read_text()
    assert text.startswith("# Title\n\nText before.\n") and text.endswith("\n\nText after.\n")
    assert "old results" not in text
    assert "old bench" in text, "no bench.json under the root: the benchmark section stays as it was"
    assert f"from `{executed_root}/`" in text and "metrics files written 2" in text
    assert "| model | seq_length | mean acc |" in text  # Part I sweep
    assert "| measure | generated | real data | goal | met |" in text  # Part II quality
    assert "- **lerp**:" in text and "- **slerp**:" in text  # interpolation
    assert "Not run yet" not in text


def test_parts_without_metrics_are_not_run_yet(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(TEMPLATE.replace("old bench\n", ""))
    text = update_readme(tmp_path / "empty", readme).read_text()
    assert text.count("Not run yet") == 4 and "no metrics files yet" in text  # three parts and the benchmark


def test_readme_without_markers_is_left_alone(executed_root, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n")
    with pytest.raises(MarkerError, match="results:start"):
        update_readme(executed_root, readme)
    assert readme.read_text() == "# Title\n"


def test_full_profile_section_from_a_full_output_root(executed_root, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(TEMPLATE + "<!-- full:start -->\nkept\n<!-- full:end -->\n")
    text = update_readme(executed_root, readme, full_root=executed_root).read_text()
    section = text.split("<!-- full:start -->")[1]
    assert "kept" not in section and "- **onehot input**: The LSTM" in section
    assert "Long memory (minutes are the run's own wall time):" in section and "| minutes |" in section
    assert "The ablation ladder (2 rungs" in section
    readme.write_text(TEMPLATE + "<!-- full:start -->\nkept\n<!-- full:end -->\n")
    assert "kept" in update_readme(executed_root, readme, full_root=tmp_path / "none").read_text(), \
        "without a full run the section stays as it was"
