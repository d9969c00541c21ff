# Two commands do everything on a fresh machine: `make all` and `make test`.
#
# Every target that needs Python first runs tools/bootstrap.py: it builds .venv (Python 3.11 to 3.13) and
# the Jupyter kernel inside it, reinstalls when requirements.txt changes, and points the kernel at this
# folder again when the folder has moved. The exports below make every command use this checkout's
# kernel and code, whatever else is installed for the user.
#
# Executed notebooks are files made from their notebook, their parameters, the library and the notebooks
# whose outputs they read, so `make -j` is safe and `make all` reruns exactly what is stale. A notebook is
# written only when its run completed (tools/run_notebook.py). Beneath Make, finished training runs are
# reused by their configuration (lib/runs.py), whatever code trained them: after changing the training
# code, retrain with ARGS="-p force True".

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PROFILE ?= default
$(if $(wildcard params/$(PROFILE)/),,$(error PROFILE=$(PROFILE): there is no params/$(PROFILE)/; the profiles are $(notdir $(wildcard params/*))))
# The default profile writes to outputs/, any other to outputs/<profile>/.
OUT ?= $(if $(filter default,$(PROFILE)),outputs,outputs/$(PROFILE))
NOTEBOOKS := 01_lstm 02_gan_train 03_gan_samples 04_report
STUDENT ?=
NAME ?=
# Extra parameters for the notebooks, as papermill takes them; when given, the notebooks run again.
# e.g. ARGS="-p force True" (retrain), ARGS="-y '{seeds: [0, 1]}'" (a list: -p passes text)
ARGS ?=

export JUPYTER_PATH := $(CURDIR)/$(VENV)/share/jupyter$(if $(JUPYTER_PATH),:$(JUPYTER_PATH))
export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))

LIB := $(wildcard lib/*.py)
EXECUTED := $(NOTEBOOKS:%=$(OUT)/%.ipynb)
REPORT := $(OUT)/report/report.pdf

.PHONY: all smoke venv report readme test lab html submission bench clean distclean FORCE $(NOTEBOOKS)

# The README's results come from the default profile only (smoke tables there would mislead).
all: $(REPORT) $(if $(filter default,$(PROFILE)),readme)

smoke:
	$(MAKE) all PROFILE=smoke

venv:
	@$(PYTHON) tools/bootstrap.py --python $(PYTHON)

# One notebook, executed with the profile's parameters into $(OUT)/.
$(OUT)/%.ipynb: notebooks/%.ipynb params/$(PROFILE)/%.yaml $(LIB) $(if $(ARGS),FORCE) | venv
	$(PY) -m tools.run_notebook $* --profile $(PROFILE) --out $(OUT) $(ARGS)
$(OUT)/03_gan_samples.ipynb: $(OUT)/02_gan_train.ipynb
$(OUT)/04_report.ipynb: $(OUT)/01_lstm.ipynb $(OUT)/02_gan_train.ipynb $(OUT)/03_gan_samples.ipynb \
                        $(wildcard $(OUT)/bench.json)

# A notebook's own outputs (its training runs aside) newer than it were left by a rerun that did not finish,
# or by Run All in JupyterLab: it runs again (tools.run_notebook.outputs_of, which the report checks, agrees).
outputs_of = $(shell find $(OUT)/$(1) -name runs -prune -o -type f -print 2>/dev/null)
$(foreach name,$(NOTEBOOKS),$(eval $(OUT)/$(name).ipynb: $(call outputs_of,$(name))))

# `make 02_gan_train` brings that notebook (and what it reads) up to date.
$(NOTEBOOKS): %: $(OUT)/%.ipynb

# The report (the executed 04_report) as PDF, Word, LaTeX and HTML in $(OUT)/report/.
$(REPORT): $(OUT)/04_report.ipynb tools/report.py tools/pandoc.py tools/run_notebook.py | venv
	$(PY) -m tools.report --root $(OUT) --profile $(PROFILE) --student "$(STUDENT)" --name "$(NAME)"
report: $(REPORT)

readme: $(EXECUTED) | venv
	$(PY) -m tools.readme_tables --root $(OUT)

test: venv
	$(PY) -m pytest -q tests

lab: venv
	$(PY) -m jupyter lab notebooks

# Every executed notebook to standalone HTML that needs no network (the report without its code); like
# `make submission`, it refuses unfinished or stale notebooks instead of running them again.
html: venv
	$(PY) -m tools.export_html --root $(OUT) --profile $(PROFILE)

# Refuses a missing or stale report instead of remaking it: what is submitted is what was looked at.
submission: venv
	$(PY) -m tools.submission --student "$(STUDENT)" --name "$(NAME)" --root $(OUT) --profile $(PROFILE)

bench: venv
	$(PY) -m bench.run $(if $(FULL),--full,)
	$(PY) -m tools.readme_tables --root outputs

clean:
	find outputs -mindepth 1 ! -name .gitkeep -delete

distclean: clean
	rm -rf $(VENV)

FORCE:
