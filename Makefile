# Two commands do everything on a fresh machine: `make all` and `make test`.
#
# Every target that needs Python first runs tools/bootstrap.py: it builds .venv (Python 3.11 to 3.13) and
# the Jupyter kernel inside it, reinstalls when requirements.txt changes, and points the kernel and the
# scripts in .venv/bin at this folder again when the folder has moved or been copied. The exports below make
# every command use this checkout's kernel and code, whatever else is installed for the user.
#
# The notebooks, what each reads and where a profile writes come from lib/pipeline.py (standard library only,
# so it answers before .venv exists). Executed notebooks are files made from their notebook, their parameters,
# the library and the notebooks whose outputs they read, so `make -j` is safe and `make all` reruns exactly
# what is stale. A notebook is written only when its run completed with all its outputs (tools/run_notebook.py).
# Beneath Make, finished training runs are reused by their configuration and say when other code trained them.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PROFILE ?= default
PIPELINE = $(shell $(PYTHON) -m lib.pipeline $(1))
$(if $(wildcard params/$(PROFILE)/),,$(error PROFILE=$(PROFILE): there is no params/$(PROFILE)/; the profiles are $(notdir $(wildcard params/*))))
OUT ?= $(call PIPELINE,root $(PROFILE))
# Expanded once: as a recursive variable (what ?= makes) it would run Python at every use of $(OUT).
OUT := $(OUT)
NOTEBOOKS := $(call PIPELINE,notebooks)
STUDENT ?=
NAME ?=
# Extra parameters for the notebooks, as papermill takes them; when given, the notebooks run again.
# e.g. ARGS="-p force True" (retrain), ARGS="-y '{seeds: [0, 1]}'" (a list: -p passes text)
ARGS ?=

export JUPYTER_PATH := $(CURDIR)/$(VENV)/share/jupyter$(if $(JUPYTER_PATH),:$(JUPYTER_PATH))
export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))
# A home folder that cannot be written (a container, a shared account) would scatter cache warnings: keep the
# caches of matplotlib, Jupyter and the compiled kernels inside .venv then.
ifeq ($(shell test -w "$${HOME:-/nonexistent}" && echo yes),)
export MPLCONFIGDIR := $(CURDIR)/$(VENV)/cache/matplotlib
export XDG_CACHE_HOME := $(CURDIR)/$(VENV)/cache
export JUPYTER_RUNTIME_DIR := $(CURDIR)/$(VENV)/cache/jupyter-runtime
export IPYTHONDIR := $(CURDIR)/$(VENV)/cache/ipython
endif

LIB := $(wildcard lib/*.py lib/*/*.py)
EXECUTED := $(NOTEBOOKS:%=$(OUT)/%.ipynb)
REPORT := $(OUT)/report/report.pdf

.PHONY: all smoke venv report readme test lab html submission bench clean distclean FORCE $(NOTEBOOKS)

all: $(REPORT) $(OUT)/results.md

smoke:
	$(MAKE) all PROFILE=smoke

venv:
	@$(PYTHON) tools/bootstrap.py --python $(PYTHON)

# One notebook, executed with the profile's parameters (a profile without the file keeps the defaults) into $(OUT)/.
.SECONDEXPANSION:
$(OUT)/%.ipynb: notebooks/%.ipynb $$(wildcard params/$(PROFILE)/$$*.yaml) $(LIB) $(if $(ARGS),FORCE) | venv
	$(PY) -m tools.run_notebook $* --profile $(PROFILE) --out $(OUT) $(ARGS)
# Each executed notebook also depends on the files it left for its readers, listed by the runner beside it: one
# removed under it (a run folder cleaned away) makes the notebook run again.
-include $(wildcard $(OUT)/.*.outputs.mk)
$(foreach name,$(NOTEBOOKS),$(eval $(OUT)/$(name).ipynb: $(patsubst %,$(OUT)/%.ipynb,$(call PIPELINE,reads $(name)))))

# A notebook's own outputs (its training runs aside) newer than it were left by a rerun that did not finish,
# or by Run All in JupyterLab: it runs again (tools.run_notebook.outputs_of, which the report checks, agrees).
outputs_of = $(shell find $(OUT)/$(1) -name runs -prune -o -type f -print 2>/dev/null)
$(foreach name,$(NOTEBOOKS),$(eval $(OUT)/$(name).ipynb: $(call outputs_of,$(name))))

# The report also reads the benchmark's record when there is one (`make bench` writes it): a newer one reruns it.
$(OUT)/04_report.ipynb: $(wildcard $(OUT)/bench.json)

# `make 02_gan_train` brings that notebook (and what it reads) up to date.
$(NOTEBOOKS): %: $(OUT)/%.ipynb

# The report (the executed 04_report) as PDF, Word, LaTeX and HTML in $(OUT)/report/.
$(REPORT): $(OUT)/04_report.ipynb tools/report.py tools/pandoc.py tools/fonts.py tools/run_notebook.py | venv
	$(PY) -m tools.report --root $(OUT) --profile $(PROFILE) --student "$(STUDENT)" --name "$(NAME)"
report: $(REPORT)

# The results in brief, as Markdown beside the report; `make readme` copies the default and the full profile's
# into README.md: an explicit step, since it rewrites a tracked file.
$(OUT)/results.md: $(EXECUTED) tools/readme_tables.py | venv
	$(PY) -m tools.readme_tables --root $(OUT)
readme: venv
	$(PY) -m tools.readme_tables --update-readme

test: venv
	$(PY) -m pytest -q tests

# JupyterLab on this checkout's kernel; as root (a container, a rented server) it needs --allow-root.
lab: venv
	$(PY) -m jupyterlab notebooks $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root) $(LABARGS)

# Every executed notebook to standalone HTML that needs no network (the report without its code); like
# `make submission`, it refuses unfinished or stale notebooks instead of running them again.
html: venv
	$(PY) -m tools.export_html --root $(OUT) --profile $(PROFILE)

# Refuses a missing or stale report instead of remaking it: what is submitted is what was looked at.
submission: venv
	$(PY) -m tools.submission --student "$(STUDENT)" --name "$(NAME)" --root $(OUT) --profile $(PROFILE)

bench: venv
	$(PY) -m bench.run $(if $(FULL),--full,)

# Refuses while a notebook is running into outputs/: it would lose the files the run is writing.
clean:
	@$(PYTHON) tools/clean.py outputs

distclean: clean
	rm -rf $(VENV)

FORCE:
