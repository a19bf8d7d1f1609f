# Children's development monitoring workbench. Run `make help` for the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_DB := data/demo/monitoring.duckdb
# The standard report set `make demo` runs on the demo data.
STANDARD_PLAN := notebooks/plans/standard.yaml
PYTEST_FLAGS ?=

.PHONY: help demo test test-slow lab lint format benchmark clean clean-outputs

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# An editable install is not byte-compiled: compileall does what pip does for a normal
# one (every batch process and zygote then loads the package without compiling it, also
# where PYTHONDONTWRITEBYTECODE is set; Python recompiles a file edited later by itself)
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m compileall -q workbench
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q workbench
	touch $(VENV)/.installed $@

$(DEMO_DB): $(VENV)/.installed $(wildcard workbench/store/demo/*.py) data/catalogue/indicators.csv data/regions/regions.csv
	$(BIN)/workbench demo --force

demo: $(DEMO_DB) ## Install, build the demo database and run the standard report set
	$(BIN)/workbench batch $(STANDARD_PLAN)
	@echo ""
	@echo "Reports: $(CURDIR)/outputs/index.html"

test: $(VENV)/.installed-dev $(DEMO_DB) ## Run the unit tests and nbval over notebooks/
	$(BIN)/python -m pytest -m "not slow" --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg --doctest-modules \
	  tests notebooks workbench $(PYTEST_FLAGS); \
	rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

test-slow: $(VENV)/.installed-dev $(DEMO_DB) ## Run the checks marked slow (kept out of make test)
	$(BIN)/python -m pytest -m slow tests; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests are marked slow"; exit 0; fi; exit $$rc

benchmark: $(VENV)/.installed-dev $(DEMO_DB) ## Run the benchmarks under benchmarks/ (slow)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

$(VENV)/.installed-lab: pyproject.toml | $(VENV)/.installed
	$(BIN)/python -m pip install --quiet 'jupyterlab>=4'
	touch $@

# Only JupyterLab is installed; the demo database is never (re)built here: `make demo` does that.
lab: $(VENV)/.installed-lab ## Open JupyterLab on notebooks/ (no demo rebuild; works as root)
	@test -e $(DEMO_DB) || test -n "$$WORKBENCH_DB" || \
	  echo "No demo database: run 'make demo', or set WORKBENCH_DB to your own database."
	cd notebooks && ../$(BIN)/jupyter lab $$(test "$$(id -u)" = 0 && echo --allow-root)

lint: $(VENV)/.installed-dev ## Check style with ruff
	$(BIN)/ruff check workbench tests benchmarks notebooks

clean-outputs: ## Delete generated reports (outputs/), keeping the folder
	find outputs -mindepth 1 ! -name .gitkeep -exec rm -rf {} +

clean: clean-outputs ## Delete the virtual environment and generated demo data
	rm -rf $(VENV) data/demo/*.duckdb data/demo/*.parquet data/demo/*.csv
