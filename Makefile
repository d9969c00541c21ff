# Two commands do everything on a fresh machine: `make all` and `make test`.
# Every target that needs Python depends on the virtual environment, which is
# (re)built from requirements.txt when it is missing or older than that file.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
KERNEL := assignment3
PROFILE ?= default
# The default profile writes to outputs/, any other to outputs/<profile>/.
OUT ?= $(if $(filter default,$(PROFILE)),outputs,outputs/$(PROFILE))
NOTEBOOKS := 01_lstm 02_gan_train 03_gan_samples 04_report
STUDENT ?=
NAME ?=
ARGS ?=  # extra papermill arguments, e.g. ARGS="-p force True" to retrain instead of reusing runs

.PHONY: all smoke readme report test lab html submission bench clean distclean venv kernel $(NOTEBOOKS)

# The README's results come from the default profile only (smoke tables there would mislead).
all: $(NOTEBOOKS) $(if $(filter default,$(PROFILE)),readme) report

smoke:
	$(MAKE) all PROFILE=smoke

# Execute one notebook with the profile's parameters; the executed copy goes to $(OUT)/.
$(NOTEBOOKS): kernel
	mkdir -p $(OUT)
	$(PY) -m papermill notebooks/$@.ipynb $(OUT)/$@.ipynb -k $(KERNEL) --cwd notebooks \
	    -f params/$(PROFILE)/$@.yaml -p output_root $(OUT) $(ARGS)

readme: venv
	$(PY) -m tools.readme_tables --root $(OUT)

# The report (04_report, executed) as PDF, Word, LaTeX and HTML in $(OUT)/report/.
report: venv
	$(PY) -m tools.report --root $(OUT) --student "$(STUDENT)" --name "$(NAME)"

test: kernel
	$(PY) -m pytest -q tests

lab: kernel
	$(VENV)/bin/jupyter lab notebooks

# Every executed notebook to standalone HTML (figures embedded); the report without its code.
html: venv
	@ls $(OUT)/0*.ipynb >/dev/null 2>&1 || { echo "No executed notebooks in $(OUT)/: run 'make all' first."; exit 1; }
	$(PY) -m tools.export_html --root $(OUT)

submission: venv
	$(PY) -m tools.submission --student "$(STUDENT)" --name "$(NAME)" --root $(OUT)

bench: kernel
	$(PY) -m bench.run $(if $(FULL),--full,)
	$(PY) -m tools.readme_tables --root outputs

clean:
	find outputs -mindepth 1 ! -name .gitkeep -delete

distclean: clean
	rm -rf $(VENV)

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt 2> >(grep -v "is ignored: it is neither" >&2)
	@# `import lib` from anywhere (notebooks, tests, bench) without installing the project
	echo "$(CURDIR)" > "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/assignment3.pth"
	touch $@

# Register the venv as a Jupyter kernel for papermill and JupyterLab; re-register
# when the registered kernel points at another checkout's venv.
kernel: venv
	@grep -qs '"$(CURDIR)/$(VENV)/bin/python"' "$$($(PY) -c 'from jupyter_core.paths import jupyter_data_dir; print(jupyter_data_dir())')/kernels/$(KERNEL)/kernel.json" || \
	    $(PY) -m ipykernel install --user --name $(KERNEL) --display-name "Python (assignment3)"
